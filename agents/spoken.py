"""One spoken reply from several parts: the reply composer the agents and the orchestrator share.

A turn often has more than one thing to say: two changes made, one refused, a question to confirm.
Said one after the other they sound like a form ("Okay, your side at 20 degrees. Okay, your seat
heating on medium."); a person says them in one sentence ("Your side's at 20 degrees and your seat
heating is on medium."). This module puts parts together the way a person would:

- `compose(parts)`: the things done become one list ("a, b and c"; things that are said the same
  thing of share it: "the sunshade and the sunroof are opening"), the first thing *not* done is
  joined to it with "but", further ones follow as sentences, information follows, and a question
  always goes last.
- `join_replies(replies)`: the replies of several agents (each already a sentence or two) as one
  reply: questions move to the end, and short statements are joined into one sentence where the
  second one opens with an ordinary word (never a name, whose capital letter must stay).
- `plain(text)`: a sentence cleaned of internal words a person should never hear: VSS paths,
  tool names, enum values (`ONE_SHOT_CLOSE`), guardrail rule ids and client ids; rule ids belong in
  a turn's `actions`, not in its sentence.

Every function is pure and deterministic; none invents a fact: the words come from the parts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Part",
    "PartKind",
    "can_help_with",
    "cannot_do",
    "clause",
    "compose",
    "join_replies",
    "join_words",
    "not_done_yet",
    "plain",
    "sentence",
    "sentences_of",
    "skill_areas",
]

PartKind = Literal["done", "not_done", "info", "question"]


class Part(BaseModel):
    """One thing a reply says: a change `done`, a thing `not_done` (with its reason, in plain words),
    `info` (an answer to a question), or a `question` to the person. `text` is a clause or sentence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    kind: PartKind = "info"


_LEADS = re.compile(r"^(?:okay|ok|sure|alright|all right|done)\s*[,.!]\s+", re.IGNORECASE)
"""Acknowledgements that open a reply ("Okay, ..."): said once per turn at most, so dropped when joining."""

_ORDINARY_OPENERS = frozenset(
    {
        "a",
        "all",
        "an",
        "another",
        "any",
        "as",
        "at",
        "both",
        "closing",
        "each",
        "every",
        "for",
        "from",
        "here",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "in",
        "it",
        "it's",
        "its",
        "locking",
        "my",
        "no",
        "none",
        "not",
        "nothing",
        "now",
        "on",
        "one",
        "only",
        "opening",
        "our",
        "please",
        "so",
        "some",
        "sorry",
        "that",
        "that's",
        "the",
        "their",
        "there",
        "there's",
        "these",
        "they",
        "this",
        "those",
        "to",
        "unlocking",
        "we",
        "what",
        "when",
        "while",
        "yes",
        "you",
        "you're",
        "your",
    }
)
"""First words that are ordinary words, so their capital may drop inside a joined sentence."""

_KEEP_CAPITAL = frozenset({"i", "i'd", "i'll", "i'm", "i've"})

_ACKNOWLEDGEMENTS = frozenset({"okay", "ok", "sure", "alright", "all right", "done"})
"""A statement that is only one of these says nothing once another statement follows."""

_ELLIPTICAL_ENDS = frozenset(
    {"won't", "will", "can't", "can", "didn't", "did", "don't", "do", "isn't", "is", "wasn't", "was"}
)
"""Last words of a statement that leaves its verb to be understood ("Okay, I won't."): it stays a sentence
of its own, since "I won't and the doors are unlocked" would say something else."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|(?<=[.!?][\"”’'])\s+(?=\S)")

_JOIN_WORD_LIMIT = 24
"""Most words of a sentence made by joining statements; longer ones stay separate sentences."""

# Internal words: VSS paths, rule ids, enum values, tool names, quoted client ids.
_VSS_PATH = re.compile(r"\bVehicle(?:\.[A-Za-z0-9_]+)+\b")
_RULE_ID = re.compile(r"\s*\(?\bGR-\d{2}\b\)?:?\s*")
_ENUM = re.compile(r"\b[A-Z]+(?:_[A-Z]+)+\b")
_TOOL = re.compile(r"\b(?:set|get|lock|unlock|fold|read|push|describe|search|plan)_[a-z_]+\b")
_ORIGIN = re.compile(r"\s*\((?:request )?origin: [^)]*\)")
_CLIENT = re.compile(r"\bclient '[^']*'")


def _spoken_enum(match: re.Match[str]) -> str:
    words = match.group(0).lower().split("_")
    if words[:2] == ["one", "shot"]:
        words = words[2:]
    return " ".join(words)


def _spoken_tool(match: re.Match[str]) -> str:
    words = match.group(0).split("_")
    if words[0] in ("set", "get"):
        words = words[1:]
    return " ".join(words)


def plain(text: str) -> str:
    """`text` without internal words: VSS paths become "that setting", rule ids go, enum values and tool
    names are said as words ("ONE_SHOT_CLOSE" -> "close", "set_seat_heating" -> "seat heating"),
    a quoted client id becomes "this assistant", a request origin in parentheses goes."""
    text = _ORIGIN.sub("", text)
    text = _CLIENT.sub("this assistant", text)
    text = _VSS_PATH.sub("that setting", text)
    text = _RULE_ID.sub(" ", text)
    text = _ENUM.sub(_spoken_enum, text)
    text = _TOOL.sub(_spoken_tool, text)
    return " ".join(text.split()).replace(" ,", ",").replace(" .", ".")


def join_words(items: Sequence[str], *, last: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (`last` may be "or")."""
    kept = [item for item in items if item]
    if len(kept) <= 1:
        return "".join(kept)
    return f"{', '.join(kept[:-1])} {last} {kept[-1]}"


def can_help_with(things: Sequence[str], *, at_most: int | None = None) -> str:
    """What the assistant can do, as one sentence from the names of what it offers (the skills of the
    agents' cards): "I can help with climate, seats and lights and wipers." reads as two things, so
    names that hold a list of their own are set apart with semicolons. With `at_most`, no more than
    that many are named, and "among others" says there are more (GR-12: while the car is not parked,
    "I can help with climate, navigation and perception, among others.")."""
    named = [thing[:1].lower() + thing[1:] for thing in dict.fromkeys(t.strip() for t in things) if thing]
    if not named:
        return "Nothing is available right now."
    if at_most is not None and len(named) > at_most:
        return sentence(f"I can help with {join_words(named[: max(1, at_most)])}, among others")
    if any("," in thing or " and " in thing for thing in named) and len(named) > 1:
        return sentence("I can help with " + "; ".join(named[:-1]) + "; and " + named[-1])
    return sentence("I can help with " + join_words(named))


def skill_areas(agents: Sequence[Sequence[Sequence[str]]]) -> list[str]:
    """The areas of the agents' skills, one word each (a skill's first tag: "climate", "windows",
    "navigation"), taking each agent's in turn (the first of every agent, then the second...), each
    area once: `agents` holds per agent the tags of each of its skills. A short list of them names
    what every agent does before a second thing of one."""
    firsts = [[tags[0] for tags in skills if tags] for skills in agents]
    areas: list[str] = []
    for rank in range(max((len(first) for first in firsts), default=0)):
        areas.extend(first[rank] for first in firsts if rank < len(first))
    return list(dict.fromkeys(areas))


def cannot_do(capabilities: str = "") -> str:
    """The answer to a request nothing can serve, the same from every agent and the orchestrator:
    "Sorry, I can't do that yet." and, when given, what can be done (:func:`can_help_with`)."""
    return f"Sorry, I can't do that yet. {capabilities}".strip()


def not_done_yet(said: str) -> str:
    """What was not done, in the person's words, said beside what was: "I can't do anything with
    “tell me a joke” yet" (a clause for :func:`compose` or a sentence of its own)."""
    return f"I can't do anything with “{said}” yet"


def sentence(text: str) -> str:
    """`text` as a sentence: trimmed, first letter capital, ending in a full stop unless it ends in
    other final punctuation."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!", '."', ".”", '?"', "?”")) else f"{text}."


def clause(text: str) -> str:
    """A sentence as a clause to join into another: no acknowledgement lead ("Okay, "), no final full
    stop, and a lower-case first letter when the first word is an ordinary word (names keep theirs).
    The text is returned unchanged when its first word may be a name."""
    text = _LEADS.sub("", " ".join(text.split()))
    text = text[:-1] if text.endswith(".") and not text.endswith("..") else text
    return _lowered(text) or text


def _lowered(text: str) -> str | None:
    """`text` with its first letter lower-cased, or None when the first word is not an ordinary word."""
    first = text.split(" ", 1)[0].lower().strip(",;:").replace("’", "'")
    if first in _KEEP_CAPITAL:
        return text
    if first not in _ORDINARY_OPENERS:
        return None
    return text[:1].lower() + text[1:]


def sentences_of(text: str) -> list[str]:
    """The sentences of a reply, split after final punctuation (a quoted sentence stays whole)."""
    return [piece.strip() for piece in _SENTENCE_END.split(text.strip()) if piece.strip()]


def compose(parts: Sequence[Part]) -> str:
    """One reply from `parts`: done things as one list, the first thing not done joined with "but",
    the rest of what was not done and any information as further sentences, questions last."""
    done = _shared_predicates([clause(part.text) for part in parts if part.kind == "done"])
    not_done = [part.text for part in parts if part.kind == "not_done"]
    info = [part.text for part in parts if part.kind == "info"]
    questions = [part.text for part in parts if part.kind == "question"]
    said: list[str] = []
    if done:
        opening = join_words(done)
        if not_done:
            reason = clause(plain(not_done[0]))
            # A reason that opens with no capital ("40 °C is ...", one written in lower case) has no
            # name's capital to lose.
            joined = _lowered(reason) if reason[:1].isupper() else reason
            if joined is not None:
                opening = f"{opening}, but {joined}"
                not_done = not_done[1:]
        said.append(sentence(opening))
    said.extend(sentence(plain(text)) for text in not_done)
    said.extend(sentence(text) for text in info)
    said.extend(sentence(text) for text in questions)
    return " ".join(said)


_PREDICATE = re.compile(r"^(?P<subject>.+?) (?:is|are) (?P<rest>.+)$")


def _shared_predicates(done: Sequence[str]) -> list[str]:
    """Things done that say the same of different things as one clause: "the sunshade is opening" and
    "the sunroof is opening" become "the sunshade and the sunroof are opening" (at the first one's place)."""
    subjects: dict[str, list[str]] = {}
    for text in done:
        found = _PREDICATE.match(text)
        if found is not None:
            subjects.setdefault(found.group("rest"), []).append(found.group("subject"))
    said: list[str] = []
    merged: set[str] = set()
    for text in done:
        found = _PREDICATE.match(text)
        rest = found.group("rest") if found is not None else None
        if rest is None or len(subjects[rest]) < 2:
            said.append(text)
        elif rest not in merged:
            merged.add(rest)
            said.append(f"{join_words(subjects[rest])} are {rest}")
    return said


def join_replies(replies: Sequence[str]) -> str:
    """The replies of several parts of one turn as one reply.

    Questions move to the end (in their order). Statements stay in order; two neighbouring short
    statements (together at most `_JOIN_WORD_LIMIT` words, neither with a colon, a semicolon or a
    quotation, the first not ending on an elided verb such as "I won't") are joined with "and" (", and"
    after a comma or an "and") when the second opens with an ordinary word; a statement of what was
    not done ("I can't ...", "Sorry, I couldn't ...") is joined to the statement before it with ", but"
    when that one says no "but" yet; a second acknowledgement
    ("Okay, ...") is dropped, and so is a bare "Okay." beside another statement. A single reply is
    returned as it is.
    """
    kept = [" ".join(reply.split()) for reply in replies if reply and reply.strip()]
    if len(kept) <= 1:
        return "".join(kept)
    statements: list[str] = []
    questions: list[str] = []
    for reply in kept:
        for piece in sentences_of(reply):
            (questions if piece.endswith(("?", '?"', "?”")) else statements).append(piece)
    if len(statements) > 1:
        said = [piece for piece in statements if piece.rstrip(".!").lower() not in _ACKNOWLEDGEMENTS]
        statements = said or statements[:1]
    joined: list[str] = []
    for piece in statements:
        if joined and _plain_end(joined[-1]) and " but " not in joined[-1] and _NOT_DONE.match(piece):
            # What was not done goes with what was: "Your window is opening, but I can't ... yet."
            joined[-1] = sentence(f"{clause(joined[-1])}, but {_SORRY.sub('', piece)}")
            continue
        if joined and _joinable(joined[-1], piece):
            second = _lowered(clause(piece))
            if second is not None:
                first = clause(joined[-1])
                listed = "," in first or " and " in first
                joined[-1] = sentence(f"{first}{', and' if listed else ' and'} {second}")
                continue
        joined.append(piece if not joined else _without_lead(piece))
    return " ".join(joined + questions)


_NOT_DONE = re.compile(r"^(?:sorry, )?i (?:can't|cannot|couldn't|won't|didn't)\b", re.IGNORECASE)
"""A statement of what was not done, said after what was done with "but"."""
_SORRY = re.compile(r"^sorry, (?=i )", re.IGNORECASE)


def _plain_end(text: str) -> bool:
    return text.endswith(".") and not text.endswith("..")


def _without_lead(text: str) -> str:
    rest = _LEADS.sub("", text)
    return sentence(rest) if rest != text and rest else text


def _joinable(first: str, second: str) -> bool:
    if not (_plain_end(first) and _plain_end(second)):
        return False
    if any(mark in text for text in (first, second) for mark in (":", ";", '"', "“", "”")):
        return False
    if first.rstrip(".").rsplit(" ", 1)[-1].lower().replace("’", "'") in _ELLIPTICAL_ENDS:
        return False
    return len(first.split()) + len(second.split()) <= _JOIN_WORD_LIMIT
