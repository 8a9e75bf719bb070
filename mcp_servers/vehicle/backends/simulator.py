"""The embedded vehicle simulator: the default backend, with believable dynamics and a test clock.

Dynamics (per simulated second):

- windows, sun shades and the sunroof move toward their target at ``MOTION_RATE`` percent points
  (about 10 %/s, so a full opening takes ~10 s); the sunroof is driven by ``Sunroof.Switch``
  (OPEN/CLOSE/TILT_*; INACTIVE stops it where it is);
- the cabin air temperature (``HVAC.AmbientAirTemperature``) drifts toward the mean front set point
  with a time constant of ``CABIN_TIME_CONSTANT_S`` seconds;
- ``IsMoving`` follows ``Speed`` (any speed but zero, reversing included); ``CurrentGear`` follows
  ``SelectedGear``;
- every other actuator's current value follows its target at once.

Physically impossible combinations are rejected: a door or the trunk is never open and locked at once.
A write (``set_targets``) that would lead there raises :class:`BackendError` naming the part, and nothing
of it is applied; an injected reading that says a part is open also says it is unlocked (someone opened
it), while one that says it is open *and* locked, or locks an open part, is rejected.

The clock is virtual: :meth:`SimulatorBackend.advance` moves it (instantly, for tests and scenario
``wait`` steps) and :meth:`SimulatorBackend.run_realtime` advances it with the wall clock for a live
stack. :meth:`SimulatorBackend.settle` advances until every moving part has reached its target.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Mapping, Sequence

from ..catalog import Catalog, Value
from ..errors import BackendError
from ..guardrails.context import SPEED, is_moving
from .base import VehicleBackend

MOTION_RATE = 10.0
CABIN_TIME_CONSTANT_S = 120.0
TICK_S = 0.1

HELSINKI_CENTRAL = (60.1699, 24.9384)

# scenarios/README.md: parked, ignition on, doors closed and locked, windows and sunroof closed, cabin at
# 21 °C, driver seated and belted, everything else off.
DEFAULT_STATE: dict[str, Value] = {
    "Vehicle.Speed": 0.0,
    "Vehicle.IsMoving": False,
    "Vehicle.LowVoltageSystemState": "ON",
    "Vehicle.TraveledDistance": 12840.0,
    "Vehicle.Exterior.AirTemperature": 8.0,
    "Vehicle.Exterior.LightIntensity": 70.0,
    "Vehicle.CurrentLocation.Latitude": HELSINKI_CENTRAL[0],
    "Vehicle.CurrentLocation.Longitude": HELSINKI_CENTRAL[1],
    "Vehicle.CurrentLocation.Heading": 0.0,
    "Vehicle.Powertrain.Transmission.SelectedGear": 126,
    "Vehicle.Powertrain.Transmission.CurrentGear": 126,
    "Vehicle.Powertrain.Range": 310000,
    "Vehicle.Powertrain.FuelSystem.RelativeLevel": 62,
    "Vehicle.Powertrain.FuelSystem.Range": 310000,
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current": 74.0,
    "Vehicle.Powertrain.TractionBattery.Range": 41000,
    "Vehicle.Powertrain.TractionBattery.Charging.IsCharging": False,
    "Vehicle.Chassis.ParkingBrake.IsEngaged": True,
    "Vehicle.Chassis.SteeringWheel.HeatingCooling": 0,
    "Vehicle.Chassis.Axle.Row1.Wheel.Left.Tire.Pressure": 240,
    "Vehicle.Chassis.Axle.Row1.Wheel.Right.Tire.Pressure": 240,
    "Vehicle.Chassis.Axle.Row2.Wheel.Left.Tire.Pressure": 250,
    "Vehicle.Chassis.Axle.Row2.Wheel.Right.Tire.Pressure": 250,
    "Vehicle.ADAS.CruiseControl.IsEnabled": False,
    "Vehicle.ADAS.CruiseControl.IsActive": False,
    "Vehicle.ADAS.CruiseControl.SpeedSet": 0.0,
    "Vehicle.ADAS.ABS.IsEnabled": True,
    "Vehicle.ADAS.ESC.IsEnabled": True,
    "Vehicle.ADAS.TCS.IsEnabled": True,
    "Vehicle.ADAS.EBA.IsEnabled": True,
    "Vehicle.ADAS.EBD.IsEnabled": True,
    "Vehicle.ADAS.LaneDepartureDetection.IsEnabled": True,
    "Vehicle.Driver.FatigueLevel": 10.0,
    "Vehicle.Driver.AttentiveProbability": 95.0,
    "Vehicle.Driver.DistractionLevel": 5.0,
    "Vehicle.Driver.IsEyesOnRoad": True,
    "Vehicle.Driver.IsHandsOnWheel": True,
    "Vehicle.Cabin.HVAC.IsAirConditioningActive": False,
    "Vehicle.Cabin.HVAC.IsRecirculationActive": False,
    "Vehicle.Cabin.HVAC.IsFrontDefrosterActive": False,
    "Vehicle.Cabin.HVAC.IsRearDefrosterActive": False,
    "Vehicle.Cabin.HVAC.AmbientAirTemperature": 21.0,
    "Vehicle.Cabin.Seat.Row1.DriverSide.IsBelted": True,
    "Vehicle.Cabin.Seat.Row1.PassengerSide.IsBelted": False,
    "Vehicle.Cabin.IsWindowChildLockEngaged": False,
    "Vehicle.Cabin.Sunroof.Position": 0,
    "Vehicle.Cabin.Sunroof.Switch": "INACTIVE",
    "Vehicle.Cabin.Sunroof.Shade.Position": 0,
    "Vehicle.Cabin.RearShade.Position": 0,
    "Vehicle.Body.Trunk.Rear.IsOpen": False,
    # Doors lock; the trunk is latched but not locked, so the trunk opens from inside without a key.
    "Vehicle.Body.Trunk.Rear.IsLocked": False,
    "Vehicle.Body.Hood.IsOpen": False,
    "Vehicle.Body.Lights.LightSwitch": "OFF",
    "Vehicle.Body.Lights.Beam.Low.IsOn": False,
    "Vehicle.Body.Lights.Beam.High.IsOn": False,
    "Vehicle.Body.Lights.Fog.Front.IsOn": False,
    "Vehicle.Body.Lights.Fog.Rear.IsOn": False,
    "Vehicle.Body.Lights.Hazard.IsSignaling": False,
    "Vehicle.Body.Lights.Parking.IsOn": False,
    "Vehicle.Cabin.Light.IsDomeOn": False,
    "Vehicle.Cabin.Light.AmbientLight.Row1.DriverSide.IsLightOn": False,
    "Vehicle.Cabin.Light.AmbientLight.Row1.PassengerSide.IsLightOn": False,
    "Vehicle.Body.Windshield.Front.Wiping.Mode": "OFF",
    "Vehicle.Body.Windshield.Rear.Wiping.Mode": "OFF",
    "Vehicle.Body.Windshield.Front.IsHeatingOn": False,
    "Vehicle.Body.Windshield.Rear.IsHeatingOn": False,
    "Vehicle.Body.Windshield.Front.WasherFluid.Level": 80,
    "Vehicle.Body.Raindetection.Intensity": 0,
    "Vehicle.Body.Mirrors.DriverSide.IsFolded": False,
    "Vehicle.Body.Mirrors.PassengerSide.IsFolded": False,
    "Vehicle.Body.Mirrors.DriverSide.IsHeatingOn": False,
    "Vehicle.Body.Mirrors.PassengerSide.IsHeatingOn": False,
    "Vehicle.Cabin.Infotainment.Media.Volume": 30,
    "Vehicle.Cabin.Infotainment.Navigation.Volume": 50,
    "Vehicle.Cabin.Infotainment.Navigation.Mute": "UNMUTED",
}

_ROWS_SIDES = [(row, side) for row in ("Row1", "Row2") for side in ("DriverSide", "PassengerSide")]
for _row, _side in _ROWS_SIDES:
    DEFAULT_STATE[f"Vehicle.Cabin.Door.{_row}.{_side}.IsOpen"] = False
    DEFAULT_STATE[f"Vehicle.Cabin.Door.{_row}.{_side}.IsLocked"] = True
    DEFAULT_STATE[f"Vehicle.Cabin.Door.{_row}.{_side}.Window.Position"] = 0
    DEFAULT_STATE[f"Vehicle.Cabin.Seat.{_row}.{_side}.HeatingCooling"] = 0
for _row in ("Row1", "Row2"):
    for _station in ("Driver", "Passenger"):
        DEFAULT_STATE[f"Vehicle.Cabin.HVAC.Station.{_row}.{_station}.Temperature"] = 21.0
        DEFAULT_STATE[f"Vehicle.Cabin.HVAC.Station.{_row}.{_station}.FanSpeed"] = 0
        DEFAULT_STATE[f"Vehicle.Cabin.HVAC.Station.{_row}.{_station}.AirDistribution"] = "MIDDLE"
for _side in ("DriverSide", "PassengerSide"):
    DEFAULT_STATE[f"Vehicle.Cabin.Seat.Row1.{_side}.Massage.Level"] = 0
    DEFAULT_STATE[f"Vehicle.Cabin.Door.Row2.{_side}.IsChildLockActive"] = False

_FRONT_SET_POINTS = (
    "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature",
    "Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature",
)
_CABIN_AIR = "Vehicle.Cabin.HVAC.AmbientAirTemperature"
_SUNROOF_POSITION = "Vehicle.Cabin.Sunroof.Position"
_SUNROOF_SWITCH = "Vehicle.Cabin.Sunroof.Switch"
_SUNROOF_GOALS = {"OPEN": 100, "ONE_SHOT_OPEN": 100, "CLOSE": 0, "ONE_SHOT_CLOSE": 0, "TILT_UP": -100}


#: The parts that open and lock: the four doors and the trunk (their VSS branches).
CLOSURES: tuple[str, ...] = (
    *(f"Vehicle.Cabin.Door.{row}.{side}" for row, side in _ROWS_SIDES),
    "Vehicle.Body.Trunk.Rear",
)


def _is_moving_part(path: str) -> bool:
    return path.endswith(".Window.Position") or path.endswith("Shade.Position")


def impossible(state: Mapping[str, Value | None]) -> list[str]:
    """What is physically impossible in ``state`` (a door or the trunk open and locked), as sentences."""
    return [
        f"{part} cannot be open and locked at once"
        for part in CLOSURES
        if state.get(f"{part}.IsOpen") is True and state.get(f"{part}.IsLocked") is True
    ]


class SimulatorBackend(VehicleBackend):
    """An in-memory car. Only signals present in the catalog are simulated; others read as ``None``."""

    def __init__(self, catalog: Catalog | None = None, initial: Mapping[str, Value] | None = None) -> None:
        self.catalog = catalog if catalog is not None else Catalog.load()
        self._current: dict[str, Value] = {p: v for p, v in DEFAULT_STATE.items() if p in self.catalog}
        self._target: dict[str, Value] = {}
        self._sunroof_goal: float | None = None
        self.clock = 0.0
        self._subscribers: list[tuple[frozenset[str], asyncio.Queue[dict[str, Value | None]]]] = []
        self._closed = False
        if initial:
            self._apply_injection(self.catalog.coerce_all(initial))

    @property
    def is_simulated(self) -> bool:
        return True

    # -- reading ---------------------------------------------------------------------------------------

    async def get_current(self, paths: Sequence[str]) -> dict[str, Value | None]:
        return {p: self._current.get(p) for p in paths}

    async def get_target(self, paths: Sequence[str]) -> dict[str, Value | None]:
        return {p: self._target.get(p) for p in paths}

    def snapshot(self) -> dict[str, Value]:
        """Every known current value (a copy)."""
        return dict(self._current)

    # -- writing ---------------------------------------------------------------------------------------

    async def set_targets(self, values: Mapping[str, Value]) -> None:
        if self._closed:
            raise BackendError("the simulator is closed")
        wrong = impossible({**self._current, **values})
        if wrong:
            raise BackendError("rejected, nothing applied: " + "; ".join(wrong))
        before = dict(self._current)
        for path, value in values.items():
            self._target[path] = value
            if _is_moving_part(path):
                continue
            if path == _SUNROOF_SWITCH:
                self._current[path] = value
                goal = _SUNROOF_GOALS.get(str(value))
                self._sunroof_goal = float(goal) if goal is not None else None
                continue
            self._current[path] = value
            if path == "Vehicle.Powertrain.Transmission.SelectedGear":
                self._current["Vehicle.Powertrain.Transmission.CurrentGear"] = value
        self._publish(before)

    async def inject(self, values: Mapping[str, Value]) -> None:
        before = dict(self._current)
        self._apply_injection(values)
        self._publish(before)

    def _consistent(self, values: Mapping[str, Value]) -> dict[str, Value]:
        """An injection with what it implies (an opened part is unlocked); raises if it is impossible."""
        implied = dict(values)
        for part in CLOSURES:
            open_, locked = f"{part}.IsOpen", f"{part}.IsLocked"
            if values.get(open_) is True and locked not in values and locked in self._current:
                implied[locked] = False
        wrong = impossible({**self._current, **implied})
        if wrong:
            raise BackendError("rejected, nothing injected: " + "; ".join(wrong))
        return implied

    def _apply_injection(self, values: Mapping[str, Value]) -> None:
        values = self._consistent(values)
        for path, value in values.items():
            self._current[path] = value
            # An injected position is where the part is: it is not moving anywhere.
            self._target.pop(path, None)
            if path == SPEED and isinstance(value, int | float):
                self._current["Vehicle.IsMoving"] = is_moving(value)
            if path == "Vehicle.Powertrain.Transmission.SelectedGear":
                self._current["Vehicle.Powertrain.Transmission.CurrentGear"] = value
            if path == _SUNROOF_POSITION:
                self._sunroof_goal = None

    # -- time ------------------------------------------------------------------------------------------

    def advance_now(self, seconds: float) -> None:
        """Advance the virtual clock by ``seconds`` (synchronously), applying the dynamics."""
        if seconds < 0:
            raise ValueError("the clock cannot go backwards")
        before = dict(self._current)
        remaining = seconds
        while remaining > 1e-9:
            step = min(TICK_S * 10, remaining)
            self._step(step)
            remaining -= step
        self.clock += seconds
        self._publish(before)

    async def advance(self, seconds: float) -> None:
        """Advance the virtual clock by ``seconds`` at once."""
        self.advance_now(seconds)

    def moving_parts(self) -> list[str]:
        """Paths whose current value has not yet reached its target."""
        moving = [
            p for p, target in self._target.items() if _is_moving_part(p) and self._current.get(p) != target
        ]
        if self._sunroof_goal is not None and self._current.get(_SUNROOF_POSITION) != self._sunroof_goal:
            moving.append(_SUNROOF_POSITION)
        return moving

    async def settle(self, limit_s: float = 60.0) -> float:
        """Advance until nothing moves (at most ``limit_s``); return the simulated seconds it took."""
        waited = 0.0
        while self.moving_parts() and waited < limit_s:
            self.advance_now(0.5)
            waited += 0.5
        return waited

    async def run_realtime(self, tick_s: float = TICK_S) -> None:
        """Advance the clock with the wall clock until cancelled (for a live stack)."""
        last = time.monotonic()
        while not self._closed:
            await asyncio.sleep(tick_s)
            now = time.monotonic()
            self.advance_now(now - last)
            last = now

    def _step(self, dt: float) -> None:
        for path, target in self._target.items():
            if not _is_moving_part(path) or not isinstance(target, int | float):
                continue
            current = self._current.get(path, 0)
            assert isinstance(current, int | float)
            self._current[path] = self._typed(
                path, _approach(float(current), float(target), MOTION_RATE * dt)
            )
        if self._sunroof_goal is not None:
            current = self._current.get(_SUNROOF_POSITION, 0)
            assert isinstance(current, int | float)
            position = _approach(float(current), self._sunroof_goal, MOTION_RATE * dt)
            self._current[_SUNROOF_POSITION] = self._typed(_SUNROOF_POSITION, position)
            if position == self._sunroof_goal:
                self._sunroof_goal = None
                if _SUNROOF_SWITCH in self._current:
                    self._current[_SUNROOF_SWITCH] = "INACTIVE"
        self._drift_cabin_air(dt)

    def _typed(self, path: str, value: float) -> Value:
        """Integer signals move in whole steps (rounded toward the start, so a part never overshoots)."""
        if path in self.catalog and self.catalog.get(path).json_type == "integer":
            return int(value)
        return value

    def _drift_cabin_air(self, dt: float) -> None:
        if _CABIN_AIR not in self._current:
            return
        set_points = [v for p in _FRONT_SET_POINTS if isinstance(v := self._current.get(p), int | float)]
        if not set_points:
            return
        goal = sum(float(v) for v in set_points) / len(set_points)
        air = self._current[_CABIN_AIR]
        assert isinstance(air, int | float)
        factor = 1.0 - math.exp(-dt / CABIN_TIME_CONSTANT_S)
        new = float(air) + (goal - float(air)) * factor
        self._current[_CABIN_AIR] = goal if abs(goal - new) < 0.01 else new

    # -- subscriptions ---------------------------------------------------------------------------------

    def _publish(self, before: Mapping[str, Value]) -> None:
        changed = {p: v for p, v in self._current.items() if before.get(p) != v}
        if not changed:
            return
        for paths, queue in self._subscribers:
            relevant: dict[str, Value | None] = {p: v for p, v in changed.items() if p in paths}
            if not relevant:
                continue
            if queue.full():
                # Keep the newest values: merge into the pending item instead of growing the queue.
                with contextlib.suppress(asyncio.QueueEmpty):
                    relevant = {**queue.get_nowait(), **relevant}
            queue.put_nowait(relevant)

    async def subscribe(self, paths: Sequence[str]) -> AsyncIterator[dict[str, Value | None]]:
        wanted = frozenset(paths)
        queue: asyncio.Queue[dict[str, Value | None]] = asyncio.Queue(maxsize=1)
        entry = (wanted, queue)
        self._subscribers.append(entry)
        try:
            yield {p: self._current.get(p) for p in paths}
            while not self._closed:
                yield await queue.get()
        finally:
            self._subscribers.remove(entry)

    async def aclose(self) -> None:
        self._closed = True
        for _, queue in self._subscribers:
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait({})


def _approach(current: float, target: float, max_step: float) -> float:
    if abs(target - current) <= max_step:
        return target
    return current + math.copysign(max_step, target - current)
