"""Matching the words a person calls a place by against the names the map gives it.

A place is known by every name OpenStreetMap records for it: ``name`` and its language forms
(``name:en``, ``name:fi``, ``name:sv``, ...), ``official_name``, ``alt_name``, ``old_name``,
``short_name``, ``loc_name``, ``int_name`` (each with its language forms, ``;`` separating several
values), the ``brand`` and ``operator`` it trades under, and what it serves (``cuisine``: "pizza",
"chinese", "coffee_shop"), so that "a pizza place" finds the pizzerias. Each is folded (:func:`fold`: case,
accents and punctuation ignored) and cut into words.

A query matches a name when each of its words matches a different word of the name, in any order.
How well it matches (:class:`MatchTier`) ranks the places found:

- ``EXACT``: the query is the whole name ("kauppatori" for "Kauppatori");
- ``WORDS``: every query word is a whole word of the name ("zoo" for "Zoo Bar", "lidl" for "Lidl
  Kamppi"), or two query words written together are one ("kauppa tori" for "Kauppatori");
- ``CLOSE``: some query word is only near a word of the name: one letter wrong, missing, extra or
  two swapped in a word of 5 letters or more (two in a word of 9 or more), same first letter
  ("Stockman" for "Stockmann", "Atenuem" for "Ateneum"), or the start of a longer word when at
  least five letters are said and at most three are missing ("Mannerheimin" for "Mannerheimintie").

A short word never matches the start of a longer one: "zoo" does not find "Zoomi".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from enum import IntEnum

__all__ = [
    "NAME_KEYS",
    "MatchTier",
    "fold",
    "match_rank",
    "match_tier",
    "name_words",
    "names_of",
    "words",
]

NAME_KEYS: tuple[str, ...] = (
    "name",
    "official_name",
    "alt_name",
    "old_name",
    "short_name",
    "loc_name",
    "int_name",
    "brand",
    "operator",
)
"""Tag keys whose values (and whose ``key:xx`` language forms) name a place."""
_SERVES_KEY = "cuisine"

_NOT_WORD = re.compile(r"[^\w]+|_")
_LIGATURES = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th"})
_MIN_TYPO_LENGTH = 5
_MIN_TWO_TYPOS_LENGTH = 9
_MIN_PREFIX_LENGTH = 5
_MAX_PREFIX_MISSING = 3


class MatchTier(IntEnum):
    """How well a query matches a name; lower is better."""

    EXACT = 0
    WORDS = 1
    CLOSE = 2


def fold(text: str) -> str:
    """`text` in lower case, without accents or punctuation, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def words(text: str) -> tuple[str, ...]:
    """The folded words of `text`."""
    return tuple(fold(text).split())


def _is_name_key(key: str) -> bool:
    base, _, language = key.partition(":")
    return base in NAME_KEYS and (not language or language.isalpha() or "-" in language)


def names_of(tags: Mapping[str, str]) -> list[str]:
    """Every name the tags give a place, as written, without repeats (``name`` first)."""
    found: list[str] = []
    for key in sorted(tags, key=lambda key: (key != "name", key)):
        if not _is_name_key(key):
            continue
        for value in tags[key].split(";"):
            value = value.strip()
            if value and value not in found:
                found.append(value)
    return found


def name_words(tags: Mapping[str, str]) -> tuple[tuple[str, ...], ...]:
    """The folded words of each name of a place (see :func:`names_of`), without repeats."""
    seen: dict[tuple[str, ...], None] = {}
    serves = [value.strip() for value in tags.get(_SERVES_KEY, "").split(";") if value.strip()]
    for name in (*names_of(tags), *serves):
        folded = words(name)
        if folded:
            seen.setdefault(folded, None)
    return tuple(seen)


def _edits_within(a: str, b: str, limit: int) -> bool:
    """True when `a` becomes `b` in at most `limit` single-letter edits (substitution, insertion,
    deletion, or two neighbours swapped)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        if min(current) > limit:
            return False
        previous_previous, previous = previous, current
    return previous[len(b)] <= limit


def _close(said: str, named: str) -> bool:
    """A said word that is near a word of a name (see the module docstring)."""
    if said[0] != named[0] or len(said) < _MIN_TYPO_LENGTH:
        return False
    if (
        len(said) >= _MIN_PREFIX_LENGTH
        and named.startswith(said)
        and len(named) - len(said) <= _MAX_PREFIX_MISSING
    ):
        return True
    limit = 2 if len(said) >= _MIN_TWO_TYPOS_LENGTH else 1
    return _edits_within(said, named, limit)


def _pieces(query: Sequence[str]) -> list[tuple[str, ...]]:
    """The query's words, and the query with each pair of neighbours written together."""
    readings = [tuple(query)]
    for i in range(len(query) - 1):
        readings.append((*query[:i], query[i] + query[i + 1], *query[i + 2 :]))
    return readings


def _assign(query: Sequence[str], name: Sequence[str]) -> MatchTier | None:
    """Each query word to a different name word: exact words first, then close ones."""
    left = list(name)
    pending: list[str] = []
    for word in query:
        if word in left:
            left.remove(word)
        else:
            pending.append(word)
    if not pending:
        return MatchTier.WORDS
    for word in pending:
        near = next((candidate for candidate in left if _close(word, candidate)), None)
        if near is None:
            return None
        left.remove(near)
    return MatchTier.CLOSE


def match_tier(query: Sequence[str], names: Iterable[Sequence[str]]) -> MatchTier | None:
    """The best tier at which the folded `query` words match any of `names`, or None."""
    rank = match_rank(query, names)
    return rank[0] if rank is not None else None


def match_rank(query: Sequence[str], names: Iterable[Sequence[str]]) -> tuple[MatchTier, int] | None:
    """The best (tier, words of the name left unsaid) at which the folded `query` words match any of
    `names`, or None: "Atenuem" is nearer "Ateneum" than "Ateneum Bistro"."""
    if not query:
        return None
    best: tuple[MatchTier, int] | None = None
    readings = _pieces(query)
    for name in names:
        if tuple(name) == tuple(query):
            return MatchTier.EXACT, 0
        for reading in readings:
            if len(reading) > len(name):
                continue
            tier = _assign(reading, name)
            if tier is not None and (best is None or (tier, len(name) - len(reading)) < best):
                best = tier, len(name) - len(reading)
    return best
