"""`cabin run --profile compact` for real (free loopback ports, the real model): the orchestrator, the
three agents and the map and perception MCP servers share one process, each still its own HTTP server
with its own token.

Checked over the front-end HTTP API: a turn reaches each agent (A2A over loopback) and each agent its
MCP server; the stack has three children, one of them the shared process, the vehicle server and the
model host the others; every shared server answers its health check on its own port, the front end
refuses a request without the operator's token, and the map server refuses the operator's token (its
scope is its own); no privileged token is in the shared process's environment; the shared process
killed is reported, restarted and serves again; SIGTERM stops every child.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from orchestrator.stack import PortsConfig
from tests.conftest import free_port

pytestmark = [pytest.mark.realprocess, pytest.mark.model]

READY_LINE = "Ctrl-C stops every component."
START_TIMEOUT_S = 240.0
SHARED = ("navigation_mcp", "perception_mcp", "vehicle_control", "navigation", "perception", "orchestrator")


@dataclass
class Stack:
    process: subprocess.Popen[str]
    url: str
    root: Path
    ports: dict[str, int]
    lines: list[str] = field(default_factory=list)

    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for_line(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never came; cabin run said:\n{self.output()[-4000:]}")

    def children(self) -> dict[int, str]:
        found: dict[int, str] = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                try:
                    found[int(pid)] = (
                        (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    )
                except OSError:
                    continue
        return found

    def auth(self) -> dict[str, str]:
        token = (self.root / ".cabin" / "run" / "operator-token").read_text(encoding="utf-8").strip()
        return {"Authorization": f"Bearer {token}"}

    def say(self, text: str, session: str | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/v1/utterances",
            headers=self.auth(),
            json={"text": text, "session_id": session, "seat": "driver"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads the children of `cabin run` from /proc")
    root = tmp_path_factory.mktemp("compact")
    ports = {name: free_port() for name in PortsConfig.model_fields}
    (root / "cabin.yaml").write_text(yaml.safe_dump({"ports": ports}), encoding="utf-8")
    cabin = Path(sys.executable).with_name("cabin")
    command = [str(cabin), "run", "--profile", "compact", "--no-ui", "--config", "cabin.yaml"]
    process = subprocess.Popen(
        [*command, "--port", str(ports["orchestrator"])],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stack = Stack(process, f"http://127.0.0.1:{ports['orchestrator']}", root, ports)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stack.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        stack.wait_for_line(READY_LINE, START_TIMEOUT_S)
        yield stack
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


def test_three_processes_one_of_them_shared_by_six_servers(stack: Stack) -> None:
    commands = list(stack.children().values())
    assert len(commands) == 3, commands
    assert sum("orchestrator.compact" in c for c in commands) == 1
    assert sum("mcp_servers.vehicle" in c for c in commands) == 1  # the safety server stays apart
    assert sum("models.host" in c for c in commands) == 1
    for name in (
        "navigation MCP server",
        "perception MCP server",
        "vehicle-control agent",
        "navigation agent",
        "perception agent",
        "orchestrator + cockpit",
    ):
        assert f"{name} [compact]" in stack.output()
    for name in SHARED:
        # As the supervisor asks: an answer below 500 (the perception server wants its token even there).
        response = httpx.get(f"http://127.0.0.1:{stack.ports[name]}/healthz", timeout=10)
        assert response.status_code in (200, 401), name


def test_each_shared_server_keeps_its_own_token(stack: Stack) -> None:
    probe = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {**stack.auth(), "Accept": "application/json, text/event-stream"}
    for name in ("navigation_mcp", "perception_mcp"):
        url = f"http://127.0.0.1:{stack.ports[name]}/mcp"
        assert httpx.post(url, json=probe, timeout=10).status_code == 401, name
        # The operator's token is valid on the vehicle server and the agents, not on these two.
        assert httpx.post(url, json=probe, headers=headers, timeout=10).status_code == 401, name
    assert httpx.get(f"{stack.url}/v1/agents", timeout=10).status_code == 401
    agents = httpx.get(f"{stack.url}/v1/agents", headers=stack.auth(), timeout=10).json()
    by_name = {agent["name"]: agent for agent in agents}
    assert {"vehicle-control", "navigation", "perception-summary"} <= set(by_name)
    assert all(agent["healthy"] for agent in by_name.values()), agents


@pytest.mark.rule("GR-16")
def test_gr16_no_privileged_token_in_the_shared_process_environment(stack: Stack) -> None:
    shared = [pid for pid, command in stack.children().items() if "orchestrator.compact" in command]
    assert len(shared) == 1
    environment = Path(f"/proc/{shared[0]}/environ").read_bytes().decode(errors="replace")
    operator = stack.auth()["Authorization"].removeprefix("Bearer ")
    assert operator not in environment
    assert "CABIN_OPERATOR_TOKEN" not in environment and "CABIN_AGENT_TOKENS" not in environment


@pytest.mark.parametrize(
    ("text", "agent"),
    [
        ("set the temperature to 21", "vehicle-control"),
        ("find a charger", "navigation"),
        ("what's the speed limit", "perception-summary"),
    ],
)
def test_a_turn_reaches_each_agent(stack: Stack, text: str, agent: str) -> None:
    turn = stack.say(text)
    assert [step["agent"] for step in turn["route"]] == [agent], turn
    assert not turn["degraded"], turn
    if agent == "vehicle-control":
        assert [action["outcome"] for action in turn["actions"]] == ["applied"], turn


def test_the_shared_process_killed_is_restarted_and_serves_again(stack: Stack) -> None:
    shared = [pid for pid, command in stack.children().items() if "orchestrator.compact" in command]
    assert len(shared) == 1
    os.kill(shared[0], signal.SIGKILL)
    stack.wait_for_line("compact exited with code -9; restarting", 30)
    deadline = time.monotonic() + 120
    turn: dict[str, Any] | str = "no answer"
    while True:
        try:  # the front end is served by the restarted process too: refused until it is back
            turn = stack.say("find a charger")
        except httpx.TransportError as exc:
            turn = f"no answer ({exc!r})"
        if (
            isinstance(turn, dict)
            and not turn["degraded"]
            and [s["agent"] for s in turn["route"]] == ["navigation"]
        ):
            break
        assert time.monotonic() < deadline, f"the restarted process never served a turn: {turn}"
        time.sleep(1.0)
    restarted = [pid for pid, command in stack.children().items() if "orchestrator.compact" in command]
    assert restarted and restarted != shared


def test_sigterm_stops_every_child(stack: Stack) -> None:
    children = stack.children()
    assert len(children) == 3
    stack.process.send_signal(signal.SIGTERM)
    assert stack.process.wait(timeout=30) == 0
    time.sleep(0.5)
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists() and _not_zombie(pid)]
    assert alive == [], [children[pid] for pid in alive]


def _not_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
