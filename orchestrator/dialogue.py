"""Dialogue state per session: the speaker's seat, what was last asked and done, pending confirmations.

A session is created by a turn without ``session_id`` (the result carries the new id) and forgotten
after ``idle_s`` without a turn. One dialogue state, whichever path (template, model, fallback) handled
a turn: what was asked and what reached an agent, not a transcript (nothing reads the words and
replies of old turns, so a session does not keep them).

Besides the session store, the deterministic readings of a turn's words that need the conversation:

- :func:`classify`: a whole answer or follow-up ("yes", "cancel that", "a bit more", "the passenger's
  too");
- :func:`leading_answer`: a yes or no said before a request of its own ("yes, and unlock the doors");
- :func:`pointing_back` and :func:`refer_back` with :func:`object_phrase`: a request whose object is
  the previous request's ("close it again" after "open my window" is "close my window", "set it to 3"
  after "turn on the fan" is "set the fan to 3"); :func:`end_alone`: an end of a range said alone
  ("full blast" after "turn on the fan" is "set it to full blast"); :func:`comparative_alone` with
  :func:`compared_of`: a comparative said alone ("faster" after "set the wipers to slow" is "make
  the wipers faster"), and :func:`unfit`, what is said when it fits no previous device;
- the slot edits of a follow-up on an intent that was sent: :func:`more_of` ("a bit more" after "set
  the temperature to 21" is one step up from it, "a little less" one down), :func:`moved_again`
  ("a bit more" after "open the window a bit" moves it as far again) and :func:`where_kept` (a
  request that points back keeps the previous request's seat or zone);
- what an undo restores: :func:`undone` (from the session's earlier parts), :func:`restored` (from
  what the previous turn wrote to the car, the value each signal had before), :func:`opposite`.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import JsonValue

from agents.hosting.spans import data_spans
from agents.language.clauses import is_filler
from agents.language.dialogue import SETTING_VERBS, ReplyKind, instead, reply_kind, whose, without_lead_in
from agents.language.lexicon import (
    ANSWER_WORDS,
    COMPARATIVES,
    COURTESY,
    ENDS,
    FRACTIONS,
    HESITATION,
    INTENSITY,
    OPPOSITES,
    PARTICLE_VERBS,
    PARTICLES,
    SPEAKER_ZONES,
    STEP_WORDS,
    UNITS,
    VERBS,
    WHERE_SLOTS,
    ZONE_WORDS,
)
from agents.language.normalise import normalise
from agents.vehicle_control.actions import DECLARED_RANGES, EXCLUSIVE_ARGUMENTS
from agents.vehicle_control.amounts import LEVEL_STEPS, LEVELS_AT_MOST, POSITION_STEPS
from agents.vehicle_control.relative import COPIES
from mcp_servers.vehicle.guardrails.rules import ComfortBounds
from mcp_servers.vehicle.service import AppliedWrite

from .models import Seat
from .routing.grammars import AgentGrammar, stepped_intents

Reply = ReplyKind


def classify(text: str) -> Reply:
    """What kind of answer or follow-up ``text`` is (deterministic, no model):
    :func:`agents.language.dialogue.reply_kind`."""
    return reply_kind(text)


@dataclass(frozen=True)
class LeadingAnswer:
    """A yes or no at the head of an utterance that goes on with more (``kind`` is ``yes`` or ``no``)."""

    kind: Literal["yes", "no"]
    said: str
    """The answer as it was said ("yes please")."""
    rest: str
    """What follows it, without the joining "and" / "but" ("take me there, and unlock the doors")."""


_ANSWER_HEAD = re.compile(
    r"^\s*(?P<said>[^,;.!?]+?)\s*(?:[,;.!?]+\s*|\s+(?=(?:and|but)\b))(?P<rest>\S.*)$", re.I | re.S
)
_JOINER = re.compile(r"^(?:(?:and|but|also|then|so)\b[\s,]*)+", re.I)


def leading_answer(text: str) -> LeadingAnswer | None:
    """The yes or no that opens ``text``, when a request follows it; None otherwise.

    The answer is the first clause (up to clause punctuation or "and" / "but") when :func:`classify`
    reads it as yes or no on its own: "yes, take me there, and unlock the doors" is yes, then "take me
    there, and unlock the doors"; "no but heat my seat" is no, then "heat my seat". A text that is an
    answer and nothing else, or does not open with one, gives None.
    """
    match = _ANSWER_HEAD.match(text)
    if match is None:
        return None
    kind = classify(match.group("said"))
    rest = _JOINER.sub("", match.group("rest")).strip()
    if kind not in ("yes", "no") or classify(rest) != "other" or _courtesy_only(rest):
        return None
    return LeadingAnswer(kind="yes" if kind == "yes" else "no", said=match.group("said").strip(), rest=rest)


def _courtesy_only(text: str) -> bool:
    return is_filler(text) or all(word in ANSWER_WORDS for word in re.findall(r"[a-z']+", text.lower()))


_ACT = "(?:" + "|".join(sorted(VERBS | PARTICLE_VERBS)) + ")"
_PARTICLE = "(?:" + "|".join(sorted(PARTICLES)) + ")"
_AMOUNT = (
    "(?:"
    + "|".join(re.escape(words) for words in sorted({*INTENSITY, *STEP_WORDS}, key=len, reverse=True))
    + ")"
)
_REFERENCE = re.compile(
    rf"\b(?P<verb>{_ACT})(?P<before>\s+{_PARTICLE})?\s+(?P<pronoun>it|them|that)"
    rf"(?P<after>(?:\s+(?:back|again|{_PARTICLE}|open|closed|shut))*)(?P<amount>\s+{_AMOUNT})?"
    r"(?=\s*(?:$|[,;.!?]|\b(?:please|now|for me|for us|too|and|then|thanks)\b))",
    re.I,
)
"""A clause that acts on "it": its verb and particle ("switch ... off"), and how much ("a bit", "a
notch")."""
_NOT_A_VALUE = sorted(
    {
        "please",
        "now",
        "for",
        "too",
        "also",
        "and",
        "then",
        "thanks",
        "thank",
        "again",
        "back",
        "but",
        "instead",
    }
    | {"the", "a", "an", "my", "your", "our", "their", "his", "her", "its", "me", "us", "you"}
    | {"it", "them", "that", "this", "those", "these", "one", "side", "seat", "window", "door"}
    | {word for words in ZONE_WORDS for word in words.split()}
    | {"open", "closed", "shut"}
    | PARTICLES
    | VERBS
    | PARTICLE_VERBS
    | SETTING_VERBS,
    key=len,
    reverse=True,
)
_SETS = "(?:" + "|".join(sorted(VERBS | PARTICLE_VERBS | SETTING_VERBS)) + ")"
_VALUE_WORD = r"\s+(?!(?:" + "|".join(re.escape(w) for w in _NOT_A_VALUE) + r")(?![\w']))[\w%°]+(?:\.\d+)?"
_FRACTION = r"\s+(?:" + "|".join(map(re.escape, sorted(FRACTIONS, key=len, reverse=True))) + r")(?![\w'])"
"""A position said as a fraction ("a third", "two thirds"): a value, though "a" is no value word."""
_VALUED = re.compile(
    rf"\b(?P<verb>{_SETS})(?P<before>\s+{_PARTICLE})?\s+(?P<pronoun>it|them|that)"
    rf"(?P<after>(?:\s+(?:back|again|{_PARTICLE}))*)"
    rf"(?P<value>(?:\s+(?:to|at|by|on|in))?(?:\s+the)?(?:{_FRACTION}|{_VALUE_WORD}){{1,4}})"
    rf"(?P<amount>\s+{_AMOUNT})?"
    r"(?=\s*(?:$|[,;.!?]|\b(?:please|now|for me|for us|too|and|then|thanks|instead)\b))",
    re.I,
)
"""A clause that gives "it" a value ("set it to 3", "make it 22", "put it on high", "set it to the
max"): the words after "it" and its particle are up to four words of a value (numbers, units,
levels, a fraction of the way: "close them a third"; "the" before them, "the lowest"), none of them a
word that says where or whose, a verb, or a word around a request ("please", "and")."""
_ASKS = ("hey", "can i", "could i", "i would like you to")
_LEAD_IN = re.compile(
    r"^(?:(?:"
    + "|".join(re.escape(p) for p in sorted({*COURTESY, *HESITATION, *_ASKS}, key=len, reverse=True))
    + r")\b[\s,]*)+",
    re.I,
)
"""Courtesy and hesitation before a request ("please", "uh", "could you", "can I"): not its verb."""
_VERB_HEAD = re.compile(rf"^{_ACT}(?:\s+{_PARTICLE})?\s+(?P<object>.+)$", re.I)
_SETTING_TAIL = re.compile(
    rf"(?:\s+(?:to|at|by)\s+.*|(?:\s+(?:{_PARTICLE}|open|closed|shut|please|again|now|for me|for us|"
    rf"all the way|fully|completely|halfway|{_AMOUNT[3:-1]}))+)$",
    re.I,
)
_PRONOUNS = frozenset({"it", "them", "that", "this", "everything", "things"})


def object_phrase(request: str) -> str | None:
    """What ``request`` acts on, as it was said: "open my window" gives "my window", "turn on the seat
    heating" gives "the seat heating", "set the temperature to 22" gives "the temperature".

    None when the request does not open with an action verb (after courtesy words) or names no object
    of its own ("I'm cold", "turn it up").
    """
    plain = _LEAD_IN.sub("", " ".join(request.replace("’", "'").split()).strip(" ,;.!?"))
    head = _VERB_HEAD.match(plain)
    if head is None:
        return None
    thing, previous = head.group("object").strip(" ,;.!?"), ""
    while thing != previous:
        previous, thing = thing, _SETTING_TAIL.sub("", thing).strip(" ,;.!?")
    words = thing.lower().split()
    if not words or all(word in _PRONOUNS for word in words) or _REFERENCE.search(f"close {thing}"):
        return None
    return thing


@dataclass(frozen=True)
class Reference:
    """A request that points back at the previous request's object."""

    clause: str
    """The words that point back, as said ("close it again")."""
    resolved: str
    """The same request with the object written out and "again" / "back" dropped ("close my window")."""
    set_to: str | None = None
    """For a clause that gives "it" a value, the same value said the way every device's grammar reads
    one ("make it 40" after "set the fan to 60": "set the fan to 40"), whatever verb was said."""


def pointing_back(text: str, *, valued: bool = False) -> str | None:
    """The clause of ``text`` that acts on "it" / "them" / "that" ("switch it back off", "close it
    again", "turn it down a bit"), as said; None when there is none outside a quotation or said name.

    With ``valued``, the clause that gives "it" a value instead ("set it to 3", "make it 22", "put it
    on high", "change it to 19 degrees"): after "it" and its particle, up to four words of a value,
    none of which says where or whose ("set it to 3 for the passenger" is no such clause)."""
    match = _pointing(text, valued=valued)
    return None if match is None else match.group(0)


def _pointing(text: str, *, valued: bool = False) -> re.Match[str] | None:
    # Words inside a quotation or a said name are data: "... called 'open it'" points back at nothing.
    spans = data_spans(text)
    return next(
        (
            found
            for found in (_VALUED if valued else _REFERENCE).finditer(text)
            if not any(span.start < found.end() and found.start() < span.end for span in spans)
        ),
        None,
    )


_STEP_SAID = "|".join(
    re.escape(words)
    for words in sorted(
        {*STEP_WORDS, *(w for w, grade in INTENSITY.items() if grade != "extreme")}, key=len, reverse=True
    )
)
_STEP_ALONE = re.compile(
    rf"^(?:(?P<way>up|down)\s+(?P<amount>{_STEP_SAID})|(?P<amount2>{_STEP_SAID})\s+(?P<way2>up|down|higher|lower))"
    r"(?:\s+please)?$"
)


def step_alone(text: str) -> str | None:
    """A step said alone, with which way ("down a notch", "up one", "a step higher", "one notch
    lower"): the clause "turn it up a notch" it stands for, said of the previous request's device;
    None for anything else."""
    plain = " ".join(text.lower().replace("’", "'").split()).strip(" ,.!?;:")
    match = _STEP_ALONE.match(plain)
    if match is None:
        return None
    way = match.group("way") or {"higher": "up", "lower": "down"}.get(
        match.group("way2"), match.group("way2")
    )
    return f"turn it {way} {match.group('amount') or match.group('amount2')}"


_DEGREES = frozenset(unit for unit, kind in UNITS.items() if kind == "degrees")
"""The units that name what is set by themselves: a value in degrees is the temperature."""


def value_alone(text: str) -> str | None:
    """The value of a turn that only gives "it" a value ("make it 22", "set it to 3", "22 instead",
    "set it to the max"), when no word of it names what is meant: what "it" is must come from a
    previous request, and without one the reply asks (nothing is guessed). Only a number or an end
    of a range is such a value. None for any other text, also for a value said with its unit ("make
    it 22 degrees": the unit names the temperature) and for a word that names a setting of its own
    ("put it in park" is the gear)."""
    plain = without_lead_in(text)
    value = instead(plain)
    if value is None:
        match = _pointing(plain, valued=True)
        if match is None or match.group(0).strip() != plain.removesuffix(" please").strip():
            return None
        value = re.sub(r"^(?:(?:to|at|by|on|in)\s+)?(?:the\s+)?", "", match.group("value").strip())
        if _set_point(value):
            return None  # "make it 21.5", "set it to twenty": the temperature, as the templates read it
    if any(unit in value for unit in _DEGREES) or any(
        word in COMPARATIVES or word in ("more", "less") or (word.isalpha() and word.endswith("er"))
        for word in value.split()
    ):
        return None  # "make it warmer" says which way, not a value
    if not re.search(r"\d", value) and value not in _ENDS_SAID:
        return None  # "put it in park" is the gear: only a number or an end is a value of anything
    return value


def _set_point(value: str) -> bool:
    """Whether `value` is a number inside the cabin's comfort range (GR-03, 16-30 °C). Said of "it"
    with nothing before it, such a number is the temperature's set point, as the router's templates
    read "set it to 19" (docs/routing.md); any other number ("make it 3", "set it to 80") names
    nothing by itself and is asked about."""
    try:
        number = float(normalise(value))
    except ValueError:
        return False
    return ComfortBounds.MIN_C <= number <= ComfortBounds.MAX_C


def asked_what(value: str) -> str:
    """The question for a value said of nothing ("make it 22" first thing): what to set to it."""
    return f"What would you like me to set to {value}?"


_NAMED = re.compile(r"^(?:(?:to|for|on)\s+)?(?P<thing>.+?)(?:\s+(?:please|then|thanks))*$")
_NOT_A_DEVICE: frozenset[str] = frozenset(
    {*VERBS, *PARTICLE_VERBS, *SETTING_VERBS, "it", "them", "that", "this", "yes", "no", "what", "how"}
)


def set_named(text: str, value: str) -> str | None:
    """The request a reply to :func:`asked_what` makes when it names only a device ("the fan", "my
    seat heating please", "volume", "oh, the fan"): "set the fan to 3"; None for anything else (a
    request of its own, "open the window"; a yes or no; a question). Whether the device takes the
    value is for the grammar that reads the request, and the guardrails judge it like any write."""
    if reply_kind(text) != "other":
        return None  # "no", "never mind", "the passenger's too"
    plain = without_lead_in(text)
    found = _NAMED.match(plain)
    if found is None:
        return None
    thing = found.group("thing").strip(" ,.!?")
    words = thing.split()
    if not words or len(words) > 5 or any(w in _NOT_A_DEVICE or w[0].isdigit() for w in words):
        return None
    return f"set {thing} to {value}"


_ENDS_SAID = frozenset({*ENDS, *(words for words, grade in INTENSITY.items() if grade == "extreme")})
_AROUND_AN_END = re.compile(r"^(?:(?:to|on|at)\s+)?(?P<end>.+?)(?:\s+please)?$")


def end_alone(text: str) -> str | None:
    """The words of an end of a range said alone ("full blast", "max", "to the lowest please"): a value
    of the previous request's device, as "set it to full blast" would be; None for anything else."""
    plain = " ".join(text.lower().replace("’", "'").split()).strip(" ,.!?;:")
    match = _AROUND_AN_END.match(plain)
    if match is None:
        return None
    said = match.group("end")
    return said if said in _ENDS_SAID else None


_AROUND_A_COMPARATIVE = re.compile(rf"^(?:(?:even|{_AMOUNT})\s+)?(?P<word>\w+)(?:\s+please)?$")
"""A comparative perhaps with how much before it ("a bit warmer", "even faster"): one step all the same."""


def comparative_alone(text: str) -> str | None:
    """The comparative of the lexicon's ``COMPARATIVES`` said alone ("faster", "louder please", "a bit
    warmer"): which way the previous request's device goes, as "make it faster" would say; None for
    anything else."""
    plain = " ".join(text.lower().replace("’", "'").split()).strip(" ,.!?;:")
    match = _AROUND_A_COMPARATIVE.match(plain)
    if match is None or match.group("word") not in COMPARATIVES:
        return None
    return match.group("word")


def compared_of(word: str, previous: str) -> Reference | None:
    """The comparative ``word`` said alone (:func:`comparative_alone`) as said of the object of the
    ``previous`` request: "faster" after "set the wipers to slow" is "make the wipers faster"; None
    when ``previous`` names no object."""
    thing = object_phrase(previous)
    return None if thing is None else Reference(clause=word, resolved=f"make {thing} {word}")


_YOURS = re.compile(r"\b(?:my|mine)\b", re.I)


def unfit(word: str, request: str) -> str:
    """What is said when ``word`` (a :func:`comparative_alone` answer) fits no device of the previous
    ``request``: nothing is done and no other device is guessed ("warmer" after "set the wipers to
    slow": "I can't make the wipers warmer: say what you'd like warmer.")."""
    thing = object_phrase(request)
    if thing is None:
        return f"I'm not sure what to make {word}: say what you'd like {word}."
    yours = _YOURS.sub("your", thing)
    return f"I can't make {yours} {word}: say what you'd like {word}."


def refer_back(text: str, previous: str, *, valued: bool = False) -> Reference | None:
    """The request in ``text`` whose object is "it" / "them" / "that", resolved against ``previous``.

    ``previous`` is the conversation's previous request ("open my window"); its object comes from
    :func:`object_phrase`. "Close it again" gives "close my window"; "switch it back off" after "turn
    on the seat heating" gives "switch the seat heating off"; with ``valued`` (see
    :func:`pointing_back`), "set it to 3" after "turn on the fan" gives "set the fan to 3". None when
    ``text`` has no such clause or ``previous`` names no object, or the clause is inside a quotation
    or a said name.
    """
    match = _pointing(text, valued=valued)
    if match is None:
        return None
    thing = object_phrase(previous)
    if thing is None:
        return None
    after = [w for w in match.group("after").split() if w.lower() not in ("back", "again")]
    value = (match.group("value") or "").split() if valued else []
    amount = (match.group("amount") or "").split()
    words = [match.group("verb"), *(match.group("before") or "").split(), thing, *after, *value, *amount]
    set_to = None
    if valued:
        said = re.sub(r"^(?:to|at|by|on|in)\s+", "", " ".join([*value, *amount]), flags=re.I)
        set_to = f"set {thing} to {said}"
    return Reference(clause=match.group(0), resolved=" ".join(words), set_to=set_to)


def where_kept(slots: Mapping[str, JsonValue], previous: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """``slots`` (a request that points back, read as said of the previous request's object) with
    every slot that says where (:data:`~agents.language.lexicon.WHERE_SLOTS`) that the previous
    request's ``previous`` slots also hold set to theirs: "close it" after the passenger's window
    was opened closes the passenger's. (A clause that points back says nothing of where itself:
    :func:`pointing_back` reads none with words after "it" but "again", "back", a particle, a value
    with no word of where or whose in it, "please", "now", "too".)"""
    return {**slots, **{key: previous[key] for key in WHERE_SLOTS if key in slots and key in previous}}


def opposite(request: str) -> str | None:
    """``request`` with its verb and its particle turned to those that undo its change (the
    lexicon's ``OPPOSITES``): "open my window" -> "close my window", "turn on the seat heating" ->
    "turn off the seat heating", "turn the fan up" -> "turn the fan down"; None when it has neither."""
    words = request.split()
    turned = False
    for kinds in (VERBS, PARTICLES):
        at = next(
            (i for i, word in enumerate(words) if word.lower() in kinds and word.lower() in OPPOSITES), None
        )
        if at is not None:
            words[at], turned = OPPOSITES[words[at].lower()], True
    return " ".join(words) if turned else None


def undone(part: LastPart, earlier: Sequence[LastPart]) -> dict[str, JsonValue] | None:
    """The slots that undo what ``part`` (a part of the previous turn sent with an intent) changed,
    for the same intent, where the slots alone say it; ``earlier`` are the session's parts before
    that turn, the latest last. A relative change is the same change the other way (``sign``
    turned); an absolute value is the value the latest earlier part of the same intent, for the same
    seat or zone, set (it was the device's value before). None otherwise (then the request's words
    turned, :func:`opposite`, may say it)."""
    if part.intent is None or part.slots is None:
        return None
    slots = part.slots
    if "delta" in slots:
        kept = {key: value for key, value in slots.items() if key != "sign"}
        return kept if slots.get("sign") == -1 else {**kept, "sign": -1}
    where = {key: slots.get(key) for key in WHERE_SLOTS}
    for before in reversed(earlier):
        if (
            before.agent == part.agent
            and before.intent == part.intent
            and before.slots is not None
            and "delta" not in before.slots
            and {key: before.slots.get(key) for key in WHERE_SLOTS} == where
        ):
            return dict(before.slots)
    return None


def restored(part: LastPart, writes: Sequence[AppliedWrite]) -> dict[str, JsonValue] | None:
    """The slots that put back the value ``part`` (a part of the previous turn sent with an intent
    and an absolute value) set, read from what that turn wrote to the car (``writes``, the vehicle
    server's ``turn_writes``): of the writes by ``part``'s agent through the tool of its intent, the
    latest whose argument of the same name holds the part's value and which wrote that value to
    every signal it wrote; that slot set to the value those signals all had before (``before``).
    "Set the temperature to 22", then "put it back", sets the 21 the car read before. None where no
    such write says one value before (it is not known, the signals differed, the value was written
    in other units, or the part's change was relative: :func:`undone` turns that)."""
    if part.intent is None or part.slots is None or "delta" in part.slots:
        return None
    for write in reversed(writes):
        if write.client != part.agent or write.tool != part.intent or not write.before:
            continue
        for key, value in part.slots.items():
            if key in WHERE_SLOTS or not _number(value) or write.arguments.get(key) != value:
                continue
            if not write.values or any(written != value for written in write.values.values()):
                continue
            earlier = [write.before.get(path) for path in write.values]
            first = earlier[0]
            if not _number(first) or any(other != first for other in earlier):
                continue
            assert isinstance(first, int | float)
            kept = int(first) if isinstance(value, int) and float(first).is_integer() else first
            return {**part.slots, key: kept}
    return None


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def not_undone(request: str) -> str:
    """What is said of a part of the previous turn whose earlier value nothing says."""
    thing = object_phrase(request)
    said = _YOURS.sub("your", thing) if thing is not None else "that"
    return f"I can't tell what {said} was before, so I've left it as it is."


_AGAIN = re.compile(r"^(?:again|once more|(?:do )?that again)$")
_MORE_OR_LESS = re.compile(r"\s*\b(?:more|less)$")


def more_of(
    intent: str,
    slots: Mapping[str, JsonValue],
    said: str,
    *,
    grammars: Sequence[AgentGrammar] | None = None,
) -> dict[str, JsonValue] | None:
    """The slots a "more" or "less" follow-up (:func:`classify` reads it ``more`` or ``less``) sends
    for the previous request's ``intent`` and ``slots``; ``said`` is the follow-up as said. None when
    it is no edit of them (a "less" this grammar says no change for: the words are routed as said).
    Whether the intent's device is changed by steps is its grammar's to say (``AgentGrammar.stepped``
    of ``grammars``, by default of the grammars the agents ship).

    "More" after a relative change ("turn the fan up") sends it again: one more step in the
    direction of the last change. After an absolute value of a device changed by steps ("set the
    temperature to 21", "set the fan to 3") it is a relative change upwards from that value, as the
    grammar says one: the value's slot is replaced by ``delta``, the grade the words say ("a bit
    more", "more": ``small``, one step: 22 degrees, fan level 4; "a lot more" ``large``). "Less" is
    the same change the other way: downwards from an absolute value, against the direction of a
    relative change. "Again" / "once more" repeats the request as it was, and so does "more" of
    anything else (a window opened; a device set by levels is stepped by :func:`level_step`). The
    agent checks the change against the car's rules like any other.
    """
    plain = " ".join(said.lower().replace("’", "'").split()).strip(" ,.!?;:")
    less = plain.endswith("less")
    if _AGAIN.match(plain) or not _MORE_OR_LESS.search(plain):
        return dict(slots)
    how_much = _MORE_OR_LESS.sub("", plain).strip()
    grade = INTENSITY.get(plain) or INTENSITY.get(how_much) or "small"
    absolute = [
        key
        for key, value in slots.items()
        if key not in WHERE_SLOTS and isinstance(value, int | float) and not isinstance(value, bool)
    ]
    # A step from where a device is ("open the window a bit", "turn my seat heating up a notch": a
    # grade in ``delta`` of a tool that takes no relative change) is stepped again or back alike.
    from_where_it_is = isinstance(slots.get("delta"), str) and (
        intent in LEVEL_STEPS or intent in POSITION_STEPS
    )
    if (intent not in stepped_intents(grammars) and not from_where_it_is) or (
        "delta" not in slots and not absolute
    ):
        return None if less else dict(slots)
    if "delta" in slots and not less:
        return dict(slots)
    upwards = slots.get("sign") == -1 if "delta" in slots else not less
    kept = {
        key: value for key, value in slots.items() if key not in absolute and key not in ("delta", "sign")
    }
    return {**kept, "delta": grade, **({} if upwards else {"sign": -1})}


def level_step(intent: str, slots: Mapping[str, JsonValue], said: str) -> dict[str, JsonValue] | None:
    """The slots a "more" or "less" follow-up (``said``) sends after ``intent`` set a device set by
    levels to one (``slots``: "turn on my seat heating" is level 2): one level up, or down for
    "less" ("a bit more" is level 3). The device's levels are the range its tool declares
    (``DECLARED_RANGES`` of :mod:`agents.vehicle_control.actions`, spanning at most
    :data:`LEVELS_AT_MOST`); a level beyond it is sent all the same, and the agent answers with the
    range. None for anything else ("again" repeats the request: :func:`more_of`)."""
    declared = DECLARED_RANGES.get(intent)
    plain = " ".join(said.lower().replace("’", "'").split()).strip(" ,.!?;:")
    if declared is None or _AGAIN.match(plain) or not _MORE_OR_LESS.search(plain) or "delta" in slots:
        return None
    argument, low, high = declared
    value = slots.get(argument)
    if high - low > LEVELS_AT_MOST or not isinstance(value, int) or isinstance(value, bool):
        return None
    return {**slots, argument: value - 1 if plain.endswith("less") else value + 1}


def moves_by_word(part: LastPart, said: str) -> bool:
    """Whether ``said`` is a "more" follow-up (not "less", not "again") on ``part``, which moved a
    device by a word in place of the absolute value its tool also takes (:func:`moved_again`)."""
    plain = " ".join(said.lower().replace("’", "'").split()).strip(" ,.!?;:")
    if part.intent is None or part.slots is None or _AGAIN.match(plain) or not plain.endswith("more"):
        return False
    pair, declared = EXCLUSIVE_ARGUMENTS.get(part.intent), DECLARED_RANGES.get(part.intent)
    return pair is not None and declared is not None and pair[1] in part.slots and pair[0] == declared[0]


def moved_again(part: LastPart, writes: Sequence[AppliedWrite], said: str) -> dict[str, JsonValue] | None:
    """The slots a "more" follow-up (``said``) sends after ``part`` moved a device by a word rather
    than a value ("open the window a bit": ``action`` ``vent``), read from what that turn wrote to the
    car (``writes``): the same change of position again, as a new absolute position (the tool's
    absolute argument of its ``EXCLUSIVE_ARGUMENTS`` pair in place of the word), bounded to the
    range its tool declares (``DECLARED_RANGES``). The window vented from 0 to 20 goes to 40; from
    90 to 100, it stays at 100. Only where the part's agent wrote one value through the tool of its
    intent, every signal read one value before and the change is not nothing; None otherwise (and
    for "less" or "again": :func:`more_of`)."""
    if not moves_by_word(part, said):
        return None
    assert part.intent is not None and part.slots is not None
    word = EXCLUSIVE_ARGUMENTS[part.intent][1]
    argument, low, high = DECLARED_RANGES[part.intent]
    for write in reversed(writes):
        if write.client != part.agent or write.tool != part.intent or not write.before or not write.values:
            continue
        after, before = list(write.values.values()), [write.before.get(path) for path in write.values]
        if not all(_number(v) and v == after[0] for v in after) or not all(
            _number(v) and v == before[0] for v in before
        ):
            continue
        assert isinstance(after[0], int | float) and isinstance(before[0], int | float)
        change = after[0] - before[0]
        if change == 0:
            return None
        position = min(high, max(low, after[0] + change))
        kept = {key: value for key, value in part.slots.items() if key != word}
        return {**kept, argument: int(position) if float(position).is_integer() else position}
    return None


COPY_INTENT = "copy_setting"
"""Vehicle-control's intent that copies one seat's or zone's setting to others ("same as mine")."""


def copied_from(recent: Sequence[LastPart], sent: Sequence[dict[str, JsonValue] | None]) -> None:
    """Give each data part of ``sent`` that copies a setting without naming the device ("same as
    mine", "give the passenger what I have": :data:`COPY_INTENT` with no ``device`` slot) the device of
    the latest of the ``recent`` parts whose intent is a setting that can be copied (``COPIES`` of
    :mod:`agents.vehicle_control.relative`); in place. Without one, the part is sent as it is and the
    agent asks which setting is meant."""
    device = next((part.intent for part in recent if part.intent in COPIES), None)
    if device is None:
        return
    for data in sent:
        slots = data.get("slots") if data is not None and data.get("intent") == COPY_INTENT else None
        if isinstance(slots, dict) and "device" not in slots:
            slots["device"] = device


def zone_words(text: str) -> str | None:
    """Who a "... too" follow-up names, in the words :func:`for_zone` takes ("the passenger's too" gives
    ``passenger``, "the back left too" ``rear left``, "everyone too" ``everyone``), or None (also for
    a seat said relative to the speaker, "mine too", which those words cannot say)."""
    zone = whose(text, said_too=True)
    if zone is None or zone in SPEAKER_ZONES.values():
        return None
    return {"all": "everyone"}.get(zone, zone.replace("_", " "))


_SPEAKER_FEELS = re.compile(r"^(?:i'm|i am|im)\b", re.I)
_SPEAKERS = re.compile(r"\b(?:my|mine)\b", re.I)


def for_zone(text: str, who: str) -> str:
    """The previous request ``text`` said for ``who`` (a :func:`zone_words` answer) instead of the
    speaker, in words the agents read: "open my window" -> "open the passenger's window", "I'm cold" ->
    "the passenger is cold", "set the temperature to 21" -> "set the temperature to 21 for the
    passenger"."""
    if _SPEAKER_FEELS.match(text):
        subject = {"everyone": "everyone is", "rear": "the people in the back are"}.get(who, f"the {who} is")
        return _SPEAKER_FEELS.sub(subject, text, count=1)
    if _SPEAKERS.search(text):
        owner = (
            "everyone's" if who == "everyone" else f"the {who}" if who.startswith("rear") else f"the {who}'s"
        )
        return _SPEAKERS.sub(owner, text)
    return f"{text} for {'everyone' if who == 'everyone' else f'the {who}'}"


@dataclass
class Waiting:
    """An open question: an agent task that waits for the person's yes or no, or (with `value`) the
    orchestrator's own question of what to set to a value said of nothing ("What would you like me to
    set to 3?", :func:`asked_what`), which no agent task waits on (`agent` and `task_id` are empty)."""

    token: str
    question: str
    agent: str
    task_id: str
    context_id: str | None
    expires_at: float
    value: str | None = None
    """The value asked about: the next turn that names a device sets it to this (:func:`set_named`)."""


@dataclass
class LastPart:
    text: str
    agent: str
    skill: str | None
    task_id: str | None
    at: float
    intent: str | None = None
    """The intent sent with the part (its agent's grammar's), when one was: a follow-up edits its slots."""
    slots: dict[str, JsonValue] | None = None
    said: str | None = None
    """The words the intent was first read from ("open my window", also after "the passenger's too"
    and "close it" edited it); None: ``text``. What "it" names is read from them."""

    @property
    def request(self) -> str:
        """The words of the request this part carries on (:attr:`said`, else :attr:`text`)."""
        return self.said if self.said is not None else self.text


EARLIER_PARTS = 16
"""How many parts of the turns before the latest a session keeps (for undo)."""


@dataclass
class Session:
    id: str
    seat: Seat
    created: float = field(default_factory=time.monotonic)
    touched: float = field(default_factory=time.monotonic)
    turns: int = 0
    waiting: Waiting | None = None
    last_turn: list[LastPart] = field(default_factory=list)
    """Every part of the latest turn that reached an agent, in order."""
    last_turn_id: str | None = None
    earlier: list[LastPart] = field(default_factory=list)
    """The parts that reached an agent in the turns before the latest, the latest last (at most
    :data:`EARLIER_PARTS`): what a device was set to before the latest turn changed it (undo)."""
    contexts: dict[str, str] = field(default_factory=dict)
    """The A2A context id of this conversation at each agent, so agents can keep their own memory."""

    def next_turn(self, turn_id: str) -> None:
        """Begin remembering the parts of ``turn_id``; those of the turn before go to :attr:`earlier`."""
        self.earlier.extend(self.last_turn)
        del self.earlier[:-EARLIER_PARTS]
        self.last_turn_id, self.last_turn = turn_id, []

    @property
    def last(self) -> LastPart | None:
        """The latest part that reached an agent."""
        return self.last_turn[-1] if self.last_turn else None


class UnknownSession(KeyError):
    """A session id that was never issued or has expired."""


MAX_SESSIONS = 128
"""Most sessions kept open at once. A car's front ends (a voice session per seat, the cockpit, a
terminal's chat) hold a handful and ``cabin bench --sweep`` up to 100 at once; a front end that
opens a session per request must not grow the orchestrator for half an hour. A session keeps its
open question, the parts of its latest turn and :data:`EARLIER_PARTS` before them (about 6 KiB,
measured over the bench's turns): 128 take under 1 MiB, where 512 took about 3 MiB."""


class SessionStore:
    """The open sessions: one is forgotten after `idle_s` without a turn, and beyond `max_sessions`
    (:data:`MAX_SESSIONS`) the least recently used go first; a turn that names a forgotten session is
    refused as an unknown session (the front-end API answers 404 and the front end starts a new one)."""

    def __init__(
        self,
        idle_s: float = 1800.0,
        confirmation_ttl_s: float = 30.0,
        follow_up_s: float = 120.0,
        max_sessions: int = MAX_SESSIONS,
    ) -> None:
        self._sessions: dict[str, Session] = {}
        self.max_sessions = max(1, max_sessions)
        self.idle_s = idle_s
        self.confirmation_ttl_s = confirmation_ttl_s
        self.follow_up_s = follow_up_s

    def open(self, session_id: str | None, seat: Seat) -> Session:
        self._sweep()
        if session_id is None:
            session = Session(id="s-" + secrets.token_hex(6), seat=seat)
            while len(self._sessions) >= self.max_sessions:  # least recently used first
                del self._sessions[next(iter(self._sessions))]
            self._sessions[session.id] = session
            return session
        known = self._sessions.get(session_id)
        if known is None:
            raise UnknownSession(session_id)
        known.seat = seat
        known.touched = time.monotonic()
        # Kept in the order they were last used, so a sweep stops at the first live one.
        del self._sessions[session_id]
        self._sessions[session_id] = known
        return known

    def waiting(self, session: Session) -> Waiting | None:
        """The pending confirmation, or None once it has expired."""
        if session.waiting is not None and time.monotonic() > session.waiting.expires_at:
            session.waiting = None
        return session.waiting

    def expect_answer(
        self, session: Session, question: str, agent: str, task_id: str, context_id: str | None
    ) -> Waiting:
        session.waiting = Waiting(
            token="pc-" + secrets.token_urlsafe(9),
            question=question,
            agent=agent,
            task_id=task_id,
            context_id=context_id,
            expires_at=time.monotonic() + self.confirmation_ttl_s,
        )
        return session.waiting

    def expect_device(self, session: Session, value: str) -> Waiting:
        """Keep open the question of what to set to `value` (:func:`asked_what`), for the next turn."""
        session.waiting = Waiting(
            token="pc-" + secrets.token_urlsafe(9),
            question=asked_what(value),
            agent="",
            task_id="",
            context_id=None,
            expires_at=time.monotonic() + self.confirmation_ttl_s,
            value=value,
        )
        return session.waiting

    def recent(self, session: Session) -> LastPart | None:
        if session.last is not None and time.monotonic() - session.last.at <= self.follow_up_s:
            return session.last
        return None

    def recent_parts(self, session: Session) -> list[LastPart]:
        """The parts of the previous turn that reached an agent, the last one first; empty once too
        old for a follow-up."""
        return list(reversed(session.last_turn)) if self.recent(session) is not None else []

    def _sweep(self) -> None:
        now = time.monotonic()
        expired: list[str] = []
        for key, session in self._sessions.items():
            if now - session.touched <= self.idle_s:
                break
            expired.append(key)
        for key in expired:
            del self._sessions[key]

    def __len__(self) -> int:
        return len(self._sessions)
