"""Fixtures of the routing tests.

The templates are compiled once per session. Router tests run on the scripted model backend (hashed
character trigrams as embeddings) or on a double stage; ``real_runtime`` loads the real default model
once per session for the ``@pytest.mark.model`` tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from models import ModelRegistry, ModelRuntime, RuntimeConfig, ScriptedBackend
from orchestrator.routing import Decision, RouterStage, TemplateSet

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "orchestrator" / "routing" / "data"
SLURP = ROOT.parent / "shared" / "datasets" / "slurp-devel.jsonl"


@pytest.fixture(scope="session")
def templates() -> TemplateSet:
    return TemplateSet.load()


@pytest.fixture(scope="session")
def slurp_lines() -> list[dict[str, str]]:
    if not SLURP.is_file():
        pytest.skip(f"{SLURP} (SLURP, the out-of-domain check) is not present beside the project")
    return [json.loads(line) for line in SLURP.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def train_lines() -> list[dict[str, str]]:
    return [json.loads(line) for line in (DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture
async def scripted_runtime() -> AsyncIterator[ModelRuntime]:
    runtime = ModelRuntime(ScriptedBackend(dim=64))
    yield runtime
    await runtime.aclose()


@pytest.fixture(scope="session")
def real_runtime() -> Iterator[ModelRuntime]:
    if not ModelRegistry.load(None).is_installed():
        pytest.skip("the default model is not assembled yet (`cabin models prepare`)")
    runtime = ModelRuntime.open(RuntimeConfig(host_url=None))
    yield runtime
    asyncio.run(runtime.aclose())


class TableStage(RouterStage):
    """A double: decides from a table of exact texts; ``None`` for anything else. Records its calls."""

    name = "table"

    def __init__(
        self, table: dict[str, Decision], *, expected_latency_s: float = 0.0, delay_s: float = 0.0
    ) -> None:
        self.table = table
        self.expected_latency_s = expected_latency_s
        self.delay_s = delay_s
        self.calls: list[list[str]] = []

    async def decide(self, texts: Sequence[str], *, deadline: float) -> list[Decision | None]:
        self.calls.append(list(texts))
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return [self.table.get(text) for text in texts]


def model_decision(label: str, confidence: float = 0.9, guess: str | None = None) -> Decision:
    return Decision(label=label, confidence=confidence, via="model", guess=guess)
