"""An agent that acts on the car and then gives no answer: the turn reports what the car took.

A real A2A agent (in memory) writes through the real vehicle service under the turn's id, then hangs
past the orchestrator's agent timeout. The orchestrator reads back the turn from the vehicle server
(``turn_writes``, operator only) and reports the write as applied; a write the agent makes after the
turn was closed is refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from agents.hosting import AgentSpec, CabinExecutor, Reply, SkillSpec, build_agent_app
from agents.hosting.messages import AgentRequest, Outcome
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.errors import TurnClosed
from mcp_servers.vehicle.guardrails import DEFAULT_PROFILES, CallContext
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from orchestrator.directory import AgentDirectory
from orchestrator.turn import Orchestrator
from orchestrator.vehicle import VehicleAccess

from .doubles import KeywordRouter

SEAT_HEATING = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"


class ActsThenHangs(CabinExecutor):
    """Heats the driver's seat under the turn's id, then never answers ('slow' in the text), or
    answers reporting nothing."""

    def __init__(self, service: VehicleService) -> None:
        super().__init__()
        self.service = service
        self.turn_ids: list[str] = []

    def ctx(self, turn_id: str) -> CallContext:
        return CallContext(DEFAULT_PROFILES["vehicle-control"], "driver", "occupant", turn_id)

    async def handle(self, request: AgentRequest) -> Outcome:
        turn_id = str(request.metadata["cabin/turn_id"])
        self.turn_ids.append(turn_id)
        await self.service.write({SEAT_HEATING: 100}, self.ctx(turn_id), tool="set_seat_heating")
        if "slow" in request.text:
            await asyncio.sleep(60)
        return Reply(text="Seat heating on.", data={"actions": []})


@pytest.fixture
def service() -> VehicleService:
    return VehicleService(SimulatorBackend())


@pytest.fixture
async def stack(service: VehicleService) -> AsyncIterator[tuple[Orchestrator, ActsThenHangs]]:
    skill = SkillSpec(id="climate", name="climate", description="climate", tags=("car",))
    spec = AgentSpec(name="vehicle-control", description="test agent", skills=(skill,))
    executor = ActsThenHangs(service)
    url = "http://vehicle-control.test"
    app = build_agent_app(spec, executor, base_url=url, token=None)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=url)
    directory = AgentDirectory.from_urls([url], http_clients={url: http})
    await directory.refresh()
    router = KeywordRouter()
    async with VehicleAccess(build_server(service, client="operator")) as vehicle:
        orchestrator = Orchestrator(
            router, directory, budget_s=0.8, agent_timeout_s=1.0, readback=vehicle.turn_writes
        )
        yield orchestrator, executor
    await directory.aclose()


async def test_a_write_of_an_agent_that_did_not_answer_is_reported(
    stack: tuple[Orchestrator, ActsThenHangs], service: VehicleService
) -> None:
    orchestrator, executor = stack
    orchestrator.router = _Renamed()
    result = await orchestrator.handle("heat my seat slow")
    assert result.degraded
    assert [(a.tool, a.outcome, a.agent) for a in result.actions] == [
        ("set_seat_heating", "applied", "vehicle-control")
    ]
    assert result.reply.startswith(
        "Sorry, the vehicle-control service stopped responding, but this was done:"
    )
    assert "seat heating" in result.reply and "set_seat_heating" not in result.reply
    # The turn is closed: the agent, still running, can no longer act under it.
    with pytest.raises(TurnClosed):
        await service.write({SEAT_HEATING: 0}, executor.ctx(result.turn_id), tool="set_seat_heating")
    assert (await service.backend.get_target([SEAT_HEATING]))[SEAT_HEATING] == 100


async def test_a_turn_whose_agent_answers_is_not_read_back(
    stack: tuple[Orchestrator, ActsThenHangs],
) -> None:
    # Only turns with a failed part are read back: the agent's own report stands, at no extra call.
    orchestrator, _ = stack
    orchestrator.router = _Renamed()
    result = await orchestrator.handle("heat my seat")
    assert not result.degraded and result.actions == [] and result.reply == "Seat heating on."


class _Renamed(KeywordRouter):
    """The keyword router's car parts, addressed to vehicle-control."""

    async def route(self, text: str, **kwargs: object) -> object:  # type: ignore[override]
        route = await super().route(text, **kwargs)  # type: ignore[arg-type]
        for part in route.parts:
            if part.agent == "car":
                part.agent = "vehicle-control"
        return route


async def test_readback_without_a_vehicle_server_says_it_could_not_check(
    stack: tuple[Orchestrator, ActsThenHangs],
) -> None:
    orchestrator, _ = stack

    async def unavailable(turn_id: str) -> None:
        return None

    orchestrator.readback = unavailable
    orchestrator.router = _Renamed()
    result = await orchestrator.handle("heat my seat slow")
    assert result.reply.endswith("I could not check whether anything in the car was changed.")
