"""Conversation state the agent keeps: yes/no answers to its questions, and the last relative change.

`classify_answer` reads the reply to a confirmation question deterministically (a "no" word always
wins; "sure" under a negation is unclear). `PendingConfirmation` is what a confirmation question
saves with its task (the task store keeps it, so it survives a restart with the SQLite store).
`ConversationMemory` remembers, per A2A context, the last change that a follow-up such as "a bit
more" can repeat; it is bounded in size and age and lives only in the agent's process.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents.language.dialogue import Answer, answer
from agents.vehicle_control.actions import Action

__all__ = ["Answer", "ConversationMemory", "PendingCall", "PendingConfirmation", "classify_answer"]


def classify_answer(text: str) -> Answer:
    """ "yes", "no" or "unclear" for a reply to a yes/no question (the language layer's
    :func:`agents.language.dialogue.answer`)."""
    return answer(text)


class PendingCall(BaseModel):
    """One tool call that waits for the person's yes, with the token the server gave for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    arguments: dict[str, JsonValue]
    token: str
    question: str
    rule_id: str | None = None


class PendingConfirmation(BaseModel):
    """What a confirmation question saves with its task: the calls to confirm and how often it asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls: tuple[PendingCall, ...] = Field(min_length=1)
    asked: int = Field(default=1, ge=1)
    via: str = "template"

    @property
    def question(self) -> str:
        """The server's questions, one after the other ("Unlock the doors?")."""
        return " ".join(dict.fromkeys(call.question for call in self.calls))


class ConversationMemory:
    """The last relative-capable change per conversation (A2A context id), for follow-ups.

    At most `capacity` conversations are remembered, each for `ttl_s` seconds after its last change.
    Thread-safe.
    """

    def __init__(
        self, *, capacity: int = 512, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._capacity = capacity
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Action]] = OrderedDict()
        self._lock = threading.Lock()

    def last(self, context_id: str) -> Action | None:
        """The conversation's last remembered change, if it is recent enough."""
        with self._lock:
            entry = self._entries.get(context_id)
            if entry is None:
                return None
            stamp, action = entry
            if self._clock() - stamp > self._ttl_s:
                del self._entries[context_id]
                return None
            return action

    def remember(self, context_id: str, action: Action) -> None:
        """Keep `action` as the conversation's last change."""
        with self._lock:
            self._entries[context_id] = (self._clock(), action)
            self._entries.move_to_end(context_id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
