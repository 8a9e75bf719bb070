"""The agent as a real process over loopback HTTP, with the real vehicle and perception servers as processes."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from agents.hosting import AgentAuthError, AgentClient
from agents.perception import build_perception_app
from mcp_servers.client import mcp_client
from mcp_servers.perception import InjectedSource, PerceptionFrame, RecognisedSign, build_server, http_app
from mcp_servers.perception.render import render_camera_frame

from .perception_agent_support import BASE_URL, CYCLIST_RIGHT, TOKEN, Servers, image_field

pytestmark = pytest.mark.realprocess

_ROOT = Path(__file__).resolve().parents[3]
AGENT_TOKEN = "agent-token-for-the-process-test-0001"
OPERATOR_TOKEN = "operator-token-for-the-process-test-01"
MCP_TOKEN = "mcp-token-for-the-process-test-000001"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    agent_url: str
    perception_url: str
    processes: dict[str, subprocess.Popen[bytes]]


def _wait_for(url: str, process: subprocess.Popen[bytes], name: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            if process.poll() is not None:
                _, stderr = process.communicate()
                raise AssertionError(f"{name} exited while starting: {stderr.decode()}") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} did not answer {url} within {timeout_s} s") from None
            time.sleep(0.05)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    vehicle_port, perception_port, agent_port = _free_port(), _free_port(), _free_port()
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "Vehicle.Speed": 50,
                "Vehicle.Powertrain.Transmission.SelectedGear": 127,
                "Vehicle.Driver.FatigueLevel": 80,
            }
        )
    )
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({MCP_TOKEN: "perception-summary"}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("CABIN_")}
    env["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"] = "false"
    python = sys.executable
    vehicle_url = f"http://127.0.0.1:{vehicle_port}/mcp"
    commands = {
        "vehicle": [
            *(python, "-m", "mcp_servers.vehicle", "--transport", "http", "--port", str(vehicle_port)),
            *("--state", str(state), "--tokens", str(tokens)),
        ],
        "perception": [
            *(python, "-m", "mcp_servers.perception", "--transport", "http", "--inject"),
            *("--port", str(perception_port), "--token", MCP_TOKEN),
        ],
        # The perception URL is given without a path on purpose: the agent adds /mcp.
        "agent": [
            *(python, "-m", "agents.perception", "--port", str(agent_port), "--vehicle-mcp-url", vehicle_url),
            *("--perception-mcp-url", f"http://127.0.0.1:{perception_port}"),
        ],
    }
    agent_env = {
        **env,
        "CABIN_AGENT_TOKEN": AGENT_TOKEN,
        "CABIN_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "CABIN_MCP_TOKEN": MCP_TOKEN,
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(
                command,
                cwd=_ROOT,
                env=agent_env if name == "agent" else env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        _wait_for(f"http://127.0.0.1:{vehicle_port}/healthz", processes["vehicle"], "vehicle server")
        _wait_for(f"http://127.0.0.1:{perception_port}/mcp", processes["perception"], "perception server")
        _wait_for(f"http://127.0.0.1:{agent_port}/healthz", processes["agent"], "agent")
        yield Stack(
            agent_url=f"http://127.0.0.1:{agent_port}",
            perception_url=f"http://127.0.0.1:{perception_port}/mcp",
            processes=processes,
        )
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


async def test_the_agent_process_answers_from_the_server_processes_and_stops_on_sigterm(stack: Stack) -> None:
    limit = RecognisedSign(kind="speed_limit", value=50)
    async with mcp_client(stack.perception_url, token=MCP_TOKEN) as perception:
        pushed = await perception.call_tool(
            "push_frame",
            {
                "frame": {
                    "objects": [CYCLIST_RIGHT],
                    "signs": [limit.model_dump(exclude_none=True)],
                    "image": image_field(
                        render_camera_frame([RecognisedSign(kind="text", text="Main Street")])
                    ),
                }
            },
        )
    assert not pushed.is_error, pushed.content

    async with AgentClient(stack.agent_url, token=AGENT_TOKEN, timeout_s=60) as agent:
        card = await agent.get_card()
        blind = await agent.send_text("anything in my blind spot?", seat="driver", origin="occupant")
        sign = await agent.send_text("what did that sign say?")
        tired = await agent.send_text("should I take a break?")
    async with AgentClient(stack.agent_url, token=OPERATOR_TOKEN) as operator:
        limit_answer = await operator.send_text("what's the speed limit")
    async with AgentClient(stack.agent_url) as anonymous:
        with pytest.raises(AgentAuthError):
            await anonymous.send_text("what's around me")
    async with httpx.AsyncClient(timeout=5) as http:
        health = await http.get(f"{stack.agent_url}/healthz")

    assert card.supported_interfaces[0].url == stack.agent_url
    assert health.status_code == 200
    assert blind.state == "completed"
    assert blind.text == "There's a cyclist in your right blind spot."
    assert blind.data is not None and blind.data["rules"] == ["GR-12", "GR-14"]
    # The frame was pushed once: within SummarySettings.sign_in_view_s the sign is still in view; on a
    # machine slow enough to take longer, the agent rightly speaks of it as passed, with its age.
    assert sign.text == 'The sign says "Main Street".' or re.fullmatch(
        r'The last sign, about \d+ seconds ago, said "Main Street"\.', sign.text or ""
    ), sign.text
    assert tired.text == "Yes, you seem tired: please take a break at the next safe place to stop."
    assert limit_answer.text == "The speed limit is 50 km/h." or re.fullmatch(
        r"The speed limit is 50 km/h, from a sign about \d+ seconds ago\.", limit_answer.text or ""
    ), limit_answer.text

    process = stack.processes["agent"]
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.to_thread(process.communicate, None, 10)
    # uvicorn shuts down gracefully, then re-raises the signal it caught: exit by SIGTERM.
    assert process.returncode in (0, -signal.SIGTERM), stderr.decode()
    assert b"Traceback" not in stderr, stderr.decode()


class _ThreadServer:
    """An ASGI app under uvicorn on a fixed loopback port, in a thread (so it can be restarted there)."""

    def __init__(self, app: ASGIApp, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert self._thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)


async def test_a_restarted_perception_server_is_picked_up_on_the_next_question(servers: Servers) -> None:
    port = _free_port()
    source = InjectedSource()
    source.push(PerceptionFrame.model_validate({"objects": [CYCLIST_RIGHT]}))

    def perception_server() -> _ThreadServer:
        return _ThreadServer(http_app(build_server(source, inject=True), token=MCP_TOKEN), port)

    app = build_perception_app(
        servers.vehicle,
        f"http://127.0.0.1:{port}",
        base_url=BASE_URL,
        token=TOKEN,
        mcp_token=MCP_TOKEN,
        feed_timeout_s=3.0,
    )
    first = perception_server()
    await asyncio.to_thread(first.start)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as agent,
        ):
            before = await agent.send_text("anything in my blind spot")
            await asyncio.to_thread(first.stop)
            down = await agent.send_text("anything in my blind spot")
            second = perception_server()
            await asyncio.to_thread(second.start)
            try:
                after = await agent.send_text("anything in my blind spot")
            finally:
                await asyncio.to_thread(second.stop)
    finally:
        await asyncio.to_thread(first.stop)
        await app.aclose()

    assert before.text == "There's a cyclist in your right blind spot."
    assert down.state == "failed"
    assert down.text.startswith("I can't reach the car's perception right now")
    assert after.text == "There's a cyclist in your right blind spot."
