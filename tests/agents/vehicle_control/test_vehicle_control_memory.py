"""The conversation memory a follow-up ("a bit more") reads: bounded in number and in age."""

from __future__ import annotations

import pytest

from agents.vehicle_control.actions import Action
from agents.vehicle_control.dialogue import MEMORY_CAPACITY, ConversationMemory
from orchestrator.dialogue import MAX_SESSIONS


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _change(value: float) -> Action:
    return Action(tool="set_temperature", arguments={"zone": "driver", "celsius": value})


def test_default_capacity_holds_every_session_the_orchestrator_keeps() -> None:
    assert MEMORY_CAPACITY >= MAX_SESSIONS
    memory = ConversationMemory()
    for i in range(MAX_SESSIONS):
        memory.remember(f"session:{i}", _change(18 + i % 10))
    assert len(memory) == MAX_SESSIONS
    assert memory.last("session:0") == _change(18)


def test_filled_past_capacity_keeps_the_most_recently_changed() -> None:
    memory = ConversationMemory(capacity=4)
    for i in range(10):
        memory.remember(f"session:{i}", _change(float(i)))
    assert len(memory) == 4
    assert [memory.last(f"session:{i}") for i in range(6)] == [None] * 6
    assert [memory.last(f"session:{i}") for i in range(6, 10)] == [_change(float(i)) for i in range(6, 10)]
    # Changing an old conversation again makes it the newest: the next eviction takes another.
    memory.remember("session:6", _change(30.0))
    memory.remember("session:10", _change(31.0))
    assert memory.last("session:7") is None
    assert memory.last("session:6") == _change(30.0)
    assert len(memory) == 4


def test_expired_conversations_are_dropped_when_another_is_remembered() -> None:
    clock = _Clock()
    memory = ConversationMemory(capacity=100, ttl_s=300.0, clock=clock)
    for i in range(50):
        memory.remember(f"session:{i}", _change(20.0))
    clock.now += 200.0
    memory.remember("session:late", _change(21.0))
    assert len(memory) == 51
    clock.now += 150.0  # the first 50 are now 350 s old, the late one 150 s
    memory.remember("session:next", _change(22.0))
    assert len(memory) == 2
    assert memory.last("session:0") is None
    assert memory.last("session:late") == _change(21.0)
    clock.now += 301.0
    assert memory.last("session:late") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"capacity": 0}, "capacity must be at least 1"), ({"ttl_s": 0.0}, "ttl_s must be positive")],
)
def test_bad_bounds_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ConversationMemory(**kwargs)  # type: ignore[arg-type]
