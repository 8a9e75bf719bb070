"""The orchestrator's per-session maps stay bounded: a session's turn lock lives only while a turn of
it runs or waits, and the A2A front end forgets contexts whose session has expired."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.hosting.messages import AgentRequest
from orchestrator.api import OrchestratorExecutor
from orchestrator.dialogue import MAX_SESSIONS
from orchestrator.turn import Orchestrator

from .doubles import KeywordRouter, directory


async def _orchestrator() -> Orchestrator:
    agents, _ = directory()
    await agents.refresh()
    return Orchestrator(KeywordRouter(), agents, budget_s=0.8, agent_timeout_s=1.0)


def _request(context_id: str, text: str = "set the temperature to 20") -> AgentRequest:
    return AgentRequest(
        task_id=f"task-{context_id}-{time.monotonic_ns()}",
        context_id=context_id,
        message_id=f"m-{time.monotonic_ns()}",
        text=text,
        seat="driver",
        origin="occupant",
    )


async def test_session_locks_are_dropped_after_many_sessions() -> None:
    orchestrator = await _orchestrator()
    for _ in range(200):
        result = await orchestrator.handle("set the temperature to 20")
        await orchestrator.handle("set the temperature to 21", session_id=result.session_id)
    assert orchestrator._session_locks == {}
    assert len(orchestrator.sessions) == MAX_SESSIONS  # 200 opened, the most recent kept


async def test_turns_of_one_session_still_run_one_after_another() -> None:
    orchestrator = await _orchestrator()
    first = await orchestrator.handle("set the temperature to 20")
    results = await asyncio.gather(
        *(orchestrator.handle("set the temperature to 22", session_id=first.session_id) for _ in range(5))
    )
    assert [r.session_id for r in results] == [first.session_id] * 5
    # Each turn numbers the session's turns; run one after another, they see 2..6 in some order.
    assert orchestrator.sessions.open(first.session_id, "driver").turns == 6
    assert orchestrator._session_locks == {}


async def test_a2a_contexts_are_capped() -> None:
    executor = OrchestratorExecutor(await _orchestrator())
    executor.max_contexts = 50
    for index in range(300):
        await executor.handle(_request(f"ctx-{index}"))
    assert executor.contexts == 50


async def test_a2a_contexts_of_expired_sessions_are_forgotten() -> None:
    orchestrator = await _orchestrator()
    orchestrator.sessions.idle_s = 0.05
    orchestrator.sessions.confirmation_ttl_s = 0.05
    executor = OrchestratorExecutor(orchestrator)
    for index in range(20):
        await executor.handle(_request(f"ctx-{index}"))
    await asyncio.sleep(0.2)
    await executor.handle(_request("ctx-last"))
    assert executor.contexts == 1


async def test_a_context_keeps_its_session_while_it_is_live() -> None:
    executor = OrchestratorExecutor(await _orchestrator())
    await executor.handle(_request("ctx-a"))
    session = executor._sessions["ctx-a"][0]
    for index in range(10):
        await executor.handle(_request(f"ctx-other-{index}"))
    await executor.handle(_request("ctx-a", "set the temperature to 19"))
    assert executor._sessions["ctx-a"][0] == session


async def test_a_context_is_kept_as_long_as_a_pending_confirmation() -> None:
    orchestrator = await _orchestrator()
    orchestrator.sessions.idle_s = 0.01
    orchestrator.sessions.confirmation_ttl_s = 60.0
    executor = OrchestratorExecutor(orchestrator)
    await executor.handle(_request("ctx-a"))
    await asyncio.sleep(0.05)
    await executor.handle(_request("ctx-b"))
    assert "ctx-a" in executor._sessions


def test_sessions_beyond_the_cap_go_least_recently_used_first() -> None:
    from orchestrator.dialogue import SessionStore, UnknownSession

    store = SessionStore(max_sessions=3)
    first, second, third = (store.open(None, "driver") for _ in range(3))
    store.open(first.id, "driver")  # used again: now the most recent
    fourth = store.open(None, "passenger")

    assert len(store) == 3
    assert store.open(first.id, "driver") is first
    assert store.open(third.id, "driver") is third
    assert store.open(fourth.id, "passenger") is fourth
    with pytest.raises(UnknownSession):
        store.open(second.id, "driver")  # the least recently used, dropped for the fourth


async def test_many_sessions_keep_the_most_recent_ones_with_a_bounded_state_each() -> None:
    from orchestrator.dialogue import EARLIER_PARTS, UnknownSession

    orchestrator = await _orchestrator()
    ids: list[str] = []
    for n in range(MAX_SESSIONS + 8):
        first = await orchestrator.handle("set the temperature to 20", "driver", None)
        ids.append(first.session_id)
        if n == MAX_SESSIONS - 1:  # the store is full: the first session used again
            await orchestrator.handle("set the temperature to 22", "driver", ids[0])
    store = orchestrator.sessions
    assert len(store) == MAX_SESSIONS
    # Eight sessions too many: the eight least recently used go, not the first, used again.
    gone = [index for index, session_id in enumerate(ids) if session_id not in store._sessions]
    assert gone == [1, 2, 3, 4, 5, 6, 7, 8]
    with pytest.raises(UnknownSession):
        await orchestrator.handle("set the temperature to 20", "driver", ids[1])
    for _ in range(EARLIER_PARTS + 4):  # more turns than a session keeps parts of
        await orchestrator.handle("set the temperature to 21", "driver", ids[-1])
    latest = store.open(ids[-1], "driver")
    assert latest.turns == EARLIER_PARTS + 5
    assert len(latest.earlier) == EARLIER_PARTS
    assert [part.text for part in latest.last_turn] == ["set the temperature to 21"]
