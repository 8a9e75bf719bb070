"""Every scenario file under scenarios/ is one pytest test, run in-process with the real default model.

Select by tag with ``-m``: each scenario's tags become markers (``pytest -m safety``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.replay import ReplayStack, describe_failure, load_scenario, run_scenario

from .conftest import ROOT

SCENARIOS = sorted((ROOT / "scenarios").rglob("*.yaml"))
CATALOG = Catalog.load()


def _param(path: Path) -> object:
    scenario = load_scenario(path, CATALOG)
    marks = [getattr(pytest.mark, tag.replace("-", "_")) for tag in scenario.tags]
    return pytest.param(
        path,
        marks=[pytest.mark.scenario, pytest.mark.model, *marks],
        id=str(path.relative_to(ROOT / "scenarios")),
    )


async def _factory() -> tuple[ReplayStack, Callable[[], Awaitable[None]]]:
    from orchestrator.local import open_local_stack

    stack = await open_local_stack()
    return stack, stack.aclose


@pytest.mark.parametrize("path", [_param(p) for p in SCENARIOS])
async def test_scenario(path: Path) -> None:
    result = await run_scenario(load_scenario(path, CATALOG), _factory)
    assert result.passed, "\n".join(describe_failure(result))
