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

#: Scenarios the stack does not pass yet, each with the reason. They still run (and an unexpected pass
#: is reported as XPASS); remove an entry once its scenario passes.
KNOWN_FAILURES = {
    "follow_ups/never_mind_switch_it_off.yaml": "'switch it back off' needs the previous turn's object",
    "follow_ups/window_open_then_close_it.yaml": "'close it again' needs the previous turn's object",
    "navigation/need_a_coffee.yaml": "indirect wish with fillers is below the router's confidence threshold",
    "provenance/navigation_yes_with_unlock.yaml": "'yes, take me there' with an extra request is not taken "
    "as the answer to the pending navigation question",
    "resilience/long_rambling_request.yaml": "the one clear request at the end of a long ramble is not split out",
    "safety/gr14_tired_driver_still_warned.yaml": "'can I pull over to the right' is not routed to perception",
}


def _param(path: Path) -> object:
    scenario = load_scenario(path, CATALOG)
    marks = [getattr(pytest.mark, tag.replace("-", "_")) for tag in scenario.tags]
    name = str(path.relative_to(ROOT / "scenarios"))
    if name in KNOWN_FAILURES:
        marks.append(pytest.mark.xfail(reason=KNOWN_FAILURES[name], strict=False))
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
