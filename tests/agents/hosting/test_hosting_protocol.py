"""The app on the wire, in memory: JSON-RPC and HTTP+JSON calls, auth, lifecycle, and bad input.

Every bad request must come back as the spec's error (JSON-RPC code or HTTP+JSON status), never as
an HTTP 500.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from agents.hosting import ConfigurationError, build_agent_app, token_digest

from .hosting_doubles import (
    A2A_HEADERS,
    BASE_URL,
    ECHO_SPEC,
    OTHER_TOKEN,
    TOKEN,
    EchoExecutor,
    QuickEchoExecutor,
    rpc,
    user_message,
)


async def _rpc(
    http: httpx.AsyncClient, method: str, params: dict[str, Any], **headers: str
) -> dict[str, Any]:
    response = await http.post("/", json=rpc(method, params), headers={**A2A_HEADERS, **headers})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _sse_events(text: str) -> list[dict[str, Any]]:
    return [json.loads(line[len("data:") :]) for line in text.splitlines() if line.startswith("data:")]


async def _send(http: httpx.AsyncClient, text: str, **extra: Any) -> dict[str, Any]:
    body = await _rpc(http, "SendMessage", {"message": user_message(text, **extra)})
    assert "result" in body, body
    task: dict[str, Any] = body["result"]["task"]
    return task


# --- authentication -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "problem"),
    [
        (None, "requires an Authorization: Bearer <token> header"),
        (f"Basic {TOKEN}", "must use the Bearer scheme"),
        ("Bearer wrong-token-0123456789", "not valid for this agent"),
        ("Bearer ", "must use the Bearer scheme"),
    ],
)
async def test_jsonrpc_call_without_the_right_token_gets_401(
    http: httpx.AsyncClient, authorization: str | None, problem: str
) -> None:
    headers = {"A2A-Version": "1.0"}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = await http.post("/", json=rpc("SendMessage", {"message": user_message("hi")}), headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert problem in response.json()["error"]["message"]


async def test_http_json_calls_need_the_token_too(http: httpx.AsyncClient) -> None:
    send = await http.post(
        "/rest/message:send", json={"message": user_message("hi")}, headers={"A2A-Version": "1.0"}
    )
    get = await http.get("/rest/tasks/any", headers={"A2A-Version": "1.0"})

    assert (send.status_code, get.status_code) == (401, 401)


async def test_extra_token_is_accepted_beside_the_agent_token(executor: EchoExecutor) -> None:
    app = build_agent_app(ECHO_SPEC, executor, base_url=BASE_URL, token=TOKEN, extra_tokens=[OTHER_TOKEN])
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
            task = (
                await _rpc(
                    http,
                    "SendMessage",
                    {"message": user_message("hi")},
                    Authorization=f"Bearer {OTHER_TOKEN}",
                )
            )["result"]["task"]
        assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    finally:
        await app.aclose()


async def test_an_agent_given_only_digests_accepts_the_tokens_but_not_the_digests(
    executor: EchoExecutor,
) -> None:
    app = build_agent_app(
        ECHO_SPEC,
        executor,
        base_url=BASE_URL,
        token=token_digest(TOKEN),
        extra_tokens=[token_digest(OTHER_TOKEN)],
    )
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
            statuses = {}
            for bearer in (TOKEN, OTHER_TOKEN, token_digest(TOKEN), token_digest(OTHER_TOKEN)):
                response = await http.post(
                    "/",
                    json=rpc("SendMessage", {"message": user_message("hi")}),
                    headers={"A2A-Version": "1.0", "Authorization": f"Bearer {bearer}"},
                )
                statuses[bearer] = response.status_code
        assert statuses == {
            TOKEN: 200,
            OTHER_TOKEN: 200,
            token_digest(TOKEN): 401,
            token_digest(OTHER_TOKEN): 401,
        }
        # The front-end digest still marks its caller as a front-end (a person's words).
        assert [r.origin for r in executor.requests] == [None, "occupant"]
    finally:
        await app.aclose()


@pytest.mark.rule("GR-18")
async def test_a_front_end_token_speaks_for_the_driver_unless_the_message_says_otherwise(
    executor: EchoExecutor,
) -> None:
    app = build_agent_app(ECHO_SPEC, executor, base_url=BASE_URL, token=TOKEN, extra_tokens=[OTHER_TOKEN])
    stated = user_message("hi")
    stated["metadata"] = {"cabin/seat": "passenger", "cabin/origin": "external"}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
            for token, message in ((OTHER_TOKEN, user_message("hi")), (OTHER_TOKEN, stated)):
                await _rpc(http, "SendMessage", {"message": message}, Authorization=f"Bearer {token}")
            # The agent's own token (another agent, the orchestrator): only what the message states.
            await _rpc(http, "SendMessage", {"message": user_message("hi")}, Authorization=f"Bearer {TOKEN}")
        assert [(r.seat, r.origin) for r in executor.requests] == [
            ("driver", "occupant"),
            ("passenger", "external"),
            (None, None),
        ]
    finally:
        await app.aclose()


async def test_insecure_mode_checks_no_token(executor: EchoExecutor) -> None:
    app = build_agent_app(ECHO_SPEC, executor, base_url=BASE_URL, token=None)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
            response = await http.post(
                "/", json=rpc("SendMessage", {"message": user_message("hi")}), headers={"A2A-Version": "1.0"}
            )
            card = (await http.get("/.well-known/agent-card.json")).json()
        assert response.json()["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
        assert "securitySchemes" not in card
    finally:
        await app.aclose()


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"token": "short"}, "at least 16 characters"),
        ({"token": "has a space in it 0123456789"}, "whitespace"),
        ({"token": None, "extra_tokens": [OTHER_TOKEN]}, "extra_tokens given without a token"),
        ({"token": None, "max_body_bytes": 10}, "max_body_bytes must be at least 1024"),
        ({"token": None, "task_store": "postgres://db"}, "is not supported"),
    ],
)
def test_bad_app_settings_are_refused_at_build_time(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        build_agent_app(ECHO_SPEC, EchoExecutor(), base_url=BASE_URL, **kwargs)


# --- results and lifecycle ------------------------------------------------------------------------


async def test_reply_completes_the_task_with_text_and_data_parts(
    http: httpx.AsyncClient, executor: EchoExecutor
) -> None:
    task = await _send(
        http, "hello", messageId="m-hello-1", metadata={"cabin/seat": "passenger", "cabin/origin": "occupant"}
    )

    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    parts = task["status"]["message"]["parts"]
    assert parts[0] == {"text": "You said: hello", "mediaType": "text/plain"}
    assert parts[1]["data"] == {
        "seat": "passenger",
        "origin": "occupant",
        "from_occupant": True,
        "intent": None,
    }
    assert task["artifacts"][0]["name"] == "result"
    assert task["artifacts"][0]["parts"] == parts
    assert task["history"][0]["parts"] == [{"text": "hello"}]
    assert executor.requests[-1].message_id == "m-hello-1"


async def test_streaming_shows_submitted_working_artifact_completed(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/", json=rpc("SendStreamingMessage", {"message": user_message("hello")}), headers=A2A_HEADERS
    )

    assert response.headers["content-type"].startswith("text/event-stream")
    events = [event["result"] for event in _sse_events(response.text)]
    kinds = [next(iter(event)) for event in events]
    assert kinds == ["task", "statusUpdate", "artifactUpdate", "statusUpdate"]
    assert events[0]["task"]["status"]["state"] == "TASK_STATE_SUBMITTED"
    assert events[1]["statusUpdate"]["status"]["state"] == "TASK_STATE_WORKING"
    assert events[3]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"


async def test_question_then_answer_resumes_the_task_with_its_saved_state(
    http: httpx.AsyncClient, executor: EchoExecutor
) -> None:
    asked = await _send(http, "ask me")
    assert asked["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert asked["status"]["message"]["parts"][0]["text"] == "Which side?"

    answered = await _send(http, "left", taskId=asked["id"])

    assert answered["id"] == asked["id"]
    assert answered["contextId"] == asked["contextId"]
    assert answered["status"]["state"] == "TASK_STATE_COMPLETED"
    assert answered["status"]["message"]["contextId"] == asked["contextId"]
    assert answered["status"]["message"]["parts"][1]["data"] == {
        "answer": "left",
        "saved": {"asked": "ask me", "turn": 1, "ratio": 0.5},
    }
    resumed = executor.requests[-1].resumed
    assert resumed is not None
    assert resumed.question == "Which side?"
    assert [message["role"] for message in answered["history"]] == ["ROLE_USER", "ROLE_AGENT", "ROLE_USER"]


async def test_answer_streams_working_then_completed(http: httpx.AsyncClient) -> None:
    asked = await _send(http, "ask me")
    response = await http.post(
        "/",
        json=rpc("SendStreamingMessage", {"message": user_message("right", taskId=asked["id"])}),
        headers=A2A_HEADERS,
    )

    states = [
        event["result"]["statusUpdate"]["status"]["state"]
        for event in _sse_events(response.text)
        if "statusUpdate" in event["result"]
    ]
    assert states == ["TASK_STATE_WORKING", "TASK_STATE_COMPLETED"]


@pytest.mark.parametrize(
    ("text", "state", "sentence"),
    [
        ("refuse it", "TASK_STATE_REJECTED", "I will not do that."),
        ("fail it", "TASK_STATE_FAILED", "The thing broke."),
        ("crash it", "TASK_STATE_FAILED", "Something went wrong on my side."),
        ("garbage it", "TASK_STATE_FAILED", "Something went wrong on my side."),
    ],
)
async def test_rejections_failures_and_crashes_end_the_task(
    http: httpx.AsyncClient, text: str, state: str, sentence: str
) -> None:
    task = await _send(http, text)

    assert task["status"]["state"] == state
    assert task["status"]["message"]["parts"][0]["text"] == sentence
    assert "secret internal detail" not in json.dumps(task)


async def test_handler_over_its_time_limit_fails_the_task() -> None:
    app = build_agent_app(ECHO_SPEC, QuickEchoExecutor(), base_url=BASE_URL, token=TOKEN)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
            task = await _send(http, "sleep long")
        assert task["status"]["state"] == "TASK_STATE_FAILED"
        assert task["status"]["message"]["parts"][0]["text"] == "That took too long, so I stopped."
    finally:
        await app.aclose()


async def test_input_required_task_can_be_canceled_and_not_resumed(http: httpx.AsyncClient) -> None:
    asked = await _send(http, "ask me")

    canceled = (await _rpc(http, "CancelTask", {"id": asked["id"]}))["result"]
    again = await _rpc(http, "SendMessage", {"message": user_message("left", taskId=asked["id"])})

    assert canceled["status"]["state"] == "TASK_STATE_CANCELED"
    assert again["error"]["code"] == -32004  # UnsupportedOperation: the task is terminal


async def test_http_json_binding_sends_gets_and_streams(http: httpx.AsyncClient) -> None:
    sent = await http.post(
        "/rest/message:send", json={"message": user_message("over rest")}, headers=A2A_HEADERS
    )
    assert sent.status_code == 200
    assert sent.headers["content-type"] == "application/json"  # spec 11.1
    task = sent.json()["task"]

    fetched = await http.get(f"/rest/tasks/{task['id']}", headers=A2A_HEADERS)
    streamed = await http.post(
        "/rest/message:stream", json={"message": user_message("stream rest")}, headers=A2A_HEADERS
    )

    assert fetched.json()["status"]["state"] == "TASK_STATE_COMPLETED"
    assert fetched.json()["status"]["message"]["parts"][0]["text"] == "You said: over rest"
    events = _sse_events(streamed.text)
    assert events[-1]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"


# --- bad input: the spec's errors -----------------------------------------------------------------


async def test_malformed_json_is_a_parse_error(http: httpx.AsyncClient) -> None:
    response = await http.post("/", content=b'{"jsonrpc": "2.0", "method": ', headers=A2A_HEADERS)

    assert response.status_code == 200
    assert response.json()["error"]["code"] == -32700


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"jsonrpc": "2.0", "id": 1, "method": "tasks/teleport", "params": {}}, -32601),
        ({"jsonrpc": "1.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}, -32600),
        ([{"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}], -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": "hello"}}, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": {"parts": []}}}, -32602),
    ],
)
async def test_invalid_jsonrpc_requests_get_their_error_codes(
    http: httpx.AsyncClient, body: Any, code: int
) -> None:
    response = await http.post("/", json=body, headers=A2A_HEADERS)

    assert response.status_code == 200
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize("version", ["0.3", "2.0", "banana", None])
async def test_unsupported_a2a_version_is_refused(http: httpx.AsyncClient, version: str | None) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if version is not None:
        headers["A2A-Version"] = version
    response = await http.post("/", json=rpc("SendMessage", {"message": user_message("hi")}), headers=headers)
    rest = await http.post("/rest/message:send", json={"message": user_message("hi")}, headers=headers)

    assert response.json()["error"]["code"] == -32009
    assert rest.status_code == 400
    assert rest.json()["error"]["details"][0]["reason"] == "VERSION_NOT_SUPPORTED"


async def test_oversized_body_is_refused_with_the_limit_named(http: httpx.AsyncClient) -> None:
    big = user_message("x" * 70_000)
    jsonrpc = await http.post("/", json=rpc("SendMessage", {"message": big}), headers=A2A_HEADERS)
    rest = await http.post("/rest/message:send", json={"message": big}, headers=A2A_HEADERS)

    assert jsonrpc.status_code == 200
    assert jsonrpc.json()["error"] == {
        "code": -32600,
        "message": "the request body is larger than the 65536-byte limit",
    }
    assert rest.status_code == 413
    assert "65536-byte limit" in rest.json()["error"]["message"]


async def test_chunked_oversized_body_is_refused_too(http: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 4096

    response = await http.post("/rest/message:send", content=chunks(), headers=A2A_HEADERS)

    assert response.status_code == 413


async def test_raw_file_part_to_a_text_agent_is_content_type_not_supported(http: httpx.AsyncClient) -> None:
    message = user_message("look")
    message["parts"].append({"raw": "iVBORw0KGgo=", "filename": "frame.png"})
    body = await _rpc(http, "SendMessage", {"message": message})

    assert body["error"]["code"] == -32005
    assert "part 1 is a raw file part" in body["error"]["message"]


async def test_a_raw_file_part_over_http_json_is_415(http: httpx.AsyncClient) -> None:
    message = user_message("look")
    message["parts"].append({"raw": "iVBORw0KGgo=", "filename": "frame.png"})
    rest = await http.post("/rest/message:send", json={"message": message}, headers=A2A_HEADERS)
    stream = await http.post("/rest/message:stream", json={"message": message}, headers=A2A_HEADERS)

    for response in (rest, stream):
        assert response.status_code == 415, response.text
        error = response.json()["error"]
        assert (error["code"], error["details"][0]["reason"]) == (415, "CONTENT_TYPE_NOT_SUPPORTED")
        assert "part 1 is a raw file part" in error["message"]


async def test_other_http_json_errors_keep_their_status(http: httpx.AsyncClient) -> None:
    bad = await http.post("/rest/message:send", json={"message": {"parts": []}}, headers=A2A_HEADERS)

    assert bad.status_code == 400, bad.text
    assert bad.json()["error"]["code"] == 400


async def test_undeclared_media_type_is_content_type_not_supported(http: httpx.AsyncClient) -> None:
    message = user_message("look")
    message["parts"][0]["mediaType"] = "image/png"
    body = await _rpc(http, "SendMessage", {"message": message})

    assert body["error"]["code"] == -32005


async def test_bad_cabin_metadata_is_invalid_params_and_creates_no_task(
    http: httpx.AsyncClient, executor: EchoExecutor
) -> None:
    body = await _rpc(http, "SendMessage", {"message": user_message("hi", metadata={"cabin/seat": "roof"})})
    listed = await _rpc(http, "ListTasks", {})

    assert body["error"]["code"] == -32602
    assert "'cabin/seat' is 'roof'" in body["error"]["message"]
    assert listed["result"]["tasks"] == []
    assert executor.requests == []


async def test_unknown_task_ids_are_task_not_found(http: httpx.AsyncClient) -> None:
    get = await _rpc(http, "GetTask", {"id": "no-such-task"})
    cancel = await _rpc(http, "CancelTask", {"id": "no-such-task"})
    resume = await _rpc(http, "SendMessage", {"message": user_message("hi", taskId="no-such-task")})
    rest = await http.get("/rest/tasks/no-such-task", headers=A2A_HEADERS)

    assert [body["error"]["code"] for body in (get, cancel, resume)] == [-32001, -32001, -32001]
    assert rest.status_code == 404


async def test_cancelling_a_finished_task_is_task_not_cancelable(http: httpx.AsyncClient) -> None:
    task = await _send(http, "hello")

    body = await _rpc(http, "CancelTask", {"id": task["id"]})
    rest = await http.post(f"/rest/tasks/{task['id']}:cancel", headers=A2A_HEADERS)

    assert body["error"]["code"] == -32002
    assert rest.status_code == 409
    assert rest.json()["error"]["code"] == 409
    assert rest.json()["error"]["details"][0]["reason"] == "TASK_NOT_CANCELABLE"
    assert rest.headers["content-length"] == str(len(rest.content))


async def test_push_notifications_are_not_supported(http: httpx.AsyncClient) -> None:
    task = await _send(http, "hello")
    body = await _rpc(
        http,
        "CreateTaskPushNotificationConfig",
        {"taskId": task["id"], "id": "p1", "url": "https://example.com/hook"},
    )

    assert body["error"]["code"] == -32003


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_non_json_content_type_is_content_type_not_supported(
    http: httpx.AsyncClient, content_type: str
) -> None:
    headers = {**A2A_HEADERS, "Content-Type": content_type}
    body = json.dumps(rpc("SendMessage", {"message": user_message("hi")})).encode()
    jsonrpc = await http.post("/", content=body, headers=headers)
    rest = await http.post("/rest/message:send", content=body, headers=headers)

    assert jsonrpc.status_code == 200
    assert jsonrpc.json()["error"]["code"] == -32005
    assert f"Content-Type '{content_type}' is not supported" in jsonrpc.json()["error"]["message"]
    assert rest.status_code == 415
    assert rest.json()["error"]["details"][0]["reason"] == "CONTENT_TYPE_NOT_SUPPORTED"


async def test_json_content_type_with_charset_is_accepted(http: httpx.AsyncClient) -> None:
    headers = {**A2A_HEADERS, "Content-Type": "application/json; charset=utf-8"}
    body = json.dumps(rpc("SendMessage", {"message": user_message("hi")})).encode()
    response = await http.post("/", content=body, headers=headers)

    assert response.json()["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"


async def test_http_json_malformed_body_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/rest/message:send", content=b"{not json", headers=A2A_HEADERS)

    assert response.status_code == 400


def test_websocket_handshake_is_refused() -> None:
    app = build_agent_app(ECHO_SPEC, EchoExecutor(), base_url=BASE_URL, token=TOKEN)
    with (
        TestClient(app) as client,
        pytest.raises(WebSocketDisconnect) as caught,
        client.websocket_connect("/", headers={"Authorization": f"Bearer {TOKEN}"}),
    ):
        pass
    assert caught.value.code == 1008
