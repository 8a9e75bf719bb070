"""Questions about the car ("did I lock the car?"): what to read, and how to say what was read.

Answers come only from the values the vehicle server reports (`get_signals`); a signal the car does
not report is said to be unknown, never guessed (GR-19).
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import JsonValue

from agents.hosting import Seat

__all__ = ["QUERIES", "answer", "paths_for"]

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

QUERIES = ("locks", "windows", "temperature", "trunk", "sunroof")
"""What the agent can be asked about."""


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
    raise ValueError(f"unknown query {query!r}; known: {', '.join(QUERIES)}")
