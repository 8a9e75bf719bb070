"""Checking that a model-phrased sentence says nothing the facts do not hold.

`grounding_problems(candidate, reference=..., mentioned=...)` compares a rephrasing with the
deterministic sentence it rephrases and the objects that sentence names. The candidate is refused
(an empty list means accepted) when it:

- names an object class that no named object has, or puts a class on a side, in a blind spot or
  closing fast where no object of that class is (checked per clause; a clause that names only a
  side applies to the classes of the clause before it, unless it is a claim of absence);
- names a side that neither an object nor the reference sentence mentions;
- drops a named object, a blind spot or a "closing fast" that the reference sentence carries;
- carries a number, a number word, or a word of absence or safety ("no", "nothing", "clear",
  "safe", ...) that the reference sentence does not;
- is longer than `max_words`, or more than one sentence when `single_sentence` is set.

The check is deliberately strict: a refused rephrasing costs only the nicer wording, because the
deterministic sentence is used instead.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import get_args

from agents.language.lexicon import NUMBERS, SCALES, TENS
from agents.perception.facts import SeenObject, Side

__all__ = ["grounding_problems"]

_CLASS_WORDS: dict[str, frozenset[str]] = {}


_IRREGULAR_PLURALS = {"person": "people", "child": "children"}


def _plural(noun: str) -> str:
    """A noun's plural: lorry -> lorries, bus -> buses, car -> cars (and the irregular ones)."""
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "es" if noun.endswith(("s", "sh", "ch", "x")) else noun + "s"


def _classes(classes: str, *nouns: str, alone: tuple[str, ...] = ()) -> None:
    """The words that name an object of `classes`: each of `nouns` and its plural, and the words
    of `alone` as they are."""
    for word in (*nouns, *map(_plural, nouns), *alone):
        _CLASS_WORDS[word] = frozenset(classes.split())


_classes("car", "car", "auto", alone=("sedan", "suv"))
_classes("truck", "truck", "lorry")
_classes("bus", "bus", alone=("coach",))
_classes("van", "van", alone=("minivan",))
_classes("motorcycle", "motorcycle", "motorbike", "motorcyclist")
_classes("cyclist motorcycle", "bike", "biker")
_classes("cyclist", "cyclist", "bicycle", "bicyclist")
_classes("scooter", "scooter")
_classes("pedestrian", "pedestrian", "person", "walker", "child", "kid", alone=("man", "woman"))
_classes("animal", "animal", "dog", "cat", "horse", "cow", alone=("deer",))
_classes("unknown", alone=("unidentified", "unknown"))

_SIDE_WORDS = {
    **{side: side for side in get_args(Side)},
    "front": "ahead",
    "back": "behind",
    "rear": "behind",
}
"""The words of a side: each side's own name (:data:`~agents.perception.facts.Side`) and its other words."""
_FAST_WORDS = frozenset({"closing", "fast", "approaching", "quickly", "rapidly", "speeding", "rushing"})
_ABSENCE_WORDS = frozenset(
    {
        "no",
        "nothing",
        "none",
        "nobody",
        "noone",
        "clear",
        "safe",
        "safely",
        "free",
        "empty",
        "dont",
        "doesnt",
        "not",
        "isnt",
        "arent",
        "cant",
        "without",
        "fine",
        "okay",
        "ok",
    }
)
_COUNTS = frozenset({"dozen", "several", "few", "many", "couple", "half"})
_NUMBER_WORDS = frozenset(NUMBERS) | frozenset(TENS) | frozenset(SCALES) | _COUNTS
"""Words that say how many: the language layer's number words and words of a count that are none."""
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")
_CLAUSE_BREAK = re.compile(r"[,;:.!?()]|\b(?:and|but|while|plus|also|then|with)\b")
_SENTENCE_END = re.compile(r"[.!?](?:\s+|$)")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower().replace("'", "").replace("\u2019", ""))


def _numbers(tokens: Sequence[str]) -> set[str]:
    return {token for token in tokens if token[0].isdigit()}


def _on(obj: SeenObject, side: str) -> bool:
    if side in ("left", "right"):
        return obj.side == side or obj.blind_spot == side or obj.lane in (side, f"far_{side}")
    return obj.side == side


def _blind(tokens: Sequence[str]) -> bool:
    return "blindspot" in tokens or any(
        a == "blind" and b in ("spot", "spots") for a, b in itertools.pairwise(tokens)
    )


def _fits(obj: SeenObject, classes: frozenset[str], sides: set[str], blind: bool, fast: bool) -> bool:
    return (
        obj.object_class in classes
        and all(_on(obj, side) for side in sides)
        and (not blind or obj.blind_spot is not None)
        and (not fast or obj.approaching_fast)
    )


def grounding_problems(
    candidate: str,
    *,
    reference: str,
    mentioned: Sequence[SeenObject],
    max_words: int | None = None,
    single_sentence: bool = False,
) -> list[str]:
    """What in `candidate` the facts do not support (see the module docstring); empty when none."""
    problems: list[str] = []
    words = _tokens(candidate)
    reference_words = _tokens(reference)
    reference_set = set(reference_words)
    if not words:
        return ["the text is empty"]
    if max_words is not None and len(words) > max_words:
        problems.append(f"{len(words)} words, more than {max_words}")
    if single_sentence and len(_SENTENCE_END.findall(candidate.strip())) > 1:
        problems.append("more than one sentence")

    reference_sides = {_SIDE_WORDS[word] for word in reference_words if word in _SIDE_WORDS}
    named_classes: list[frozenset[str]] = []
    previous: list[tuple[str, frozenset[str]]] = []
    for clause in _CLAUSE_BREAK.split(candidate.lower()):
        tokens = _tokens(clause)
        if not tokens:
            continue
        found = [(word, _CLASS_WORDS[word]) for word in tokens if word in _CLASS_WORDS]
        sides = {_SIDE_WORDS[word] for word in tokens if word in _SIDE_WORDS}
        blind = _blind(tokens)
        fast = any(word in _FAST_WORDS for word in tokens)
        if not found and any(word in _ABSENCE_WORDS for word in tokens):
            # A claim of absence ("nothing in the right lane"): its words are checked below.
            continue
        targets = found or (previous if sides or blind or fast else [])
        for word, classes in targets:
            if not any(_fits(obj, classes, sides, blind, fast) for obj in mentioned):
                where = (
                    " ".join(sorted(sides)) + (" blind spot" if blind else "") + (" closing" if fast else "")
                )
                problems.append(f"'{word}'{' ' + where if where.strip() else ''} is not in the facts")
        if not targets:
            for side in sides - reference_sides:
                if not any(_on(obj, side) for obj in mentioned):
                    problems.append(f"the side '{side}' is not in the facts")
        named_classes.extend(classes for _, classes in found)
        if found:
            previous = found

    for obj in mentioned:
        if not any(obj.object_class in classes for classes in named_classes):
            problems.append(f"the {obj.object_class} ({obj.id}) is left out")
    if any(obj.blind_spot is not None for obj in mentioned) and not _blind(words):
        problems.append("the blind spot is left out")
    if any(obj.approaching_fast for obj in mentioned) and not any(word in _FAST_WORDS for word in words):
        problems.append("'closing fast' is left out")

    for number in sorted(_numbers(words) - _numbers(reference_words)):
        problems.append(f"the number {number} is not in the facts")
    for word in sorted({word for word in words if word in _NUMBER_WORDS} - reference_set):
        problems.append(f"the count '{word}' is not in the facts")
    for word in sorted({word for word in words if word in _ABSENCE_WORDS} - reference_set):
        problems.append(f"'{word}' claims something the facts do not say")
    return problems
