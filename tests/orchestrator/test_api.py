"""The front-end HTTP API through httpx in memory: contract shapes and bad input (never a 500)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from orchestrator.api import create_app
from orchestrator.turn import Orchestrator
from orchestrator.vehicle import VehicleAccess

from .doubles import KeywordRouter, directory


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, Orchestrator]]:
    agents, _ = directory()
    await agents.refresh()
    orchestrator = Orchestrator(KeywordRouter(), agents, agent_timeout_s=1.0)
    backend = SimulatorBackend()
    async with VehicleAccess(build_server(VehicleService(backend), client="operator")) as vehicle:
        app = create_app(orchestrator, vehicle, base_url="http://cabin.test")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://cabin.test"
        ) as client:
            yield client, orchestrator


async def test_utterance_returns_a_turn_result(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    response = await client.post(
        "/v1/utterances", json={"text": "set the temperature to 20", "seat": "driver"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "session_id",
        "turn_id",
        "reply",
        "route",
        "actions",
        "state_changes",
        "pending_confirmation",
        "latency_ms",
    }
    assert body["route"][0] == {
        "text": "set the temperature to 20",
        "agent": "car",
        "skill": "climate",
        "via": "template",
        "confidence": 1.0,
        "intent": "car_request",
        "guess": None,
    }
    assert body["actions"][0]["outcome"] == "applied"
    follow = await client.post(
        "/v1/utterances", json={"text": "and find a charger", "session_id": body["session_id"]}
    )
    assert follow.status_code == 200 and follow.json()["session_id"] == body["session_id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "hi", "seat": "roof"}, "seat"),
        ({"seat": "driver"}, "text"),
        ({"text": "hi", "extra": 1}, "extra"),
        ({"text": 5}, "text"),
    ],
)
async def test_bad_utterances_get_422_naming_the_field(
    api: tuple[httpx.AsyncClient, Orchestrator], payload: dict[str, Any], field: str
) -> None:
    client, _ = api
    response = await client.post("/v1/utterances", json=payload)
    assert response.status_code == 422
    assert field in {p["field"] for p in response.json()["detail"]}


async def test_invalid_json_is_422(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    response = await client.post(
        "/v1/utterances", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_unknown_session_is_404(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    response = await client.post("/v1/utterances", json={"text": "hi", "session_id": "s-unknown"})
    assert response.status_code == 404
    assert "unknown or expired session_id" in response.json()["detail"]


async def test_vehicle_state_get_and_put(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    state = (await client.get("/v1/vehicle/state", params={"prefix": "Vehicle.Cabin.HVAC"})).json()
    assert state["Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"] == 21.0
    assert all(k.startswith("Vehicle.Cabin.HVAC.") for k in state)
    put = await client.put("/v1/vehicle/state", json={"Vehicle.Speed": 70})
    assert put.status_code == 200 and put.json() == {"applied": {"Vehicle.Speed": 70.0}}
    assert (await client.get("/v1/vehicle/state", params={"prefix": "Vehicle.Speed"})).json() == {
        "Vehicle.Speed": 70.0
    }
    bad = await client.put("/v1/vehicle/state", json={"Vehicle.Nope": 1})
    assert bad.status_code == 422 and "Vehicle.Nope" in bad.json()["detail"]
    none = await client.get("/v1/vehicle/state", params={"prefix": "Vehicle.Nothing"})
    assert none.status_code == 404


async def test_agents_and_health(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    agents = (await client.get("/v1/agents")).json()
    assert {a["name"] for a in agents} == {"car", "map"}
    assert all(a["healthy"] and a["breaker"] == "closed" and a["card"]["name"] == a["name"] for a in agents)
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"


async def test_openapi_and_a2a_card(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    spec = (await client.get("/openapi.json")).json()
    assert {"/v1/utterances", "/v1/vehicle/state", "/v1/agents", "/v1/events", "/healthz"} <= set(
        spec["paths"]
    )
    card = (await client.get("/.well-known/agent-card.json")).json()
    assert card["name"] == "cabin" and card["skills"][0]["id"] == "converse"


async def test_orchestrator_as_an_a2a_agent(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    from agents.hosting import AgentClient

    client, _ = api
    a2a = AgentClient("http://cabin.test", http_client=client)
    result = await a2a.send_text("set the temperature to 20", seat="driver", origin="occupant")
    assert result.state == "completed"
    assert result.data is not None and result.data["actions"][0]["outcome"] == "applied"  # type: ignore[index,call-overload]
    outsider = await a2a.send_text("set the temperature to 20", origin="external")
    assert outsider.data == {"actions": [], "refused": "GR-18"}


async def test_events_are_published_per_turn(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, orchestrator = api
    seen: list[dict[str, Any]] = []
    stream = orchestrator.events.subscribe()
    import anyio

    async def collect() -> None:
        async for event in stream:
            seen.append(event)
            if event["type"] == "turn":
                return

    async with anyio.create_task_group() as group:
        group.start_soon(collect)
        await anyio.sleep(0.01)
        await client.post("/v1/utterances", json={"text": "set the temperature to 20"})
    kinds = [e["type"] for e in seen]
    assert kinds[0] == "routing" and kinds[-1] == "turn"
    assert {"agent_call", "agent_result", "tool_call", "guardrail", "state_change"} <= set(kinds)
    assert len({e["turn_id"] for e in seen}) == 1
