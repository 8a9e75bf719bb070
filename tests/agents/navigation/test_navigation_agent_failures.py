"""When a server cannot be reached, the turn fails with a short sentence and the details in the log."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from agents.hosting import AgentClient
from agents.navigation import McpTarget, build_navigation_app
from mcp_servers.navigation import OsmMapProvider, create_server
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

from .navigation_agent_support import BASE_URL, TOKEN, ask, payload


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    return f"http://127.0.0.1:{port}/mcp"


async def _client(vehicle: McpTarget, map_server: McpTarget) -> AsyncIterator[AgentClient]:
    app = build_navigation_app(vehicle, map_server, base_url=BASE_URL, token=TOKEN, call_timeout_s=5.0)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            yield client
    finally:
        await app.aclose()


@pytest.fixture
async def without_car(helsinki_map: OsmMapProvider) -> AsyncIterator[AgentClient]:
    async for client in _client(_closed_port_url(), create_server(helsinki_map)):
        yield client


@pytest.fixture
async def without_map(backend: SimulatorBackend) -> AsyncIterator[AgentClient]:
    async for client in _client(
        build_server(VehicleService(backend), client="navigation"), _closed_port_url()
    ):
        yield client


async def test_an_unreachable_vehicle_server_fails_the_turn_plainly(without_car: AgentClient) -> None:
    result = await ask(without_car, "find me a charger")

    assert result.state == "failed"
    assert result.text == "I can't reach the car's systems right now, so I can't do that."
    assert payload(result)["actions"] == []


async def test_an_unreachable_map_server_fails_the_turn_plainly(without_map: AgentClient) -> None:
    result = await ask(without_map, "find me a charger")

    assert result.state == "failed"
    assert result.text == "I can't reach the map right now. Please try again in a moment."


async def test_a_position_outside_the_map_is_said(agent: AgentClient, backend: SimulatorBackend) -> None:
    await backend.inject(
        {"Vehicle.CurrentLocation.Latitude": 48.8584, "Vehicle.CurrentLocation.Longitude": 2.2945}
    )

    result = await ask(agent, "find me a charger")

    assert result.state == "rejected"
    assert result.text == "The car is outside the area my map covers, so I can't search here."
