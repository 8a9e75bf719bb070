"""How much a relative change is: the language layer's intensity grades as this car's device steps.

The words are the language layer's (:data:`agents.language.lexicon.INTENSITY`: "a smidge" is
``small``, "way" ``large``, "all the way" ``extreme``; :data:`~agents.language.lexicon.INTENSIFIERS`:
"crank" is ``large``, "max" ``extreme``). This module says what a grade is for each device the agent
changes by steps, once:

- :data:`STEPS`: the step of each grade for a relative tool ("a smidge warmer" +1 °C, "way louder" +20
  volume points);
- :data:`RANGES`: the range of each device's value as its tool declares it (the argument model's
  bounds, :data:`~agents.vehicle_control.actions.DECLARED_RANGES`; the cabin temperature, which its
  schema leaves open, within the car's comfort bounds, GR-03), read once;
- :data:`EXTREMES`: what ``extreme`` means for a device changed by steps: the end of its range ("as
  cold as it goes" is the lowest cabin temperature the car accepts, "the fan all the way up" 100 %,
  "all the way down" on the volume mutes it, "crank the volume up to max" 100);
- :func:`end`: the value a word of an end (:data:`~agents.language.lexicon.ENDS`: "max", "the
  lowest") sets: the top of the range, or its bottom, or, for a device switched off at the bottom of
  its range, its lowest setting that is on ("heat my seat on the lowest setting" is level 1, not off);
- :data:`LEVELS`: the level a ``large`` word gives a levelled device ("seat heat up a lot" is level 3),
  and :data:`LEVELLED` the tool whose range ends each levelled list of the grammar takes;
- :data:`LEVEL_STEPS` and :data:`POSITION_STEPS`: what a step is for a device whose tool takes no
  relative change, a change said from where the device is (:data:`BY`): one level of a device set by
  levels ("turn my seat heating up a notch" is one level up from the level it is at, never the top),
  and the grades' amounts of a device set to a position ("open the window a bit" opens it twenty
  points more than it is open, never fully); the agent reads where the device is before it sends the
  absolute value (:mod:`agents.vehicle_control.relative`);
- :data:`POSITIONS`: the grammar lists of a position said as a fraction of the way
  (:data:`~agents.language.lexicon.FRACTIONS`): ``fraction`` is how far open ("open the window a
  third" is 33 %, "the volume at half" 50), ``fraction_closed`` and ``percent_closed`` how far open
  a part closed by that much is ("close the windows a quarter" leaves them 75 % open, "halfway" 50 %,
  "roll them up 75 percent" 25 %);
- :data:`NUMBERED`: the grammar lists of a setting said as a bare number word or its digits
  (:data:`~agents.language.lexicon.NUMBERS`): ``fan_number`` is the fan up to 10, a step of ten
  ("set the fan to 3" is 30 %).

:func:`amount` turns a grade captured by the grammar (a slot ``delta`` holding a grade name) into the
tool's arguments; :func:`grammar_lists` and :func:`grammar_rules` write the grammar's lists and rules
of these words. All are pure.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import JsonValue

from agents.language.lexicon import ENDS, FRACTIONS, INTENSIFIERS, INTENSITY, NUMBERS, STEP_WORDS
from agents.vehicle_control.actions import DECLARED_RANGES, EXCLUSIVE_ARGUMENTS, RELATIVE_STEPS
from mcp_servers.vehicle.guardrails.rules import ComfortBounds

__all__ = [
    "BY",
    "EXTREMES",
    "GRADES",
    "LEVELLED",
    "LEVELS",
    "LEVELS_AT_MOST",
    "LEVEL_STEPS",
    "NUMBERED",
    "POSITIONS",
    "POSITION_STEPS",
    "RANGES",
    "STEPS",
    "Grade",
    "amount",
    "beyond_list",
    "end",
    "end_list",
    "end_words",
    "grammar_lists",
    "grammar_rules",
]

Grade = Literal["small", "medium", "large", "extreme"]
GRADES: Final[tuple[Grade, ...]] = ("small", "medium", "large", "extreme")

STEPS: Final[dict[str, dict[str, int]]] = {
    "set_cabin_temperature": {"small": 1, "medium": 2, "large": 3},
    "set_fan": {"small": 10, "medium": 20, "large": 40},
    "set_media_volume": {"small": 5, "medium": 10, "large": 20},
}
"""The step of each grade below ``extreme`` for the tools that take a relative ``delta``."""

_EXCLUSIVE_VALUES: Final = {tool: pair for tool, pair in EXCLUSIVE_ARGUMENTS.items() if pair[1] == "delta"}
"""Per relative tool, its absolute argument and ``delta``."""

_COMFORT: Final[dict[str, tuple[float, float]]] = {"celsius": (ComfortBounds.MIN_C, ComfortBounds.MAX_C)}
"""A value the tool's schema leaves open, in the bounds the guardrails keep it to (GR-03)."""

RANGES: Final[dict[str, tuple[str, float, float]]] = {
    **{tool: (argument, *_COMFORT[argument]) for tool, (argument, _) in _EXCLUSIVE_VALUES.items()
       if argument in _COMFORT},
    **DECLARED_RANGES,
}  # fmt: skip
"""Per tool set to a value, the argument and its range: the bounds the tool's schema declares, and
the comfort bounds (GR-03) of a temperature its schema leaves open."""

EXTREMES: Final[dict[str, tuple[tuple[str, float], tuple[str, float]]]] = {
    tool: ((argument, high), (argument, low))
    for tool, (argument, low, high) in RANGES.items()
    if tool in STEPS
}
"""Per relative tool, the arguments of ``extreme`` upwards and downwards: the ends of its range."""


LEVELS_AT_MOST: Final = 10
"""A device whose declared range spans at most this many units is set by levels (the seat heating,
0-3): one level is one step of it."""

LEVEL_STEPS: Final[dict[str, tuple[int, ...]]] = {
    **{
        tool: tuple(range(int(low), int(high) + 1))
        for tool, (_, low, high) in DECLARED_RANGES.items()
        if high - low <= LEVELS_AT_MOST
    },
    "set_seat_massage": (0, 33, 66, 100),
}
"""Per tool of a device set by levels, its levels: the range its tool declares where that spans at
most :data:`LEVELS_AT_MOST` (seat heating and ventilation 0-3), and the massage's off, low, medium
and high as the grammar's ``massage_level`` list says them (its tool takes 0-100)."""

_LEVELS_OF_GRADE: Final[dict[str, int]] = {"small": 1, "medium": 1, "large": 2}
"""How many levels a grade below ``extreme`` moves a device set by levels ("a notch", "a bit": one)."""

POSITION_STEPS: Final[dict[str, dict[str, int]]] = {
    "set_window": {"small": 20, "medium": 40, "large": 60},
    "set_sunshade": {"small": 20, "medium": 40, "large": 60},
}
"""Per tool of a device set to a position (percent open) and moved from where it is, the points of
each grade below ``extreme`` ("open the window a crack" is 20 points more open than it is)."""

BY: Final = "by"
"""The argument of a change said from where the device is, for a tool that takes no relative change:
levels (:data:`LEVEL_STEPS`) or points of a position (:data:`POSITION_STEPS`), negative downwards.
No tool takes it: the agent reads the device and sends the absolute value in its place."""


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def end(tool: str, which: str, *, lowest_on: bool = False) -> dict[str, JsonValue] | None:
    """The arguments that set `tool` to an end of its range (:data:`RANGES`): ``highest`` its top,
    ``lowest`` its bottom, or with `lowest_on` (a device that is off at the bottom of its range) one
    step above it, its lowest setting that is on (the step of a follow-up where the tool declares
    one, else 1: seat heating level 1, the fan 20 %). None for a tool with no range."""
    if tool not in RANGES or which not in ("highest", "lowest"):
        return None
    argument, low, high = RANGES[tool]
    if which == "highest":
        return {argument: _number(high)}
    return {argument: _number(min(high, low + RELATIVE_STEPS.get(tool, 1)) if lowest_on else low)}


def end_words(tool: str, *, lowest_on: bool = False) -> dict[str, JsonValue]:
    """Each word of an end (:data:`~agents.language.lexicon.ENDS`, and the ``extreme`` words of
    :data:`~agents.language.lexicon.INTENSITY` said as a value: "on full blast", "to the max") and the
    value of `tool`'s argument it sets (empty for a tool with no range)."""
    words: dict[str, JsonValue] = {}
    said = {**{word: "highest" for word, grade in INTENSITY.items() if grade == "extreme"}, **ENDS}
    for word, which in said.items():
        arguments = end(tool, which, lowest_on=lowest_on)
        if arguments is not None:
            words[word] = next(iter(arguments.values()))
    return words


def end_list(tool: str) -> str:
    """The grammar list of the words of an end of `tool`'s range (:func:`grammar_lists` writes it)."""
    return f"end_{tool}"


def beyond_list(tool: str) -> str:
    """The grammar list of the numbers above `tool`'s declared range (:func:`grammar_lists` writes it)."""
    return f"beyond_{tool}"


_SAID_UP_TO: Final = 999
"""The largest number read as a value above a device's range."""


LEVELS: Final[dict[str, dict[str, int]]] = {
    "seat_level": {"large": 3},
    "fan_level": {"large": 75},
    "massage_level": {"large": 100},
}
"""Per levelled list of the grammar, the level a ``large`` intensity word gives ("seat heat up a lot")."""

LEVELLED: Final[dict[str, str]] = {
    "seat_level": "set_seat_heating",
    "fan_level": "set_fan",
    "massage_level": "set_seat_massage",
}
"""Per levelled list of the grammar, the tool whose range its words of an end take ("max", "the
lowest")."""

POSITIONS: Final[dict[str, dict[str, int]]] = {
    "fraction": dict(FRACTIONS),
    "fraction_closed": {word: 100 - share for word, share in FRACTIONS.items()},
    "percent_closed": {str(share): 100 - share for share in range(101)},
}
"""Per grammar list of a position, each fraction word and the percent open it says."""

NUMBERED: Final[dict[str, dict[str, int]]] = {
    "fan_number": {f"({number}|{word})": number * 10 for word, number in NUMBERS.items() if number <= 10},
}
"""Per grammar list of a setting said as a bare number, the number (its digits or its word) and the
value it sets: the fan said without "percent" is a step of ten up to 10 ("set the fan to 3" is 30 %);
above that it is a percentage (the grammar's ``fan_percent``)."""

_GRADE_LISTS: Final[dict[str, dict[str, str]]] = {
    "intensity": INTENSITY,
    "intensifier": INTENSIFIERS,
    "step": dict.fromkeys(STEP_WORDS, "small"),
}
"""The grammar lists whose values are grades (captured into `delta`, resolved by :func:`amount`)."""


def amount(tool: str, grade: str, sign: int) -> dict[str, JsonValue] | None:
    """The arguments of `tool` for a change of `grade` in the direction of `sign` (1 up, -1 down): a
    ``delta`` or, for ``extreme``, the absolute value at that end; for a tool that takes no relative
    change, a change from where the device is (:data:`BY`: levels of :data:`LEVEL_STEPS`, points of
    :data:`POSITION_STEPS`). None when the tool takes no grade or `grade` is not one."""
    if grade == "extreme" and tool in EXTREMES:
        name, value = EXTREMES[tool][0 if sign > 0 else 1]
        number = int(value) if float(value).is_integer() else value
        return {name: number}
    if tool in LEVEL_STEPS or tool in POSITION_STEPS:
        if grade == "extreme":
            return end(tool, "highest" if sign > 0 else "lowest")
        steps = _LEVELS_OF_GRADE if tool in LEVEL_STEPS else POSITION_STEPS[tool]
        if grade not in steps:
            return None
        return {BY: steps[grade] * (1 if sign > 0 else -1)}
    step = STEPS.get(tool, {}).get(grade)
    if step is None:
        return None
    return {"delta": step * (1 if sign > 0 else -1)}


def grammar_lists(lists: dict[str, Any], *, lowest_on: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The grammar's `lists` with the intensity, fraction, number and end words put in: the lists of
    grades (``intensity``, ``intensifier``), of positions (:data:`POSITIONS`) and of bare numbers
    (:data:`NUMBERED`) written from the language layer, one list of the words of an end per tool of
    :data:`RANGES` (:func:`end_list`) and one of the numbers above the range its schema declares
    (:func:`beyond_list`), and each levelled list of :data:`LEVELS` given the ``large`` intensity
    words and the words of an end of its tool (:data:`LEVELLED`; a word the file already lists keeps
    its value there). `lowest_on` are the tools switched off at the bottom of their range (:func:`end`)."""
    lists = dict(lists)
    for name, shares in POSITIONS.items():
        lists[name] = {"values": [{"in": word, "out": share} for word, share in shares.items()]}
    for name, numbers in NUMBERED.items():
        lists[name] = {"values": [{"in": said, "out": value} for said, value in numbers.items()]}
    for name, words in _GRADE_LISTS.items():
        lists[name] = {"values": [{"in": word, "out": grade} for word, grade in words.items()]}
    for tool in RANGES:
        ends = end_words(tool, lowest_on=tool in lowest_on)
        lists[end_list(tool)] = {"values": [{"in": word, "out": value} for word, value in ends.items()]}
    for tool, (_, _, high) in DECLARED_RANGES.items():
        lists[beyond_list(tool)] = {"range": {"from": int(high) + 1, "to": _SAID_UP_TO}}
    for name, levels in LEVELS.items():
        spec = dict(lists.get(name) or {})
        values = list(spec.get("values") or [])
        said = {
            word
            for value in values
            for word in str(value.get("in", "") if isinstance(value, dict) else value).strip("()").split("|")
        }
        tool = LEVELLED[name]
        added: dict[str, JsonValue] = {
            **{word: levels[grade] for word, grade in INTENSITY.items() if grade in levels},
            **end_words(tool, lowest_on=tool in lowest_on),
        }
        values.extend({"in": word, "out": value} for word, value in added.items() if word not in said)
        spec["values"] = values
        lists[name] = spec
    return lists


def grammar_rules(rules: dict[str, Any]) -> dict[str, Any]:
    """The grammar's `expansion_rules` with ``<intensify>``: any verb of
    :data:`~agents.language.lexicon.INTENSIFIERS`, for templates where the verb says only "more of
    it" ("crank up the A/C", "max the A/C")."""
    verbs = sorted(INTENSIFIERS, key=len, reverse=True)
    return {**rules, "intensify": "(" + "|".join(verbs) + ")"}
