"""Cutting an utterance into candidate parts for multi-intent routing.

:func:`split_candidates` only proposes cuts: at punctuation that ends a clause (``,`` ``;`` and ``.``
``!`` ``?`` before a space, never inside a number such as ``19.5``) and at the conjunctions that join
requests (``and``, ``then``, ``and then``, ``also``, ``plus``, ``but``, ``as well as``, ``after that``).
Whether a cut is kept is decided by the router, which keeps it only where the pieces are requests on
their own (see :mod:`orchestrator.routing.router`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Chunk", "is_filler", "split_candidates"]


class Chunk(NamedTuple):
    """A candidate piece of an utterance: its words and where they sit in the original text."""

    text: str
    start: int
    end: int


_SEPARATOR = re.compile(
    r"""
    \s*(?:[,;]|[.!?](?=\s)|(?<!\d)[.](?!\d))\s*         # clause punctuation, not a decimal point
    (?:(?:and\s+then|and\s+also|and|then|also|plus|but|as\s+well\s+as|after\s+that)\b\s*)?
    |
    \s+(?:and\s+then|and\s+also|and|then|plus|but|as\s+well\s+as|after\s+that)\s+
    """,
    re.IGNORECASE | re.VERBOSE,
)
_EDGE = re.compile(r"^[\s,;.!?:\"'()-]+|[\s,;.!?:\"'()-]+$")

_FILLER = frozenset(
    {
        "please",
        "thanks",
        "thank",
        "you",
        "cheers",
        "ok",
        "okay",
        "oh",
        "uh",
        "um",
        "erm",
        "er",
        "hmm",
        "well",
        "so",
        "right",
        "yeah",
        "yes",
        "too",
        "also",
        "as",
        "now",
        "then",
        "and",
        "hey",
        "car",
        "mate",
        "again",
        "quickly",
        "for",
        "me",
        "us",
    }
)
_WORD = re.compile(r"[\w']+")


def is_filler(text: str) -> bool:
    """True when ``text`` holds no words but courtesy and hesitation ("please", "oh, uh", "thanks")."""
    return all(word.lower() in _FILLER for word in _WORD.findall(text))


def split_candidates(text: str) -> list[Chunk]:
    """The non-empty pieces of ``text`` between separators, in order (one piece when there is none)."""
    chunks: list[Chunk] = []
    position = 0
    for separator in _SEPARATOR.finditer(text):
        if separator.start() == separator.end():
            continue
        _append(chunks, text, position, separator.start())
        position = separator.end()
    _append(chunks, text, position, len(text))
    return chunks


def _append(chunks: list[Chunk], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = _EDGE.sub("", piece)
    if not stripped:
        return
    offset = piece.find(stripped)
    chunks.append(Chunk(stripped, start + offset, start + offset + len(stripped)))
