"""Task stores: SQLite keeps tasks (and a pending question's state) across an agent restart; every
store an agent opens stays bounded (finished tasks evicted by age and beyond a cap)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from a2a.server.tasks import InMemoryTaskStore

from agents.hosting import (
    AgentClient,
    ConfigurationError,
    UnknownTaskError,
    build_agent_app,
    open_task_store,
)
from agents.hosting.optional import sql_task_store_class
from agents.hosting.store import BoundedTaskStore, SerializedTaskStore

from .hosting_doubles import BASE_URL, ECHO_SPEC, TOKEN, EchoExecutor


async def test_sqlite_task_survives_a_restart_and_can_be_resumed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tasks.db'}"

    first = build_agent_app(ECHO_SPEC, EchoExecutor(), base_url=BASE_URL, token=TOKEN, task_store=url)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=first), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            done = await client.send_text("hello")
            asked = await client.send_text("ask me")
    finally:
        await first.aclose()
    assert done.task_id is not None
    assert asked.task_id is not None

    executor = EchoExecutor()
    second = build_agent_app(ECHO_SPEC, executor, base_url=BASE_URL, token=TOKEN, task_store=url)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            found = await client.get_task(done.task_id)
            waiting = await client.get_task(asked.task_id)
            answered = await client.send_text("left", task_id=asked.task_id)
    finally:
        await second.aclose()

    assert (found.state, found.text) == ("completed", "You said: hello")
    assert waiting.state == "input_required"
    assert answered.state == "completed"
    assert answered.data == {"answer": "left", "saved": {"asked": "ask me", "turn": 1, "ratio": 0.5}}
    assert executor.requests[-1].resumed is not None


def _inner(opened_store: object) -> object:
    assert isinstance(opened_store, BoundedTaskStore)
    return opened_store.inner


_SQL_ONLY_WHEN_ASKED = """
import sys
from pathlib import Path
from agents.hosting import build_agent_app  # an agent's app, in-memory store
import agents.navigation.app, agents.perception.app, agents.vehicle_control.app
assert not [m for m in sys.modules if m.startswith("sqlalchemy")], "SQLAlchemy loaded for memory://"
from agents.hosting import open_task_store
opened = open_task_store("sqlite:///" + str(Path(sys.argv[1]) / "t.db"))
assert type(opened.store.inner).__module__ == "a2a.server.tasks.database_task_store"
assert "sqlalchemy" in sys.modules
"""


def test_sqlalchemy_is_imported_only_for_a_sqlite_store(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SQL_ONLY_WHEN_ASKED, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]


async def test_store_urls_select_the_store(tmp_path: Path) -> None:
    assert isinstance(_inner(open_task_store("memory://").store), SerializedTaskStore)
    assert isinstance(_inner(open_task_store("").store), SerializedTaskStore)
    opened = open_task_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        assert isinstance(_inner(opened.store), sql_task_store_class())
        assert opened.engine is not None
        assert opened.engine.url.drivername == "sqlite+aiosqlite"
    finally:
        await opened.aclose()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgres://db/tasks", "is not supported"),
        ("sqlite:///", "names no database file"),
        ("sqlite:///:memory:", "use 'memory://'"),
        ("sqlite:////no/such/folder/tasks.db", "folder '/no/such/folder' does not exist"),
    ],
)
def test_unusable_store_urls_are_named(url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        open_task_store(url)


CAP = 8
TURNS = 25 * CAP


async def test_after_many_turns_the_store_holds_at_most_its_cap() -> None:
    app = build_agent_app(ECHO_SPEC, EchoExecutor(), base_url=BASE_URL, token=TOKEN, max_tasks=CAP)
    store = app.task_store
    assert isinstance(store, BoundedTaskStore)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            asked = await client.send_text("ask me")
            results = [await client.send_text(f"hello {n}") for n in range(TURNS)]
            sizes_seen = len(store)
            latest = await client.get_task(results[-1].task_id or "")
            waiting = await client.get_task(asked.task_id or "")
            with pytest.raises(UnknownTaskError):
                await client.get_task(results[0].task_id or "")
    finally:
        await app.aclose()
    print(f"task store after {TURNS} turns: {sizes_seen} tasks (cap {CAP})")
    assert sizes_seen <= CAP
    assert latest.text == f"You said: hello {TURNS - 1}"
    # A question still waiting for its answer outlives the finished tasks that came after it.
    assert waiting.state == "input_required"


async def test_finished_tasks_are_dropped_after_their_time_to_live() -> None:
    store = BoundedTaskStore(InMemoryTaskStore(), finished_ttl_s=0.05)
    app = build_agent_app(ECHO_SPEC, EchoExecutor(), base_url=BASE_URL, token=TOKEN, task_store=store)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            first = await client.send_text("hello")
            await asyncio.sleep(0.1)
            second = await client.send_text("hello again")
            with pytest.raises(UnknownTaskError):
                await client.get_task(first.task_id or "")
            assert (await client.get_task(second.task_id or "")).state == "completed"
    finally:
        await app.aclose()
    assert len(store) == 1


@pytest.mark.parametrize(
    ("limits", "problem"),
    [({"max_tasks": 0}, "max_tasks must be at least 1"), ({"finished_ttl_s": 0.0}, "must be positive")],
)
def test_unusable_store_limits_are_named(limits: dict[str, float], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        BoundedTaskStore(InMemoryTaskStore(), **limits)  # type: ignore[arg-type]


async def test_a_question_older_than_finished_tasks_live_does_not_stop_their_eviction() -> None:
    # The sweep reads the tasks in order of last touch and stops at the first one too young to have
    # expired; a question (kept longer) at the front is passed over, not taken as that stop.
    from a2a.auth.user import UnauthenticatedUser
    from a2a.server.context import ServerCallContext
    from a2a.types import Task, TaskState, TaskStatus

    store = BoundedTaskStore(InMemoryTaskStore(), finished_ttl_s=0.05, idle_ttl_s=600.0)
    context = ServerCallContext(user=UnauthenticatedUser())

    def task(task_id: str, state: TaskState) -> Task:
        return Task(id=task_id, context_id="c", status=TaskStatus(state=state))

    await store.save(task("asked", TaskState.TASK_STATE_INPUT_REQUIRED), context)
    await store.save(task("done", TaskState.TASK_STATE_COMPLETED), context)
    await asyncio.sleep(0.1)
    await store.save(task("new", TaskState.TASK_STATE_COMPLETED), context)
    assert await store.get("done", context) is None
    assert await store.get("asked", context) is not None
    assert await store.get("new", context) is not None
    assert len(store) == 2
