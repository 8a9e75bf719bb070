"""``cabin replay --url``: the running stack's front-end API (in memory, the real app over a simulator).

A step's expected state is awaited by reading the state until it holds, with a timeout; perception
scenarios are skipped with a reason, counted apart, and leave the exit code alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from orchestrator.api import create_app
from orchestrator.replay import discover, load_scenario
from orchestrator.replay.cli import NO_SCRIPTED_FEED, HttpStack, replay
from orchestrator.replay.runner import StateWaiter, report_json, report_junit
from orchestrator.replay.scenario import Matcher
from orchestrator.turn import Orchestrator
from orchestrator.vehicle import VehicleAccess

from ..conftest import ROOT
from ..orchestrator.doubles import KeywordRouter, directory

TOKEN = "front-end-token-for-replay-tests"
OPEN = "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen"


@pytest.fixture
async def stack() -> AsyncIterator[HttpStack]:
    agents, _ = directory()
    await agents.refresh()
    orchestrator = Orchestrator(KeywordRouter(), agents, agent_timeout_s=1.0)
    async with VehicleAccess(build_server(VehicleService(SimulatorBackend()), client="operator")) as vehicle:
        app = create_app(orchestrator, vehicle, front_end_token=TOKEN, base_url="http://cabin.test")
        replay_stack = HttpStack("http://cabin.test", TOKEN)
        await replay_stack.http.aclose()
        replay_stack.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://cabin.test",
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        await replay_stack.reset()
        try:
            yield replay_stack
        finally:
            await replay_stack.aclose()


async def test_the_http_stack_awaits_the_expected_state(stack: HttpStack) -> None:
    assert isinstance(stack, StateWaiter)

    async def later() -> None:
        await asyncio.sleep(0.5)
        await stack.inject({OPEN: True})

    change = asyncio.create_task(later())
    state = await stack.await_state({OPEN: Matcher("eq", True)}, timeout_s=30.0)
    await change
    assert state == {OPEN: True}


async def test_a_state_that_never_comes_is_reported_as_last_read(stack: HttpStack) -> None:
    state = await stack.await_state({OPEN: Matcher("eq", True)}, timeout_s=0.5)
    assert state == {OPEN: False}


async def test_perception_scenarios_are_skipped_with_a_reason_under_url() -> None:
    catalog = Catalog.load()
    loaded = [load_scenario(p, catalog) for p in discover([ROOT / "scenarios" / "perception"])]
    perception = [s for s in loaded if s.has_perception]
    assert perception
    # Nothing listens at this address: a skipped scenario never reaches the stack.
    results = await replay(perception, url="http://127.0.0.1:9", token=TOKEN)
    assert all(r.skipped == NO_SCRIPTED_FEED and not r.steps for r in results)
    report = report_json(results)
    assert (report["passed"], report["failed"], report["skipped"]) == (0, 0, len(perception))
    assert b"<skipped message=" in report_junit(results)
