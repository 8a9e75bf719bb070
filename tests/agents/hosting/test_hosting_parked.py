"""A task waiting for an answer gives back its in-memory machinery after a while and still takes the
answer: an agent that asks many questions nobody answers must not keep a queue and a coroutine for
each of them for the life of the process."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from agents.hosting import AgentApplication, ConfigurationError, build_agent_app

from .hosting_doubles import A2A_HEADERS, BASE_URL, ECHO_SPEC, TOKEN, EchoExecutor, rpc, user_message

RELEASE_S = 0.05
WAIT_S = 60.0  # an upper bound for a busy machine, not a timing expectation


async def _send(http: httpx.AsyncClient, text: str, **extra: Any) -> dict[str, Any]:
    response = await http.post(
        "/", json=rpc("SendMessage", {"message": user_message(text, **extra)}), headers=A2A_HEADERS
    )
    assert response.status_code == 200, response.text
    task: dict[str, Any] = response.json()["result"]["task"]
    return task


async def _held(app: AgentApplication, task_id: str) -> bool:
    """Whether the SDK still holds the in-memory machinery (event queues, consumer) of the task."""
    registry = app.request_handler._active_task_registry
    return await registry.get(task_id) is not None


async def _until_released(app: AgentApplication, task_id: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while await _held(app, task_id):
        assert loop.time() < deadline, f"task {task_id} still held after {WAIT_S} s"
        await asyncio.sleep(RELEASE_S)


async def test_a_parked_task_is_released_and_its_answer_still_resumes_it() -> None:
    executor = EchoExecutor()
    app = build_agent_app(
        ECHO_SPEC, executor, base_url=BASE_URL, token=TOKEN, parked_task_release_s=RELEASE_S
    )
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
            asked = [await _send(http, f"ask me {n}") for n in range(3)]
            assert {task["status"]["state"] for task in asked} == {"TASK_STATE_INPUT_REQUIRED"}
            for task in asked:
                await _until_released(app, task["id"])

            answered = await _send(http, "left", taskId=asked[1]["id"])

            assert answered["id"] == asked[1]["id"]
            assert answered["status"]["state"] == "TASK_STATE_COMPLETED"
            assert answered["status"]["message"]["parts"][1]["data"] == {
                "answer": "left",
                "saved": {"asked": "ask me 1", "turn": 1, "ratio": 0.5},
            }
            await _until_released(app, asked[1]["id"])  # finished: gone as before
    finally:
        await app.aclose()


async def test_a_finished_task_is_not_held_at_all(app: AgentApplication, http: httpx.AsyncClient) -> None:
    done = await _send(http, "hello")
    assert done["status"]["state"] == "TASK_STATE_COMPLETED"
    await _until_released(app, done["id"])


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_a_release_time_that_is_not_positive_is_refused(seconds: float) -> None:
    with pytest.raises(ConfigurationError, match="parked_task_release_s must be positive"):
        build_agent_app(
            ECHO_SPEC, EchoExecutor(), base_url=BASE_URL, token=TOKEN, parked_task_release_s=seconds
        )
