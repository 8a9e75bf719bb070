"""A recorded live session is a scenario file that replays green without edits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.local import open_local_stack
from orchestrator.replay import ReplayStack, load_scenario, run_scenario
from orchestrator.replay.record import Recorder

pytestmark = pytest.mark.model


async def factory() -> tuple[ReplayStack, Callable[[], Awaitable[None]]]:
    stack = await open_local_stack()
    return stack, stack.aclose


async def test_recorded_session_replays_green(tmp_path: Path) -> None:
    stack = await open_local_stack()
    recorder = Recorder(name="recorded drive")
    session = None
    try:
        for text, seat in [
            ("set the temperature to 23 and heat my seat", "driver"),
            ("open my window", "passenger"),
            ("unlock the doors", "driver"),
            ("yes", "driver"),
        ]:
            turn = await stack.say(text, seat, session)
            session = turn.session_id
            await stack.settle()
            recorder.say(text, seat, turn, await stack.state(list(turn.state_changes)))
    finally:
        await stack.aclose()
    path = tmp_path / "recorded.yaml"
    path.write_text(recorder.to_yaml(), encoding="utf-8")
    scenario = load_scenario(path, Catalog.load())
    assert len(scenario.steps) == 4
    steps = [s.expect for s in scenario.steps]
    assert steps[0] is not None and "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature" in steps[0].state
    assert steps[2] is not None and steps[2].pending_confirmation is True
    result = await run_scenario(scenario, factory)
    assert result.passed, [f for s in result.steps for f in s.failures]
