"""Task-shaped tools: small, named actions a small model can call, each mapped to VSS signal writes.

Each function here turns a tool's arguments into a :class:`WriteSpec` (absolute values and relative
deltas). The server sends every spec through the same guarded write as ``set_signals``, so a task
tool can never do what ``set_signals`` could not.

Safe preconditions are part of the request that needs them, so a rule with a precondition the person
would obviously want met is met in the same request instead of refusing it (:data:`PRECONDITIONS`):
fog lights come with the low beam on (GR-10), and opening a door or the trunk includes unlocking it
(GR-23). Only what takes nothing away is done: the high beam, which GR-10 also wants off, stays as
the driver set it (fog lights are refused while it is on). Preconditions are written in the same
request, so the guardrails check the whole of it: an unlock still asks for its confirmation first
(GR-13) and is refused while moving (GR-07), and a passenger still cannot unlock (GR-15). A result's
``applied`` lists them, so a reply can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from .catalog import Value
from .guardrails.context import Seat

Zone: TypeAlias = Literal["driver", "passenger", "rear_left", "rear_right", "front", "rear", "all"]
OnOff: TypeAlias = Literal["on", "off"]

_STATION = {
    "driver": "Row1.Driver",
    "passenger": "Row1.Passenger",
    "rear_left": "Row2.Driver",
    "rear_right": "Row2.Passenger",
}
_SIDE = {
    "driver": "Row1.DriverSide",
    "passenger": "Row1.PassengerSide",
    "rear_left": "Row2.DriverSide",
    "rear_right": "Row2.PassengerSide",
}
_ZONE_SEATS: dict[str, tuple[Seat, ...]] = {
    "driver": ("driver",),
    "passenger": ("passenger",),
    "rear_left": ("rear_left",),
    "rear_right": ("rear_right",),
    "front": ("driver", "passenger"),
    "rear": ("rear_left", "rear_right"),
    "all": ("driver", "passenger", "rear_left", "rear_right"),
}

SEAT_LEVELS = {0: 0, 1: 33, 2: 66, 3: 100}
"""Seat heating/ventilation levels 0-3 as VSS ``HeatingCooling`` percent (ventilation is negative)."""

LIGHTS = {
    "low_beam": "Vehicle.Body.Lights.Beam.Low.IsOn",
    "high_beam": "Vehicle.Body.Lights.Beam.High.IsOn",
    "fog_front": "Vehicle.Body.Lights.Fog.Front.IsOn",
    "fog_rear": "Vehicle.Body.Lights.Fog.Rear.IsOn",
    "hazard": "Vehicle.Body.Lights.Hazard.IsSignaling",
    "parking": "Vehicle.Body.Lights.Parking.IsOn",
    "dome": "Vehicle.Cabin.Light.IsDomeOn",
    "ambient": "Vehicle.Cabin.Light.AmbientLight.Row1.DriverSide.IsLightOn",
}
PRECONDITIONS: dict[str, dict[str, Value]] = {
    LIGHTS["fog_front"]: {LIGHTS["low_beam"]: True},
    LIGHTS["fog_rear"]: {LIGHTS["low_beam"]: True},
    **{
        f"Vehicle.Cabin.Door.{side}.IsOpen": {f"Vehicle.Cabin.Door.{side}.IsLocked": False}
        for side in ("Row1.DriverSide", "Row1.PassengerSide", "Row2.DriverSide", "Row2.PassengerSide")
    },
    "Vehicle.Body.Trunk.Rear.IsOpen": {"Vehicle.Body.Trunk.Rear.IsLocked": False},
}
"""What switching a signal on (to ``True``) needs in the same request: ``{path: {precondition: value}}``."""

LightKind: TypeAlias = Literal[
    "low_beam", "high_beam", "fog_front", "fog_rear", "hazard", "parking", "dome", "ambient"
]
WiperMode: TypeAlias = Literal["off", "slow", "medium", "fast", "interval", "auto"]
_WIPER_MODES = {
    "off": "OFF",
    "slow": "SLOW",
    "medium": "MEDIUM",
    "fast": "FAST",
    "interval": "INTERVAL",
    "auto": "RAIN_SENSOR",
}
WindowAction: TypeAlias = Literal["open", "close", "vent"]
_WINDOW_ACTIONS = {"open": 100, "close": 0, "vent": 20}
SunroofAction: TypeAlias = Literal["open", "close", "tilt", "stop"]
_SUNROOF_SWITCH = {"open": "OPEN", "close": "CLOSE", "tilt": "TILT_UP", "stop": "INACTIVE"}
MediaAction: TypeAlias = Literal["play", "pause", "stop", "next", "previous", "fast_forward", "rewind"]
_MEDIA_ACTIONS = {
    # VSS has no pause: playback stops where it is, and "play" resumes it.
    "play": "PLAY",
    "pause": "STOP",
    "stop": "STOP",
    "next": "SKIP_FORWARD",
    "previous": "SKIP_BACKWARD",
    "fast_forward": "FAST_FORWARD",
    "rewind": "FAST_BACKWARD",
}
GuidanceMode: TypeAlias = Literal["voice", "alerts_only", "muted"]
_GUIDANCE_MODES = {"voice": "UNMUTED", "alerts_only": "ALERT_ONLY", "muted": "MUTED"}


class ToolArgumentError(ValueError):
    """A task tool got arguments that do not make one clear request."""


@dataclass(slots=True)
class WriteSpec:
    values: dict[str, Value] = field(default_factory=dict)
    deltas: dict[str, float] = field(default_factory=dict)


def seats_of(zone: Zone) -> tuple[Seat, ...]:
    return _ZONE_SEATS[zone]


def with_preconditions(values: dict[str, Value]) -> dict[str, Value]:
    """``values`` and the safe preconditions of every signal it switches on (:data:`PRECONDITIONS`)."""
    needed: dict[str, Value] = {}
    for path, value in values.items():
        if value is True:
            needed.update(PRECONDITIONS.get(path, {}))
    return {**needed, **values}


def _one_of(name_a: str, a: object, name_b: str, b: object) -> None:
    if (a is None) == (b is None):
        raise ToolArgumentError(f"give exactly one of {name_a} or {name_b}")


def cabin_temperature(zone: Zone, celsius: float | None, delta: float | None) -> WriteSpec:
    _one_of("celsius", celsius, "delta", delta)
    spec = WriteSpec()
    for seat in seats_of(zone):
        path = f"Vehicle.Cabin.HVAC.Station.{_STATION[seat]}.Temperature"
        if celsius is not None:
            spec.values[path] = float(celsius)
        else:
            assert delta is not None
            spec.deltas[path] = float(delta)
    return spec


def fan_speed(zone: Zone, percent: int | None, delta: int | None) -> WriteSpec:
    _one_of("percent", percent, "delta", delta)
    spec = WriteSpec()
    for seat in seats_of(zone):
        path = f"Vehicle.Cabin.HVAC.Station.{_STATION[seat]}.FanSpeed"
        if percent is not None:
            spec.values[path] = percent
        else:
            assert delta is not None
            spec.deltas[path] = float(delta)
    return spec


def air_distribution(zone: Zone, direction: Literal["up", "middle", "down"]) -> WriteSpec:
    return WriteSpec(
        values={
            f"Vehicle.Cabin.HVAC.Station.{_STATION[s]}.AirDistribution": direction.upper()
            for s in seats_of(zone)
        }
    )


def air_conditioning(on: bool) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Cabin.HVAC.IsAirConditioningActive": on})


def recirculation(on: bool) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Cabin.HVAC.IsRecirculationActive": on})


def defrost(where: Literal["front", "rear", "both"], on: bool) -> WriteSpec:
    values: dict[str, Value] = {}
    if where in ("front", "both"):
        values["Vehicle.Cabin.HVAC.IsFrontDefrosterActive"] = on
    if where in ("rear", "both"):
        values["Vehicle.Cabin.HVAC.IsRearDefrosterActive"] = on
        values["Vehicle.Body.Windshield.Rear.IsHeatingOn"] = on
    return WriteSpec(values=values)


def seat_heating(zone: Zone, level: int) -> WriteSpec:
    if level not in SEAT_LEVELS:
        raise ToolArgumentError(f"level must be 0, 1, 2 or 3, got {level}")
    return WriteSpec(
        values={f"Vehicle.Cabin.Seat.{_SIDE[s]}.HeatingCooling": SEAT_LEVELS[level] for s in seats_of(zone)}
    )


def seat_ventilation(zone: Zone, level: int) -> WriteSpec:
    if level not in SEAT_LEVELS:
        raise ToolArgumentError(f"level must be 0, 1, 2 or 3, got {level}")
    return WriteSpec(
        values={f"Vehicle.Cabin.Seat.{_SIDE[s]}.HeatingCooling": -SEAT_LEVELS[level] for s in seats_of(zone)}
    )


def seat_massage(zone: Zone, level: int) -> WriteSpec:
    if not 0 <= level <= 100:
        raise ToolArgumentError(f"level must be 0..100, got {level}")
    seats = [s for s in seats_of(zone) if s in ("driver", "passenger")]
    if not seats:
        raise ToolArgumentError("massage is only available on the front seats")
    return WriteSpec(values={f"Vehicle.Cabin.Seat.{_SIDE[s]}.Massage.Level": level for s in seats})


def steering_wheel_heating(on: bool) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Chassis.SteeringWheel.HeatingCooling": 100 if on else 0})


def window(zone: Zone, percent: int | None, action: WindowAction | None) -> WriteSpec:
    _one_of("percent", percent, "action", action)
    position = percent if percent is not None else _WINDOW_ACTIONS[action or "close"]
    return WriteSpec(
        values={f"Vehicle.Cabin.Door.{_SIDE[s]}.Window.Position": position for s in seats_of(zone)}
    )


def sunroof(action: SunroofAction) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Cabin.Sunroof.Switch": _SUNROOF_SWITCH[action]})


def sunshade(percent: int | None, action: Literal["open", "close"] | None, rear: bool = False) -> WriteSpec:
    _one_of("percent", percent, "action", action)
    position = percent if percent is not None else (100 if action == "open" else 0)
    path = "Vehicle.Cabin.RearShade.Position" if rear else "Vehicle.Cabin.Sunroof.Shade.Position"
    return WriteSpec(values={path: position})


def door_locks(zone: Zone, locked: bool) -> WriteSpec:
    return WriteSpec(values={f"Vehicle.Cabin.Door.{_SIDE[s]}.IsLocked": locked for s in seats_of(zone)})


def door_open(zone: Zone, open_: bool) -> WriteSpec:
    return WriteSpec(
        values=with_preconditions({f"Vehicle.Cabin.Door.{_SIDE[s]}.IsOpen": open_ for s in seats_of(zone)})
    )


def trunk(open_: bool) -> WriteSpec:
    return WriteSpec(values=with_preconditions({"Vehicle.Body.Trunk.Rear.IsOpen": open_}))


def lights(kind: LightKind, on: bool) -> WriteSpec:
    return WriteSpec(values=with_preconditions({LIGHTS[kind]: on}))


def wipers(mode: WiperMode, rear: bool = False) -> WriteSpec:
    where = "Rear" if rear else "Front"
    return WriteSpec(values={f"Vehicle.Body.Windshield.{where}.Wiping.Mode": _WIPER_MODES[mode]})


def media_volume(percent: int | None, delta: int | None) -> WriteSpec:
    _one_of("percent", percent, "delta", delta)
    path = "Vehicle.Cabin.Infotainment.Media.Volume"
    if percent is not None:
        return WriteSpec(values={path: percent})
    assert delta is not None
    return WriteSpec(deltas={path: float(delta)})


def media_playback(action: MediaAction) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Cabin.Infotainment.Media.Action": _MEDIA_ACTIONS[action]})


def navigation_volume(percent: int | None, delta: int | None) -> WriteSpec:
    _one_of("percent", percent, "delta", delta)
    path = "Vehicle.Cabin.Infotainment.Navigation.Volume"
    if percent is not None:
        return WriteSpec(values={path: percent})
    assert delta is not None
    return WriteSpec(deltas={path: float(delta)})


def navigation_guidance(mode: GuidanceMode) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Cabin.Infotainment.Navigation.Mute": _GUIDANCE_MODES[mode]})


def navigation_destination(latitude: float, longitude: float) -> WriteSpec:
    return WriteSpec(
        values={
            "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude": latitude,
            "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude": longitude,
        }
    )


def mirrors_folded(folded: bool) -> WriteSpec:
    return WriteSpec(
        values={
            "Vehicle.Body.Mirrors.DriverSide.IsFolded": folded,
            "Vehicle.Body.Mirrors.PassengerSide.IsFolded": folded,
        }
    )


def mirror_heating(on: bool) -> WriteSpec:
    return WriteSpec(
        values={
            "Vehicle.Body.Mirrors.DriverSide.IsHeatingOn": on,
            "Vehicle.Body.Mirrors.PassengerSide.IsHeatingOn": on,
        }
    )


def window_child_lock(on: bool) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Cabin.IsWindowChildLockEngaged": on})


def hood(open_: bool) -> WriteSpec:
    return WriteSpec(values={"Vehicle.Body.Hood.IsOpen": open_})
