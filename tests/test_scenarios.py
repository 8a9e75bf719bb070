"""Every scenario file under scenarios/ is one pytest test, run in-process with the real default model
and replay's budgets (``orchestrator.replay.runner.REPLAY_BUDGET_S``: a loaded machine is slower, not wrong).

Select by tag with ``-m``: each scenario's tags become markers (``pytest -m safety``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.replay import describe_failure, load_scenario, run_scenario
from orchestrator.replay.runner import in_process_stack

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


@pytest.mark.parametrize("path", [_param(p) for p in SCENARIOS])
async def test_scenario(path: Path) -> None:
    result = await run_scenario(load_scenario(path, CATALOG), in_process_stack)
    assert result.passed, "\n".join(describe_failure(result))
