"""`cabin run` for real: every component a separate process on loopback (free ports), the real model.

Checked over the front-end HTTP API, as a front-end would (with the token `cabin run` wrote; without it
401, with a foreign Host 421; the printed one-time login link logs a browser in, once): two actions of
one sentence both applied,
an unlock that asks first and unlocks on "yes", the trunk refused at 70 km/h (GR-06); the agents
listed healthy; the cockpit's perception frame and image read from the perception server's process; a
killed agent reported and restarted, and turns served again; SIGTERM stopping every child.
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
DRIVER_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
DRIVER_SEAT_HEATING = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"


@dataclass
class Stack:
    process: subprocess.Popen[str]
    url: str
    root: Path
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
        """PID -> command line of every live child of `cabin run`."""
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
        """The front-end token `cabin run` wrote, as a bearer header."""
        token = (self.root / ".cabin" / "run" / "operator-token").read_text(encoding="utf-8").strip()
        return {"Authorization": f"Bearer {token}"}

    def say(self, text: str, session: str | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.url}/v1/utterances",
            headers=self.auth(),
            json={"text": text, "session_id": session, "seat": "driver"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/v1/vehicle/state", headers=self.auth(), timeout=10)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not sys.platform.startswith("linux"):
        pytest.skip("reads the children of `cabin run` from /proc")
    root = tmp_path_factory.mktemp("stack")
    ports = {name: free_port() for name in PortsConfig.model_fields}
    (root / "cabin.yaml").write_text(yaml.safe_dump({"ports": ports}), encoding="utf-8")
    cabin = Path(sys.executable).with_name("cabin")
    process = subprocess.Popen(
        [str(cabin), "run", "--config", "cabin.yaml", "--port", str(ports["orchestrator"])],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stack = Stack(process=process, url=f"http://127.0.0.1:{ports['orchestrator']}", root=root)

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


def test_the_table_names_every_component(stack: Stack) -> None:
    out = stack.output()
    for component in (
        "model host",
        "vehicle MCP server",
        "navigation MCP server",
        "perception MCP server",
        "vehicle-control agent",
        "navigation agent",
        "perception agent",
        "orchestrator",
    ):
        assert component in out
    assert (stack.root / ".cabin" / "run" / "operator-token").stat().st_mode & 0o777 == 0o600
    assert httpx.get(f"{stack.url}/healthz", timeout=10).status_code == 200


def test_agents_are_discovered_and_healthy(stack: Stack) -> None:
    response = httpx.get(f"{stack.url}/v1/agents", headers=stack.auth(), timeout=10)
    assert response.status_code == 200
    agents = response.json()
    by_name = {agent["name"]: agent for agent in agents}
    assert {"vehicle-control", "navigation", "perception-summary"} <= set(by_name)
    assert all(agent["healthy"] for agent in by_name.values()), agents


def test_the_cockpit_shows_the_perception_servers_frame(stack: Stack) -> None:
    # The orchestrator reads the perception MCP server of its own process over MCP (read-only token).
    # The simulated camera shows a picture only while a sign is in view, and the simulated clock moves
    # on between requests (slowly on a busy machine): a frame without a sign has no image (a 404 that
    # says so), so both are awaited, bounded in time.
    deadline = time.monotonic() + 180
    while True:
        response = httpx.get(f"{stack.url}/v1/perception", headers=stack.auth(), timeout=120)
        assert response.status_code == 200, response.text
        snapshot = response.json()
        assert snapshot["source"] == "simulated" and snapshot["objects"], snapshot
        if snapshot["image"] is not None:
            assert snapshot["ocr_engine"], snapshot  # the text on a picture is read on-device
            image = httpx.get(f"{stack.url}/v1/perception/image", headers=stack.auth(), timeout=60)
            if image.status_code == 200:
                break
            assert image.status_code == 404 and "no camera image" in image.text, image.text
        assert time.monotonic() < deadline, "no frame with a camera image within 180 s"
        time.sleep(0.5)
    assert image.headers["content-type"] == snapshot["image"]["media_type"]
    assert len(image.content) > 0


def test_the_front_end_api_needs_the_token(stack: Stack) -> None:
    assert httpx.get(f"{stack.url}/v1/agents", timeout=10).status_code == 401
    assert (
        httpx.get(f"{stack.url}/v1/agents", headers={"Host": "evil.example"}, timeout=10).status_code == 421
    )


def test_the_printed_login_link_logs_a_browser_in_once(stack: Stack) -> None:
    printed = [line for line in stack.lines if line.startswith("cockpit login")]
    assert len(printed) == 1, stack.output()[-2000:]
    link = printed[0].rsplit(" ", 1)[-1]
    assert link.startswith(f"{stack.url}/login?code=")
    with httpx.Client(timeout=10) as browser:
        login = browser.get(link)
        assert login.status_code == 303 and "samesite=strict" in login.headers["set-cookie"].lower()
        assert browser.get(f"{stack.url}/v1/agents").status_code == 200
        assert browser.get(f"{stack.url}/").status_code == 200
    assert httpx.get(link, timeout=10).status_code == 403


def test_one_sentence_two_actions_both_applied(stack: Stack) -> None:
    turn = stack.say("set the temperature to 20 and heat my seat")
    assert [part["agent"] for part in turn["route"]] == ["vehicle-control", "vehicle-control"]
    assert [action["outcome"] for action in turn["actions"]] == ["applied", "applied"], turn
    state = stack.state()
    assert state[DRIVER_TEMPERATURE] == 20
    assert state[DRIVER_SEAT_HEATING] > 0


def test_unlocking_asks_first_and_yes_unlocks(stack: Stack) -> None:
    asked = stack.say("unlock the doors")
    assert asked["pending_confirmation"] is not None, asked
    assert not [action for action in asked["actions"] if action["outcome"] == "applied"]
    answered = stack.say("yes", asked["session_id"])
    assert answered["pending_confirmation"] is None
    assert "applied" in [action["outcome"] for action in answered["actions"]], answered
    state = stack.state()
    assert state["Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"] is False


@pytest.mark.rule("GR-06")
def test_trunk_refused_at_70_kmh(stack: Stack) -> None:
    response = httpx.put(
        f"{stack.url}/v1/vehicle/state", json={"Vehicle.Speed": 70.0}, headers=stack.auth(), timeout=10
    )
    assert response.status_code == 200, response.text
    try:
        turn = stack.say("open the trunk")
        refused = [action for action in turn["actions"] if action["outcome"] == "refused"]
        assert [action["rule_id"] for action in refused] == ["GR-06"], turn
        assert stack.state()["Vehicle.Body.Trunk.Rear.IsOpen"] is False
    finally:
        httpx.put(
            f"{stack.url}/v1/vehicle/state", json={"Vehicle.Speed": 0.0}, headers=stack.auth(), timeout=10
        )


def test_a_killed_agent_is_reported_restarted_and_serves_again(stack: Stack) -> None:
    agents = [pid for pid, command in stack.children().items() if "agents.vehicle_control" in command]
    assert len(agents) == 1
    os.kill(agents[0], signal.SIGKILL)
    stack.wait_for_line("vehicle-control agent exited with code -9; restarting", 30)
    deadline = time.monotonic() + 90
    while True:
        turn = stack.say("set the temperature to 22")
        if [action["outcome"] for action in turn["actions"]] == ["applied"]:
            break
        assert time.monotonic() < deadline, f"the restarted agent never served a turn: {turn}"
        time.sleep(1.0)
    assert stack.state()[DRIVER_TEMPERATURE] == 22
    restarted = [pid for pid, command in stack.children().items() if "agents.vehicle_control" in command]
    assert restarted and restarted != agents


def test_sigterm_stops_every_child(stack: Stack) -> None:
    children = stack.children()
    assert len(children) >= 8
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
