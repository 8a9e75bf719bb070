"""The vehicle MCP server through the official client in memory: tools, schemas, resources, errors."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, METHOD_NOT_FOUND

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.guardrails import DEFAULT_PROFILES, AuditLog, CallContext
from mcp_servers.vehicle.server import STATUS_URI, build_server
from mcp_servers.vehicle.service import TurnLedger, VehicleService
from mcp_servers.vehicle.task_tools import CORE_TOOLS

from .conftest import DRIVER, IDLING, MOVING, call

pytestmark = pytest.mark.anyio  # its MCP Client fixture is entered and left in one task (docs/testing.md)


async def test_tools_have_schemas_and_annotations(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"list_signals", "get_signals", "set_signals"} <= set(tools)
    not_writes = {"list_signals", "get_signals", "simulate_signals", "turn_writes"}
    task_tools = set(tools) - not_writes - {"set_signals"}
    assert len(task_tools) >= 12
    assert {d.name for d in CORE_TOOLS} | {"set_signals"} == set(tools) - not_writes
    for name, tool in tools.items():
        assert tool.output_schema is not None, name
        assert tool.annotations is not None, name
    assert tools["get_signals"].annotations.read_only_hint is True  # type: ignore[union-attr]
    assert tools["unlock_doors"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert set(tools["set_cabin_temperature"].input_schema["properties"]) >= {"zone", "celsius", "delta"}


async def test_list_signals_reports_facts_and_write_permission(client: Client) -> None:
    result = await client.call_tool("list_signals", {"prefix": "Vehicle.Cabin.HVAC.Station.Row1.Driver"})
    rows = {r["path"]: r for r in (result.structured_content or {})["result"]}
    temp = rows["Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"]
    assert (temp["datatype"], temp["unit"], temp["writable"]) == ("float", "celsius".capitalize(), True)
    speed = (await client.call_tool("list_signals", {"prefix": "Vehicle.Speed"})).structured_content or {}
    assert speed["result"][0]["writable"] is False


async def test_get_signals_and_unknown_path(client: Client) -> None:
    ok = await client.call_tool("get_signals", {"paths": ["Vehicle.Speed", "Vehicle.LowVoltageSystemState"]})
    assert ok.structured_content == {"Vehicle.Speed": 0.0, "Vehicle.LowVoltageSystemState": "ON"}
    bad = await client.call_tool("get_signals", {"paths": ["Vehicle.Speedd"]})
    assert bad.is_error
    assert "unknown signal 'Vehicle.Speedd'" in str(bad.content)


async def test_bad_tool_arguments_are_clear_and_change_nothing(
    client: Client, backend: SimulatorBackend
) -> None:
    before = backend.snapshot()
    both = await client.call_tool("set_cabin_temperature", {"celsius": 20, "delta": 1}, meta=DRIVER)
    assert both.is_error and "exactly one of celsius or delta" in str(both.content)
    unknown = await client.call_tool("set_window", {"window": "driver", "speed": 3}, meta=DRIVER)
    assert unknown.is_error
    out_of_range = await client.call_tool("set_seat_heating", {"level": 7}, meta=DRIVER)
    assert out_of_range.is_error and "level" in str(out_of_range.content)
    bad_zone = await client.call_tool("set_window", {"window": "roof", "action": "open"}, meta=DRIVER)
    assert bad_zone.is_error and "window" in str(bad_zone.content)
    assert backend.snapshot() == before
    # and the server keeps serving
    assert (await call(client, "set_media_volume", {"percent": 35}))["applied"]


async def test_zone_defaults_to_the_speakers_seat(client: Client) -> None:
    meta = {"cabin/seat": "rear_left", "cabin/origin": "occupant"}
    result = await call(client, "set_seat_heating", {"level": 3}, meta=meta)
    assert result["applied"] == {"Vehicle.Cabin.Seat.Row2.DriverSide.HeatingCooling": 100}


async def test_vss_resource_template(client: Client) -> None:
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["vss://{path}"]
    read = await client.read_resource("vss://Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature")
    body = json.loads(read.contents[0].text)  # type: ignore[union-attr]
    assert body["value"] == 21.0 and body["unit"] == "Celsius"


async def test_change_notifications_for_vss_resources(client: Client, backend: SimulatorBackend) -> None:
    uri = "vss://Vehicle.Body.Lights.Beam.Low.IsOn"
    async with client.listen(resource_subscriptions=[uri]) as subscription:
        await call(client, "set_lights", {"light": "low_beam", "on": True})
        with anyio.fail_after(5):
            async for event in subscription:
                assert getattr(event, "uri", None) == uri
                break


async def test_simulate_signals_is_for_the_operator_only(service: object, backend: SimulatorBackend) -> None:
    from mcp_servers.vehicle.server import build_server
    from mcp_servers.vehicle.service import VehicleService

    assert isinstance(service, VehicleService)
    async with Client(build_server(service, client="operator"), raise_exceptions=True) as operator:
        done = await operator.call_tool("simulate_signals", {"values": {"Vehicle.Speed": 42}})
        assert done.structured_content == {"Vehicle.Speed": 42.0}
        bad = await operator.call_tool("simulate_signals", {"values": {"Vehicle.Speed": "fast"}})
        assert bad.is_error and "Vehicle.Speed" in str(bad.content)
    assert (await backend.get_current(["Vehicle.Speed"]))["Vehicle.Speed"] == 42.0
    async with Client(build_server(service, client="vehicle-control"), raise_exceptions=True) as agent:
        refused = await agent.call_tool("simulate_signals", {"values": {"Vehicle.Speed": 0}})
        assert refused.is_error and "may not inject" in str(refused.content)


async def test_write_results_name_the_driving_state_they_were_judged_in(
    client: Client, backend: SimulatorBackend
) -> None:
    temp = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
    parked = await call(client, "set_signals", {"values": {temp: 21}})
    assert parked["driving_state"] == "parked"
    await backend.inject(MOVING)
    backend.advance_now(1.0)
    moving = await call(client, "set_signals", {"values": {"Vehicle.Body.Trunk.Rear.IsOpen": True}})
    assert moving["driving_state"] == "moving"
    assert [r["rule_id"] for r in moving["refused"]] == ["GR-06"]
    await backend.inject(IDLING)
    backend.advance_now(1.0)
    idling = await call(client, "set_signals", {"values": {temp: 22}})
    assert idling["driving_state"] == "idling"


# -- protocol edges ----------------------------------------------------------------------------------


async def test_every_tool_input_schema_is_closed(client: Client) -> None:
    tools = (await client.list_tools()).tools
    assert tools
    for tool in tools:
        assert tool.input_schema.get("additionalProperties") is False, tool.name


async def test_a_misspelt_argument_is_an_error_naming_it(client: Client, backend: SimulatorBackend) -> None:
    before = backend.snapshot()
    typo = await client.call_tool("unlock_doors", {"doors": "all", "confirm_tokn": "abc"}, meta=DRIVER)
    assert typo.is_error
    assert "unknown argument 'confirm_tokn'" in str(typo.content)
    assert "confirm_token" in str(typo.content)  # it says what the tool does take
    assert backend.snapshot() == before


async def test_set_signals_without_values_is_an_error_naming_values(client: Client) -> None:
    empty = await client.call_tool("set_signals", {"values": {}}, meta=DRIVER)
    assert empty.is_error and "values is empty" in str(empty.content)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_unknown_resource_is_invalid_params_and_there_are_no_prompts(
    service: VehicleService, mode: str
) -> None:
    async with Client(build_server(service), mode=mode) as client:
        with pytest.raises(MCPError) as unknown:
            await client.read_resource("vss://Vehicle.Cabin.Warp")
        assert unknown.value.code == INVALID_PARAMS
        assert "Vehicle.Cabin.Warp" in unknown.value.message
        assert client.server_capabilities.prompts is None
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("anything")
        assert prompt.value.code == METHOD_NOT_FOUND


async def test_status_resource_says_how_the_server_started(client: Client) -> None:
    read = await client.read_resource(STATUS_URI)
    body = json.loads(read.contents[0].text)  # type: ignore[union-attr]
    assert body["simulated"] is True and body["restored"] is False and body["reset"] is None


# -- turns: idempotency and read-back ----------------------------------------------------------------

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"


async def test_a_repeated_request_in_one_turn_applies_once(client: Client, service: VehicleService) -> None:
    turn = {**DRIVER, "cabin/turn_id": "t-1"}
    first = await call(client, "set_cabin_temperature", {"delta": 1}, meta=turn)
    again = await call(client, "set_cabin_temperature", {"delta": 1}, meta=turn)
    assert first == again and first["applied"] == {TEMP: 22.0}
    assert (await service.backend.get_target([TEMP]))[TEMP] == 22.0
    # A new turn is a new request.
    later = await call(client, "set_cabin_temperature", {"delta": 1}, meta={**turn, "cabin/turn_id": "t-2"})
    assert later["applied"] == {TEMP: 23.0}
    # A different request in the same turn is not a repeat.
    other = await call(client, "set_cabin_temperature", {"delta": 2}, meta=turn)
    assert other["applied"] == {TEMP: 25.0}
    applied = [r for r in service.audit.records if r["decision"] == "applied"]
    assert [r["turn_id"] for r in applied] == ["t-1", "t-2", "t-1"]


async def test_turn_writes_reads_back_and_closes_a_turn(client: Client, service: VehicleService) -> None:
    turn = {**DRIVER, "cabin/turn_id": "t-7"}
    await call(client, "set_seat_heating", {"level": 3}, meta=turn)
    denied = await client.call_tool("turn_writes", {"turn_id": "t-7"})
    assert denied.is_error and "may not read the audit" in str(denied.content)
    async with Client(build_server(service, client="operator"), raise_exceptions=True) as operator:
        read = await operator.call_tool("turn_writes", {"turn_id": "t-7", "close": True})
        body = read.structured_content or {}
        assert body["closed"] is True and body["source"] == "memory"
        assert [(w["tool"], w["values"]) for w in body["applied"]] == [
            ("set_seat_heating", {"Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling": 100})
        ]
        unknown = await operator.call_tool("turn_writes", {"turn_id": "t-never"})
        assert (unknown.structured_content or {})["source"] == "none"
    late = await client.call_tool("set_window", {"action": "open"}, meta=turn)
    assert late.is_error and "turn t-7 has ended" in str(late.content)
    assert (await service.backend.get_target(["Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"])) == {
        "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": None
    }
    assert service.audit.records[-1]["decision"] == "refused"


def test_the_turn_ledger_is_bounded() -> None:
    ledger = TurnLedger(capacity=3, ttl_s=3600)
    for index in range(10):
        ledger.open(f"t-{index}")
    assert len(ledger) == 3
    assert ledger.get("t-0") is None and ledger.get("t-9") is not None
    now = [0.0]
    timed = TurnLedger(capacity=3, ttl_s=60.0, clock=lambda: now[0])
    timed.open("t-old")
    now[0] = 59.0
    assert timed.get("t-old") is not None
    now[0] = 61.0
    assert timed.get("t-old") is None


async def test_turn_writes_finds_a_turn_from_before_a_restart_in_the_audit(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    before = VehicleService(SimulatorBackend(), audit=AuditLog(audit))
    ctx = CallContext(DEFAULT_PROFILES["vehicle-control"], "driver", "occupant", "t-9")
    await before.write({TEMP: 24}, ctx, tool="set_cabin_temperature")
    after = VehicleService(SimulatorBackend(), audit=AuditLog(audit))  # a restarted server
    found = await after.turn_writes("t-9", close=True)
    assert found.source == "audit" and found.closed
    assert [(w.tool, w.values, w.client) for w in found.applied] == [
        ("set_cabin_temperature", {TEMP: 24.0}, "vehicle-control")
    ]
    nothing = await after.turn_writes("t-unknown", close=True)
    assert nothing.source == "none" and nothing.applied == [] and nothing.closed
