"""Fixtures of the model runtime tests.

``real_runtime`` loads the real default model once per test session (``@pytest.mark.model`` tests);
the model file is prepared into the normal cache first when it is not there yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from models import ModelRegistry, ModelRuntime, RuntimeConfig, ScriptedBackend


@pytest.fixture(scope="session")
def default_model_path() -> Path:
    registry = ModelRegistry.load(None)
    return registry.prepare()


@pytest.fixture(scope="session")
def real_runtime(default_model_path: Path) -> Iterator[ModelRuntime]:
    runtime = ModelRuntime.open(RuntimeConfig(host_url=None, n_ctx=2048))
    yield runtime
    asyncio.run(runtime.aclose())


@pytest.fixture
def scripted() -> ScriptedBackend:
    return ScriptedBackend()


@pytest.fixture
async def runtime(scripted: ScriptedBackend) -> AsyncIterator[ModelRuntime]:
    rt = ModelRuntime(scripted)
    yield rt
    await rt.aclose()
