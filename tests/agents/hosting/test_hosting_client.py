"""`AgentClient` against the real app in memory (httpx.ASGITransport): results, resume, errors."""

from __future__ import annotations

import socket

import httpx
import pytest
from pydantic import JsonValue

from agents.hosting import (
    AgentApplication,
    AgentAuthError,
    AgentClient,
    AgentProtocolError,
    AgentUnreachableError,
    TaskNotCancelableError,
    UnknownTaskError,
    build_agent_app,
)

from .hosting_doubles import BASE_URL, ECHO_SPEC, TOKEN, EchoExecutor


async def test_get_card_returns_the_served_card(agent: AgentClient) -> None:
    card = await agent.get_card()

    assert card.name == ECHO_SPEC.name
    assert [skill.id for skill in card.skills] == ["echo", "clarify"]
    assert "bearer" in card.security_schemes


async def test_send_text_returns_state_text_data_and_ids(agent: AgentClient) -> None:
    result = await agent.send_text("hello", seat="driver", origin="occupant")

    assert result.state == "completed"
    assert result.is_terminal
    assert result.text == "You said: hello"
    assert result.data == {"seat": "driver", "origin": "occupant", "from_occupant": True, "intent": None}
    assert result.task_id
    assert result.context_id


async def test_parsed_intent_travels_as_a_data_part(agent: AgentClient, executor: EchoExecutor) -> None:
    intent: dict[str, JsonValue] = {"intent": "set_temperature", "slots": {"celsius": 22, "zone": "driver"}}

    result = await agent.send_text("set it to 22", data=intent, metadata={"trace": "t-9"})

    assert result.data is not None
    assert result.data["intent"] == intent
    request = executor.requests[-1]
    assert request.intent is not None
    assert request.intent.slots == {"celsius": 22, "zone": "driver"}
    assert request.metadata == {"trace": "t-9"}
    assert request.seat is None
    assert not request.from_occupant


async def test_question_is_answered_by_resuming_the_task(agent: AgentClient) -> None:
    asked = await agent.send_text("ask me", seat="passenger")
    assert asked.needs_input
    assert asked.text == "Which side?"

    answered = await agent.send_text("left", task_id=asked.task_id)

    assert answered.state == "completed"
    assert (answered.task_id, answered.context_id) == (asked.task_id, asked.context_id)
    assert answered.data == {"answer": "left", "saved": {"asked": "ask me", "turn": 1, "ratio": 0.5}}


async def test_get_task_and_cancel(agent: AgentClient) -> None:
    asked = await agent.send_text("ask me")
    assert asked.task_id is not None

    fetched = await agent.get_task(asked.task_id)
    canceled = await agent.cancel(asked.task_id)

    assert fetched.state == "input_required"
    assert fetched.metadata["cabin/pending"] == {"question": "Which side?", "state": asked_state()}
    assert canceled.state == "canceled"
    assert (await agent.get_task(asked.task_id)).state == "canceled"


def asked_state() -> dict[str, object]:
    return {"asked": "ask me", "turn": 1, "ratio": 0.5}


async def test_cancelling_a_finished_task_raises_not_cancelable(agent: AgentClient) -> None:
    done = await agent.send_text("hello")
    assert done.task_id is not None

    with pytest.raises(TaskNotCancelableError) as caught:
        await agent.cancel(done.task_id)
    assert caught.value.code == -32002


async def test_unknown_task_raises_unknown_task(agent: AgentClient) -> None:
    with pytest.raises(UnknownTaskError) as caught:
        await agent.get_task("no-such-task")
    assert caught.value.code == -32001
    with pytest.raises(UnknownTaskError):
        await agent.send_text("hi", task_id="no-such-task")


async def test_bad_metadata_raises_protocol_error_with_its_code(agent: AgentClient) -> None:
    with pytest.raises(AgentProtocolError, match="cabin/origin") as caught:
        await agent.send_text("hi", metadata={"cabin/origin": "web"})
    assert caught.value.code == -32602


@pytest.mark.parametrize("token", [None, "wrong-token-0123456789abcdef"])
async def test_missing_or_wrong_token_raises_auth_error(http: httpx.AsyncClient, token: str | None) -> None:
    async with AgentClient(BASE_URL, token=token, http_client=http) as client:
        with pytest.raises(AgentAuthError) as caught:
            await client.send_text("hi")
    assert caught.value.status_code == 401


async def test_streaming_client_yields_every_state(http: httpx.AsyncClient) -> None:
    async with AgentClient(BASE_URL, token=TOKEN, http_client=http, streaming=True) as client:
        states = [update.state async for update in client.stream_text("hello")]
        asked = await client.send_text("ask me")
        answered = await client.send_text("right", task_id=asked.task_id)

    assert states == ["submitted", "working", "working", "completed"]
    assert asked.needs_input
    assert answered.data == {"answer": "right", "saved": asked_state()}


async def test_streaming_auth_failure_is_an_auth_error(http: httpx.AsyncClient) -> None:
    async with AgentClient(BASE_URL, http_client=http, streaming=True) as client:
        with pytest.raises(AgentAuthError):
            await client.send_text("hi")


async def test_injected_http_client_is_left_open(app: AgentApplication) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        async with AgentClient(BASE_URL, token=TOKEN, http_client=http) as client:
            await client.send_text("hello")
        assert not http.is_closed


async def test_agent_that_is_not_there_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with AgentClient(f"http://127.0.0.1:{port}", token=TOKEN, timeout_s=2) as client:
        with pytest.raises(AgentUnreachableError, match="no Agent Card"):
            await client.send_text("hi")


async def test_insecure_agent_needs_no_token(executor: EchoExecutor) -> None:
    app = build_agent_app(ECHO_SPEC, executor, base_url=BASE_URL, token=None)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, http_client=http) as client,
        ):
            assert (await client.send_text("hello")).state == "completed"
    finally:
        await app.aclose()
