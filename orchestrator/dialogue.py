"""Dialogue state per session: the speaker's seat, what was last asked and done, pending confirmations.

A session is created by a turn without ``session_id`` (the result carries the new id) and forgotten
after ``idle_s`` without a turn. One history, whichever path (template, model, fallback) handled a turn.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal

from .models import Seat

_YES_HEAD = {
    "yes",
    "yeah",
    "yep",
    "yup",
    "sure",
    "ok",
    "okay",
    "confirm",
    "confirmed",
    "affirmative",
    "absolutely",
    "definitely",
    "correct",
    "right",
    "please",
}
_NO_HEAD = {"no", "nope", "nah", "negative"}
_FILLER = {
    "please",
    "go",
    "ahead",
    "do",
    "it",
    "that",
    "sure",
    "thanks",
    "thank",
    "you",
    "ok",
    "okay",
    "yes",
    "yeah",
    "of",
    "course",
    "that's",
    "right",
    "fine",
    "then",
    "just",
    "uh",
    "um",
    "well",
    "not",
    "now",
    "don't",
    "dont",
    "leave",
    "as",
    "is",
}
CANCEL = re.compile(r"^(cancel( that| it)?|never ?mind|forget (it|that)|scratch that|abort)\b[\s.!]*$", re.I)
MORE = re.compile(
    r"^((a (little|bit) |a little bit |even |some )?more|again|once more|(do )?that again)[\s.!]*$", re.I
)
TOO = re.compile(
    r"^(and |also )?(for )?(the )?(?P<who>passenger|driver|rear left|rear right|back|rear|everyone)"
    r"('s| side| seat)?"
    r"( one| side)?( too| as well| also)[\s.!]*$",
    re.I,
)

Reply = Literal["yes", "no", "cancel", "more", "too", "other"]


def classify(text: str) -> Reply:
    """What kind of answer or follow-up ``text`` is (deterministic, no model)."""
    cleaned = text.strip().rstrip(".!?").strip()
    words = re.findall(r"[a-z']+", cleaned.lower())
    if CANCEL.match(cleaned):
        return "cancel"
    if words and all(w in _FILLER | _YES_HEAD | _NO_HEAD for w in words):
        if words[0] in _NO_HEAD or "don't" in words or "dont" in words or "not" in words:
            return "no"
        if words[0] in _YES_HEAD or cleaned.lower().startswith(("do it", "go ahead", "of course")):
            return "yes"
    if MORE.match(cleaned):
        return "more"
    if TOO.match(cleaned):
        return "too"
    return "other"


def zone_words(text: str) -> str | None:
    match = TOO.match(text.strip().rstrip(".!?").strip())
    if not match:
        return None
    who = match.group("who").lower()
    return {"back": "rear", "rear": "rear"}.get(who, who)


@dataclass
class Waiting:
    """An agent task that waits for the person's yes or no."""

    token: str
    question: str
    agent: str
    task_id: str
    context_id: str | None
    expires_at: float


@dataclass
class LastPart:
    text: str
    agent: str
    skill: str | None
    task_id: str | None
    at: float


@dataclass
class Session:
    id: str
    seat: Seat
    created: float = field(default_factory=time.monotonic)
    touched: float = field(default_factory=time.monotonic)
    turns: int = 0
    history: list[dict[str, object]] = field(default_factory=list)
    waiting: Waiting | None = None
    last: LastPart | None = None
    contexts: dict[str, str] = field(default_factory=dict)
    """The A2A context id of this conversation at each agent, so agents can keep their own memory."""

    def remember(self, turn: dict[str, object], keep: int = 20) -> None:
        self.history.append(turn)
        del self.history[:-keep]


class UnknownSession(KeyError):
    """A session id that was never issued or has expired."""


class SessionStore:
    def __init__(
        self, idle_s: float = 1800.0, confirmation_ttl_s: float = 30.0, follow_up_s: float = 120.0
    ) -> None:
        self._sessions: dict[str, Session] = {}
        self.idle_s = idle_s
        self.confirmation_ttl_s = confirmation_ttl_s
        self.follow_up_s = follow_up_s

    def open(self, session_id: str | None, seat: Seat) -> Session:
        self._sweep()
        if session_id is None:
            session = Session(id="s-" + secrets.token_hex(6), seat=seat)
            self._sessions[session.id] = session
            return session
        known = self._sessions.get(session_id)
        if known is None:
            raise UnknownSession(session_id)
        known.seat = seat
        known.touched = time.monotonic()
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

    def recent(self, session: Session) -> LastPart | None:
        if session.last is not None and time.monotonic() - session.last.at <= self.follow_up_s:
            return session.last
        return None

    def _sweep(self) -> None:
        now = time.monotonic()
        for key in [k for k, s in self._sessions.items() if now - s.touched > self.idle_s]:
            del self._sessions[key]

    def __len__(self) -> int:
        return len(self._sessions)
