"""Fixtures for the navigation agent tests: the Helsinki map (loaded once), the in-process vehicle and
map MCP servers, and the agent in memory behind `httpx.ASGITransport` with its public client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agents.hosting import AgentClient
from agents.navigation import NavigationApp, build_navigation_app
from mcp_servers.navigation import OsmMapProvider, bundled_pbf, create_server
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

from .navigation_agent_support import BASE_URL, TOKEN


@pytest.fixture(scope="session")
def helsinki_map(tmp_path_factory: pytest.TempPathFactory) -> OsmMapProvider:
    """The default map, central Helsinki, parsed once per test session."""
    return OsmMapProvider(bundled_pbf(), cache_dir=tmp_path_factory.mktemp("navigation-agent-map"))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def backend(catalog: Catalog) -> SimulatorBackend:
    """A fresh simulated car: parked at Helsinki Central Station, no destination."""
    return SimulatorBackend(catalog)


@pytest.fixture
async def app(backend: SimulatorBackend, helsinki_map: OsmMapProvider) -> AsyncIterator[NavigationApp]:
    vehicle = build_server(VehicleService(backend), client="navigation")
    application = build_navigation_app(vehicle, create_server(helsinki_map), base_url=BASE_URL, token=TOKEN)
    yield application
    await application.aclose()


@pytest.fixture
async def http(app: NavigationApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def agent(http: httpx.AsyncClient) -> AsyncIterator[AgentClient]:
    async with AgentClient(BASE_URL, token=TOKEN, http_client=http) as client:
        yield client
