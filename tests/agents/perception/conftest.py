"""Fixtures of the perception-summary agent tests: both MCP servers in memory and the agent behind
`httpx.ASGITransport`, talked to through the public `AgentClient`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agents.hosting import AgentClient
from agents.perception import PerceptionApplication, build_perception_app
from mcp_servers.vehicle.catalog import Catalog

from .perception_agent_support import BASE_URL, PARKED, TOKEN, Servers, make_servers


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def servers(catalog: Catalog) -> Servers:
    return make_servers(catalog, PARKED)


@pytest.fixture
async def app(servers: Servers) -> AsyncIterator[PerceptionApplication]:
    application = build_perception_app(servers.vehicle, servers.perception, base_url=BASE_URL, token=TOKEN)
    yield application
    await application.aclose()


@pytest.fixture
async def http(app: PerceptionApplication) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def agent(http: httpx.AsyncClient) -> AsyncIterator[AgentClient]:
    async with AgentClient(BASE_URL, token=TOKEN, http_client=http) as client:
        yield client
