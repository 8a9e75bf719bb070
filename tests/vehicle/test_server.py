"""The vehicle MCP server through the official client in memory: tools, schemas, resources, errors."""

from __future__ import annotations

import json

import anyio
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import WRITES

from .conftest import DRIVER, IDLING, MOVING, call


async def test_tools_have_schemas_and_annotations(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert {"list_signals", "get_signals", "set_signals"} <= set(tools)
    not_writes = {"list_signals", "get_signals", "simulate_signals", "turn_writes"}
    task_tools = set(tools) - not_writes - {"set_signals"}
    assert len(task_tools) >= 12
    assert set(WRITES) == set(tools) - not_writes
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
