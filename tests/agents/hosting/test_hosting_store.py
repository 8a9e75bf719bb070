"""Task stores: SQLite keeps tasks (and a pending question's state) across an agent restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from a2a.server.tasks import DatabaseTaskStore, InMemoryTaskStore

from agents.hosting import AgentClient, ConfigurationError, build_agent_app, open_task_store

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


async def test_store_urls_select_the_store(tmp_path: Path) -> None:
    assert isinstance(open_task_store("memory://").store, InMemoryTaskStore)
    assert isinstance(open_task_store("").store, InMemoryTaskStore)
    opened = open_task_store(f"sqlite:///{tmp_path / 'a.db'}")
    try:
        assert isinstance(opened.store, DatabaseTaskStore)
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
