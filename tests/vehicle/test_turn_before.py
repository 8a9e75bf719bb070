"""A turn's read-back (``turn_writes``) carries, next to each value written, the value the signal had
just before the write (``before``): what an undo of the turn restores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.guardrails import DEFAULT_PROFILES, AuditLog, CallContext
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

from .conftest import DRIVER, MOVING, call

pytestmark = pytest.mark.anyio  # its MCP Client fixture is entered and left in one task (docs/testing.md)

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
TRUNK = "Vehicle.Body.Trunk.Rear.IsOpen"


async def _read_back(service: VehicleService, turn_id: str) -> dict[str, Any]:
    async with Client(build_server(service, client="operator"), raise_exceptions=True) as operator:
        read = await operator.call_tool("turn_writes", {"turn_id": turn_id})
    assert not read.is_error, read.content
    return read.structured_content or {}


async def test_each_write_of_a_turn_carries_the_value_read_before_it(
    client: Client, service: VehicleService, backend: SimulatorBackend
) -> None:
    turn = {**DRIVER, "cabin/turn_id": "t-b1"}
    first = await service.get_signals([TEMP, WINDOW])
    await call(client, "set_cabin_temperature", {"celsius": 24}, meta=turn)
    await call(client, "set_window", {"percent": 40}, meta=turn)
    await backend.settle()
    second = await service.get_signals([TEMP])
    await call(client, "set_cabin_temperature", {"delta": -2}, meta={**DRIVER, "cabin/turn_id": "t-b2"})
    one = await _read_back(service, "t-b1")
    assert [(w["tool"], w["values"], w["before"]) for w in one["applied"]] == [
        ("set_cabin_temperature", {TEMP: 24.0}, {TEMP: first[TEMP]}),
        ("set_window", {WINDOW: 40}, {WINDOW: first[WINDOW]}),
    ]
    two = await _read_back(service, "t-b2")
    # The second turn's write reads the first one's value as its before (the target 24, once reached).
    assert [(w["values"], w["before"]) for w in two["applied"]] == [({TEMP: 22.0}, {TEMP: second[TEMP]})]
    assert second[TEMP] == 24.0


async def test_a_refused_write_has_no_before(client: Client, service: VehicleService) -> None:
    await service.inject(MOVING, "test")
    turn = {**DRIVER, "cabin/turn_id": "t-b3"}
    refused = await call(client, "set_signals", {"values": {TRUNK: True}}, meta=turn)
    assert refused["refused"] and not refused["applied"]
    read = await _read_back(service, "t-b3")
    # Nothing was written under the turn, so nothing is read back, and no value before is reported.
    assert read["applied"] == []
    assert [r["decision"] for r in service.audit.records if r.get("turn_id") == "t-b3"] == ["refused"]
    assert all("before" not in r for r in service.audit.records)


async def test_a_turn_read_back_from_the_audit_has_no_before(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    first = VehicleService(SimulatorBackend(), audit=AuditLog(audit))
    ctx = CallContext(DEFAULT_PROFILES["vehicle-control"], "driver", "occupant", "t-b4")
    await first.write({TEMP: 23}, ctx, tool="set_cabin_temperature")
    assert (await first.turn_writes("t-b4")).applied[0].before == {TEMP: 21.0}
    restarted = VehicleService(SimulatorBackend(), audit=AuditLog(audit))
    found = await restarted.turn_writes("t-b4")
    # The audit records what was written, not the value before: that is not known, and not guessed.
    assert found.source == "audit" and [(w.values, w.before) for w in found.applied] == [({TEMP: 23.0}, None)]
