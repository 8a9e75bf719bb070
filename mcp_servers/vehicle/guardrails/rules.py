"""The guardrail rules (docs/safety.md) that the vehicle layer enforces, one small class each.

A rule looks at a :class:`Proposal` (the values a client asks for, the car's state at that moment and
who is asking) and returns :class:`Verdict` objects for the paths it objects to: ``refuse`` (never
applied) or ``confirm`` (applied only after the person confirms, and then re-checked). Rules are pure
functions of the proposal, except :class:`RateLimit` which also remembers what was applied.

Rules that are not decided here: GR-12 and GR-14 concern what is said to the driver (agents and the
orchestrator enforce them); GR-19 (never claim what did not happen) is how the server reports results;
GR-20 (audit) is :mod:`.audit`. Unknown signals are refused under GR-19 (a missing signal is said so).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from ..catalog import Value
from .context import CallContext, DrivingState, Seat

VerdictKind = Literal["refuse", "confirm"]


@dataclass(frozen=True, slots=True)
class Verdict:
    rule_id: str
    path: str
    kind: VerdictKind
    reason: str


@dataclass(frozen=True, slots=True)
class Proposal:
    """One write request, checked as a whole against the state at the moment of checking."""

    values: Mapping[str, Value]
    current: Mapping[str, Value | None]
    target: Mapping[str, Value | None]
    ctx: CallContext
    now: float
    relative: frozenset[str] = frozenset()

    @property
    def driving(self) -> DrivingState:
        return DrivingState.of(self.current)

    def before(self, path: str) -> Value | None:
        """Where a part is or is already heading: the pending target if any, else the current value."""
        target = self.target.get(path)
        return target if target is not None else self.current.get(path)

    def after(self, path: str) -> Value | None:
        """The value ``path`` will have if this request is applied."""
        return self.values[path] if path in self.values else self.before(path)


class Rule(ABC):
    """A guardrail rule: a stable id, a short reason, the rule's source, and a check.

    ``check`` must be deterministic and must not change anything; it sees the whole request so that
    rules about combinations (fog lights and beams, sunroof and shade) can decide.
    """

    id: ClassVar[str]
    summary: ClassVar[str]
    source: ClassVar[str]
    #: glob-like path patterns this rule concerns (for ``cabin tools`` and ``list_signals``)
    concerns: ClassVar[tuple[str, ...]] = ("Vehicle.*",)

    @abstractmethod
    def check(self, p: Proposal) -> Iterable[Verdict]:
        """The verdicts for the paths of ``p`` this rule objects to (none: the rule is satisfied)."""

    def refuse(self, path: str, reason: str) -> Verdict:
        return Verdict(self.id, path, "refuse", reason)

    def confirm(self, path: str, question: str) -> Verdict:
        return Verdict(self.id, path, "confirm", question)

    def record(self, applied: Mapping[str, Value], ctx: CallContext, now: float) -> None:  # noqa: B027
        """Called with what was actually applied (stateful rules only)."""


def _match(path: str, pattern: str) -> bool:
    return re.fullmatch(pattern, path) is not None


def _true(value: Value | None) -> bool:
    return value is True


def _num(value: Value | None, default: float = 0.0) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default


class ComfortBounds(Rule):
    id = "GR-03"
    summary = "Comfort bounds where VSS has none: cabin temperature 16-30 °C; media volume step limit."
    source = "engineering choice"
    concerns = ("Vehicle.Cabin.HVAC.Station.*.Temperature", "Vehicle.Cabin.Infotainment.Media.Volume")
    MIN_C = 16.0
    MAX_C = 30.0
    MAX_VOLUME_STEP = 40

    def check(self, p: Proposal) -> Iterable[Verdict]:
        for path, value in p.values.items():
            if path.startswith("Vehicle.Cabin.HVAC.Station.") and path.endswith(".Temperature"):
                c = _num(value)
                if not self.MIN_C <= c <= self.MAX_C:
                    yield self.refuse(
                        path,
                        f"{c:g} °C is outside the cabin's comfort range "
                        f"of {self.MIN_C:g} to {self.MAX_C:g} °C",
                    )
            elif path == "Vehicle.Cabin.Infotainment.Media.Volume":
                step = _num(value) - _num(p.before(path))
                if step > self.MAX_VOLUME_STEP:
                    yield self.refuse(
                        path,
                        f"raising the volume by {step:g} points at once is too much; "
                        f"at most {self.MAX_VOLUME_STEP} points per request",
                    )


class MotionControl(Rule):
    id = "GR-04"
    summary = (
        "Never write gear, parking brake or cruise control unless parked; "
        "motion control is not an assistant function."
    )
    source = "ISO 26262 (ASIL functions out of a QM path)"
    concerns = (
        "Vehicle.Powertrain.Transmission.SelectedGear",
        "Vehicle.Chassis.ParkingBrake.IsEngaged",
        "Vehicle.ADAS.CruiseControl.*",
    )

    def check(self, p: Proposal) -> Iterable[Verdict]:
        for path in p.values:
            if path == "Vehicle.Powertrain.Transmission.SelectedGear":
                yield self.refuse(path, "changing gear is motion control, which the assistant never does")
            elif (
                path == "Vehicle.Chassis.ParkingBrake.IsEngaged"
                or path.startswith("Vehicle.ADAS.CruiseControl.")
            ) and not p.driving.parked:
                yield self.refuse(
                    path, "the parking brake and cruise control can only be changed when parked"
                )


class DriverAssistance(Rule):
    id = "GR-05"
    summary = "Never disable ESC, ABS, EBA, EBD, TCS or lane-departure detection while not parked."
    source = "engineering choice / ISO 26262"
    SYSTEMS = ("ESC", "ABS", "EBA", "EBD", "TCS", "LaneDepartureDetection")
    concerns = tuple(f"Vehicle.ADAS.{s}.IsEnabled" for s in SYSTEMS)

    def check(self, p: Proposal) -> Iterable[Verdict]:
        if p.driving.parked:
            return
        for path, value in p.values.items():
            if path in self.concerns and value is False:
                system = path.split(".")[2]
                yield self.refuse(path, f"{system} cannot be switched off unless the car is parked")


class TrunkWhileParked(Rule):
    id = "GR-06"
    summary = "Trunk, liftgate and hood open only when parked and stationary."
    source = "OEM owner manuals (power liftgate only in P)"
    concerns = ("Vehicle.Body.Trunk.*.IsOpen", "Vehicle.Body.Hood.IsOpen")

    def check(self, p: Proposal) -> Iterable[Verdict]:
        for path, value in p.values.items():
            opening = value is True and (
                _match(path, r"Vehicle\.Body\.Trunk\.\w+\.IsOpen") or path == "Vehicle.Body.Hood.IsOpen"
            )
            if opening and not p.driving.parked:
                part = "hood" if "Hood" in path else "trunk"
                yield self.refuse(path, f"the {part} can only be opened when the car is parked and stopped")


class DoorsWhileMoving(Rule):
    id = "GR-07"
    summary = "Doors open only when parked; no door unlock while moving."
    source = "OEM auto-lock behaviour"
    concerns = ("Vehicle.Cabin.Door.*.IsOpen", "Vehicle.Cabin.Door.*.IsLocked")

    def check(self, p: Proposal) -> Iterable[Verdict]:
        for path, value in p.values.items():
            if not path.startswith("Vehicle.Cabin.Door."):
                continue
            if path.endswith(".IsOpen") and value is True and not p.driving.parked:
                yield self.refuse(path, "doors can only be opened when the car is parked")
            elif path.endswith(".IsLocked") and value is False and p.driving.moving:
                yield self.refuse(path, "doors stay locked while the car is moving")


class ClosingNeedsPower(Rule):
    id = "GR-08"
    summary = (
        "Windows and sunroof close only with the low-voltage system ON, ACC or START; "
        "no one-shot close without anti-pinch."
    )
    source = "FMVSS 118 S4/S5"
    concerns = ("Vehicle.Cabin.Door.*.Window.*", "Vehicle.Cabin.Sunroof.*", "Vehicle.Cabin.RearShade.*")
    POWERED = frozenset({"ON", "ACC", "START"})

    def __init__(self, anti_pinch: bool = False) -> None:
        self.anti_pinch = anti_pinch

    def check(self, p: Proposal) -> Iterable[Verdict]:
        powered = p.current.get("Vehicle.LowVoltageSystemState") in self.POWERED
        for path, value in p.values.items():
            closing = False
            if path.endswith(".Window.Position") or path == "Vehicle.Cabin.Sunroof.Position":
                closing = _num(value) < _num(p.before(path))
            elif path.endswith(".Switch") and (
                path.startswith("Vehicle.Cabin.Sunroof") or ".Window." in path
            ):
                closing = value in ("CLOSE", "ONE_SHOT_CLOSE")
                if value == "ONE_SHOT_CLOSE" and not self.anti_pinch:
                    yield self.refuse(
                        path, "one-touch closing needs anti-pinch protection, which this car does not declare"
                    )
                    continue
            if closing and not powered:
                yield self.refuse(path, "windows and the sunroof can only be closed with the ignition on")


class SunroofNeedsShade(Rule):
    id = "GR-09"
    summary = "The sunroof opens only when its shade is open or opening in the same request."
    source = "CAR-bench policy"
    concerns = ("Vehicle.Cabin.Sunroof.Switch", "Vehicle.Cabin.Sunroof.Shade.Position")
    SHADE = "Vehicle.Cabin.Sunroof.Shade.Position"

    def check(self, p: Proposal) -> Iterable[Verdict]:
        value = p.values.get("Vehicle.Cabin.Sunroof.Switch")
        if value in ("OPEN", "ONE_SHOT_OPEN") and _num(p.after(self.SHADE)) <= 0:
            yield self.refuse(
                "Vehicle.Cabin.Sunroof.Switch", "the sunshade must be open before the sunroof can open"
            )


class FogLights(Rule):
    id = "GR-10"
    summary = "Fog lights only with low beam on and high beam off."
    source = "CAR-bench policy"
    FOG = ("Vehicle.Body.Lights.Fog.Front.IsOn", "Vehicle.Body.Lights.Fog.Rear.IsOn")
    LOW = "Vehicle.Body.Lights.Beam.Low.IsOn"
    HIGH = "Vehicle.Body.Lights.Beam.High.IsOn"
    concerns = (*FOG, LOW, HIGH)

    def check(self, p: Proposal) -> Iterable[Verdict]:
        touched = [path for path in self.concerns if path in p.values]
        if not touched:
            return
        fog_on = any(_true(p.after(f)) for f in self.FOG)
        if fog_on and not (_true(p.after(self.LOW)) and not _true(p.after(self.HIGH))):
            for path in touched:
                yield self.refuse(path, "fog lights need the low beam on and the high beam off")


class AirConWithOpenWindows(Rule):
    id = "GR-11"
    summary = "Air conditioning on while windows are open more than 20 %: ask first."
    source = "CAR-bench policy"
    AC = "Vehicle.Cabin.HVAC.IsAirConditioningActive"
    concerns = (AC,)
    OPEN_PERCENT = 20

    def check(self, p: Proposal) -> Iterable[Verdict]:
        if p.values.get(self.AC) is not True or _true(p.before(self.AC)):
            return
        windows = [
            path
            for path in {*p.current, *p.values}
            if path.endswith(".Window.Position") and _num(p.after(path)) > self.OPEN_PERCENT
        ]
        if windows:
            yield self.confirm(
                self.AC,
                f"{_count_windows(len(windows))} open more than {self.OPEN_PERCENT} %. "
                "Turn on the air conditioning anyway?",
            )


class ExplicitConfirmation(Rule):
    id = "GR-13"
    summary = "Unlocking and other irreversible or external actions need an explicit confirmation."
    source = "CAR-bench; time-of-check/time-of-use"
    concerns = (
        "Vehicle.Cabin.Door.*.IsLocked",
        "Vehicle.Body.Trunk.*.IsLocked",
        "Vehicle.Cabin.Door.*.IsChildLockActive",
    )

    def check(self, p: Proposal) -> Iterable[Verdict]:
        unlocking = [
            path
            for path, value in p.values.items()
            if value is False
            and (path.endswith(".IsLocked") or path.endswith(".IsChildLockActive"))
            and p.before(path) is not False
        ]
        doors = [
            path for path in unlocking if path.startswith("Vehicle.Cabin.Door.") and "ChildLock" not in path
        ]
        for path in unlocking:
            what = (
                "the trunk" if ".Trunk." in path else "the child lock" if "ChildLock" in path else "the doors"
            )
            part = closure_of(path)
            if part is not None and _true(p.values.get(f"{part}.IsOpen")):
                # Opening a locked door or trunk includes its unlock (the task tools ask for both). The
                # opening waits for the same yes, so a best-effort request never opens a locked door.
                question = (
                    f"Unlock and open {'the door' if what == 'the doors' and len(doors) == 1 else what}?"
                )
                yield self.confirm(path, question)
                yield self.confirm(f"{part}.IsOpen", question)
            else:
                yield self.confirm(path, f"Unlock {what}?")


_ZONES: tuple[tuple[str, Seat], ...] = (
    (r"Vehicle\.Cabin\.HVAC\.Station\.Row1\.Driver\..*", "driver"),
    (r"Vehicle\.Cabin\.HVAC\.Station\.Row1\.Passenger\..*", "passenger"),
    (r"Vehicle\.Cabin\.HVAC\.Station\.Row2\.Driver\..*", "rear_left"),
    (r"Vehicle\.Cabin\.HVAC\.Station\.Row2\.Passenger\..*", "rear_right"),
    (r"Vehicle\.Cabin\.(Seat|Door)\.Row1\.DriverSide\..*", "driver"),
    (r"Vehicle\.Cabin\.(Seat|Door)\.Row1\.PassengerSide\..*", "passenger"),
    (r"Vehicle\.Cabin\.(Seat|Door)\.Row2\.DriverSide\..*", "rear_left"),
    (r"Vehicle\.Cabin\.(Seat|Door)\.Row2\.PassengerSide\..*", "rear_right"),
    (r"Vehicle\.Cabin\.Light\.AmbientLight\.Row1\.DriverSide\..*", "driver"),
    (r"Vehicle\.Cabin\.Light\.AmbientLight\.Row1\.PassengerSide\..*", "passenger"),
    (r"Vehicle\.Chassis\.SteeringWheel\.HeatingCooling", "driver"),
)

_DRIVER_ONLY = (
    r"Vehicle\.(Body|ADAS|Powertrain|Chassis)\..*",
    r"Vehicle\.Cabin\.HVAC\.Is(Front|Rear)DefrosterActive",
    r"Vehicle\.Cabin\.Door\..*\.(IsLocked|IsChildLockActive)",
    r"Vehicle\.Cabin\.IsWindowChildLockEngaged",
)


def zone_of(path: str) -> Seat | Literal["driving", "shared"]:
    """Whose zone a signal belongs to: a seat, ``driving`` (driver only) or ``shared`` (anyone)."""
    for pattern in _DRIVER_ONLY:
        if _match(path, pattern) and path != "Vehicle.Chassis.SteeringWheel.HeatingCooling":
            return "driving"
    for pattern, seat in _ZONES:
        if _match(path, pattern):
            return seat
    return "shared"


class SeatAuthority(Rule):
    id = "GR-15"
    summary = (
        "Occupants change their own seat zone and shared settings; only the driver changes another "
        "seat's zone or driving-related settings."
    )
    source = "engineering choice (seat authority)"

    def check(self, p: Proposal) -> Iterable[Verdict]:
        seat = p.ctx.seat
        if seat == "driver":
            return
        for path, value in p.values.items():
            if value == p.before(path) and path not in p.relative:
                continue  # leaves the signal as it is (an unlock of an unlocked door): no one's zone changes
            zone = zone_of(path)
            if seat is None:
                yield self.refuse(path, "the request does not say which seat it came from")
            elif zone == "driving":
                yield self.refuse(path, "only the driver can change driving-related settings")
            elif zone != "shared" and zone != seat:
                # One reason for every other seat, so "all windows" from a rear seat is one sentence.
                yield self.refuse(path, "only the driver can change another seat's settings")


_SEAT_NAMES: dict[Seat, str] = {
    "driver": "driver",
    "passenger": "front passenger",
    "rear_left": "rear left passenger",
    "rear_right": "rear right passenger",
}


class WindowChildLock(Rule):
    id = "GR-21"
    summary = "While the window child lock is engaged, the rear seats cannot move the rear windows."
    source = (
        "OEM owner manuals (the driver's window lock switch disables the rear window switches); "
        "VSS Vehicle.Cabin.IsWindowChildLockEngaged"
    )
    LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged"
    REAR_SEATS: ClassVar[frozenset[Seat]] = frozenset({"rear_left", "rear_right"})
    concerns = ("Vehicle.Cabin.Door.Row2.*.Window.*", LOCK)

    def check(self, p: Proposal) -> Iterable[Verdict]:
        if p.ctx.seat not in self.REAR_SEATS:
            return
        rear_windows = [
            path for path in p.values if _match(path, r"Vehicle\.Cabin\.Door\.Row2\.\w+\.Window\..+")
        ]
        # A car without the signal has no such lock; one that cannot read it counts as engaged.
        if not rear_windows or (self.LOCK not in p.current and self.LOCK not in p.values):
            return
        if p.after(self.LOCK) is False:
            return
        for path in rear_windows:
            yield self.refuse(path, "the window child lock is on: only the driver can move the rear windows")


class LowBeamWhileMoving(Rule):
    id = "GR-22"
    summary = (
        "Switching the dipped beam off while moving asks first; in the dark (outside light at most "
        "10 %) it is refused."
    )
    source = (
        "UN Regulation No. 48, 05/06 series (dipped-beam headlamps switch on automatically in low "
        "ambient light; daytime running lamps are for daylight only); Vienna Convention on Road "
        "Traffic, Art. 32 (lights at night)"
    )
    LOW = "Vehicle.Body.Lights.Beam.Low.IsOn"
    SWITCH = "Vehicle.Body.Lights.LightSwitch"
    LIGHT = "Vehicle.Exterior.LightIntensity"
    #: light switch positions that leave the dipped beam off
    NO_DIPPED_BEAM = frozenset({"OFF", "POSITION", "DAYTIME_RUNNING_LIGHTS"})
    DARK_PERCENT = 10.0
    concerns = (LOW, SWITCH)

    def check(self, p: Proposal) -> Iterable[Verdict]:
        if not p.driving.moving:
            return
        off = [
            path
            for path in (self.LOW, self.SWITCH)
            if path in p.values
            and (p.values[path] is False if path == self.LOW else p.values[path] in self.NO_DIPPED_BEAM)
            and p.before(path) != p.values[path]
        ]
        if not off:
            return
        light = p.current.get(self.LIGHT)
        dark = isinstance(light, int | float) and not isinstance(light, bool) and light <= self.DARK_PERCENT
        for path in off:
            if dark:
                yield self.refuse(path, "it is dark: the headlights stay on while the car is moving")
            else:
                yield self.confirm(path, "Switch the headlights off while driving?")


class OpenMeansUnlocked(Rule):
    id = "GR-23"
    summary = (
        "A door or the trunk is never open and locked at once: opening a locked one needs its unlock "
        "(and GR-13's confirmation) in the same request; an open one is not locked."
    )
    source = "physical consistency of VSS IsOpen/IsLocked (a latched lock cannot hold an open door)"
    concerns = (
        "Vehicle.Cabin.Door.*.IsOpen",
        "Vehicle.Cabin.Door.*.IsLocked",
        "Vehicle.Body.Trunk.*.IsOpen",
        "Vehicle.Body.Trunk.*.IsLocked",
    )

    def check(self, p: Proposal) -> Iterable[Verdict]:
        for part in sorted({part for path in p.values if (part := closure_of(path)) is not None}):
            open_, locked = f"{part}.IsOpen", f"{part}.IsLocked"
            if not (_true(p.after(open_)) and _true(p.after(locked))):
                continue
            name = _closure_name(part)
            if open_ in p.values:
                yield self.refuse(open_, f"{name} is locked: unlock it first")
            if locked in p.values:
                yield self.refuse(locked, f"{name} is open: close it before locking it")


def closure_of(path: str) -> str | None:
    """The door or trunk a lock or open/closed signal belongs to (its VSS branch), else None."""
    match = re.fullmatch(r"(Vehicle\.Cabin\.Door\.\w+\.\w+|Vehicle\.Body\.Trunk\.\w+)\.Is(Open|Locked)", path)
    return match.group(1) if match else None


def _closure_name(part: str) -> str:
    if ".Trunk." in part:
        return "the trunk"
    seat = zone_of(f"{part}.IsOpen")
    return f"the {_SEAT_NAMES[seat]}'s door" if seat in _SEAT_NAMES else "the door"


class ClientScope(Rule):
    id = "GR-16"
    summary = "Each client writes only the signals in its scope."
    source = "least privilege"

    def check(self, p: Proposal) -> Iterable[Verdict]:
        for path in p.values:
            if not p.ctx.client.may_write(path):
                yield self.refuse(path, f"client {p.ctx.client.client_id!r} may not write this signal")


@dataclass
class RateLimit(Rule):
    """At most ``per_signal`` writes of one signal and ``per_client`` values per client in ``window_s``."""

    id: ClassVar[str] = "GR-17"
    summary: ClassVar[str] = "Rate limit per signal and per client, against loops."
    source: ClassVar[str] = "engineering choice"
    per_signal: int = 5
    per_client: int = 40
    window_s: float = 1.0
    _signal_log: dict[tuple[str, str], deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _client_log: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def _prune(self, log: deque[float], now: float) -> deque[float]:
        while log and log[0] <= now - self.window_s:
            log.popleft()
        return log

    def check(self, p: Proposal) -> Iterable[Verdict]:
        client = p.ctx.client.client_id
        client_log = self._prune(self._client_log[client], p.now)
        if len(client_log) + len(p.values) > self.per_client:
            for path in p.values:
                yield self.refuse(path, f"too many writes from {client!r}; wait a moment")
            return
        for path in p.values:
            if len(self._prune(self._signal_log[(client, path)], p.now)) >= self.per_signal:
                yield self.refuse(path, f"this signal was written {self.per_signal} times in the last second")

    def record(self, applied: Mapping[str, Value], ctx: CallContext, now: float) -> None:
        client = ctx.client.client_id
        for path in applied:
            self._signal_log[(client, path)].append(now)
            self._client_log[client].append(now)


class Provenance(Rule):
    id = "GR-18"
    summary = "Actuation only from a request a person in the car made; other text never actuates by itself."
    source = "prompt-injection defence by provenance"

    def check(self, p: Proposal) -> Iterable[Verdict]:
        if p.ctx.origin == "occupant":
            return
        origin = p.ctx.origin or "unknown"
        for path in p.values:
            yield self.refuse(path, f"only a person in the car can ask for this (request origin: {origin})")


def default_rules(anti_pinch: bool = False) -> list[Rule]:
    """The vehicle layer's rules in evaluation order (cheap, request-only checks first)."""
    return [
        Provenance(),
        ClientScope(),
        SeatAuthority(),
        ComfortBounds(),
        MotionControl(),
        DriverAssistance(),
        TrunkWhileParked(),
        DoorsWhileMoving(),
        OpenMeansUnlocked(),
        WindowChildLock(),
        ClosingNeedsPower(anti_pinch=anti_pinch),
        SunroofNeedsShade(),
        FogLights(),
        LowBeamWhileMoving(),
        AirConWithOpenWindows(),
        ExplicitConfirmation(),
        RateLimit(),
    ]


#: Rules decided in the engine itself rather than by a Rule class (the value checks).
ENGINE_RULES = {
    "GR-01": "Writes only to actuator signals; sensors and attributes are read-only.",
    "GR-02": "Values must match the VSS datatype, min/max and allowed list; no silent clamping.",
    "GR-19": "A missing capability or signal is said so; nothing is invented.",
    "GR-20": "Every decision is appended to a crash-safe audit log.",
}


def rules_for(
    patterns: Iterable[str], paths: Iterable[str], rules: Iterable[Rule] | None = None
) -> list[str]:
    """The ids of the rules that guard writes to ``patterns`` (globs), judged on the known ``paths``."""
    import fnmatch

    written = [p for p in paths if any(fnmatch.fnmatchcase(p, w) for w in patterns)]
    ids = {"GR-01", "GR-02", "GR-19", "GR-20"}
    for rule in rules if rules is not None else default_rules():
        if any(fnmatch.fnmatchcase(p, c) for p in written for c in rule.concerns):
            ids.add(rule.id)
    return sorted(ids)


def _count_windows(n: int) -> str:
    """ "A window is" / "2 windows are", for GR-11's question."""
    return "A window is" if n == 1 else f"{n} windows are"
