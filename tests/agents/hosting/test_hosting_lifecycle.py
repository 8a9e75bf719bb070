"""Cancellation of a running handler, in memory: the task ends CANCELED and nothing overwrites it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from agents.hosting import AgentApplication, build_agent_app

from .hosting_doubles import (
    A2A_HEADERS,
    BASE_URL,
    ECHO_SPEC,
    TOKEN,
    CancelIgnoringExecutor,
    EchoExecutor,
    rpc,
    user_message,
)


async def _call(http: httpx.AsyncClient, method: str, params: dict[str, Any]) -> dict[str, Any]:
    response = await http.post("/", json=rpc(method, params), headers=A2A_HEADERS)
    body: dict[str, Any] = response.json()
    return body


async def _start(http: httpx.AsyncClient, text: str) -> str:
    """Send without waiting for the outcome; return the new task's id."""
    body = await _call(
        http, "SendMessage", {"message": user_message(text), "configuration": {"returnImmediately": True}}
    )
    task_id: str = body["result"]["task"]["id"]
    return task_id


@pytest.fixture
async def ignoring_app() -> AsyncIterator[tuple[AgentApplication, CancelIgnoringExecutor]]:
    executor = CancelIgnoringExecutor()
    app = build_agent_app(ECHO_SPEC, executor, base_url=BASE_URL, token=TOKEN)
    yield app, executor
    await app.aclose()


async def test_cancel_stops_the_running_handler_and_runs_its_cleanup(
    http: httpx.AsyncClient, executor: EchoExecutor
) -> None:
    task_id = await _start(http, "wait here")
    assert await asyncio.to_thread(executor.started.wait, 5)

    canceled = await _call(http, "CancelTask", {"id": task_id})
    stored = await _call(http, "GetTask", {"id": task_id})

    assert canceled["result"]["status"]["state"] == "TASK_STATE_CANCELED"
    assert canceled["result"]["status"]["message"]["parts"][0]["text"] == "Canceled."
    assert stored["result"]["status"]["state"] == "TASK_STATE_CANCELED"
    assert executor.cleaned_up.is_set()


async def test_a_second_cancel_is_task_not_cancelable(
    http: httpx.AsyncClient, executor: EchoExecutor
) -> None:
    task_id = await _start(http, "wait here")
    assert await asyncio.to_thread(executor.started.wait, 5)
    await _call(http, "CancelTask", {"id": task_id})

    again = await _call(http, "CancelTask", {"id": task_id})

    assert again["error"]["code"] == -32002


async def test_answer_after_cancel_is_dropped(
    ignoring_app: tuple[AgentApplication, CancelIgnoringExecutor],
) -> None:
    app, executor = ignoring_app
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        task_id = await _start(http, "anything")
        assert await asyncio.to_thread(executor.started.wait, 5)

        canceled = await _call(http, "CancelTask", {"id": task_id})
        assert await asyncio.to_thread(executor.answered.wait, 5)
        await asyncio.sleep(0.05)
        stored = await _call(http, "GetTask", {"id": task_id})

    assert canceled["result"]["status"]["state"] == "TASK_STATE_CANCELED"
    assert stored["result"]["status"]["state"] == "TASK_STATE_CANCELED"
    assert "artifacts" not in stored["result"]


async def test_tasks_run_side_by_side(http: httpx.AsyncClient, executor: EchoExecutor) -> None:
    waiting = await _start(http, "wait here")
    assert await asyncio.to_thread(executor.started.wait, 5)

    other = await _call(http, "SendMessage", {"message": user_message("meanwhile")})
    await _call(http, "CancelTask", {"id": waiting})

    assert other["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
