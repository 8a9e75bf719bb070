"""How much a relative change is: the language layer's intensity grades as this car's device steps.

The words are the language layer's (:data:`agents.language.lexicon.INTENSITY`: "a smidge" is
``small``, "way" ``large``, "all the way" ``extreme``; :data:`~agents.language.lexicon.INTENSIFIERS`:
"crank" is ``large``, "max" ``extreme``). This module says what a grade is for each device the agent
changes by steps, once:

- :data:`STEPS`: the step of each grade for a relative tool ("a smidge warmer" +1 °C, "way louder" +20
  volume points);
- :data:`EXTREMES`: what ``extreme`` means ("as cold as it goes" is the lowest cabin temperature the
  car accepts, "the fan all the way up" 100 %, "all the way down" on the volume mutes it; raising the
  volume all the way is the largest step the car accepts in one request);
- :data:`LEVELS`: the level an ``extreme`` or ``large`` word gives a levelled device ("seat heat on full
  blast" is level 3, "massage on max" 100 %);
- :data:`POSITIONS`: the grammar lists of a position said as a fraction of the way
  (:data:`~agents.language.lexicon.FRACTIONS`): ``fraction`` is how far open ("open the window a
  third" is 33 %, "the volume at half" 50), ``fraction_closed`` and ``percent_closed`` how far open
  a part closed by that much is ("close the windows a quarter" leaves them 75 % open, "halfway" 50 %,
  "roll them up 75 percent" 25 %).

:func:`amount` turns a grade captured by the grammar (a slot ``delta`` holding a grade name) into the
tool's arguments; :func:`grammar_lists` and :func:`grammar_rules` write the grammar's lists and rules
of these words. All are pure.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import JsonValue

from agents.language.lexicon import FRACTIONS, INTENSIFIERS, INTENSITY
from mcp_servers.vehicle.guardrails.rules import ComfortBounds

__all__ = [
    "EXTREMES",
    "GRADES",
    "LEVELS",
    "POSITIONS",
    "STEPS",
    "Grade",
    "amount",
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

EXTREMES: Final[dict[str, tuple[tuple[str, float], tuple[str, float]]]] = {
    "set_cabin_temperature": (("celsius", ComfortBounds.MAX_C), ("celsius", ComfortBounds.MIN_C)),
    "set_fan": (("percent", 100), ("percent", 0)),
    "set_media_volume": (("delta", ComfortBounds.MAX_VOLUME_STEP), ("percent", 0)),
}
"""Per relative tool, the arguments of ``extreme`` upwards and downwards: the car's comfort bounds for
the cabin temperature (GR-03), the fan's range, and for the volume the largest rise the car accepts in
one request (GR-03) or silence."""

LEVELS: Final[dict[str, dict[str, int]]] = {
    "seat_level": {"large": 3, "extreme": 3},
    "fan_level": {"large": 75, "extreme": 100},
    "massage_level": {"large": 100, "extreme": 100},
}
"""Per levelled list of the grammar, the level an intensity word of a grade gives ("on full blast")."""

POSITIONS: Final[dict[str, dict[str, int]]] = {
    "fraction": dict(FRACTIONS),
    "fraction_closed": {word: 100 - share for word, share in FRACTIONS.items()},
    "percent_closed": {str(share): 100 - share for share in range(101)},
}
"""Per grammar list of a position, each fraction word and the percent open it says."""

_GRADE_LISTS: Final[dict[str, dict[str, str]]] = {"intensity": INTENSITY, "intensifier": INTENSIFIERS}
"""The grammar lists whose values are grades (captured into `delta`, resolved by :func:`amount`)."""


def amount(tool: str, grade: str, sign: int) -> dict[str, JsonValue] | None:
    """The arguments of `tool` for a change of `grade` in the direction of `sign` (1 up, -1 down): a
    ``delta`` or, for ``extreme``, the absolute value at that end. None when the tool takes no grade
    or `grade` is not one."""
    if grade == "extreme" and tool in EXTREMES:
        name, value = EXTREMES[tool][0 if sign > 0 else 1]
        number = int(value) if float(value).is_integer() else value
        return {name: number}
    step = STEPS.get(tool, {}).get(grade)
    if step is None:
        return None
    return {"delta": step * (1 if sign > 0 else -1)}


def grammar_lists(lists: dict[str, Any]) -> dict[str, Any]:
    """The grammar's `lists` with the intensity and fraction words put in: the lists of grades
    (``intensity``, ``intensifier``) and of positions (:data:`POSITIONS`) written from the language
    layer, and each levelled list of :data:`LEVELS` given the intensity words of its grades (a word
    the file already lists keeps its value there)."""
    lists = dict(lists)
    for name, shares in POSITIONS.items():
        lists[name] = {"values": [{"in": word, "out": share} for word, share in shares.items()]}
    for name, words in _GRADE_LISTS.items():
        lists[name] = {"values": [{"in": word, "out": grade} for word, grade in words.items()]}
    for name, levels in LEVELS.items():
        spec = dict(lists.get(name) or {})
        values = list(spec.get("values") or [])
        said = {str(value.get("in", "")) if isinstance(value, dict) else str(value) for value in values}
        values.extend(
            {"in": word, "out": levels[grade]}
            for word, grade in INTENSITY.items()
            if grade in levels and word not in said
        )
        spec["values"] = values
        lists[name] = spec
    return lists


def grammar_rules(rules: dict[str, Any]) -> dict[str, Any]:
    """The grammar's `expansion_rules` with ``<intensify>``: any verb of
    :data:`~agents.language.lexicon.INTENSIFIERS`, for templates where the verb says only "more of
    it" ("crank up the A/C", "max the A/C")."""
    verbs = sorted(INTENSIFIERS, key=len, reverse=True)
    return {**rules, "intensify": "(" + "|".join(verbs) + ")"}
