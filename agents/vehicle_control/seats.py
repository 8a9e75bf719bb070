"""Where a request is for: the language layer's zone words as the grammar's lists, and the seats that
words relative to the speaker name, resolved from the speaker's seat.

The words are the language layer's (:data:`agents.language.lexicon.ZONE_WORDS`), written into three
lists of the grammar by :func:`grammar_lists`:

- ``zone``: every word for a seat or zone, relative ones included ("the passenger", "my", "the seat
  next to me", "both rear seats");
- ``zone_group``: the words for several seats at once (``front``, ``rear``, ``all``), for what is
  said in the plural ("the rear windows");
- ``side``: the words that say a side, said of what is in the plural: that side of the car ("the left
  windows", "the passenger side windows", "the windows on my side"), captured as ``side:<zone>``;
- ``zone_seat``: the words for one seat that say no side ("the driver and passenger windows": the
  driver's and the passenger's).

:func:`resolve` turns a captured value into the zones the vehicle tools take, for the speaker's seat:
``self`` is the speaker's seat, ``beside`` the other seat of the row, ``behind`` / ``ahead`` the seat on
the same side in the other row, ``row`` the speaker's row, and ``side:<zone>`` both seats on that
zone's side. :func:`postposed` moves a relative position said after what it qualifies ("the window
behind me") before it ("the behind me window"), where the grammar reads every zone word. All pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from agents.hosting import Seat
from agents.language.clauses import is_situation
from agents.language.lexicon import SPEAKER_ZONES, ZONE_MODIFIERS, ZONE_WORDS

__all__ = ["NOWHERE", "SIDE", "grammar_lists", "nowhere", "postposed", "resolve"]

SIDE: Final = "side:"
"""The prefix of a ``side`` value: ``side:driver`` is the driver's side of the car."""

_GROUPS: Final = frozenset({"front", "rear", "all"})
_ONE_SEAT: Final = frozenset(
    {"driver", "passenger", "rear_left", "rear_right", "self", "beside", "back_here", "up_here"}
)
_BESIDE: Final[dict[str, Seat]] = {
    "driver": "passenger",
    "passenger": "driver",
    "rear_left": "rear_right",
    "rear_right": "rear_left",
}
_BEHIND: Final[dict[str, Seat]] = {"driver": "rear_left", "passenger": "rear_right"}
_AHEAD: Final[dict[str, Seat]] = {"rear_left": "driver", "rear_right": "passenger"}
_ROW: Final[dict[str, str]] = {
    "driver": "front",
    "passenger": "front",
    "rear_left": "rear",
    "rear_right": "rear",
}
_SIDES: Final[dict[str, tuple[Seat, Seat]]] = {
    "driver": ("driver", "rear_left"),
    "rear_left": ("driver", "rear_left"),
    "passenger": ("passenger", "rear_right"),
    "rear_right": ("passenger", "rear_right"),
}
_RELATIVE: Final[dict[str, Mapping[str, str]]] = {
    "self": {seat: seat for seat in _BESIDE},
    "beside": _BESIDE,
    "behind": _BEHIND,
    "ahead": _AHEAD,
    "row": _ROW,
    "back_here": {seat: seat for seat, row in _ROW.items() if row == "rear"},
    "up_here": {seat: seat for seat, row in _ROW.items() if row == "front"},
}
"""Each relative position (a value of the lexicon's ``SPEAKER_ZONES``) -> the zone it names for each
speaker's seat; a seat missing from a mapping has no such place ("behind me" from the rear,
"back here" from the front)."""

_AFTER_NOUN: Final = [
    word
    for word, where in SPEAKER_ZONES.items()
    if where in ("beside", "behind", "ahead") and word.endswith(" me")
]
_POSTPOSED: Final = re.compile(
    r"\b(?!(?:the|a|an|for|to|on|in|at|of|and|or|is|are|me|it)\b)(?P<noun>[a-z']+)\s+(?P<where>"
    + "|".join(re.escape(word) for word in sorted(_AFTER_NOUN, key=len, reverse=True))
    + r")(?![\w'])",
    re.IGNORECASE,
)
_PLACES: Final = sorted(
    (word for word in SPEAKER_ZONES if " " in word and not {"side", "my"} & set(word.split())),
    key=len,
    reverse=True,
)
"""The places relative to the speaker said in several words ("behind me", "back here", "where I'm
sitting"), which follow what they qualify ("open the window behind me", "warmer back here")."""
_HERE: Final = frozenset(word for word in _PLACES if SPEAKER_ZONES[word] in ("self", "back_here", "up_here"))
"""Those that say where the speaker is ("back here", "where I'm sitting"): said in a statement of how it
is there ("it's cold back here"), the speaker's own place, which the grammar reads as "in here"."""
_SAID_LAST: Final = re.compile(
    r"(?P<before>\S)\s+(?P<where>"
    + "|".join(re.escape(word) for word in _PLACES)
    + r")(?P<after>(?:\s+(?:please|too|as well|now|a bit|a little))*)\s*[.!?]*$",
    re.IGNORECASE,
)
_AFTER_A_PREPOSITION: Final = re.compile(r"\b(?:for|on|in|at|to|of|from|with|the)$", re.IGNORECASE)
_WHERE_NOUNS: Final = re.compile(r"\b(?:seat|window|door|mirror|side)s?$", re.IGNORECASE)
_BOTH: Final = ("both", "both the")
"""Said before a zone of several seats ("both rear seats", "both the front windows")."""


def resolve(value: str, seat: Seat) -> tuple[str, ...] | None:
    """The zones `value` (a captured zone) names for a speaker in `seat`: `(value,)` for a zone that
    does not depend on the speaker, None when the speaker's seat has no such neighbour (nobody sits
    behind the rear seats)."""
    if value.startswith(SIDE):
        one = resolve(value[len(SIDE) :], seat)
        if one is None or len(one) != 1 or one[0] not in _SIDES:
            return None
        return _SIDES[one[0]]
    relative = _RELATIVE.get(value)
    if relative is None:
        return (value,)
    found = relative.get(seat)
    return None if found is None else (found,)


NOWHERE: Final = "nowhere:"
"""The prefix of what a request lacks (`Parse.lacking`) when it names a place relative to the speaker
that the speaker's seat has none of: ``nowhere:behind`` is "behind me" said from the back."""


def nowhere(value: str, seat: Seat) -> str | None:
    """The relative position in `value` (a captured zone) that a speaker in `seat` has none of
    ("behind", "back_here"), or None when `value` names a place for that seat."""
    if resolve(value, seat) is not None:
        return None
    return value[len(SIDE) :] if value.startswith(SIDE) else value


def postposed(text: str) -> str:
    """`text` with a place relative to the speaker said after what it qualifies put where the grammar
    reads every zone word: before a seat, window, door or mirror ("open the window behind me" -> "open
    the behind me window"); at the end of a request after anything else, as whose it is ("turn on the
    seat heating next to me" -> "... for next to me", "warmer back here" -> "warmer for back here");
    in a statement of how it is where the speaker sits, as "in here" ("it's cold where I'm sitting"
    -> "it's cold in here", read as the speaker's own place)."""
    last = _SAID_LAST.search(text)
    if last is not None:
        head, where = text[: last.start("where")].rstrip(), last.group("where").lower()
        tail = text[last.end("where") :]
        if where in _HERE and is_situation(text):
            return f"{head} in here{tail}"
        if not _AFTER_A_PREPOSITION.search(head) and not _WHERE_NOUNS.search(head):
            return f"{head} for {last.group('where')}{tail}"
    return _POSTPOSED.sub(lambda m: f"{m.group('where')} {m.group('noun')}", text)


def grammar_lists(lists: dict[str, Any]) -> dict[str, Any]:
    """The grammar's `lists` with ``zone``, ``zone_group`` and ``side`` written from the language
    layer's zone words (see the module docstring)."""
    words = dict(ZONE_WORDS)
    for word, zone in ZONE_WORDS.items():
        if zone in _GROUPS and zone != "all":
            words.update({f"{both} {word}": zone for both in _BOTH})
    lists = dict(lists)
    lists["zone"] = {"values": [{"in": word, "out": zone} for word, zone in words.items()]}
    lists["zone_group"] = {
        "values": [{"in": word, "out": zone} for word, zone in words.items() if zone in _GROUPS]
    }
    sides = {word: zone for word, zone in words.items() if zone in _ONE_SEAT and _says_a_side(word)}
    lists["side"] = {"values": [{"in": word, "out": f"{SIDE}{zone}"} for word, zone in sides.items()]}
    lists["zone_seat"] = {
        "values": [
            {"in": word, "out": zone}
            for word, zone in words.items()
            if zone in _ONE_SEAT and word not in sides and zone not in _RELATIVE
        ]
    }
    return lists


def _says_a_side(word: str) -> bool:
    """True for a zone word that names a side of the car ("left", "passenger side", "my", "the other
    side"), not only a seat ("driver", "rear left")."""
    if word in _PLACES and word not in _AFTER_NOUN:
        return False  # "back here", "where I'm sitting": one seat
    return word in ZONE_MODIFIERS or "side" in word.split() or SPEAKER_ZONES.get(word) in ("self", "beside")
