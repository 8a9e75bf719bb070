"""A stateful property test over the whole vehicle server: hypothesis drives a sequence of task-tool and
``set_signals`` calls from random seats, origins and client profiles (official MCP client, in-memory
transport), interleaved with random driving-state changes (speed forward and backward, every gear),
changes of the surroundings (child lock, outside light, power, a door opened by hand), the clock
moving on, and confirmations (by the right seat or another, in time or too late).

After every step these hold: no door or trunk (or hood) opens unless parked; no door or trunk is ever
open and locked; the window child lock keeps rear seats off the rear windows; nothing that needs a yes
(an unlock, the headlights off while moving, the A/C with windows open) is applied without a
confirmation; every applied write has its audit record and is what the car's targets now are; only a
person's request actuates; each client writes only its scope; a passenger changes only their own zone.

The run is deterministic (``derandomize``, no example database) and counts the steps it executed: at
least :data:`MIN_STEPS` must run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from mcp import Client
from mcp_types import CallToolResult

from mcp_servers.vehicle.backends.simulator import CLOSURES, SimulatorBackend, impossible
from mcp_servers.vehicle.catalog import Catalog, Value
from mcp_servers.vehicle.guardrails import DEFAULT_PROFILES, AuditLog, DrivingState, Guardrails, zone_of
from mcp_servers.vehicle.guardrails.audit import APPLIED_DECISIONS
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

CATALOG = Catalog.load()
MIN_STEPS = 2000
SETTINGS = settings(
    max_examples=25,
    stateful_step_count=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

#: Mostly the clients that may act (the operator console, the vehicle-control agent), sometimes others.
PROFILES = (
    "operator",
    "operator",
    "vehicle-control",
    "vehicle-control",
    "vehicle-control",
    "navigation",
    "anonymous",
)
SEATS = ("driver", "passenger", "rear_left", "rear_right")
ZONES = (*SEATS, "front", "rear", "all")
CHILD_LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged"
LOW = "Vehicle.Body.Lights.Beam.Low.IsOn"
AC = "Vehicle.Cabin.HVAC.IsAirConditioningActive"
HOOD = "Vehicle.Body.Hood.IsOpen"
DOORS = [p for p in CATALOG.paths if p.startswith("Vehicle.Cabin.Door.") and p.count(".") == 5]
REAR_WINDOWS = [p for p in CATALOG.paths if p.startswith("Vehicle.Cabin.Door.Row2.") and ".Window." in p]
WINDOWS = [p for p in CATALOG.paths if p.endswith(".Window.Position")]
LOCKS = [p for p in CATALOG.paths if p.endswith((".IsLocked", ".IsChildLockActive"))]


class Steps:
    """How many state-machine steps ran (rules only, invariants not counted)."""

    count = 0


def _maybe(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """``{key: value}`` or ``{}`` (the tool's default)."""
    return st.one_of(st.just({}), values.map(lambda v: {key: v}))


def _tool(
    name: str, *parts: st.SearchStrategy[dict[str, Any]]
) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    def merge(dicts: tuple[dict[str, Any], ...]) -> tuple[str, dict[str, Any]]:
        args: dict[str, Any] = {}
        for d in dicts:
            args.update(d)
        return name, args

    return st.tuples(*parts).map(merge)


def _required(key: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return values.map(lambda v: {key: v})


zones = st.sampled_from(ZONES)
TASK_CALLS = st.one_of(
    _tool("set_door", _required("open", st.booleans()), _maybe("door", zones)),
    _tool("set_trunk", _required("open", st.booleans())),
    _tool("lock_doors", _maybe("doors", zones)),
    _tool("unlock_doors", _maybe("doors", zones)),
    _tool(
        "set_window", _maybe("window", zones), _required("action", st.sampled_from(["open", "close", "vent"]))
    ),
    _tool(
        "set_lights",
        _required("light", st.sampled_from(["low_beam", "high_beam", "fog_front", "fog_rear", "hazard"])),
        _required("on", st.booleans()),
    ),
    _tool("set_seat_heating", _required("level", st.integers(0, 3)), _maybe("seat", zones)),
    _tool("set_cabin_temperature", _maybe("zone", zones), _required("celsius", st.integers(14, 32))),
    _tool("set_air_conditioning", _required("on", st.booleans())),
    _tool("set_sunshade", _required("action", st.sampled_from(["open", "close"]))),
    _tool("set_sunroof", _required("action", st.sampled_from(["open", "close", "tilt"]))),
    _tool("set_hood", _required("open", st.booleans())),
    _tool("set_window_child_lock", _required("on", st.booleans())),
    _tool("set_mirror_heating", _required("on", st.booleans())),
    _tool("set_media_playback", _required("action", st.sampled_from(["play", "pause", "next"]))),
    _tool("set_navigation_guidance", _required("mode", st.sampled_from(["voice", "alerts_only", "muted"]))),
)

#: What needs a yes, or is refused, depending on the driving state: doors, trunk, headlights, the A/C.
ASKING_CALLS = st.one_of(
    _tool("set_door", _required("open", st.just(True)), _maybe("door", zones)),
    _tool("unlock_doors", _maybe("doors", zones)),
    _tool("set_trunk", _required("open", st.just(True))),
    _tool("set_hood", _required("open", st.just(True))),
    _tool("set_lights", _required("light", st.just("low_beam")), _required("on", st.just(False))),
    _tool("set_air_conditioning", _required("on", st.just(True))),
)

_SIGNAL_VALUES: dict[str, st.SearchStrategy[Value]] = {
    **{p: st.booleans() for p in DOORS if p.endswith((".IsOpen", ".IsLocked", ".IsChildLockActive"))},
    **{p: st.sampled_from([0, 20, 100]) for p in WINDOWS},
    "Vehicle.Body.Trunk.Rear.IsOpen": st.booleans(),
    "Vehicle.Body.Trunk.Rear.IsLocked": st.booleans(),
    HOOD: st.booleans(),
    CHILD_LOCK: st.booleans(),
    LOW: st.booleans(),
    "Vehicle.Body.Lights.Beam.High.IsOn": st.booleans(),
    "Vehicle.Body.Lights.Fog.Front.IsOn": st.booleans(),
    "Vehicle.Body.Lights.LightSwitch": st.sampled_from(["OFF", "POSITION", "AUTO", "BEAM"]),
    AC: st.booleans(),
    "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling": st.sampled_from([0, 66, 100]),
    "Vehicle.Cabin.Seat.Row2.DriverSide.HeatingCooling": st.sampled_from([0, 66, 100]),
    "Vehicle.ADAS.ESC.IsEnabled": st.booleans(),
    "Vehicle.Chassis.ParkingBrake.IsEngaged": st.booleans(),
    "Vehicle.Powertrain.Transmission.SelectedGear": st.sampled_from([126, 127, -1]),
}
SIGNAL_WRITES = st.lists(
    st.sampled_from(sorted(_SIGNAL_VALUES)), min_size=1, max_size=4, unique=True
).flatmap(lambda paths: st.fixed_dictionaries({p: _SIGNAL_VALUES[p] for p in paths}))

_SEAT_META = st.sampled_from(("driver", "driver", "driver", "passenger", "rear_left", "rear_right"))
_ORIGIN_META = st.sampled_from(["occupant"] * 6 + ["agent", "external", "system"])
#: Mostly a person's request from a known seat; sometimes without seat, origin or both (least privilege).
METAS = st.one_of(
    st.fixed_dictionaries(
        {"cabin/seat": _SEAT_META, "cabin/origin": _ORIGIN_META},
        optional={"cabin/best_effort": st.booleans()},
    ),
    st.fixed_dictionaries(
        {},
        optional={"cabin/seat": _SEAT_META, "cabin/origin": _ORIGIN_META, "cabin/best_effort": st.booleans()},
    ),
)


@dataclass(frozen=True)
class Pending:
    """A request that waits for a yes."""

    profile: str
    tool: str
    arguments: dict[str, Any]
    meta: dict[str, Any]
    token: str


class VehicleServerMachine(RuleBasedStateMachine):
    pending = Bundle("pending")

    def __init__(self) -> None:
        super().__init__()
        self._portal_cm = start_blocking_portal()
        self.portal: BlockingPortal = self._portal_cm.__enter__()
        self.backend = SimulatorBackend(CATALOG)
        backend = self.backend
        self.service = VehicleService(
            backend, Guardrails(CATALOG, clock=lambda: backend.clock), AuditLog(None)
        )
        self._client_cms: list[Any] = []
        self.clients: dict[str, Client] = {}
        for profile in dict.fromkeys(PROFILES):
            cm = self.portal.wrap_async_context_manager(
                Client(build_server(self.service, client=profile), raise_exceptions=True)
            )
            self.clients[profile] = cm.__enter__()
            self._client_cms.append(cm)

    def teardown(self) -> None:
        for cm in reversed(self._client_cms):
            cm.__exit__(None, None, None)
        self._portal_cm.__exit__(None, None, None)

    # -- calling the server ------------------------------------------------------------------------

    def _targets(self) -> dict[str, Value | None]:
        return self.portal.call(self.backend.get_target, CATALOG.paths)

    async def _tool_call(
        self, profile: str, tool: str, arguments: dict[str, Any], meta: dict[str, Any]
    ) -> CallToolResult:
        return await self.clients[profile].call_tool(tool, arguments, meta=meta)  # type: ignore[arg-type]

    def _call(
        self, profile: str, tool: str, arguments: dict[str, Any], meta: dict[str, Any], confirming: bool
    ) -> dict[str, Any] | None:
        """Call a write tool, check every invariant of the call, return its result (None: a tool error)."""
        Steps.count += 1
        # Time passes between requests (a person speaks, the car answers), so rate limits rarely bite.
        self.backend.advance_now(0.3)
        before, targets = self.backend.snapshot(), self._targets()
        seq = self.service.audit.seq
        result = self.portal.call(self._tool_call, profile, tool, arguments, meta)
        after, targets_after = self.backend.snapshot(), self._targets()
        if result.is_error:
            # Only a confirmation can fail (another seat's token, too late, used, a different request):
            # a clear error saying so, and nothing changed. A valid request never fails, so the car
            # itself never had to reject what the guardrails let through.
            assert confirming, result.content
            assert "confirmation" in str(result.content), result.content
            assert targets_after == targets
            return None
        out: dict[str, Any] | None = result.structured_content
        assert out is not None
        applied: dict[str, Value] = out["applied"]
        new_records = [r for r in self.service.audit.records if r["seq"] > seq]
        check_call(profile, meta, confirming, before, targets, after, targets_after, applied, new_records)
        return out

    # -- rules -------------------------------------------------------------------------------------

    @rule(target=pending, profile=st.sampled_from(PROFILES), call=TASK_CALLS, meta=METAS)
    def task_tool(self, profile: str, call: tuple[str, dict[str, Any]], meta: dict[str, Any]) -> Any:
        tool, arguments = call
        return self._asked(profile, tool, arguments, meta, self._call(profile, tool, arguments, meta, False))

    @rule(
        target=pending,
        profile=st.sampled_from(["operator", "vehicle-control"]),
        call=ASKING_CALLS,
        best_effort=st.booleans(),
    )
    def driver_asks(self, profile: str, call: tuple[str, dict[str, Any]], best_effort: bool) -> Any:
        """The driver asks for something that needs a yes (or is refused, depending on the state)."""
        tool, arguments = call
        meta = {"cabin/seat": "driver", "cabin/origin": "occupant", "cabin/best_effort": best_effort}
        return self._asked(profile, tool, arguments, meta, self._call(profile, tool, arguments, meta, False))

    @rule(target=pending, profile=st.sampled_from(PROFILES), values=SIGNAL_WRITES, meta=METAS)
    def set_signals(self, profile: str, values: dict[str, Value], meta: dict[str, Any]) -> Any:
        arguments = {"values": values}
        out = self._call(profile, "set_signals", arguments, meta, False)
        return self._asked(profile, "set_signals", arguments, meta, out)

    def _asked(
        self,
        profile: str,
        tool: str,
        arguments: dict[str, Any],
        meta: dict[str, Any],
        out: dict[str, Any] | None,
    ) -> Any:
        if out is None or out["needs_confirmation"] is None:
            return multiple()
        return Pending(profile, tool, arguments, meta, out["needs_confirmation"]["token"])

    @rule(
        asked=consumes(pending),
        same_seat=st.sampled_from([True, True, True, False]),
        wait_s=st.sampled_from([0.0, 0.0, 2.0, 31.0]),
    )
    def confirm(self, asked: Pending, same_seat: bool, wait_s: float) -> None:
        self.backend.advance_now(wait_s)
        meta = dict(asked.meta)
        if not same_seat:
            meta["cabin/seat"] = "rear_right" if meta.get("cabin/seat") != "rear_right" else "passenger"
        arguments = {**asked.arguments, "confirm_token": asked.token}
        out = self._call(asked.profile, asked.tool, arguments, meta, True)
        if not same_seat or wait_s > 30:
            assert out is None  # another seat's token, or too late: refused as an error
            # (the token stays with its seat until it expires)

    @rule(
        situation=st.one_of(
            st.just((0.0, 126)),  # parked, the most common case
            st.tuples(st.sampled_from([-12.0, -5.0, -0.5, 0.0]), st.just(-1)),  # reversing, or stopped in R
            st.tuples(st.sampled_from([0.0, 3.0, 50.0, 120.0]), st.sampled_from([127, 1, 0])),
            st.tuples(st.sampled_from([-0.5, 2.0]), st.just(126)),  # rolling with P selected
        )
    )
    def drive(self, situation: tuple[float, int]) -> None:
        Steps.count += 1
        speed, gear = situation
        self._inject({"Vehicle.Speed": speed, "Vehicle.Powertrain.Transmission.SelectedGear": gear})

    @rule(
        values=st.fixed_dictionaries(
            {},
            optional={
                CHILD_LOCK: st.booleans(),
                "Vehicle.Exterior.LightIntensity": st.sampled_from([0.0, 5.0, 60.0]),
                "Vehicle.LowVoltageSystemState": st.sampled_from(["ON", "ACC", "OFF"]),
                LOW: st.booleans(),
                "Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen": st.booleans(),
                "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position": st.sampled_from([0, 60]),
            },
        )
    )
    def surroundings(self, values: dict[str, Value]) -> None:
        """What changes without a request: a child lock set by hand, dusk, a door opened from outside."""
        Steps.count += 1
        self._inject(values)

    @rule(seconds=st.sampled_from([0.5, 3.0, 12.0]))
    def time_passes(self, seconds: float) -> None:
        Steps.count += 1
        self.backend.advance_now(seconds)

    def _inject(self, values: dict[str, Value]) -> None:
        if values:
            result = self.portal.call(self._tool_call, "operator", "simulate_signals", {"values": values}, {})
            assert not result.is_error, result.content

    # -- invariants after every step ---------------------------------------------------------------

    @invariant()
    def never_open_and_locked(self) -> None:
        assert impossible(self.backend.snapshot()) == []


def check_call(
    profile: str,
    meta: dict[str, Any],
    confirming: bool,
    before: dict[str, Value],
    targets: dict[str, Value | None],
    after: dict[str, Value],
    targets_after: dict[str, Value | None],
    applied: dict[str, Value],
    new_records: list[dict[str, Any]],
) -> None:
    seat = meta.get("cabin/seat")
    driving = DrivingState.of(before)

    def was(path: str) -> Value | None:
        target = targets.get(path)
        return target if target is not None else before.get(path)

    changed = {p: v for p, v in applied.items() if v != was(p)}
    # What is reported applied is what the car's targets now are; nothing else was asked of the car.
    assert all(targets_after.get(p) == v for p, v in applied.items())
    assert {p for p in CATALOG.paths if targets_after.get(p) != targets.get(p)} <= set(applied)
    # Every applied write has its audit record, "confirmed" when it came with a yes.
    if applied:
        decisions = [r for r in new_records if r.get("decision") in APPLIED_DECISIONS]
        assert [r["values"] for r in decisions] == [applied]
        assert decisions[0]["decision"] == ("confirmed" if confirming else "applied")
    # Only a person's request actuates (GR-18); each client writes only its scope (GR-16).
    if meta.get("cabin/origin", DEFAULT_PROFILES[profile].default_origin) != "occupant":
        assert applied == {}
    assert all(DEFAULT_PROFILES[profile].may_write(p) for p in applied)
    # No door, trunk or hood opens unless parked (GR-06, GR-07).
    for part in (*CLOSURES, HOOD.removesuffix(".IsOpen")):
        if applied.get(f"{part}.IsOpen") is True and was(f"{part}.IsOpen") is not True:
            assert driving is DrivingState.PARKED, part
    # Never open and locked (GR-23).
    assert impossible(after) == []
    # A passenger changes only their own zone and shared settings (GR-15).
    effective_seat = seat if "cabin/seat" in meta else DEFAULT_PROFILES[profile].default_seat
    if effective_seat is None:
        assert changed == {}
    elif effective_seat != "driver":
        assert all(zone_of(p) in ("shared", effective_seat) for p in changed), changed
    # The child lock keeps rear seats off the rear windows (GR-21).
    if effective_seat in ("rear_left", "rear_right") and before.get(CHILD_LOCK) is not False:
        assert not set(applied) & set(REAR_WINDOWS)
    # Nothing that needs a yes is applied without one (GR-13, GR-22, GR-11).
    if not confirming:
        assert not any(p in LOCKS and v is False and was(p) is not False for p, v in applied.items())
        if driving is DrivingState.MOVING:
            assert not (applied.get(LOW) is False and was(LOW) is not False)
        open_windows = [w for w in WINDOWS if isinstance(v := was(w), int | float) and v > 20]
        assert not (applied.get(AC) is True and was(AC) is not True and open_windows), open_windows


@pytest.mark.rule("GR-06")
@pytest.mark.rule("GR-07")
@pytest.mark.rule("GR-11")
@pytest.mark.rule("GR-13")
@pytest.mark.rule("GR-15")
@pytest.mark.rule("GR-16")
@pytest.mark.rule("GR-18")
@pytest.mark.rule("GR-20")
@pytest.mark.rule("GR-21")
@pytest.mark.rule("GR-22")
@pytest.mark.rule("GR-23")
def test_gr06_gr07_gr13_gr15_gr21_gr22_gr23_vehicle_server_state_machine() -> None:
    Steps.count = 0
    run_state_machine_as_test(VehicleServerMachine, settings=SETTINGS)
    print(f"vehicle server state machine: {Steps.count} steps")
    assert Steps.count >= MIN_STEPS, f"only {Steps.count} steps ran"
