"""The echo agent served by real uvicorn on free loopback ports: HTTP for real, streaming, cancel."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agents.hosting import AgentAuthError, AgentClient, AgentResult, BackgroundServer, build_agent_app

from .hosting_doubles import ECHO_SPEC, TOKEN, EchoExecutor, rpc, user_message

pytestmark = pytest.mark.realprocess

_HERE = Path(__file__).resolve().parent
_ROOT = _HERE.parents[2]


@pytest.fixture
def served() -> Iterator[tuple[BackgroundServer, EchoExecutor]]:
    executor = EchoExecutor()
    server = BackgroundServer(lambda url: build_agent_app(ECHO_SPEC, executor, base_url=url, token=TOKEN))
    with server:
        yield server, executor


async def test_card_names_the_real_port_and_both_bindings_answer(
    served: tuple[BackgroundServer, EchoExecutor],
) -> None:
    server, _ = served
    async with AgentClient(server.url, token=TOKEN) as client:
        card = await client.get_card()
        result = await client.send_text("hello over tcp", seat="driver", origin="occupant")
    async with httpx.AsyncClient(timeout=5) as http:
        rest = await http.post(
            f"{server.url}/rest/message:send",
            json={"message": user_message("hello over rest")},
            headers={"A2A-Version": "1.0", "Authorization": f"Bearer {TOKEN}"},
        )

    assert [i.url for i in card.supported_interfaces] == [server.url, f"{server.url}/rest"]
    assert result.state == "completed"
    assert result.text == "You said: hello over tcp"
    assert rest.status_code == 200
    assert rest.json()["task"]["status"]["state"] == "TASK_STATE_COMPLETED"


async def test_real_server_refuses_calls_without_token(served: tuple[BackgroundServer, EchoExecutor]) -> None:
    server, _ = served
    async with AgentClient(server.url) as client:
        with pytest.raises(AgentAuthError):
            await client.send_text("hi")
    async with httpx.AsyncClient(timeout=5) as http:
        card = await http.get(f"{server.url}/.well-known/agent-card.json")
    assert card.status_code == 200


async def test_streaming_question_and_answer_over_the_wire(
    served: tuple[BackgroundServer, EchoExecutor],
) -> None:
    server, _ = served
    async with AgentClient(server.url, token=TOKEN, streaming=True) as client:
        asked = [update async for update in client.stream_text("ask me")]
        assert asked[-1].task_id is not None
        answered = [update async for update in client.stream_text("left", task_id=asked[-1].task_id)]

    assert [update.state for update in asked] == ["submitted", "working", "input_required"]
    assert asked[-1].text == "Which side?"
    assert [update.state for update in answered] == ["working", "working", "completed"]
    assert answered[-1].data == {"answer": "left", "saved": {"asked": "ask me", "turn": 1, "ratio": 0.5}}


async def test_cancel_stops_the_running_handler_while_the_client_streams(
    served: tuple[BackgroundServer, EchoExecutor],
) -> None:
    server, executor = served
    seen: list[AgentResult] = []
    first = asyncio.Event()

    async def stream() -> None:
        async with AgentClient(server.url, token=TOKEN, streaming=True) as client:
            async for update in client.stream_text("wait for it"):
                seen.append(update)
                first.set()

    streaming = asyncio.create_task(stream())
    await asyncio.wait_for(first.wait(), 5)
    assert await asyncio.to_thread(executor.started.wait, 5)
    task_id = seen[0].task_id
    assert task_id is not None

    async with AgentClient(server.url, token=TOKEN) as client:
        started = time.perf_counter()
        canceled = await client.cancel(task_id)
        cancel_ms = (time.perf_counter() - started) * 1000
        stored = await client.get_task(task_id)
    await asyncio.wait_for(streaming, 5)

    assert canceled.state == "canceled"
    assert canceled.text == "Canceled."
    assert stored.state == "canceled"
    assert executor.cleaned_up.is_set()
    assert seen[-1].state == "canceled"
    assert cancel_ms < 1000


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_SERVE_SCRIPT = """
import sys
from tests.agents.hosting.hosting_doubles import ECHO_SPEC, TOKEN, EchoExecutor
from agents.hosting import build_agent_app, serve
port = int(sys.argv[1])
app = build_agent_app(ECHO_SPEC, EchoExecutor(), base_url=f"http://127.0.0.1:{port}", token=TOKEN,
                      task_store=sys.argv[2])
serve(app, host="127.0.0.1", port=port, log_level="warning")
"""


def test_serve_runs_in_its_own_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), str(_HERE)])}
    database = f"sqlite:///{tmp_path / 'tasks.db'}"
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE_SCRIPT, str(port), database],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                card = httpx.get(f"{url}/.well-known/agent-card.json", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        answer = httpx.post(
            url,
            json=rpc("SendMessage", {"message": user_message("hello process")}),
            headers={"A2A-Version": "1.0", "Authorization": f"Bearer {TOKEN}"},
            timeout=5,
        )
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert card.json()["supportedInterfaces"][0]["url"] == url
    assert json.loads(answer.text)["result"]["task"]["status"]["state"] == "TASK_STATE_COMPLETED"
    # uvicorn shuts down gracefully, then re-raises the signal it caught: exit by SIGTERM.
    assert process.returncode in (0, -signal.SIGTERM), stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()
    assert (tmp_path / "tasks.db").stat().st_size > 0
