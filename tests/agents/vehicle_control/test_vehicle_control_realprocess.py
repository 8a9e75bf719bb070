"""Real processes on free loopback ports: the vehicle MCP server over streamable HTTP with tokens, the agent
started as `python -m agents.vehicle_control`, and a raw JSON-RPC `SendMessage` that changes the car."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from agents.vehicle_control.__main__ import main
from mcp_servers.client import mcp_client

pytestmark = pytest.mark.realprocess

ROOT = Path(__file__).resolve().parents[3]
AGENT_TOKEN = "agent-token-0123456789abcdef"
MCP_TOKEN = "vehicle-control-mcp-token-0123456789"
OPERATOR_TOKEN = "operator-mcp-token-0123456789abcdef"
FRONT_END_TOKEN = "front-end-token-0123456789abcdef"
DRIVER_TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
VEHICLE_SERVER = [sys.executable, "-m", "mcp_servers.vehicle", "--transport", "http"]
AGENT = [sys.executable, "-m", "agents.vehicle_control", "--host", "127.0.0.1"]


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CABIN_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _wait_healthy(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before answering")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} did not answer at {url}")


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.returncode


@dataclass
class Stack:
    agent_url: str
    mcp_url: str
    agent: subprocess.Popen[bytes]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    mcp_port, agent_port = _free_port(), _free_port()
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({MCP_TOKEN: "vehicle-control", OPERATOR_TOKEN: "operator"}))
    vehicle = subprocess.Popen(
        [*VEHICLE_SERVER, "--port", str(mcp_port), "--tokens", str(tokens)],
        env=_env(),
    )
    mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
    # The agent connects to the vehicle server on its first request, so both can start at once.
    agent = subprocess.Popen(
        [*AGENT, "--port", str(agent_port), "--mcp-url", mcp_url, "--no-model", "--log-level", "warning"],
        env=_env(
            CABIN_AGENT_TOKEN=AGENT_TOKEN, CABIN_MCP_TOKEN=MCP_TOKEN, CABIN_OPERATOR_TOKEN=FRONT_END_TOKEN
        ),
    )
    agent_url = f"http://127.0.0.1:{agent_port}"
    try:
        _wait_healthy(f"http://127.0.0.1:{mcp_port}/healthz", vehicle, "the vehicle server")
        _wait_healthy(f"{agent_url}/healthz", agent, "the agent")
        yield Stack(agent_url=agent_url, mcp_url=mcp_url, agent=agent)
    finally:
        _stop(agent)
        _stop(vehicle)


def _send(text: str, *, plain: bool = False, message_id: str = "m-realprocess-1") -> dict[str, object]:
    message: dict[str, object] = {"messageId": message_id, "role": "ROLE_USER", "parts": [{"text": text}]}
    if not plain:
        message["metadata"] = {"cabin/seat": "driver", "cabin/origin": "occupant"}
    return {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}}


async def test_send_message_over_json_rpc_sets_the_driver_temperature(stack: Stack) -> None:
    headers = {"A2A-Version": "1.0", "Authorization": f"Bearer {AGENT_TOKEN}"}
    async with httpx.AsyncClient(timeout=30) as http:
        card = await http.get(f"{stack.agent_url}/.well-known/agent-card.json")
        denied = await http.post(stack.agent_url, json=_send("set it to 25"), headers={"A2A-Version": "1.0"})
        answer = await http.post(
            stack.agent_url, json=_send("set the driver temperature to 23 degrees"), headers=headers
        )
    async with mcp_client(stack.mcp_url, token=OPERATOR_TOKEN) as client:
        read = await client.call_tool("get_signals", {"paths": [DRIVER_TEMP]})

    assert card.status_code == 200 and card.json()["name"] == "vehicle-control"
    assert denied.status_code == 401
    assert answer.status_code == 200
    task = answer.json()["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert task["status"]["message"]["parts"][0]["text"] == "Your side's at 23 degrees."
    assert read.structured_content == {DRIVER_TEMP: 23.0}
    # uvicorn shuts down gracefully (the app's lifespan closes its connections), then re-raises SIGTERM.
    assert _stop(stack.agent) in (0, -signal.SIGTERM)


@pytest.mark.rule("GR-18")
async def test_a_plain_message_from_a_front_end_sets_the_driver_temperature(stack: Stack) -> None:
    # Any A2A client: no cabin metadata. With the front-end (operator) token it is the driver's
    # request; with the agent token (another agent) it names no person, so the car is not changed.
    async with httpx.AsyncClient(timeout=30) as http:
        from_agent = await http.post(
            stack.agent_url,
            json=_send("set the driver temperature to 24 degrees", plain=True, message_id="m-agent"),
            headers={"A2A-Version": "1.0", "Authorization": f"Bearer {AGENT_TOKEN}"},
        )
        from_front_end = await http.post(
            stack.agent_url,
            json=_send("set the driver temperature to 23 degrees", plain=True, message_id="m-front-end"),
            headers={"A2A-Version": "1.0", "Authorization": f"Bearer {FRONT_END_TOKEN}"},
        )
    async with mcp_client(stack.mcp_url, token=OPERATOR_TOKEN) as client:
        read = await client.call_tool("get_signals", {"paths": [DRIVER_TEMP]})

    refused = from_agent.json()["result"]["task"]["status"]["message"]["parts"][1]["data"]["actions"]
    assert [(a["outcome"], a["ruleId"]) for a in refused] == [("refused", "GR-18")]
    task = from_front_end.json()["result"]["task"]
    assert task["status"]["state"] == "TASK_STATE_COMPLETED"
    assert read.structured_content == {DRIVER_TEMP: 23.0}


# -- command line ----------------------------------------------------------------------------------


def test_the_command_line_needs_a_token_or_insecure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CABIN_AGENT_TOKEN", raising=False)

    assert main(["--port", "8711"]) == 2
    assert "give --token" in capsys.readouterr().err
    assert main(["--insecure", "--token", AGENT_TOKEN]) == 2
    assert "exclude each other" in capsys.readouterr().err
    assert main(["--token", "short"]) == 2
    assert "at least 16 characters" in capsys.readouterr().err
    assert main(["--token", AGENT_TOKEN, "--task-store", "postgres://x"]) == 2
    assert "task store URL" in capsys.readouterr().err
