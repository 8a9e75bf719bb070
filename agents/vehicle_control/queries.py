"""Questions about the car ("did I lock the car?"): what to read, and how to say what was read.

Answers come only from the values the vehicle server reports (`get_signals`); a signal the car does
not report is said to be unknown, never guessed (GR-19).

Questions about doing something ("should I open the sun roof", "is it a good idea to open the window",
"can I open the trunk while driving?": `agents.hosting.asking.question_core`) are answered, never
executed: `topic_of` names what to read for the action asked about, and `advice` says it is the
person's call.

Before a request over every device ("close everything") acts, `settled` says which of its calls would
change nothing: what each call's target is read from (`settled_paths`), and whether the values read
show it already holds. A value the car does not report never counts as holding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import JsonValue

from agents.hosting import Seat
from mcp_servers.vehicle.tools import SEAT_LEVELS

__all__ = [
    "QUERIES",
    "advice",
    "answer",
    "paths_for",
    "settled",
    "settled_paths",
    "signal_of",
    "topic_of",
    "value_of",
]

_SEAT_PLACES: dict[Seat, tuple[str, str]] = {
    "driver": ("Row1.DriverSide", "driver's"),
    "passenger": ("Row1.PassengerSide", "passenger"),
    "rear_left": ("Row2.DriverSide", "rear left"),
    "rear_right": ("Row2.PassengerSide", "rear right"),
}
_STATIONS: dict[Seat, str] = {
    "driver": "Row1.Driver",
    "passenger": "Row1.Passenger",
    "rear_left": "Row2.Driver",
    "rear_right": "Row2.Passenger",
}
_LOCKS = {seat: f"Vehicle.Cabin.Door.{side}.IsLocked" for seat, (side, _) in _SEAT_PLACES.items()}
_WINDOWS = {seat: f"Vehicle.Cabin.Door.{side}.Window.Position" for seat, (side, _) in _SEAT_PLACES.items()}
_SUNROOF = "Vehicle.Cabin.Sunroof.Position"
_CABIN_AIR = "Vehicle.Cabin.HVAC.AmbientAirTemperature"
_TRUNK = "Vehicle.Body.Trunk.Rear.IsOpen"
_VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"
_SUNROOF_SWITCH = "Vehicle.Cabin.Sunroof.Switch"
_SHADES = {False: "Vehicle.Cabin.Sunroof.Shade.Position", True: "Vehicle.Cabin.RearShade.Position"}
_WHEEL_HEAT = "Vehicle.Chassis.SteeringWheel.HeatingCooling"
_HEATING_COOLING = {
    seat: f"Vehicle.Cabin.Seat.{side}.HeatingCooling" for seat, (side, _) in _SEAT_PLACES.items()
}
_MASSAGE = {seat: f"Vehicle.Cabin.Seat.{side}.Massage.Level" for seat, (side, _) in _SEAT_PLACES.items()}
_ENDS = {"open": 100, "close": 0}
"""The position (percent) a window, the sunroof or a shade is at once fully opened or closed."""
_SUNROOF_MOVING = {"open": ("CLOSE", "TILT_UP"), "close": ("OPEN", "TILT_UP")}
"""The sunroof switch states that move the roof away from an end it may still be at."""

QUERIES = ("locks", "windows", "temperature", "trunk", "sunroof", "volume")
"""What the agent can be asked about."""

_TOPICS = {
    "set_sunroof": "sunroof",
    "set_sunshade": "sunroof",
    "set_window": "windows",
    "lock_doors": "locks",
    "unlock_doors": "locks",
    "set_door": "locks",
    "set_trunk": "trunk",
    "set_cabin_temperature": "temperature",
    "set_fan": "temperature",
    "set_air_conditioning": "temperature",
    "set_media_volume": "volume",
}


def topic_of(tool: str) -> str | None:
    """The query (one of `QUERIES`) whose answer tells how things stand for a call of `tool`, if any."""
    return _TOPICS.get(tool)


def advice(state: str | None, *, moving: bool) -> str:
    """The answer to a question about doing something: how things stand, and that nothing was changed."""
    tail = (
        "I'll only change it if you ask me to."
        if moving
        else (
            "That's your call: I'll only change it if you ask me to, and the car's safety rules still apply."
        )
    )
    return f"{state} {tail}" if state else tail


def paths_for(query: str, speaker: Seat) -> list[str]:
    """The VSS signals that answer `query`."""
    if query == "locks":
        return list(_LOCKS.values())
    if query == "windows":
        return [*_WINDOWS.values(), _SUNROOF]
    if query == "temperature":
        return [f"Vehicle.Cabin.HVAC.Station.{_STATIONS[speaker]}.Temperature", _CABIN_AIR]
    if query == "trunk":
        return [_TRUNK]
    if query == "sunroof":
        return [_SUNROOF]
    if query == "volume":
        return [_VOLUME]
    raise ValueError(f"unknown query {query!r}; known: {', '.join(QUERIES)}")


def _number(value: JsonValue) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    return str(int(value)) if isinstance(value, int | float) else str(value)


def _names(seats: list[Seat]) -> str:
    names = [_SEAT_PLACES[seat][1] for seat in seats]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _locks(values: Mapping[str, JsonValue]) -> str:
    known = {seat: values.get(path) for seat, path in _LOCKS.items()}
    if any(value is None for value in known.values()):
        return "I can't tell whether every door is locked."
    unlocked = [seat for seat, locked in known.items() if locked is not True]
    if not unlocked:
        return "Yes, the car is locked."
    if len(unlocked) == len(known):
        return "No, the doors are unlocked."
    return f"Not quite: the {_names(unlocked)} door{'s are' if len(unlocked) > 1 else ' is'} unlocked."


def _windows(values: Mapping[str, JsonValue]) -> str:
    known = {seat: values.get(path) for seat, path in _WINDOWS.items()}
    if any(not isinstance(value, int | float) for value in known.values()):
        return "I can't tell whether every window is closed."
    open_seats = [
        seat for seat, position in known.items() if isinstance(position, int | float) and position > 0
    ]
    sunroof = values.get(_SUNROOF)
    roof = " The sunroof is open." if isinstance(sunroof, int | float) and sunroof != 0 else ""
    if not open_seats:
        return f"All windows are closed.{roof}"
    return f"The {_names(open_seats)} window{'s are' if len(open_seats) > 1 else ' is'} open.{roof}"


def _temperature(values: Mapping[str, JsonValue], speaker: Seat) -> str:
    set_point = values.get(f"Vehicle.Cabin.HVAC.Station.{_STATIONS[speaker]}.Temperature")
    inside = values.get(_CABIN_AIR)
    if not isinstance(set_point, int | float):
        return "I can't tell what your side is set to."
    sentence = f"Your side is set to {_number(set_point)} degrees"
    if isinstance(inside, int | float):
        sentence += f"; it's {_number(inside)} degrees inside"
    return f"{sentence}."


def answer(query: str, values: Mapping[str, JsonValue], speaker: Seat) -> str:
    """One short spoken sentence (or two) answering `query` from the values read."""
    if query == "locks":
        return _locks(values)
    if query == "windows":
        return _windows(values)
    if query == "temperature":
        return _temperature(values, speaker)
    if query == "trunk":
        is_open = values.get(_TRUNK)
        if not isinstance(is_open, bool):
            return "I can't tell whether the trunk is open."
        return "The trunk is open." if is_open else "The trunk is closed."
    if query == "sunroof":
        position = values.get(_SUNROOF)
        if not isinstance(position, int | float) or isinstance(position, bool):
            return "I can't tell whether the sunroof is open."
        if position == 0:
            return "The sunroof is closed."
        return (
            "The sunroof is open." if position >= 100 else f"The sunroof is {_number(position)} percent open."
        )
    if query == "volume":
        volume = values.get(_VOLUME)
        if not isinstance(volume, int | float) or isinstance(volume, bool):
            return "I can't tell how loud it's set."
        return "The sound is off." if volume == 0 else f"The volume is at {_number(volume)}."
    raise ValueError(f"unknown query {query!r}; known: {', '.join(QUERIES)}")


# -- what a call would change ----------------------------------------------------------------------

_Holds = Callable[[Mapping[str, JsonValue]], bool]


def _number_at(path: str, values: Mapping[str, JsonValue]) -> float | None:
    value = values.get(path)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _at(path: str, wanted: float) -> _Holds:
    return lambda values: _number_at(path, values) == wanted


def _not_above(path: str) -> _Holds:
    """Heating off: the shared heating/cooling signal is 0 or cooling (ventilation is negative)."""
    return lambda values: (value := _number_at(path, values)) is not None and value <= 0


def _not_below(path: str) -> _Holds:
    """Ventilation off: the shared heating/cooling signal is 0 or heating."""
    return lambda values: (value := _number_at(path, values)) is not None and value >= 0


def _sunroof_at(action: str) -> _Holds:
    end, moving_away = _ENDS[action], _SUNROOF_MOVING[action]

    def holds(values: Mapping[str, JsonValue]) -> bool:
        return _at(_SUNROOF, end)(values) and values.get(_SUNROOF_SWITCH) not in moving_away

    return holds


def _check(tool: str, arguments: Mapping[str, JsonValue]) -> tuple[tuple[str, ...], _Holds] | None:
    """The signals that tell whether a call of `tool` with `arguments` would change nothing, and the
    test on their values; None for a call this cannot be read for (it is always made)."""
    action = arguments.get("action")
    seat = arguments.get("seat")
    if tool == "set_window" and action in _ENDS:
        window = arguments.get("window")
        if isinstance(window, str) and window in _WINDOWS:
            return (_WINDOWS[window],), _at(_WINDOWS[window], _ENDS[str(action)])
        return None
    if tool == "set_sunroof" and isinstance(action, str) and action in _ENDS:
        return (_SUNROOF, _SUNROOF_SWITCH), _sunroof_at(action)
    if tool == "set_sunshade" and isinstance(action, str) and action in _ENDS and "percent" not in arguments:
        path = _SHADES[arguments.get("rear") is True]
        return (path,), _at(path, _ENDS[action])
    if arguments.get("level") == 0 and isinstance(seat, str) and seat in _HEATING_COOLING:
        if tool == "set_seat_heating":
            return (_HEATING_COOLING[seat],), _not_above(_HEATING_COOLING[seat])
        if tool == "set_seat_ventilation":
            return (_HEATING_COOLING[seat],), _not_below(_HEATING_COOLING[seat])
        if tool == "set_seat_massage":
            return (_MASSAGE[seat],), _at(_MASSAGE[seat], 0)
    if tool == "set_steering_wheel_heating" and arguments.get("on") is False:
        return (_WHEEL_HEAT,), _not_above(_WHEEL_HEAT)
    return None


def settled_paths(calls: Sequence[tuple[str, Mapping[str, JsonValue]]]) -> list[str]:
    """The VSS signals to read, once each, to know which of `calls` (tool, arguments) would change nothing."""
    paths: dict[str, None] = {}
    for tool, arguments in calls:
        check = _check(tool, arguments)
        if check is not None:
            paths.update(dict.fromkeys(check[0]))
    return list(paths)


def settled(tool: str, arguments: Mapping[str, JsonValue], values: Mapping[str, JsonValue]) -> bool:
    """True when `values` (read from the car) show that the target of a call of `tool` with
    `arguments` already holds: a window asked to close is at 0, a seat's heating asked off is not
    heating. False when it does not, when the car reported no value, or for a call this cannot tell."""
    check = _check(tool, arguments)
    return check is not None and check[1](values)


# -- where a device is ------------------------------------------------------------------------------

_STATION_SIGNALS = {
    "set_cabin_temperature": "Temperature",
    "set_fan": "FanSpeed",
}


def signal_of(tool: str, arguments: Mapping[str, JsonValue]) -> str | None:
    """The signal that says where the device a call of `tool` works stands, for the one seat its
    arguments name (the seat heating's level, the window's position, the passenger's temperature);
    None for a device this cannot say or a seat or zone that is not one seat."""
    if tool in _STATION_SIGNALS:
        zone = arguments.get("zone")
        if not isinstance(zone, str) or zone not in _STATIONS:
            return None
        return f"Vehicle.Cabin.HVAC.Station.{_STATIONS[zone]}.{_STATION_SIGNALS[tool]}"
    if tool == "set_sunshade":
        return _SHADES[arguments.get("rear") is True]
    where = {"set_window": "window", "set_seat_massage": "seat"}.get(tool, "seat")
    seat = arguments.get(where)
    if not isinstance(seat, str) or seat not in _SEAT_PLACES:
        return None
    if tool == "set_window":
        return _WINDOWS[seat]
    if tool == "set_seat_massage":
        return _MASSAGE[seat]
    if tool in ("set_seat_heating", "set_seat_ventilation"):
        return _HEATING_COOLING[seat]
    return None


_SEAT_LEVELS = {percent: level for level, percent in SEAT_LEVELS.items()}
"""The seat heating and ventilation levels 0-3 by the percent of heating (positive) or cooling
(negative) the car reports for them."""


def value_of(tool: str, arguments: Mapping[str, JsonValue], values: Mapping[str, JsonValue]) -> float | None:
    """Where the device of a call of `tool` for the one seat of `arguments` stands, in the unit of the
    tool's argument (the seat heating's level 0-3, not the percent the car reports), from `values`
    read from the car; None where the car did not report it."""
    path = signal_of(tool, arguments)
    if path is None:
        return None
    raw = _number_at(path, values)
    if raw is None:
        return None
    if tool in ("set_seat_heating", "set_seat_ventilation"):
        heat = raw if tool == "set_seat_heating" else -raw
        if heat <= 0:
            return 0.0
        return float(min(_SEAT_LEVELS.items(), key=lambda item: abs(item[0] - heat))[1])
    return raw
