"""Readings of the short turns of a conversation: yes, no, cancel, "more", "the passenger's too".

- :func:`answer`: a reply to a yes/no question, read loosely (the agent that asked reads it): a no
  word anywhere wins, a yes word counts unless negated ("not sure" is unclear);
- :func:`reply_kind`: what a whole utterance is when it is nothing but an answer or a follow-up
  (the orchestrator reads every turn with it before routing): ``yes``, ``no``, ``cancel``, ``more``,
  ``too`` or ``other``;
- :func:`whose`: the seat or zone a follow-up names ("and the passenger's", "the rear too"), and
  :func:`for_zone` the slot edit that makes the previous request one for them.

The words come from :mod:`agents.language.lexicon`; the functions are pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import JsonValue

from agents.language.lexicon import (
    ANSWER_WORDS,
    CANCEL,
    NEGATION,
    NO,
    WHERE_SLOTS,
    YES,
    ZONES,
    phrase_pattern,
)

__all__ = ["Answer", "ReplyKind", "answer", "for_zone", "reply_kind", "whose"]

Answer = Literal["yes", "no", "unclear"]
ReplyKind = Literal["yes", "no", "cancel", "more", "too", "other"]

_YES = phrase_pattern(YES)
_NO = phrase_pattern(NO)
_CANCEL = re.compile(r"^(?:" + "|".join(re.escape(p) for p in sorted(CANCEL, key=len, reverse=True)) + r")$")
_MORE = re.compile(r"^((a (little|bit) |a little bit |even |some )?more|again|once more|(do )?that again)$")
_ZONE = "|".join(re.escape(z) for z in sorted(ZONES, key=len, reverse=True))
_WHOSE = re.compile(
    rf"^(?:and |also |then )?(?:for |on )?(?:the )?(?P<who>{_ZONE})(?:'s)?"
    r"(?P<where>(?: one| side| seat| window)*)(?P<too>(?: too| as well| also)*)$"
)
_EDGES = " ,.!?;:"


def _plain(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split()).strip(_EDGES)


def answer(text: str) -> Answer:
    """ "yes", "no" or "unclear" for a reply to a yes/no question."""
    plain = _plain(text)
    if _NO.search(plain):
        return "no"
    if _YES.search(plain) and not NEGATION.search(plain):
        return "yes"
    return "unclear"


def reply_kind(text: str) -> ReplyKind:
    """What kind of answer or follow-up the whole of `text` is (see the module docstring)."""
    plain = _plain(text)
    if _CANCEL.match(plain):
        return "cancel"
    rest = _NO.sub(" ", _YES.sub(" ", plain))
    words = re.findall(r"[a-z']+", rest)
    if plain and all(word in ANSWER_WORDS for word in words):
        kind = answer(plain)
        if kind != "unclear":
            return kind
    if _MORE.match(plain):
        return "more"
    found = _WHOSE.match(plain)
    if found is not None and found.group("too"):
        return "too"
    return "other"


def for_zone(slots: Mapping[str, JsonValue], zone: str) -> dict[str, JsonValue] | None:
    """`slots` with every slot that says where (:data:`~agents.language.lexicon.WHERE_SLOTS`) set to
    `zone`: the same request for someone else, as a slot edit. None when no slot says where."""
    keys = [key for key in WHERE_SLOTS if key in slots]
    if not keys:
        return None
    return {**slots, **dict.fromkeys(keys, zone)}


def whose(text: str, *, said_too: bool = False) -> str | None:
    """The zone (a value of :data:`~agents.language.lexicon.ZONES`) that a clause naming only whose
    names ("and the passenger's", "the rear left one"); with `said_too`, only when it also says "too"
    / "as well" / "also". None for any other clause."""
    found = _WHOSE.match(_plain(text))
    if found is None or (said_too and not found.group("too")):
        return None
    return ZONES[found.group("who")]
