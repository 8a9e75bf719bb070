"""Fixtures for the vehicle-control tests: the simulated car behind the in-process vehicle MCP server,
the agent in memory (httpx.ASGITransport), and the A2A client that talks to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import TemplateParser, VehicleControlApp, build_vehicle_control_app
from agents.vehicle_control.interpreter import RuntimeSource
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.guardrails import AuditLog, Guardrails
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

from .vehicle_control_doubles import BASE_URL, TOKEN, ManualClock


@pytest.fixture(scope="session")
def parser() -> TemplateParser:
    return TemplateParser()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def initial_state(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Simulator values before the test: parametrize `initial_state` indirectly to change them."""
    return dict(getattr(request, "param", None) or {})


@pytest.fixture
def backend(catalog: Catalog, initial_state: Mapping[str, Any]) -> SimulatorBackend:
    return SimulatorBackend(catalog, initial_state)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def service(backend: SimulatorBackend, clock: ManualClock) -> VehicleService:
    # The guardrails run on a clock the test controls (confirmation expiry, rate limits).
    return VehicleService(backend, Guardrails(backend.catalog, clock=clock), AuditLog(None))


@pytest.fixture
def model() -> RuntimeSource | None:
    """The model runtime the agent uses; None keeps it to its templates."""
    return None


@pytest.fixture
async def app(
    service: VehicleService, model: RuntimeSource | None, parser: TemplateParser
) -> AsyncIterator[VehicleControlApp]:
    server = build_server(service, client="vehicle-control")
    application = build_vehicle_control_app(
        server, token=TOKEN, base_url=BASE_URL, runtime=model, parser=parser
    )
    yield application
    await application.aclose()


@pytest.fixture
async def http(app: VehicleControlApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def agent(http: httpx.AsyncClient) -> AsyncIterator[AgentClient]:
    async with AgentClient(BASE_URL, token=TOKEN, http_client=http) as client:
        yield client
