"""Faults of whole processes, against a real `cabin run` (every component its own process, free ports,
a temporary working folder, the real model).

- The first model-path turn after the start is answered: the prompt prefix is evaluated before the
  vehicle-control agent reports healthy (it used to time out on it).
- Tokens are scoped (GR-16): every value in each agent's environment, tried against the vehicle
  server, the front-end API and the other agents, neither opens or unlocks a door nor fakes the speed,
  and no agent holds the operator's or the orchestrator's tokens.
- An agent killed with SIGKILL takes turns again soon after it answers its card again (the directory
  probes a down agent with backoff): the time from its card answering to the first applied turn is
  measured over several kills and printed.
- A killed model host is reported: a request only the model could read is answered "the model is not
  available" with `degraded: true`, `/healthz` says `model: false`; then the model path serves again.
- A second `cabin run` in the same folder refuses to start and leaves the live stack's token alone;
  one in another folder on the same ports fails at once naming the port and the process holding it;
  SIGKILL of `cabin run` takes every child down within seconds.

A small supervisor of two tiny servers checks SIGHUP and SIGKILL without loading the model.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import yaml
from mcp_types import RequestParamsMeta

from mcp_servers.client import mcp_client
from orchestrator.stack import PortsConfig
from orchestrator.turn import MODEL_UNAVAILABLE_REPLY
from tests.conftest import free_port

pytestmark = [pytest.mark.realprocess, pytest.mark.model]

READY_LINE = "Ctrl-C stops every component."
START_TIMEOUT_S = 300.0
#: Bound for a real-process test on a shared machine; the figures are printed. A restarted agent's
#: first turn pays its own first-turn work (its MCP link, the templates it reaches), which took up to
#: 4 s beside a full test run and two busy loops; what the bound rules out is an agent left out until
#: its circuit breaker's 10 s cooldown ends (``Breaker.cooldown_s`` in ``orchestrator/directory.py``).
RECOVERY_BOUND_S = 8.0
KILLS = 3
CHILDREN_GONE_BOUND_S = 5.0
MODEL_PATH_SENTENCE = "this steering wheel is like holding an ice cube"
DRIVER_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
DRIVER_DOOR = "Vehicle.Cabin.Door.Row1.DriverSide"
OCCUPANT = cast(RequestParamsMeta, {"cabin/seat": "driver", "cabin/origin": "occupant"})
AGENTS = {
    "vehicle-control": "agents.vehicle_control",
    "navigation": "agents.navigation",
    "perception-summary": "agents.perception",
}


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children(pid: int) -> dict[int, str]:
    """PID -> command line of every live child of `pid`."""
    found: dict[int, str] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                found[int(child)] = (
                    (Path("/proc") / child / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                )
            except OSError:
                continue
    return found


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {key: value for key, _, value in pairs}


@dataclass
class Stack:
    process: subprocess.Popen[str]
    root: Path
    ports: dict[str, int]
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['orchestrator']}"

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

    def token(self) -> str:
        return (self.root / ".cabin" / "run" / "operator-token").read_text(encoding="utf-8").strip()

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def say(self, text: str, timeout_s: float = 60.0) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/v1/utterances",
            json={"text": text, "seat": "driver"},
            headers=self.auth(),
            timeout=timeout_s,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def child(self, module: str) -> int:
        pids = [pid for pid, command in _children(self.process.pid).items() if f"-m {module} " in command]
        assert len(pids) == 1, _children(self.process.pid)
        return pids[0]


def _start(root: Path, ports: dict[str, int]) -> subprocess.Popen[str]:
    cabin = Path(sys.executable).with_name("cabin")
    return subprocess.Popen(
        [str(cabin), "run", "--config", "cabin.yaml", "--port", str(ports["orchestrator"]), "--no-ui"],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads the children of `cabin run` and their environments from /proc")
    root = tmp_path_factory.mktemp("faults")
    ports = {name: free_port() for name in PortsConfig.model_fields}
    (root / "cabin.yaml").write_text(yaml.safe_dump({"ports": ports}), encoding="utf-8")
    process = _start(root, ports)
    stack = Stack(process=process, root=root, ports=ports)

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
        children = list(_children(process.pid)) if process.poll() is None else []
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


# -- item: the first model-path turn after the start ---------------------------------------------------


def test_the_first_model_path_turn_after_the_start_is_answered(stack: Stack) -> None:
    turn = stack.say(MODEL_PATH_SENTENCE)
    route = [(part["agent"], part["via"]) for part in turn["route"]]
    actions = [(action["tool"], action["outcome"]) for action in turn["actions"]]
    print(
        f"first model-path turn after start: {turn['latency_ms']['total']:.0f} ms, route {route}, "
        f"actions {actions}, reply {turn['reply']!r}"
    )
    assert "did not respond" not in turn["reply"], turn
    assert turn["degraded"] is False, turn
    assert ("set_steering_wheel_heating", "applied") in actions, turn


# -- item: scoped credentials (GR-16) --------------------------------------------------------------


async def _try_on_vehicle_server(url: str, token: str) -> list[str]:
    """What `token` achieved on the vehicle server among: unlocking or opening a door, faking the speed."""
    achieved: list[str] = []
    try:
        async with mcp_client(url, token=token) as client:
            for name, values in (
                ("unlock a door", {f"{DRIVER_DOOR}.IsLocked": False}),
                ("open a door", {f"{DRIVER_DOOR}.IsOpen": True}),
            ):
                result = await client.call_tool("set_signals", {"values": values}, meta=OCCUPANT)
                content = result.structured_content or {}
                if not result.is_error and content.get("applied"):
                    achieved.append(name)
            faked = await client.call_tool(
                "simulate_signals", {"values": {"Vehicle.Speed": 0.0}}, meta=OCCUPANT
            )
            if not faked.is_error:
                achieved.append("fake the speed")
    except Exception:  # refused at the door (HTTP 401): nothing achieved
        return achieved
    return achieved


@pytest.mark.rule("GR-16")
async def test_gr16_a_leaked_agent_environment_opens_no_door_and_fakes_no_speed(stack: Stack) -> None:
    orchestrator_env = _environ(stack.child("orchestrator.server"))
    privileged = {
        stack.token(),
        orchestrator_env["CABIN_MCP_TOKEN"],
        orchestrator_env["CABIN_OPERATOR_TOKEN"],
    }
    privileged |= set(json.loads(orchestrator_env["CABIN_AGENT_TOKENS"]).values())
    vehicle_url = f"http://127.0.0.1:{stack.ports['vehicle_mcp']}/mcp"
    agent_urls = {
        "vehicle-control": f"http://127.0.0.1:{stack.ports['vehicle_control']}",
        "navigation": f"http://127.0.0.1:{stack.ports['navigation']}",
        "perception-summary": f"http://127.0.0.1:{stack.ports['perception']}",
    }
    tried = 0
    async with httpx.AsyncClient(timeout=10) as http:
        for agent, module in AGENTS.items():
            environment = _environ(stack.child(module))
            leaked = {value for value in environment.values() if len(value) >= 16 and " " not in value}
            assert not leaked & privileged, f"{agent} holds a privileged token"
            for value in sorted(leaked):
                tried += 1
                achieved = await _try_on_vehicle_server(vehicle_url, value)
                if agent == "vehicle-control":
                    # Its own scope has the doors, under the rules: an unlock asks first (GR-13), and
                    # it may never fake the car's speed.
                    assert "unlock a door" not in achieved and "fake the speed" not in achieved, achieved
                else:
                    assert achieved == [], f"{agent}'s environment let it {achieved}"
                faked = await http.put(
                    f"{stack.url}/v1/vehicle/state",
                    json={"Vehicle.Speed": 0.0},
                    headers={"Authorization": f"Bearer {value}"},
                )
                assert faked.status_code == 401, (agent, faked.status_code)
                for other, url in agent_urls.items():
                    if other == agent:
                        continue
                    sent = await http.post(
                        f"{url}/rest/message:send",
                        json={
                            "message": {"messageId": "m-1", "role": "ROLE_USER", "parts": [{"text": "hi"}]}
                        },
                        headers={"Authorization": f"Bearer {value}", "A2A-Version": "1.0"},
                    )
                    assert sent.status_code == 401, (agent, other, sent.status_code)
        state = (
            await http.get(
                f"{stack.url}/v1/vehicle/state", params={"prefix": DRIVER_DOOR}, headers=stack.auth()
            )
        ).json()
        # The orchestrator's read-only token for the perception server opens no other server.
        reader = {"Authorization": f"Bearer {orchestrator_env['CABIN_PERCEPTION_MCP_TOKEN']}"}
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        for server in ("vehicle_mcp", "navigation_mcp"):
            elsewhere = await http.post(
                f"http://127.0.0.1:{stack.ports[server]}/mcp", json=listing, headers=reader
            )
            assert elsewhere.status_code == 401, (server, elsewhere.status_code)
    print(f"GR-16: {tried} values from the agents' environments tried; doors {state}")
    assert state[f"{DRIVER_DOOR}.IsLocked"] is True and state[f"{DRIVER_DOOR}.IsOpen"] is False


# -- item: recovery after an agent restart -----------------------------------------------------------


def _card_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/.well-known/agent-card.json", timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def _watch_card(pid: int, url: str, answered: list[float]) -> None:
    """Note when the agent at `url` answers its card again, once the process `pid` is gone."""
    while _alive(pid) or _card_answers(url):
        time.sleep(0.01)
    while not _card_answers(url):
        time.sleep(0.01)
    answered.append(time.monotonic())


def test_an_agent_killed_takes_turns_again_soon_after_it_answers(stack: Stack) -> None:
    agent_url = f"http://127.0.0.1:{stack.ports['vehicle_control']}"
    recoveries: list[float] = []
    restarts: list[float] = []
    for kill in range(KILLS):
        pid = stack.child("agents.vehicle_control")
        killed_at = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        answered: list[float] = []

        watcher = threading.Thread(target=_watch_card, args=(pid, agent_url, answered), daemon=True)
        watcher.start()
        deadline = time.monotonic() + 120
        celsius = 18 + kill
        while True:
            turn = stack.say(f"set the temperature to {celsius}", timeout_s=30)
            if [action["outcome"] for action in turn["actions"]] == ["applied"] and answered:
                applied_at = time.monotonic()
                break
            assert time.monotonic() < deadline, f"no applied turn after the restart: {turn}"
            time.sleep(0.05)
        watcher.join(timeout=5)
        recoveries.append(applied_at - answered[0])
        restarts.append(answered[0] - killed_at)
    print(
        "agent restart: card answering again after "
        + ", ".join(f"{s:.2f}" for s in restarts)
        + " s; first applied turn "
        + ", ".join(f"{r:.2f}" for r in recoveries)
        + " s after that"
    )
    assert max(recoveries) <= RECOVERY_BOUND_S, recoveries


# -- item: a dead model host -------------------------------------------------------------------------


def _refuses(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


def test_a_dead_model_host_is_reported_then_serves_again(stack: Stack) -> None:
    pid = stack.child("models.host")
    os.kill(pid, signal.SIGKILL)
    while _alive(pid) or not _refuses(stack.ports["model_host"]):
        time.sleep(0.01)
    turn = stack.say("my feet are like ice blocks")
    health = httpx.get(f"{stack.url}/healthz", timeout=10)
    print(f"model host down: reply {turn['reply']!r}, degraded {turn['degraded']}; /healthz {health.json()}")
    assert turn["reply"] == MODEL_UNAVAILABLE_REPLY and turn["degraded"] is True, turn
    assert health.status_code == 503 and health.json()["model"] is False, health.text
    deadline = time.monotonic() + 120
    while httpx.get(f"{stack.url}/healthz", timeout=10).status_code != 200:
        assert time.monotonic() < deadline, "the model host never came back"
        time.sleep(0.2)
    again = stack.say(MODEL_PATH_SENTENCE)
    assert again["degraded"] is False and again["reply"] != MODEL_UNAVAILABLE_REPLY, again


# -- item: the stack's children, its ports and its token ---------------------------------------------


def test_a_second_cabin_run_leaves_the_live_stack_alone_and_a_taken_port_is_named(
    stack: Stack, tmp_path: Path
) -> None:
    token = stack.token()
    same_folder = _start(stack.root, stack.ports)
    out, _ = same_folder.communicate(timeout=60)
    assert same_folder.returncode != 0 and "another cabin run" in out, out
    assert stack.token() == token

    (tmp_path / "cabin.yaml").write_text(yaml.safe_dump({"ports": stack.ports}), encoding="utf-8")
    started = time.monotonic()
    other_folder = _start(tmp_path, stack.ports)
    out, _ = other_folder.communicate(timeout=60)
    elapsed = time.monotonic() - started
    holder = stack.child("models.host")
    print(f"start on taken ports failed after {elapsed:.1f} s: {out.strip().splitlines()[-1]}")
    assert other_folder.returncode != 0
    assert f"port {stack.ports['model_host']}" in out and f"pid {holder}" in out, out
    assert not (tmp_path / ".cabin" / "run" / "operator-token").exists()


def test_sigkill_of_cabin_run_takes_every_child_down(stack: Stack) -> None:
    children = _children(stack.process.pid)
    assert len(children) >= 8, children
    stack.process.kill()
    stack.process.wait(timeout=10)
    started = time.monotonic()
    while any(_alive(pid) for pid in children) and time.monotonic() - started < CHILDREN_GONE_BOUND_S:
        time.sleep(0.05)
    left = [command for pid, command in children.items() if _alive(pid)]
    print(
        f"SIGKILL of cabin run: {len(children)} children, {len(left)} left after {time.monotonic() - started:.2f} s"
    )
    assert left == []


_TINY_SUPERVISOR = textwrap.dedent(
    """
    import sys
    from orchestrator.supervisor import Component, Supervisor

    ports = [int(p) for p in sys.argv[1:]]
    supervisor = Supervisor(
        [
            Component(f"tiny {p}", [sys.executable, "-m", "http.server", str(p), "--bind", "127.0.0.1"], p, "/")
            for p in ports
        ]
    )
    supervisor.handle_signals()
    supervisor.start()
    print("ready", flush=True)
    supervisor.run_forever()
    """
)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGKILL])
def test_a_closed_terminal_or_a_kill_takes_the_supervisor_s_children_down(signum: int) -> None:
    ports = [free_port(), free_port()]
    process = subprocess.Popen(
        [sys.executable, "-c", _TINY_SUPERVISOR, *map(str, ports)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # the tiny servers write to the same stdout
            if line.strip() == "ready":
                break
        children = _children(process.pid)
        assert len(children) == 2
        process.send_signal(signum)
        process.wait(timeout=30)
        deadline = time.monotonic() + CHILDREN_GONE_BOUND_S
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in children if _alive(pid)] == []
        if signum == signal.SIGHUP:
            assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
