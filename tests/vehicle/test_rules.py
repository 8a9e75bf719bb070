"""One or more tests per guardrail rule of docs/safety.md, each naming its rule id (marker and test name).

Most go through the whole server with the official MCP client in memory; a few check a rule class
directly. GR-12 and GR-14 concern what is said to the driver and are tested with the agents.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog, Signal
from mcp_servers.vehicle.guardrails import CallContext, ClientProfile, DrivingState, Guardrails, zone_of
from mcp_servers.vehicle.guardrails.rules import (
    ENGINE_RULES,
    FogLights,
    Proposal,
    RateLimit,
    WindowChildLock,
    default_rules,
)
from mcp_servers.vehicle.service import VehicleService

from .conftest import DRIVER, IDLING, MOVING, PASSENGER, call

pytestmark = pytest.mark.anyio  # its MCP Client fixture is entered and left in one task (docs/testing.md)

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
TRUNK = "Vehicle.Body.Trunk.Rear.IsOpen"
TRUNK_LOCK = "Vehicle.Body.Trunk.Rear.IsLocked"
REVERSING = {"Vehicle.Speed": -5.0, "Vehicle.Powertrain.Transmission.SelectedGear": -1}
DRIVER_DOOR = "Vehicle.Cabin.Door.Row1.DriverSide"
PASSENGER_DOOR = "Vehicle.Cabin.Door.Row1.PassengerSide"
REAR_LEFT: dict[str, Any] = {"cabin/seat": "rear_left", "cabin/origin": "occupant"}
REAR_RIGHT: dict[str, Any] = {"cabin/seat": "rear_right", "cabin/origin": "occupant"}
CHILD_LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged"
REAR_LEFT_WINDOW = "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position"
LOW = "Vehicle.Body.Lights.Beam.Low.IsOn"
HIGH = "Vehicle.Body.Lights.Beam.High.IsOn"
FOG_FRONT = "Vehicle.Body.Lights.Fog.Front.IsOn"


def rule_ids(result: dict[str, Any]) -> set[str]:
    return {r["rule_id"] for r in result["refused"]}


@pytest.mark.rule("GR-01")
async def test_gr01_sensor_is_read_only(client: Client, backend: SimulatorBackend) -> None:
    result = await call(client, "set_signals", {"values": {"Vehicle.Speed": 100}})
    assert rule_ids(result) == {"GR-01"}
    assert (await backend.get_current(["Vehicle.Speed"]))["Vehicle.Speed"] == 0.0


@pytest.mark.rule("GR-01")
def test_gr01_attribute_is_read_only() -> None:
    # The default catalog has no attributes; a VSS export with one shows the same refusal.
    catalog = Catalog([Signal("Vehicle.VehicleIdentification.VIN", "attribute", "string")])
    evaluation = Guardrails(catalog).evaluate(
        {"Vehicle.VehicleIdentification.VIN": "X"},
        {},
        {},
        CallContext(ClientProfile("t", ("Vehicle.*",)), "driver", "occupant"),
    )
    assert [v.rule_id for v in evaluation.refusals] == ["GR-01"]


@pytest.mark.rule("GR-02")
@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("Vehicle.Cabin.Infotainment.Media.Volume", 101, "above the maximum 100"),
        ("Vehicle.Cabin.Infotainment.Media.Volume", "loud", "expected an integer"),
        ("Vehicle.Cabin.Infotainment.Media.Volume", 10.5, "expected an integer"),
        ("Vehicle.Body.Windshield.Front.Wiping.Mode", "TURBO", "not one of the allowed values"),
        ("Vehicle.Body.Lights.Beam.Low.IsOn", 1, "expected true or false"),
        ("Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling", -101, "below the minimum -100"),
    ],
)
async def test_gr02_value_must_fit_vss(client: Client, path: str, value: Any, reason: str) -> None:
    result = await call(client, "set_signals", {"values": {path: value}})
    assert rule_ids(result) == {"GR-02"}
    assert reason in result["refused"][0]["reason"]
    assert result["applied"] == {}


@pytest.mark.rule("GR-02")
async def test_gr02_relative_request_is_clamped_not_refused(
    client: Client, backend: SimulatorBackend
) -> None:
    await backend.inject({TEMP: 29.5})
    result = await call(client, "set_cabin_temperature", {"zone": "driver", "delta": 3})
    assert result["applied"] == {TEMP: 30.0}


@pytest.mark.rule("GR-03")
async def test_gr03_cabin_temperature_comfort_bounds(client: Client) -> None:
    assert rule_ids(await call(client, "set_cabin_temperature", {"zone": "driver", "celsius": 45})) == {
        "GR-03"
    }
    assert rule_ids(await call(client, "set_cabin_temperature", {"zone": "driver", "celsius": 15.5})) == {
        "GR-03"
    }
    assert (await call(client, "set_cabin_temperature", {"zone": "driver", "celsius": 16}))["applied"] == {
        TEMP: 16.0
    }


@pytest.mark.rule("GR-03")
async def test_gr03_volume_step_limit(client: Client) -> None:
    result = await call(client, "set_media_volume", {"percent": 95})
    assert rule_ids(result) == {"GR-03"}
    assert (await call(client, "set_media_volume", {"percent": 60}))["applied"]


@pytest.mark.rule("GR-04")
async def test_gr04_gear_is_never_written(client: Client) -> None:
    result = await call(
        client, "set_signals", {"values": {"Vehicle.Powertrain.Transmission.SelectedGear": 127}}
    )
    assert "GR-04" in rule_ids(result)  # (and GR-16: no agent has gear in its scope)


@pytest.mark.rule("GR-04")
async def test_gr04_parking_brake_only_when_parked(
    service: VehicleService, backend: SimulatorBackend
) -> None:
    operator = CallContext(ClientProfile("operator", ("Vehicle.*",)), "driver", "occupant")
    await backend.inject(MOVING)
    moving = await service.write({"Vehicle.Chassis.ParkingBrake.IsEngaged": False}, operator)
    assert {r.rule_id for r in moving.refused} == {"GR-04"}
    await backend.inject({"Vehicle.Speed": 0.0, "Vehicle.Powertrain.Transmission.SelectedGear": 126})
    parked = await service.write({"Vehicle.Chassis.ParkingBrake.IsEngaged": True}, operator)
    assert parked.applied == {"Vehicle.Chassis.ParkingBrake.IsEngaged": True}


@pytest.mark.rule("GR-05")
async def test_gr05_esc_stays_on_while_driving(service: VehicleService, backend: SimulatorBackend) -> None:
    operator = CallContext(ClientProfile("operator", ("Vehicle.*",)), "driver", "occupant")
    await backend.inject(IDLING)
    result = await service.write({"Vehicle.ADAS.ESC.IsEnabled": False}, operator)
    assert {r.rule_id for r in result.refused} == {"GR-05"}
    assert (await backend.get_current(["Vehicle.ADAS.ESC.IsEnabled"]))["Vehicle.ADAS.ESC.IsEnabled"] is True


@pytest.mark.rule("GR-06")
async def test_gr06_trunk_refused_while_moving(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject(MOVING)
    result = await call(client, "set_trunk", {"open": True})
    assert rule_ids(result) == {"GR-06"}
    assert (await backend.get_current([TRUNK]))[TRUNK] is False


@pytest.mark.rule("GR-06")
async def test_gr06_trunk_refused_when_stopped_in_drive(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject(IDLING)
    assert rule_ids(await call(client, "set_trunk", {"open": True})) == {"GR-06"}


@pytest.mark.rule("GR-06")
async def test_gr06_trunk_opens_when_parked(client: Client, backend: SimulatorBackend) -> None:
    # The trunk is latched but not locked at rest: opening it releases nothing that needs a yes.
    assert (await call(client, "set_trunk", {"open": True}))["applied"] == {TRUNK_LOCK: False, TRUNK: True}
    assert (await backend.get_current([TRUNK]))[TRUNK] is True


@pytest.mark.rule("GR-06")
async def test_gr06_trunk_refused_while_reversing(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject(REVERSING)
    assert rule_ids(await call(client, "set_trunk", {"open": True})) == {"GR-06"}


@pytest.mark.rule("GR-07")
async def test_gr07_door_open_and_unlock_while_moving(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject(MOVING)
    assert rule_ids(await call(client, "set_door", {"open": True, "door": "driver"})) == {"GR-07"}
    result = await call(client, "unlock_doors", {"doors": "all"})
    assert "GR-07" in rule_ids(result)
    assert result["needs_confirmation"] is None


@pytest.mark.rule("GR-07")
async def test_gr07_no_unlock_while_reversing(client: Client, backend: SimulatorBackend) -> None:
    # Speed -5 km/h in reverse is moving: the unlock is refused outright, nothing to confirm.
    await backend.inject(REVERSING)
    result = await call(client, "unlock_doors", {"doors": "all"})
    assert "GR-07" in rule_ids(result)
    assert result["needs_confirmation"] is None
    assert (await backend.get_current([f"{DRIVER_DOOR}.IsLocked"]))[f"{DRIVER_DOOR}.IsLocked"] is True


@pytest.mark.rule("GR-07")
@pytest.mark.rule("GR-13")
async def test_gr07_gr13_confirmed_unlock_refused_once_reversing(
    client: Client, backend: SimulatorBackend
) -> None:
    asked = await call(client, "unlock_doors", {"doors": "all"})
    assert asked["needs_confirmation"]["rule_id"] == "GR-13"
    await backend.inject(REVERSING)  # the car backs out before the yes
    token = asked["needs_confirmation"]["token"]
    result = await call(client, "unlock_doors", {"doors": "all", "confirm_token": token})
    assert result["applied"] == {}
    assert "GR-07" in rule_ids(result)


@pytest.mark.rule("GR-07")
async def test_gr07_door_stays_shut_in_reverse_at_a_standstill(
    client: Client, backend: SimulatorBackend
) -> None:
    # Stopped in reverse is not parked: no door opens (and so no unlock is asked for).
    await backend.inject({"Vehicle.Speed": 0.0, "Vehicle.Powertrain.Transmission.SelectedGear": -1})
    result = await call(client, "set_door", {"open": True, "door": "driver"})
    assert rule_ids(result) == {"GR-07"}
    assert result["needs_confirmation"] is None


@pytest.mark.rule("GR-08")
async def test_gr08_window_close_needs_power(client: Client, backend: SimulatorBackend) -> None:
    window = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
    await backend.inject({window: 50, "Vehicle.LowVoltageSystemState": "OFF"})
    assert rule_ids(await call(client, "set_window", {"window": "driver", "action": "close"})) == {"GR-08"}
    await backend.inject({"Vehicle.LowVoltageSystemState": "ACC"})
    assert (await call(client, "set_window", {"window": "driver", "action": "close"}))["applied"] == {
        window: 0
    }


@pytest.mark.rule("GR-08")
async def test_gr08_one_shot_close_needs_anti_pinch(client: Client) -> None:
    result = await call(client, "set_signals", {"values": {"Vehicle.Cabin.Sunroof.Switch": "ONE_SHOT_CLOSE"}})
    assert rule_ids(result) == {"GR-08"}
    assert "anti-pinch" in result["refused"][0]["reason"]


@pytest.mark.rule("GR-09")
async def test_gr09_sunroof_needs_open_shade(client: Client, backend: SimulatorBackend) -> None:
    assert rule_ids(await call(client, "set_sunroof", {"action": "open"})) == {"GR-09"}
    both = {"Vehicle.Cabin.Sunroof.Shade.Position": 100, "Vehicle.Cabin.Sunroof.Switch": "OPEN"}
    assert (await call(client, "set_signals", {"values": both}))["applied"] == both
    await backend.settle()
    assert (await backend.get_current(["Vehicle.Cabin.Sunroof.Position"]))[
        "Vehicle.Cabin.Sunroof.Position"
    ] == 100


@pytest.mark.rule("GR-10")
async def test_gr10_fog_lights_need_low_beam(client: Client) -> None:
    fog_alone = await call(client, "set_signals", {"values": {FOG_FRONT: True}})
    assert rule_ids(fog_alone) == {"GR-10"}
    assert (await call(client, "set_lights", {"light": "low_beam", "on": True}))["applied"]
    assert (await call(client, "set_signals", {"values": {FOG_FRONT: True}}))["applied"]
    # With fog lights on, high beam may not come on, nor low beam go off.
    assert rule_ids(await call(client, "set_lights", {"light": "high_beam", "on": True})) == {"GR-10"}
    assert rule_ids(await call(client, "set_lights", {"light": "low_beam", "on": False})) == {"GR-10"}


@pytest.mark.rule("GR-10")
async def test_gr10_fog_light_tool_satisfies_its_precondition(
    client: Client, backend: SimulatorBackend
) -> None:
    # Low beam off: the tool switches it on with the fog lights, in the same request.
    result = await call(client, "set_lights", {"light": "fog_front", "on": True})
    assert result["refused"] == []
    assert result["applied"] == {LOW: True, FOG_FRONT: True}
    assert await backend.get_current([LOW, HIGH, FOG_FRONT]) == {LOW: True, HIGH: False, FOG_FRONT: True}


@pytest.mark.rule("GR-10")
async def test_gr10_fog_light_tool_leaves_the_high_beam_to_the_driver(
    client: Client, backend: SimulatorBackend
) -> None:
    # The high beam is the driver's choice: fog lights are refused while it is on, nothing changes.
    await backend.inject({HIGH: True})
    result = await call(client, "set_lights", {"light": "fog_front", "on": True})
    assert rule_ids(result) == {"GR-10"}
    assert await backend.get_current([LOW, HIGH, FOG_FRONT]) == {LOW: False, HIGH: True, FOG_FRONT: False}


@pytest.mark.rule("GR-10")
async def test_gr10_fog_light_precondition_is_still_guarded(client: Client) -> None:
    # A passenger cannot switch lights: the satisfied precondition does not widen what a seat may do.
    result = await call(client, "set_lights", {"light": "fog_rear", "on": True}, meta=PASSENGER)
    assert rule_ids(result) == {"GR-15"}
    assert result["applied"] == {}


@pytest.mark.rule("GR-10")
def test_gr10_rule_unit_combination_in_one_request() -> None:
    ctx = CallContext(ClientProfile("t", ("Vehicle.*",)), "driver", "occupant")
    proposal = Proposal(
        values={"Vehicle.Body.Lights.Fog.Rear.IsOn": True, "Vehicle.Body.Lights.Beam.Low.IsOn": True},
        current={"Vehicle.Body.Lights.Beam.High.IsOn": False},
        target={},
        ctx=ctx,
        now=0.0,
    )
    assert list(FogLights().check(proposal)) == []


@pytest.mark.rule("GR-10")
@pytest.mark.rule("GR-17")
async def test_gr10_best_effort_never_applies_fog_lights_without_their_low_beam(
    service: VehicleService, backend: SimulatorBackend
) -> None:
    ctx = CallContext(ClientProfile("operator", ("Vehicle.*",)), "driver", "occupant", best_effort=True)
    for on in (True, False, True, False, False):  # the low beam's rate limit is used up; it is off
        assert (await service.write({LOW: on}, ctx)).applied == {LOW: on}
    result = await service.write({FOG_FRONT: True, LOW: True}, ctx)
    # The low beam is refused (GR-17), so the fog lights, judged on their own, are refused too.
    assert {(r.path, r.rule_id) for r in result.refused} == {(LOW, "GR-17"), (FOG_FRONT, "GR-10")}
    assert result.applied == {}
    assert (await backend.get_current([FOG_FRONT]))[FOG_FRONT] is False


@pytest.mark.rule("GR-11")
async def test_gr11_air_con_with_open_windows_asks(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject({"Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position": 60})
    result = await call(client, "set_air_conditioning", {"on": True})
    assert result["applied"] == {}
    assert result["needs_confirmation"]["rule_id"] == "GR-11"
    assert "A window is open more than 20 %" in str(result["needs_confirmation"])
    token = result["needs_confirmation"]["token"]
    confirmed = await call(client, "set_air_conditioning", {"on": True, "confirm_token": token})
    assert confirmed["applied"] == {"Vehicle.Cabin.HVAC.IsAirConditioningActive": True}


@pytest.mark.rule("GR-11")
async def test_gr11_counts_the_open_windows(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject(
        {
            "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position": 60,
            "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position": 100,
        }
    )
    result = await call(client, "set_air_conditioning", {"on": True})
    assert "2 windows are open more than 20 %" in str(result["needs_confirmation"])


@pytest.mark.rule("GR-11")
async def test_gr11_air_con_with_closed_windows_just_applies(client: Client) -> None:
    result = await call(client, "set_air_conditioning", {"on": True})
    assert result["applied"] == {"Vehicle.Cabin.HVAC.IsAirConditioningActive": True}


@pytest.mark.rule("GR-13")
async def test_gr13_unlock_needs_confirmation_and_token_is_single_use(
    client: Client, backend: SimulatorBackend
) -> None:
    lock = "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"
    asked = await call(client, "unlock_doors", {"doors": "driver"})
    assert asked["needs_confirmation"]["rule_id"] == "GR-13"
    assert (await backend.get_current([lock]))[lock] is True
    token = asked["needs_confirmation"]["token"]
    done = await call(client, "unlock_doors", {"doors": "driver", "confirm_token": token})
    assert done["applied"] == {lock: False}
    again = await client.call_tool("unlock_doors", {"doors": "driver", "confirm_token": token}, meta=DRIVER)
    assert again.is_error
    assert "already used" in str(again.content)


@pytest.mark.rule("GR-13")
async def test_gr13_confirmation_rechecks_state_at_that_moment(
    client: Client, backend: SimulatorBackend
) -> None:
    asked = await call(client, "unlock_doors", {"doors": "all"})
    await backend.inject(MOVING)  # the car drove off before the yes
    result = await call(
        client, "unlock_doors", {"doors": "all", "confirm_token": asked["needs_confirmation"]["token"]}
    )
    assert result["applied"] == {}
    assert "GR-07" in rule_ids(result)


@pytest.mark.rule("GR-13")
async def test_gr13_confirmation_expires(
    client: Client, backend: SimulatorBackend, service: VehicleService
) -> None:
    asked = await call(client, "unlock_doors", {"doors": "all"})
    backend.advance_now(31)
    result = await client.call_tool(
        "unlock_doors", {"doors": "all", "confirm_token": asked["needs_confirmation"]["token"]}, meta=DRIVER
    )
    assert result.is_error
    assert "expired" in str(result.content)
    assert service.audit.records[-1]["decision"] == "expired"


@pytest.mark.rule("GR-13")
async def test_gr13_malformed_token(client: Client) -> None:
    result = await client.call_tool("unlock_doors", {"confirm_token": "nonsense"}, meta=DRIVER)
    assert result.is_error
    assert "malformed confirmation token" in str(result.content)


@pytest.mark.rule("GR-15")
async def test_gr15_passenger_cannot_change_driver_zone(client: Client) -> None:
    result = await call(client, "set_cabin_temperature", {"zone": "driver", "celsius": 25}, meta=PASSENGER)
    assert rule_ids(result) == {"GR-15"}
    own = await call(client, "set_cabin_temperature", {"zone": "passenger", "celsius": 25}, meta=PASSENGER)
    assert own["applied"] == {"Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature": 25.0}


@pytest.mark.rule("GR-15")
async def test_gr15_rear_seat_cannot_change_front_passenger_zone(
    client: Client, backend: SimulatorBackend
) -> None:
    seat = "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling"
    result = await call(client, "set_seat_heating", {"level": 3, "seat": "passenger"}, meta=REAR_LEFT)
    assert rule_ids(result) == {"GR-15"}
    assert result["refused"][0]["reason"] == "only the driver can change another seat's settings"
    assert (await backend.get_current([seat]))[seat] == 0


@pytest.mark.rule("GR-15")
@pytest.mark.parametrize(
    ("meta", "tool", "args"),
    [
        (PASSENGER, "set_seat_heating", {"level": 2, "seat": "rear_left"}),
        (REAR_RIGHT, "set_cabin_temperature", {"zone": "rear_left", "celsius": 25}),
        (REAR_LEFT, "set_window", {"window": "rear_right", "action": "open"}),
        (REAR_LEFT, "set_fan", {"zone": "all", "percent": 50}),
    ],
)
async def test_gr15_passenger_cannot_change_another_seat_zone(
    client: Client, meta: dict[str, Any], tool: str, args: dict[str, Any]
) -> None:
    result = await call(client, tool, args, meta=meta)
    assert "GR-15" in rule_ids(result)
    assert result["applied"] == {}


@pytest.mark.rule("GR-15")
async def test_gr15_a_write_that_changes_nothing_changes_no_zone(
    client: Client, backend: SimulatorBackend
) -> None:
    # The driver's door is locked already: writing that changes no one's zone (as a passenger's own
    # door opening writes its unlock when it is unlocked already). A relative request still counts.
    same = await call(client, "set_signals", {"values": {f"{DRIVER_DOOR}.IsLocked": True}}, meta=PASSENGER)
    assert same["applied"] == {f"{DRIVER_DOOR}.IsLocked": True}
    await backend.inject({TEMP: 30.0})
    warmer = await call(client, "set_cabin_temperature", {"zone": "driver", "delta": 2}, meta=PASSENGER)
    assert rule_ids(warmer) == {"GR-15"}


@pytest.mark.rule("GR-15")
async def test_gr15_rear_seat_changes_own_zone(client: Client) -> None:
    result = await call(client, "set_seat_heating", {"level": 2}, meta=REAR_LEFT)
    assert result["applied"] == {"Vehicle.Cabin.Seat.Row2.DriverSide.HeatingCooling": 66}


@pytest.mark.rule("GR-15")
async def test_gr15_passenger_cannot_change_driving_settings(client: Client) -> None:
    assert rule_ids(await call(client, "set_wipers", {"mode": "fast"}, meta=PASSENGER)) == {"GR-15"}
    assert rule_ids(await call(client, "set_lights", {"light": "low_beam", "on": True}, meta=PASSENGER)) == {
        "GR-15"
    }


@pytest.mark.rule("GR-15")
async def test_gr15_driver_changes_all_zones(client: Client) -> None:
    result = await call(client, "set_seat_heating", {"level": 2, "seat": "all"})
    assert len(result["applied"]) == 4


@pytest.mark.rule("GR-15")
def test_gr15_zone_map() -> None:
    assert zone_of("Vehicle.Cabin.HVAC.Station.Row2.Passenger.Temperature") == "rear_right"
    assert zone_of("Vehicle.Chassis.SteeringWheel.HeatingCooling") == "driver"
    assert zone_of("Vehicle.Body.Lights.Beam.Low.IsOn") == "driving"
    assert zone_of("Vehicle.Cabin.Infotainment.Media.Volume") == "shared"


@pytest.mark.rule("GR-15")
@pytest.mark.rule("GR-18")
async def test_gr15_gr18_call_without_metadata_is_least_privileged(client: Client) -> None:
    result = await call(client, "set_media_volume", {"percent": 40}, meta={})
    assert rule_ids(result) == {"GR-15", "GR-18"}


@pytest.mark.rule("GR-16")
async def test_gr16_navigation_cannot_unlock_doors(service: VehicleService) -> None:
    from mcp_servers.vehicle.server import build_server

    async with Client(build_server(service, client="navigation"), raise_exceptions=True) as nav:
        result = await call(
            nav, "set_signals", {"values": {"Vehicle.Cabin.Door.Row1.DriverSide.IsLocked": False}}
        )
        assert "GR-16" in rule_ids(result)
        assert result["needs_confirmation"] is None
        ok = await call(nav, "set_navigation_destination", {"latitude": 60.17, "longitude": 24.94})
        assert len(ok["applied"]) == 2


@pytest.mark.rule("GR-17")
async def test_gr17_rate_limit_per_signal(client: Client, backend: SimulatorBackend) -> None:
    outcomes = [
        await call(client, "set_cabin_temperature", {"zone": "driver", "celsius": 20 + i % 3})
        for i in range(7)
    ]
    assert [bool(o["applied"]) for o in outcomes] == [True] * 5 + [False] * 2
    assert rule_ids(outcomes[-1]) == {"GR-17"}
    backend.advance_now(1.5)
    assert (await call(client, "set_cabin_temperature", {"zone": "driver", "celsius": 22}))["applied"]


@pytest.mark.rule("GR-17")
def test_gr17_rate_limit_per_client_unit() -> None:
    limit = RateLimit(per_signal=100, per_client=3)
    ctx = CallContext(ClientProfile("c", ("Vehicle.*",)), "driver", "occupant")
    values = {f"Vehicle.X{i}": True for i in range(4)}
    proposal = Proposal(values=values, current={}, target={}, ctx=ctx, now=0.0)
    assert {v.rule_id for v in limit.check(proposal)} == {"GR-17"}


@pytest.mark.rule("GR-18")
@pytest.mark.parametrize("origin", ["agent", "external", None])
async def test_gr18_only_a_person_actuates(
    client: Client, backend: SimulatorBackend, origin: str | None
) -> None:
    meta = {"cabin/seat": "driver"} | ({"cabin/origin": origin} if origin else {})
    result = await call(client, "set_window", {"window": "driver", "action": "open"}, meta=meta)
    assert "GR-18" in rule_ids(result)
    await backend.settle()
    window = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
    assert (await backend.get_current([window]))[window] == 0


@pytest.mark.rule("GR-19")
async def test_gr19_unknown_signal_is_said_so(client: Client) -> None:
    result = await call(client, "set_signals", {"values": {"Vehicle.Cabin.Teleporter.IsOn": True}})
    assert rule_ids(result) == {"GR-19"}
    assert "no such signal" in result["refused"][0]["reason"]


@pytest.mark.rule("GR-19")
async def test_gr19_result_reports_only_what_was_applied(client: Client, backend: SimulatorBackend) -> None:
    values = {"Vehicle.Body.Lights.Beam.Low.IsOn": True, "Vehicle.Body.Trunk.Rear.IsOpen": True}
    await backend.inject(MOVING)
    result = await call(client, "set_signals", {"values": values})
    assert result["applied"] == {}
    assert result["held_back"] == ["Vehicle.Body.Lights.Beam.Low.IsOn"]
    low = "Vehicle.Body.Lights.Beam.Low.IsOn"
    assert (await backend.get_current([low]))[low] is False


@pytest.mark.rule("GR-19")
async def test_gr19_best_effort_applies_the_allowed_part(client: Client, backend: SimulatorBackend) -> None:
    values = {"Vehicle.Body.Lights.Beam.Low.IsOn": True, "Vehicle.Body.Trunk.Rear.IsOpen": True}
    await backend.inject(MOVING)
    result = await call(client, "set_signals", {"values": values}, meta={**DRIVER, "cabin/best_effort": True})
    assert result["applied"] == {"Vehicle.Body.Lights.Beam.Low.IsOn": True}
    assert rule_ids(result) == {"GR-06"}


@pytest.mark.rule("GR-20")
async def test_gr20_every_decision_is_audited(
    client: Client, service: VehicleService, backend: SimulatorBackend
) -> None:
    await call(client, "set_cabin_temperature", {"zone": "driver", "celsius": 22})
    await backend.inject(MOVING)
    await call(client, "set_trunk", {"open": True})
    await call(client, "lock_doors", {})
    # (each applied write is preceded by its write-ahead "intent" record)
    decisions = [
        (r["decision"], r.get("rule_ids")) for r in service.audit.records if r["decision"] != "intent"
    ]
    assert decisions[0] == ("applied", None)
    assert decisions[1] == ("refused", ["GR-06"])
    assert decisions[2][0] == "applied"
    assert all(r["client"] == "vehicle-control" and r["seat"] == "driver" for r in service.audit.records)


@pytest.mark.rule("GR-21")
async def test_gr21_child_lock_blocks_rear_window_from_rear_seat(
    client: Client, backend: SimulatorBackend
) -> None:
    await backend.inject({CHILD_LOCK: True})
    result = await call(client, "set_window", {"action": "open"}, meta=REAR_LEFT)
    assert rule_ids(result) == {"GR-21"}
    assert "child lock" in result["refused"][0]["reason"]
    await backend.settle()
    assert (await backend.get_current([REAR_LEFT_WINDOW]))[REAR_LEFT_WINDOW] == 0
    raw = await call(client, "set_signals", {"values": {REAR_LEFT_WINDOW: 100}}, meta=REAR_LEFT)
    assert "GR-21" in rule_ids(raw)


@pytest.mark.rule("GR-21")
async def test_gr21_driver_moves_rear_windows_with_child_lock(
    client: Client, backend: SimulatorBackend
) -> None:
    await backend.inject({CHILD_LOCK: True})
    result = await call(client, "set_window", {"window": "rear", "action": "open"})
    assert len(result["applied"]) == 2


@pytest.mark.rule("GR-21")
async def test_gr21_rear_seat_moves_own_window_without_child_lock(client: Client) -> None:
    result = await call(client, "set_window", {"action": "vent"}, meta=REAR_RIGHT)
    assert result["applied"] == {"Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position": 20}


@pytest.mark.rule("GR-21")
@pytest.mark.rule("GR-15")
async def test_gr21_gr15_rear_seat_cannot_release_child_lock(
    client: Client, backend: SimulatorBackend
) -> None:
    await backend.inject({CHILD_LOCK: True})
    result = await call(
        client, "set_signals", {"values": {CHILD_LOCK: False, REAR_LEFT_WINDOW: 100}}, meta=REAR_LEFT
    )
    assert "GR-15" in rule_ids(result)
    assert result["applied"] == {}


@pytest.mark.rule("GR-21")
def test_gr21_unreadable_child_lock_counts_as_engaged() -> None:
    ctx = CallContext(ClientProfile("t", ("Vehicle.*",)), "rear_left", "occupant")

    def verdicts(current: dict[str, Any]) -> list[str]:
        proposal = Proposal(values={REAR_LEFT_WINDOW: 50}, current=current, target={}, ctx=ctx, now=0.0)
        return [v.rule_id for v in WindowChildLock().check(proposal)]

    assert verdicts({CHILD_LOCK: None}) == ["GR-21"]
    assert verdicts({CHILD_LOCK: False}) == []
    assert verdicts({}) == []  # a car without the signal has no such lock


@pytest.mark.rule("GR-22")
async def test_gr22_low_beam_off_while_moving_asks_first(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject({**MOVING, LOW: True})
    asked = await call(client, "set_lights", {"light": "low_beam", "on": False})
    assert asked["applied"] == {}
    assert asked["needs_confirmation"]["rule_id"] == "GR-22"
    assert "headlights off while driving" in asked["needs_confirmation"]["question"]
    assert (await backend.get_current([LOW]))[LOW] is True
    token = asked["needs_confirmation"]["token"]
    done = await call(client, "set_lights", {"light": "low_beam", "on": False, "confirm_token": token})
    assert done["applied"] == {LOW: False}


@pytest.mark.rule("GR-22")
async def test_gr22_low_beam_off_in_the_dark_is_refused(client: Client, backend: SimulatorBackend) -> None:
    switch_path = "Vehicle.Body.Lights.LightSwitch"
    await backend.inject({**MOVING, LOW: True, switch_path: "BEAM", "Vehicle.Exterior.LightIntensity": 4.0})
    result = await call(client, "set_lights", {"light": "low_beam", "on": False})
    assert rule_ids(result) == {"GR-22"}
    assert result["needs_confirmation"] is None
    switch = await call(client, "set_signals", {"values": {switch_path: "OFF"}})
    assert rule_ids(switch) == {"GR-22"}
    assert (await backend.get_current([LOW]))[LOW] is True


@pytest.mark.rule("GR-22")
async def test_gr22_low_beam_off_while_reversing_asks(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject({**REVERSING, LOW: True})
    result = await call(client, "set_lights", {"light": "low_beam", "on": False})
    assert result["needs_confirmation"]["rule_id"] == "GR-22"


@pytest.mark.rule("GR-22")
async def test_gr22_low_beam_off_when_parked_or_already_off(
    client: Client, backend: SimulatorBackend
) -> None:
    await backend.inject({LOW: True, "Vehicle.Exterior.LightIntensity": 0.0})
    assert (await call(client, "set_lights", {"light": "low_beam", "on": False}))["applied"] == {LOW: False}
    await backend.inject(MOVING)
    # Already off: nothing is switched off, nothing to ask.
    assert (await call(client, "set_lights", {"light": "low_beam", "on": False}))["applied"] == {LOW: False}


@pytest.mark.rule("GR-23")
@pytest.mark.rule("GR-13")
async def test_gr23_gr13_opening_a_locked_door_unlocks_it_after_a_yes(
    client: Client, backend: SimulatorBackend
) -> None:
    asked = await call(client, "set_door", {"open": True, "door": "all"})
    assert asked["applied"] == {}
    assert asked["needs_confirmation"]["rule_id"] == "GR-13"
    assert asked["needs_confirmation"]["question"] == "Unlock and open the doors?"
    assert (await backend.get_current([f"{DRIVER_DOOR}.IsOpen"]))[f"{DRIVER_DOOR}.IsOpen"] is False
    token = asked["needs_confirmation"]["token"]
    done = await call(client, "set_door", {"open": True, "door": "all", "confirm_token": token})
    assert len(done["applied"]) == 8
    state = await backend.get_current([f"{DRIVER_DOOR}.IsOpen", f"{DRIVER_DOOR}.IsLocked"])
    assert state == {f"{DRIVER_DOOR}.IsOpen": True, f"{DRIVER_DOOR}.IsLocked": False}


@pytest.mark.rule("GR-23")
@pytest.mark.rule("GR-13")
async def test_gr23_gr13_best_effort_opening_of_a_locked_door_waits_for_the_yes(
    client: Client, backend: SimulatorBackend
) -> None:
    both = {f"{DRIVER_DOOR}.IsOpen": True, f"{DRIVER_DOOR}.IsLocked": False, LOW: True}
    result = await call(client, "set_signals", {"values": both}, meta={**DRIVER, "cabin/best_effort": True})
    # The light is applied; the opening waits for the same yes as its unlock.
    assert result["applied"] == {LOW: True}
    assert sorted(result["needs_confirmation"]["paths"]) == [
        f"{DRIVER_DOOR}.IsLocked",
        f"{DRIVER_DOOR}.IsOpen",
    ]
    assert (await backend.get_current([f"{DRIVER_DOOR}.IsOpen"]))[f"{DRIVER_DOOR}.IsOpen"] is False


@pytest.mark.rule("GR-23")
async def test_gr23_one_locked_door_asks_about_that_door(client: Client) -> None:
    asked = await call(client, "set_door", {"open": True, "door": "driver"})
    assert asked["needs_confirmation"]["question"] == "Unlock and open the door?"


@pytest.mark.rule("GR-23")
async def test_gr23_open_without_unlock_is_refused(client: Client, backend: SimulatorBackend) -> None:
    result = await call(client, "set_signals", {"values": {f"{DRIVER_DOOR}.IsOpen": True}})
    assert rule_ids(result) == {"GR-23"}
    assert "the driver's door is locked" in result["refused"][0]["reason"]
    assert (await backend.get_current([f"{DRIVER_DOOR}.IsOpen"]))[f"{DRIVER_DOOR}.IsOpen"] is False


@pytest.mark.rule("GR-23")
async def test_gr23_locking_an_open_door_is_refused(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject({f"{PASSENGER_DOOR}.IsOpen": True})  # someone opened it: it reads unlocked
    result = await call(client, "lock_doors", {"doors": "all"})
    assert rule_ids(result) == {"GR-23"}
    assert "the front passenger's door is open" in result["refused"][0]["reason"]
    assert (await backend.get_current([f"{PASSENGER_DOOR}.IsLocked"]))[f"{PASSENGER_DOOR}.IsLocked"] is False


@pytest.mark.rule("GR-23")
@pytest.mark.rule("GR-15")
async def test_gr23_gr15_passenger_opens_own_door_only_when_unlocked(
    client: Client, backend: SimulatorBackend
) -> None:
    locked = await call(client, "set_door", {"open": True}, meta=PASSENGER)
    assert rule_ids(locked) == {"GR-15"}  # only the driver unlocks
    await backend.inject({f"{PASSENGER_DOOR}.IsLocked": False})
    unlocked = await call(client, "set_door", {"open": True}, meta=PASSENGER)
    assert unlocked["applied"] == {f"{PASSENGER_DOOR}.IsLocked": False, f"{PASSENGER_DOOR}.IsOpen": True}


@pytest.mark.rule("GR-23")
@pytest.mark.rule("GR-13")
async def test_gr23_gr13_opening_a_locked_trunk_asks(client: Client, backend: SimulatorBackend) -> None:
    await backend.inject({TRUNK_LOCK: True})
    asked = await call(client, "set_trunk", {"open": True})
    assert asked["needs_confirmation"]["question"] == "Unlock and open the trunk?"
    token = asked["needs_confirmation"]["token"]
    assert (await call(client, "set_trunk", {"open": True, "confirm_token": token}))["applied"] == {
        TRUNK_LOCK: False,
        TRUNK: True,
    }


def test_driving_states() -> None:
    assert (
        DrivingState.of({"Vehicle.Speed": 0.0, "Vehicle.Powertrain.Transmission.SelectedGear": 126})
        is DrivingState.PARKED
    )
    assert (
        DrivingState.of({"Vehicle.Speed": 0.0, "Vehicle.Powertrain.Transmission.SelectedGear": 1})
        is DrivingState.IDLING
    )
    assert (
        DrivingState.of({"Vehicle.Speed": 3.0, "Vehicle.Powertrain.Transmission.SelectedGear": 126})
        is DrivingState.MOVING
    )
    assert DrivingState.of({}) is DrivingState.MOVING


@pytest.mark.parametrize(
    ("speed", "gear", "state"),
    [
        (-5.0, -1, DrivingState.MOVING),  # reversing is moving
        (-0.5, 126, DrivingState.MOVING),  # rolling back in P is still moving
        (0.0, -1, DrivingState.IDLING),  # stopped in reverse: neither moving nor parked
        (0.0, 127, DrivingState.IDLING),
        (0.0, None, DrivingState.IDLING),  # gear unknown: not parked
        (float("nan"), 126, DrivingState.MOVING),
        (None, 126, DrivingState.MOVING),  # speed unknown: moving
        (True, 126, DrivingState.MOVING),  # not a speed at all
    ],
)
def test_driving_state_sign_and_unknowns(speed: Any, gear: Any, state: DrivingState) -> None:
    values = {"Vehicle.Speed": speed, "Vehicle.Powertrain.Transmission.SelectedGear": gear}
    assert DrivingState.of(values) is state


SAFETY_DOC = Path(__file__).resolve().parents[2] / "docs" / "safety.md"
AGENT_RULES = ("GR-12", "GR-14")


def _marked_tests(root: Path) -> dict[str, set[tuple[str, str]]]:
    """{rule id: {(file, test name)}} for every test under ``root`` marked with a rule."""
    found: dict[str, set[tuple[str, str]]] = {}
    repo = root.parents[1]
    for path in sorted(root.rglob("test_*.py")):
        marks: list[str] = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if mark := re.match(r'\s*@pytest\.mark\.rule\("(GR-\d\d)"\)', line):
                marks.append(mark.group(1))
            elif test := re.match(r"\s*(?:async )?def (test_\w+)", line):
                for rule in marks:
                    found.setdefault(rule, set()).add((str(path.relative_to(repo)), test.group(1)))
                marks = []
    return found


def test_safety_doc_lists_every_rule_with_its_source_and_tests() -> None:
    doc = SAFETY_DOC.read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| (GR-\d\d) \|.*$", doc, re.MULTILINE)}
    for rule in default_rules():
        assert rule.id in rows, f"{rule.id} has no row in docs/safety.md"
        assert rule.source in rows[rule.id], f"{rule.id}: its source {rule.source!r} is not in its row"
    assert set(ENGINE_RULES) | set(AGENT_RULES) <= set(rows)
    listed = {m.group(1): m.group(2) for m in re.finditer(r"^- \*\*(GR-\d\d)\*\* — (.*)$", doc, re.MULTILINE)}
    # Every vehicle-server test that names a rule is listed under it, and every listed one exists.
    for rule_id, tests in _marked_tests(Path(__file__).resolve().parent).items():
        for path, name in tests:
            assert f"`{path}`" in listed.get(rule_id, "") and f"`{name}`" in listed[rule_id], (rule_id, name)
    for rule_id in rows:
        assert listed.get(rule_id), f"docs/safety.md names no test for {rule_id}"
