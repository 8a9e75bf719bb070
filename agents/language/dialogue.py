"""Readings of the short turns of a conversation: yes, no, cancel, "more", "the passenger's too".

- :func:`answer`: a reply to a yes/no question, read loosely (the agent that asked reads it): a no
  word anywhere wins, a yes word counts unless negated ("not sure" is unclear);
- :func:`reply_kind`: what a whole utterance is when it is nothing but an answer or a follow-up
  (the orchestrator reads every turn with it before routing): ``yes``, ``no``, ``cancel``, ``undo``
  ("undo that", "put it back", "never mind, undo it"), ``more``
  ("a bit more", "a lot more", "again"), ``less`` ("a little less"), ``too`` or ``other``;
- :func:`whose`: the seat or zone a follow-up names ("and the passenger's", "the rear too", "what
  about the back"), and
  :func:`for_zone` the slot edit that makes the previous request one for them;
- :data:`SETTING_VERBS`: the verbs that give a thing a value ("change it to 19 degrees");
- :func:`plain_request`: a request wrapped in courtesy with its verb's gerund ("would you mind
  turning on my seat heater") as the plain request ("turn on my seat heater");
- :func:`small_talk`: a whole utterance that greets, thanks or asks what the assistant can do
  (``greeting``, ``thanks``, ``capabilities``), answered briefly without any agent.

The words come from :mod:`agents.language.lexicon`; the functions are pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

from pydantic import JsonValue

from agents.language.clauses import reported
from agents.language.lexicon import (
    ACKNOWLEDGEMENTS,
    ANSWER_WORDS,
    CANCEL,
    CAPABILITY_QUESTIONS,
    CORRECTIONS,
    COURTESY,
    FILLER,
    GERUND_WRAPPERS,
    GREETINGS,
    HESITATION,
    INTENSITY,
    NEGATION,
    NO,
    PARTICLE_VERBS,
    PRAISE,
    SAME_FOR,
    SKIP_WORDS,
    SPEAKER_ZONES,
    THANKS,
    UNDO,
    VERBS,
    WHERE_SLOTS,
    YES,
    ZONE_WORDS,
    ZONES,
    phrase_pattern,
)

__all__ = [
    "SETTING_VERBS",
    "Answer",
    "ReplyKind",
    "SmallTalk",
    "answer",
    "for_zone",
    "instead",
    "plain_request",
    "reply_kind",
    "small_talk",
    "whose",
    "without_lead_in",
]

Answer = Literal["yes", "no", "unclear"]
ReplyKind = Literal["yes", "no", "cancel", "undo", "more", "less", "too", "other"]
SmallTalk = Literal["greeting", "thanks", "capabilities", "acknowledgement", "reported"]

SETTING_VERBS: frozenset[str] = frozenset({"change", "adjust"})
"""Verbs that only give a thing a value said after it ("change it to 19 degrees"): with the verbs of
:data:`~agents.language.lexicon.VERBS` and :data:`~agents.language.lexicon.PARTICLE_VERBS` ("make it
22", "put it on high"), what a follow-up that gives "it" a value opens with."""

_YES = phrase_pattern(YES)
_NO = phrase_pattern(NO)
_CANCEL = re.compile(r"^(?:" + "|".join(re.escape(p) for p in sorted(CANCEL, key=len, reverse=True)) + r")$")
_UNDO = re.compile(
    r"^(?:(?:"
    + "|".join(re.escape(p) for p in sorted({*CANCEL, *SKIP_WORDS, *CORRECTIONS}, key=len, reverse=True))
    + r")[\s,.!]+)*(?:"
    + "|".join(re.escape(p) for p in sorted(UNDO, key=len, reverse=True))
    + r")(?:\s+please)?$"
)
"""What the previous turn changed, as it was: a phrase of :data:`~agents.language.lexicon.UNDO`,
perhaps after a cancel ("never mind, undo it"), courtesy or hesitation (the lexicon's
``SKIP_WORDS``: "hmm, put it back", "could you undo that") or "oops"."""
_HOW_MUCH = "|".join(re.escape(words) for words in sorted({*INTENSITY, "even"}, key=len, reverse=True))
_MORE = re.compile(rf"^(?:(?:{_HOW_MUCH}) )?more$|^(?:again|once more|(?:do )?that again)$")
_LESS = re.compile(rf"^(?:(?:{_HOW_MUCH}) )?less$")
_WHO: dict[str, str] = {**ZONES, **SPEAKER_ZONES}
"""Who a follow-up can name: a seat or zone, or one relative to the speaker ("mine too")."""
_ZONE = "|".join(re.escape(z) for z in sorted(_WHO, key=len, reverse=True))
_SAME = "|".join(re.escape(words) for words in sorted(SAME_FOR, key=len, reverse=True))
_WHOSE = re.compile(
    rf"^(?:(?P<same>{_SAME}) |also |then )?(?:for |on )?(?:the )?(?P<who>{_ZONE})(?:'s)?"
    r"(?P<where>(?: ones?| sides?| seats?| windows?| doors?)*)(?P<too>(?: too| as well| also)*)$"
)
"""Whose alone, perhaps with what of theirs ("the back ones", "the rear windows") and "too" after it
or a lead-in of :data:`~agents.language.lexicon.SAME_FOR` before it."""
_EDGES = " ,.!?;:"
_GREETING = phrase_pattern(GREETINGS)
_THANKS = phrase_pattern(THANKS)
_ASKS_WHAT = phrase_pattern(CAPABILITY_QUESTIONS)
_ACKNOWLEDGES = phrase_pattern((*ACKNOWLEDGEMENTS, *PRAISE))
_SYMBOL = re.compile(r"[^\w\s'’.,!?;:()\-]")
"""A character of no word and no punctuation: an emoji or another symbol ("👍")."""
_AROUND_TALK = (
    FILLER
    | set(PRAISE)
    | {"so", "much", "very", "a", "lot", "for", "that", "that's", "it", "it's", "is", "was", "there", "all"}
    | {"cabin"}
)
"""Words said around a greeting, thanks or question about what the assistant does that ask nothing."""


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
    if _UNDO.match(plain):
        return "undo"
    rest = _NO.sub(" ", _YES.sub(" ", plain))
    words = re.findall(r"[a-z']+", rest)
    if plain and all(word in ANSWER_WORDS for word in words):
        kind = answer(plain)
        if kind != "unclear":
            return kind
    if _MORE.match(plain):
        return "more"
    if _LESS.match(plain):
        return "less"
    if whose(plain, said_too=True) is not None:
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
    """The zone (a value of :data:`~agents.language.lexicon.ZONES`, or of
    :data:`~agents.language.lexicon.SPEAKER_ZONES` for one said relative to the speaker: "mine too"
    is ``self``) that a clause naming only whose names ("and the passenger's", "the rear left
    one"); with `said_too`, only when it also asks for
    the previous request again: "too" / "as well" / "also" after it, or words of
    :data:`~agents.language.lexicon.SAME_FOR` before it ("what about the back", "same for the
    passenger", "and the passenger?"), or when it says "both" ("both sides"). Plural words are
    whose too: "and the back ones", "the front ones as well". None for any other clause."""
    found = _WHOSE.match(_plain(text))
    # "Both sides" says the previous one again with the other: as "too" does.
    both = found is not None and found.group("who").split()[0] == "both"
    if found is None or (said_too and not (found.group("too") or found.group("same") or both)):
        return None
    return _WHO[found.group("who")]


def small_talk(text: str) -> SmallTalk | None:
    """What small talk the whole of `text` is: ``capabilities`` ("what can you do?"), ``thanks``
    ("great, thanks!"), ``greeting`` ("hello there"), ``acknowledgement`` (words of
    :data:`~agents.language.lexicon.ACKNOWLEDGEMENTS` and :data:`~agents.language.lexicon.PRAISE`
    alone, "ok cool", "nice 👍", "great", or emoji alone), ``reported`` (what someone else said,
    :func:`~agents.language.clauses.reported`: "the song says turn up the heat", never a request);
    None when it asks for anything else ("hey, open my window", "cool it down") or is no small talk."""
    if reported(text) is not None:
        return "reported"
    plain = re.sub(r"[^\w' ]+", " ", _plain(text))
    if not plain.split():
        return "acknowledgement" if _SYMBOL.search(text) else None
    found: list[SmallTalk] = []
    readings: tuple[tuple[SmallTalk, re.Pattern[str]], ...] = (
        ("capabilities", _ASKS_WHAT),
        ("thanks", _THANKS),
        ("greeting", _GREETING),
        ("acknowledgement", _ACKNOWLEDGES),
    )
    for kind, pattern in readings:
        plain, said = pattern.subn(" ", plain)
        if said:
            found.append(kind)
    if not found or not all(word in _AROUND_TALK for word in plain.split()):
        return None
    return found[0]


_GERUND = re.compile(
    r"^\s*(?:please\s+)?(?:"
    + "|".join(re.escape(words) for words in sorted(GERUND_WRAPPERS, key=len, reverse=True))
    + r")\s+(?P<gerund>[a-z]+ing)\b(?P<rest>.*)$",
    re.I | re.S,
)
_KNOWN_VERBS: frozenset[str] = VERBS | PARTICLE_VERBS | SETTING_VERBS


def base_form(gerund: str) -> str | None:
    """The verb of ``gerund`` in its base form, among the verbs the grammars know (the lexicon's
    ``VERBS`` and ``PARTICLE_VERBS``, and :data:`SETTING_VERBS`): "turning" -> "turn", "closing" ->
    "close", "shutting" -> "shut"; None when none of its possible base forms is one of them."""
    stem = gerund.lower().removesuffix("ing")
    undoubled = stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else None
    return next((verb for verb in (stem, f"{stem}e", undoubled) if verb in _KNOWN_VERBS), None)


_LEAD_IN = re.compile(
    r"^(?:(?:"
    + "|".join(
        re.escape(words) for words in sorted({*COURTESY, *HESITATION, *CORRECTIONS}, key=len, reverse=True)
    )
    + r")(?:[\s,.!]+|$))+"
)
"""Courtesy, hesitation and the lead-ins of a correction (the lexicon's ``CORRECTIONS``: "no", "sorry",
"oops", "my bad", "I meant") said before what is asked ("actually, ...", "sorry, ...", "please ...")."""


def without_lead_in(text: str) -> str:
    """`text` in lower case, apostrophes straight, without the courtesy, hesitation or lead-in of a
    correction it opens with ("actually, make it 22" -> "make it 22", "no, 22 instead" -> "22
    instead", "oops, my bad, I meant 22 instead" -> "22 instead")."""
    return _LEAD_IN.sub("", _plain(text)).strip(_EDGES)


_INSTEAD = re.compile(
    r"^(?:(?:make it|set it to|put it on|change it to|go with|do)\s+)?"
    r"(?P<value>[\w%°.']+(?:\s+[\w%°.']+){0,3}?)\s+instead(?:\s+please)?$",
    re.I,
)


def instead(text: str) -> str | None:
    """The value of a turn that gives the previous request another value ("22 instead", "make it 3
    instead", "no, medium instead please"): the words of the value; None for any other text, also
    where the value's words say where or whose ("the passenger instead" asks for another seat) or
    are a verb ("close it instead")."""
    found = _INSTEAD.match(without_lead_in(text))
    if found is None:
        return None
    value = found.group("value")
    words = value.split()
    if any(word in _KNOWN_VERBS or word in ("it", "that", "them") for word in words) or any(
        re.search(rf"(?<![\w']){re.escape(zone)}(?![\w'])", value) for zone in ZONE_WORDS
    ):
        return None
    return value


def plain_request(text: str) -> str | None:
    """The request in ``text`` when courtesy of the lexicon's ``GERUND_WRAPPERS`` wraps it with its
    verb's gerund: "would you mind turning on my seat heater" -> "turn on my seat heater", "how about
    closing the sunroof?" -> "close the sunroof?"; None for any other text, also for a gerund of a verb
    no grammar knows (:func:`base_form`)."""
    found = _GERUND.match(text)
    if found is None:
        return None
    verb = base_form(found.group("gerund"))
    return None if verb is None else f"{verb}{found.group('rest')}"
