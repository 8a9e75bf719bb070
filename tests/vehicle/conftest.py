from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.guardrails import AuditLog, Guardrails
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

DRIVER: dict[str, Any] = {"cabin/seat": "driver", "cabin/origin": "occupant"}
PASSENGER: dict[str, Any] = {"cabin/seat": "passenger", "cabin/origin": "occupant"}

MOVING = {"Vehicle.Speed": 60.0, "Vehicle.Powertrain.Transmission.SelectedGear": 127}
IDLING = {"Vehicle.Speed": 0.0, "Vehicle.Powertrain.Transmission.SelectedGear": 127}


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load()


@pytest.fixture
def backend(catalog: Catalog) -> SimulatorBackend:
    return SimulatorBackend(catalog)


@pytest.fixture
def service(backend: SimulatorBackend) -> VehicleService:
    # The guardrails run on the simulator's clock, so tests control time (expiry, rate limits).
    guardrails = Guardrails(backend.catalog, clock=lambda: backend.clock)
    return VehicleService(backend, guardrails, AuditLog(None))


@pytest.fixture
async def client(service: VehicleService) -> AsyncIterator[Client]:
    """The official MCP client connected in memory to a server for the ``vehicle-control`` agent."""
    async with Client(build_server(service, client="vehicle-control"), raise_exceptions=True) as c:
        yield c


async def call(
    client: Client, tool: str, args: dict[str, Any], meta: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Call a write tool as the driver (by default) and return its structured result."""
    result = await client.call_tool(tool, args, meta=DRIVER if meta is None else meta)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content
