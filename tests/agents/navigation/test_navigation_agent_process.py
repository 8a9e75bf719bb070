"""The agent as a real process over loopback HTTP, with the vehicle and map servers as real processes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from agents.hosting import AgentAuthError, AgentClient
from mcp_servers.client import mcp_client

from .navigation_agent_support import DEST_LAT, DEST_LON

pytestmark = pytest.mark.realprocess

_ROOT = Path(__file__).resolve().parents[3]
AGENT_TOKEN = "agent-token-for-the-navigation-process"
OPERATOR_TOKEN = "operator-token-for-the-navigation-process"
MCP_TOKEN = "mcp-token-for-the-navigation-process"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes], name: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(f"{name} exited while starting: {stderr.decode()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} did not answer {url} within {timeout_s} s")
        time.sleep(0.05)


@dataclass
class Stack:
    agent_url: str
    vehicle_url: str
    processes: dict[str, subprocess.Popen[bytes]]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    ports = {name: _free_port() for name in ("vehicle", "map", "agent")}
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({MCP_TOKEN: "navigation", OPERATOR_TOKEN: "operator"}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("CABIN_")}
    env["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"] = "false"
    env["CABIN_HOME"] = str(tmp_path / "home")
    python = sys.executable
    vehicle_url = f"http://127.0.0.1:{ports['vehicle']}/mcp"
    commands = {
        "vehicle": [
            *(python, "-m", "mcp_servers.vehicle", "--transport", "http", "--port", str(ports["vehicle"])),
            *("--tokens", str(tokens)),
        ],
        "map": [
            *(python, "-m", "mcp_servers.navigation", "--transport", "http", "--port", str(ports["map"])),
            *("--token", MCP_TOKEN),
        ],
        # The map server's URL is given without a path: the agent adds /mcp.
        "agent": [
            *(python, "-m", "agents.navigation", "--port", str(ports["agent"])),
            *("--vehicle-mcp-url", vehicle_url, "--nav-mcp-url", f"http://127.0.0.1:{ports['map']}"),
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
        for name in ("vehicle", "map", "agent"):
            _wait_for(f"http://127.0.0.1:{ports[name]}/healthz", processes[name], name)
        yield Stack(f"http://127.0.0.1:{ports['agent']}", vehicle_url, processes)
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


async def test_the_agent_process_answers_over_http_and_stops_on_sigterm(stack: Stack) -> None:
    async with AgentClient(stack.agent_url, token=AGENT_TOKEN) as agent:
        card = await agent.get_card()
        offered = await agent.send_text("find me a charger", seat="driver", origin="occupant")
        done = await agent.send_text("yes", seat="driver", origin="occupant", task_id=offered.task_id)
    async with AgentClient(stack.agent_url, token=OPERATOR_TOKEN) as operator:
        by_operator = await operator.send_text("is there a pharmacy nearby", seat="driver", origin="occupant")
    async with AgentClient(stack.agent_url) as anonymous:
        with pytest.raises(AgentAuthError):
            await anonymous.send_text("find me a charger")
    async with mcp_client(stack.vehicle_url, token=OPERATOR_TOKEN) as vehicle:
        values = (await vehicle.call_tool("get_signals", {"paths": [DEST_LAT, DEST_LON]})).structured_content
    agent_process = stack.processes["agent"]
    agent_process.send_signal(signal.SIGTERM)
    agent_process.wait(timeout=10)

    assert [skill.id for skill in card.skills] == ["poi", "route"]
    assert card.supported_interfaces[0].url == stack.agent_url
    assert offered.state == "input_required" and offered.text.startswith("The nearest charger is ")
    assert done.state == "completed" and done.text.startswith("Taking you to ")
    assert by_operator.state == "input_required" and by_operator.text.startswith("Yes, ")
    assert done.data is not None
    assert values == done.data["stateChanges"]
    assert agent_process.returncode in (0, -signal.SIGTERM)
