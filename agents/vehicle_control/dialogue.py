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


MEMORY_CAPACITY = 128
"""Most conversations `ConversationMemory` remembers by default: one per front-end session, and the
orchestrator keeps at most 128 sessions open (`MAX_SESSIONS` in `orchestrator/dialogue.py`); a car's
front ends hold a handful, `cabin bench --sweep` up to 100 at once."""
MEMORY_TTL_S = 300.0
"""How long a conversation's last change is remembered after it was made."""


class ConversationMemory:
    """The last relative-capable change per conversation (front-end session or A2A context), for
    follow-ups.

    At most `capacity` conversations are remembered (the least recently changed go first), each for
    `ttl_s` seconds after its last change; expired ones are dropped when a change is remembered, not
    only when they are looked up. Thread-safe. `len()` is the number of conversations held.
    """

    def __init__(
        self,
        *,
        capacity: int = MEMORY_CAPACITY,
        ttl_s: float = MEMORY_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"conversation memory capacity must be at least 1, not {capacity}")
        if ttl_s <= 0:
            raise ValueError(f"conversation memory ttl_s must be positive, not {ttl_s}")
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
            now = self._clock()
            self._entries[context_id] = (now, action)
            self._entries.move_to_end(context_id)
            # In order of last change, so the expired ones are at the front.
            while self._entries:
                stamp, _ = next(iter(self._entries.values()))
                if now - stamp <= self._ttl_s and len(self._entries) <= self._capacity:
                    break
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
