"""Property tests: random car states and random write requests through the whole server (official MCP
client in memory). Whatever is asked, no forbidden state is reached, nothing is half-applied, and every
refusal names a rule."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend, impossible
from mcp_servers.vehicle.catalog import Catalog, Value
from mcp_servers.vehicle.guardrails import AuditLog, DrivingState, Guardrails
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

CATALOG = Catalog.load()
ACTUATORS = [s for s in CATALOG if s.writable]
SENSORS = [s.path for s in CATALOG if not s.writable]
LOCKS = [p for p in CATALOG.paths if p.endswith(".IsLocked")]
DOORS_OPEN = [p for p in CATALOG.paths if p.startswith("Vehicle.Cabin.Door.") and p.endswith(".IsOpen")]
SAFETY_SYSTEMS = [
    f"Vehicle.ADAS.{s}.IsEnabled" for s in ("ESC", "ABS", "EBA", "EBD", "TCS", "LaneDepartureDetection")
]
RULE_ID = r"GR-\d\d"


def value_for(signal: Any) -> st.SearchStrategy[object]:
    """Mostly valid values for the signal, sometimes junk."""
    if signal.allowed:
        good: st.SearchStrategy[object] = st.sampled_from(list(signal.allowed))
    elif signal.datatype == "boolean":
        good = st.booleans()
    elif signal.datatype in ("float", "double"):
        good = st.floats(
            min_value=signal.min if signal.min is not None else -50,
            max_value=signal.max if signal.max is not None else 120,
        )
    elif signal.datatype == "string":
        good = st.text(max_size=8)
    else:
        good = st.integers(
            min_value=int(signal.min if signal.min is not None else -128),
            max_value=int(signal.max if signal.max is not None else 255),
        )
    junk = st.one_of(
        st.none(), st.text(max_size=4), st.integers(-1000, 1000), st.booleans(), st.floats(allow_nan=True)
    )
    return st.one_of(good, good, good, junk)


@st.composite
def write_request(draw: st.DrawFn) -> dict[str, object]:
    signals = draw(st.lists(st.sampled_from(ACTUATORS), min_size=1, max_size=4, unique_by=lambda s: s.path))
    request = {s.path: draw(value_for(s)) for s in signals}
    if draw(st.booleans()):
        request[draw(st.sampled_from(SENSORS))] = 1
    return request


@st.composite
def car_state(draw: st.DrawFn) -> dict[str, Value]:
    speed = draw(st.sampled_from([0.0, 0.0, 5.0, 50.0, 120.0, -5.0, -0.5]))  # negative: reversing
    gear = 126 if speed == 0 and draw(st.booleans()) else draw(st.sampled_from([127, 1, 0, -1]))
    state: dict[str, Value] = {
        "Vehicle.Speed": speed,
        "Vehicle.Powertrain.Transmission.SelectedGear": gear,
        "Vehicle.LowVoltageSystemState": draw(st.sampled_from(["ON", "ACC", "OFF", "LOCK"])),
        "Vehicle.Body.Lights.Beam.Low.IsOn": draw(st.booleans()),
        "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": draw(st.integers(0, 100)),
        "Vehicle.Cabin.Sunroof.Shade.Position": draw(st.sampled_from([0, 0, 100])),
    }
    return state


Case = tuple[dict[str, Value], dict[str, object], dict[str, Any]]

cases = st.lists(
    st.tuples(
        car_state(),
        write_request(),
        st.fixed_dictionaries(
            {
                "cabin/seat": st.sampled_from(["driver", "passenger", "rear_left", "rear_right"]),
                "cabin/origin": st.sampled_from(["occupant", "occupant", "occupant", "agent", "external"]),
                "cabin/best_effort": st.booleans(),
            }
        ),
    ),
    min_size=1,
    max_size=12,
)


async def run_cases(batch: list[Case]) -> None:
    backend = SimulatorBackend(CATALOG)
    service = VehicleService(backend, Guardrails(CATALOG, clock=lambda: backend.clock), AuditLog(None))
    async with Client(build_server(service, client="operator"), raise_exceptions=True) as client:
        for state, request, meta in batch:
            await backend.inject(state)
            backend.advance_now(2.0)
            before = backend.snapshot()
            targets = await backend.get_target(list(request))
            result = await client.call_tool("set_signals", {"values": request}, meta=meta)
            after = backend.snapshot()
            if result.is_error:
                # Input the tool schema rejects (e.g. null) is a clear error, and nothing changes.
                assert after == before
                assert "values" in str(result.content)
                continue
            out = result.structured_content
            assert out is not None
            check_invariants(before, targets, after, request, meta, out)


def check_invariants(
    before: dict[str, Value],
    targets: dict[str, Value | None],
    after: dict[str, Value],
    request: dict[str, object],
    meta: dict[str, Any],
    out: dict[str, Any],
) -> None:
    import re

    applied: dict[str, Any] = out["applied"]
    refused: list[dict[str, Any]] = out["refused"]
    driving = DrivingState.of(before)
    # Every refusal names a rule and a reason.
    assert all(re.fullmatch(RULE_ID, r["rule_id"]) and r["reason"] for r in refused)
    # Nothing outside the request changes (moving parts only move toward requested targets).
    for path in set(before) | set(after):
        if path not in request and before.get(path) != after.get(path):
            assert path in ("Vehicle.Cabin.Sunroof.Position", "Vehicle.Powertrain.Transmission.CurrentGear")
    # All-or-nothing unless best effort; never applied and refused at once.
    assert not set(applied) & {r["path"] for r in refused}
    if refused and not meta["cabin/best_effort"]:
        assert applied == {}
    if out["needs_confirmation"] is not None and not meta["cabin/best_effort"]:
        assert applied == {}
    # GR-18: only a person's request actuates.
    if meta["cabin/origin"] != "occupant":
        assert applied == {}
    # Sensors are never written (GR-01).
    assert not set(applied) & set(SENSORS)
    # GR-04/05/06/07 while not parked (reversing is moving); GR-13 no unlock without a confirmation.
    assert "Vehicle.Powertrain.Transmission.SelectedGear" not in applied
    if driving is not DrivingState.PARKED:
        assert applied.get("Vehicle.Body.Trunk.Rear.IsOpen") is not True
        assert not any(applied.get(p) is True for p in DOORS_OPEN)
        assert not any(applied.get(p) is False for p in SAFETY_SYSTEMS)
    # GR-13 guards a change: writing "unlocked" to a lock that is already unlocked changes nothing.
    for path in LOCKS:
        if applied.get(path) is False:
            was = targets.get(path)
            assert (was if was is not None else before.get(path)) is False, path
    # GR-03: set points stay in the comfort range; GR-10: fog lights only with low beam, no high beam.
    for path, value in applied.items():
        if path.endswith(".Temperature"):
            assert 16 <= value <= 30
    fog = any(after.get(f"Vehicle.Body.Lights.Fog.{w}.IsOn") is True for w in ("Front", "Rear"))
    touched_lights = any(".Fog." in p or ".Beam." in p for p in applied)
    if fog and touched_lights:
        assert after.get("Vehicle.Body.Lights.Beam.Low.IsOn") is True
        assert after.get("Vehicle.Body.Lights.Beam.High.IsOn") is not True
    # GR-15: a passenger never changes the driver's zone, another seat's zone or driving settings (a
    # value the signal already has changes nothing and may be written).
    if meta["cabin/seat"] != "driver":
        from mcp_servers.vehicle.guardrails import zone_of

        for path, value in applied.items():
            if zone_of(path) not in ("shared", meta["cabin/seat"]):
                was = targets.get(path)
                assert value == (was if was is not None else before.get(path)), path
    # GR-23: no door or trunk is ever open and locked.
    assert impossible(after) == []
    # What is reported applied is what the car's targets now are (GR-19).
    assert all(value is not None for value in applied.values())


@pytest.mark.rule("GR-01")
@pytest.mark.rule("GR-04")
@pytest.mark.rule("GR-06")
@pytest.mark.rule("GR-13")
@pytest.mark.rule("GR-15")
@pytest.mark.rule("GR-07")
@pytest.mark.rule("GR-18")
@pytest.mark.rule("GR-23")
@given(batch=cases)
@example(  # the trunk is already unlocked: "unlocking" it while moving changes nothing, so it is applied
    batch=[
        (
            {
                "Vehicle.Speed": 5.0,
                "Vehicle.Powertrain.Transmission.SelectedGear": 127,
                "Vehicle.Body.Trunk.Rear.IsLocked": False,
            },
            {"Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed": 0, "Vehicle.Body.Trunk.Rear.IsLocked": False},
            {"cabin/seat": "driver", "cabin/origin": "occupant", "cabin/best_effort": False},
        )
    ]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_forbidden_state_is_ever_reached(batch: list[Case]) -> None:
    anyio.run(run_cases, batch)
