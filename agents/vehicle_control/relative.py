"""Requests said from where a device is, or from another seat's setting: resolved against the car.

Two kinds of call the grammar reads need the car's state before they can be sent, since the tool they
name takes only an absolute value:

- a step from where the device is (:data:`~agents.vehicle_control.amounts.BY`): "turn my seat heating
  up a notch" is one level above the level it is at, "make my seat cooler" one below (the levels of
  :data:`~agents.vehicle_control.amounts.LEVEL_STEPS`), "open the window a bit" twenty points more
  open than it is, "close it a bit" twenty less (:data:`~agents.vehicle_control.amounts.POSITION_STEPS`),
  bounded to the range the tool declares;
- a copy of another seat's setting (:data:`LIKE`): "match my temperature", "sync the temperature",
  "give the passenger what I have" set the seat or zone the call names to the value the seat or zone
  ``like`` names has (:data:`COPIES`).

:func:`paths` says which signals to read (:func:`agents.vehicle_control.queries.signal_of`),
:func:`resolved` turns each such call into calls the tools take, one per seat where the seats of a
zone differ, and says what it did not send and why: a device already at the end of its range ("Your
seat heating is already on high."), a value the car does not report, seats of a zone set apart. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import JsonValue

from agents.hosting import Seat
from agents.vehicle_control import replies
from agents.vehicle_control.actions import SEATS, ZONE_ARGUMENTS, Action
from agents.vehicle_control.amounts import BY, LEVEL_STEPS, RANGES
from agents.vehicle_control.queries import signal_of, value_of
from mcp_servers.vehicle.tools import seats_of

__all__ = ["COPIES", "LIKE", "Resolved", "needs_state", "paths", "resolved"]

LIKE: Final = "like"
"""The argument of a copy: the seat or zone whose setting is copied. No tool takes it."""

COPIES: Final[dict[str, str]] = {
    "set_cabin_temperature": "celsius",
    "set_fan": "percent",
    "set_seat_heating": "level",
    "set_seat_ventilation": "level",
    "set_seat_massage": "level",
    "set_window": "percent",
}
"""The tools whose setting can be copied from one seat or zone to another, and the argument the
copied value is sent in."""

_FRONT_ONLY: Final = {"set_seat_massage": ("driver", "passenger")}
"""Tools that work only some seats (the massage is the front seats')."""


@dataclass(frozen=True)
class Resolved:
    """What became of the calls: the calls to send, and what is said of those not sent."""

    actions: tuple[Action, ...]
    said: tuple[str, ...] = ()


def needs_state(action: Action) -> bool:
    """Whether `action` is a step from where its device is or a copy, which the car must be read for."""
    return BY in action.arguments or LIKE in action.arguments


def _where(action: Action) -> str | None:
    return ZONE_ARGUMENTS.get(action.tool)


def _seats(tool: str, zone: JsonValue) -> tuple[Seat, ...]:
    """The seats a seat or zone names for `tool` (none for a zone that is not one)."""
    if not isinstance(zone, str):
        return ()
    if zone in SEATS:
        found: tuple[Seat, ...] = (zone,)
    else:
        try:
            found = seats_of(zone)  # type: ignore[arg-type]
        except KeyError:
            return ()
    kept = _FRONT_ONLY.get(tool)
    return tuple(seat for seat in found if kept is None or seat in kept)


def _spots(action: Action) -> list[Mapping[str, JsonValue]]:
    """The arguments to read a device of `action` at: one per seat its seat or zone names (one for a
    device of the whole car)."""
    where = _where(action)
    if where is None:
        return [action.arguments]
    return [{**action.arguments, where: seat} for seat in _seats(action.tool, action.arguments.get(where))]


def paths(actions: Sequence[Action]) -> list[str]:
    """The signals to read, once each, to resolve the calls of `actions` that need the car's state."""
    found: dict[str, None] = {}
    for action in actions:
        if BY in action.arguments:
            spots = _spots(action)
        elif LIKE in action.arguments:
            where = _where(action)
            source = action.arguments.get(LIKE)
            spots = [{where: seat} for seat in _seats(action.tool, source)] if where is not None else []
        else:
            continue
        for spot in spots:
            path = signal_of(action.tool, spot)
            if path is not None:
                found[path] = None
    return list(found)


def resolved(actions: Sequence[Action], values: Mapping[str, JsonValue], speaker: Seat) -> Resolved:
    """`actions` with every step from where a device is and every copy resolved from `values` (read
    from the car: :func:`paths`); the other calls as they are, in order."""
    kept: list[Action] = []
    said: list[str] = []
    for action in actions:
        if BY in action.arguments:
            calls, sentence = _stepped(action, values, speaker)
        elif LIKE in action.arguments:
            calls, sentence = _copied(action, values, speaker)
        else:
            calls, sentence = [action], None
        kept.extend(call for call in calls if call not in kept)
        if sentence is not None and sentence not in said:
            said.append(sentence)
    return Resolved(actions=tuple(kept), said=tuple(said))


def _stepped(
    action: Action, values: Mapping[str, JsonValue], speaker: Seat
) -> tuple[list[Action], str | None]:
    by = action.arguments[BY]
    if not isinstance(by, int | float) or isinstance(by, bool) or action.tool not in RANGES:
        return [], replies.read_nothing(action.tool, [None], speaker, copied=False)
    argument, low, high = RANGES[action.tool]
    where = _where(action)
    rest = {key: value for key, value in action.arguments.items() if key != BY}
    calls: list[Action] = []
    ends: list[JsonValue] = []
    unknown: list[JsonValue] = []
    for spot in _spots(action):
        current = value_of(action.tool, spot, values)
        owner = spot.get(where) if where is not None else None
        if current is None:
            unknown.append(owner)
            continue
        target = _step_from(action.tool, current, by, low, high)
        if target == current:
            ends.append(owner)
            continue
        arguments = {**rest, argument: target}
        if where is not None:
            arguments[where] = spot[where]
        calls.append(Action(tool=action.tool, arguments=arguments))
    sentence = None
    if unknown:
        sentence = replies.read_nothing(action.tool, unknown, speaker, copied=False)
    elif ends:
        sentence = replies.at_end(action.tool, ends, speaker, upwards=by > 0)
    return _together(calls, action), sentence


def _step_from(tool: str, current: float, by: float, low: float, high: float) -> int | float:
    """The value `by` steps from `current`: the next levels of a device set by levels, else `by` added;
    within `low`-`high`."""
    levels = LEVEL_STEPS.get(tool)
    if levels is not None:
        ahead = sorted(level for level in levels if (level > current if by > 0 else level < current))
        if not ahead:
            return _plain(current)
        ahead = ahead if by > 0 else list(reversed(ahead))
        return ahead[min(len(ahead), int(abs(by))) - 1]
    return _plain(min(high, max(low, current + by)))


def _copied(
    action: Action, values: Mapping[str, JsonValue], speaker: Seat
) -> tuple[list[Action], str | None]:
    where = _where(action)
    argument = COPIES.get(action.tool)
    source = action.arguments.get(LIKE)
    seats = _seats(action.tool, source) if where is not None and argument is not None else ()
    read = [value_of(action.tool, {where: seat}, values) for seat in seats] if where is not None else []
    if where is None or argument is None or not seats or any(value is None for value in read):
        return [], replies.read_nothing(action.tool, [source], speaker, copied=True)
    if len(set(read)) > 1:
        return [], replies.set_apart(action.tool, source, speaker)
    value = read[0]
    assert value is not None
    arguments = {key: item for key, item in action.arguments.items() if key != LIKE}
    arguments[argument] = _plain(value)
    return [Action(tool=action.tool, arguments=arguments)], None


def _together(calls: list[Action], action: Action) -> list[Action]:
    """The calls of one seat each as one call for the seat or zone `action` named, where they set the
    same value to every seat it names."""
    where = _where(action)
    if where is None or len(calls) < 2:
        return calls
    alike = {repr({k: v for k, v in call.arguments.items() if k != where}) for call in calls}
    if len(alike) == 1 and len(calls) == len(_spots(action)):
        return [Action(tool=action.tool, arguments={**calls[0].arguments, where: action.arguments[where]})]
    return calls


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
