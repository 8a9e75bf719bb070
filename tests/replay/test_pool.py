"""Replay keeps its in-process stack between scenarios (``StackPool``): every scenario still starts from
a fresh car, and a stack whose state a reset cannot undo is not kept. Routing by templates only (no
model): the vehicle-control agent's grammar reads these requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from orchestrator.local import LocalStack, open_local_stack
from orchestrator.replay import ScenarioResult, load_scenario, run_scenario
from orchestrator.replay.runner import REPLAY_AGENT_TIMEOUT_S, REPLAY_BUDGET_S, RESET_GAP_S, StackPool
from orchestrator.routing import Router, TemplateStage

CATALOG = Catalog.load()

BUSY = """
name: a busy drive
vehicle:
  Vehicle.Speed: 40
  Vehicle.Powertrain.Transmission.SelectedGear: 127
  Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position: 50
steps:
  - say: "open the passenger window"
    expect:
      state:
        Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position: 100
  - say: "set the temperature to 25"
  - say: "unlock the doors"
  - signals:
      Vehicle.Speed: 0
      Vehicle.Powertrain.Transmission.SelectedGear: 126
  - wait: 5
  - say: "open the driver window"
"""

CHECK = """
name: a fresh car
steps:
  - say: "open the driver window"
    expect:
      refused: false
      state:
        Vehicle.Cabin.Door.Row1.DriverSide.Window.Position: 100
        Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position: 0
        Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position: 0
        Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature: 21
        Vehicle.Speed: 0
"""


class Pool(StackPool):
    """The pool over template-routed stacks, noting each stack it builds."""

    def __init__(self) -> None:
        self.opened: list[LocalStack] = []
        super().__init__(self._open_templated)

    async def _open_templated(self) -> LocalStack:
        stack = await open_local_stack(
            router=Router([TemplateStage()]), budget_s=REPLAY_BUDGET_S, agent_timeout_s=REPLAY_AGENT_TIMEOUT_S
        )
        self.opened.append(stack)
        return stack


def _scenario(tmp_path: Path, name: str, text: str) -> Any:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path, CATALOG)


def _verdicts(result: ScenarioResult) -> list[tuple[Any, ...]]:
    return [
        (
            s.index,
            s.passed,
            s.failures,
            None if s.turn is None else [(a.tool, a.arguments, a.outcome, a.rule_id) for a in s.turn.actions],
        )
        for s in result.steps
    ]


async def test_a_kept_stack_starts_the_next_scenario_from_a_fresh_car(tmp_path: Path) -> None:
    busy, check = _scenario(tmp_path, "busy", BUSY), _scenario(tmp_path, "check", CHECK)
    alone = Pool()
    try:
        fresh = await run_scenario(check, alone)
    finally:
        await alone.aclose()
    pool = Pool()
    try:
        first = await run_scenario(busy, pool)
        assert first.error is None, first.error
        stack = pool.opened[0]
        # Handed back: the car reads as a fresh car, nothing moving, after more than every time window.
        assert stack.backend.snapshot() == SimulatorBackend(CATALOG).snapshot()
        assert not stack.backend.moving_parts()
        assert stack.backend.clock >= RESET_GAP_S
        kept = await run_scenario(check, pool)
    finally:
        await pool.aclose()
    assert (pool.built, pool.reused) == (1, 1)
    assert fresh.passed, fresh.steps
    assert _verdicts(kept) == _verdicts(fresh)


async def test_a_stack_shown_a_perception_frame_is_not_kept(tmp_path: Path) -> None:
    seen = _scenario(
        tmp_path,
        "seen",
        "name: a frame\nsteps:\n  - perception: {objects: [{class: car, side: ahead, distance_m: 12}]}\n",
    )
    pool = Pool()
    try:
        shown = await run_scenario(seen, pool)
        await run_scenario(_scenario(tmp_path, "check", CHECK), pool)
    finally:
        await pool.aclose()
    assert shown.passed and shown.error is None
    assert (pool.built, pool.reused) == (2, 0)


async def test_a_car_holding_a_signal_a_fresh_car_does_not_is_not_kept(tmp_path: Path) -> None:
    seated = _scenario(
        tmp_path,
        "seated",
        "name: someone in the back\nvehicle:\n  Vehicle.Cabin.Seat.Row2.PassengerSide.OccupancyStatus: OCCUPIED\n"
        "steps:\n  - wait: 1\n",
    )
    pool = Pool()
    try:
        await run_scenario(seated, pool)
        result = await run_scenario(_scenario(tmp_path, "check", CHECK), pool)
    finally:
        await pool.aclose()
    assert (pool.built, pool.reused) == (2, 0)
    assert result.passed


async def test_a_stack_whose_scenario_raised_is_not_kept(tmp_path: Path) -> None:
    after = _scenario(tmp_path, "after", "name: a wait\nsteps:\n  - wait: 1\n")
    pool = Pool()
    try:
        stack, release = await pool()
        with pytest.raises(ValueError, match="backwards"):
            await stack.advance(-1)  # the clock cannot go back: the call raises
        await release()
        await run_scenario(after, pool)
    finally:
        await pool.aclose()
    assert (pool.built, pool.reused) == (2, 0)


async def test_a_prepared_stack_is_the_first_scenarios(tmp_path: Path) -> None:
    pool = Pool()
    try:
        await pool.prepare()
        result = await run_scenario(_scenario(tmp_path, "check", CHECK), pool)
    finally:
        await pool.aclose()
    assert (pool.built, pool.reused) == (1, 1)
    assert result.passed, result.steps
