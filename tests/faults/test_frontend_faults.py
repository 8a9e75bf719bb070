"""Faults at the front-end, with real processes on loopback (free ports): the vehicle MCP server, the
vehicle-control agent (templates only) and the orchestrator, each its own process.

One request never leaves the orchestrator broken: a state write holding a lone surrogate is a 422, and
``/healthz`` asked again and again while the vehicle server is killed (SIGKILL) and restarting, three
times, is never a 500. After each restart ``/healthz`` is 200 and a turn is applied again; the time
from the restarted vehicle server answering to the orchestrator's first healthy answer and first
applied turn is printed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = [pytest.mark.realprocess]

TOKEN = "front-end-token-for-the-fault-test"
START_TIMEOUT_S = 180.0
RECOVERY_TIMEOUT_S = 60.0
RESTARTS = 3


@dataclass
class Processes:
    root: Path
    vehicle_port: int
    orchestrator: str
    vehicle: subprocess.Popen[bytes]
    others: list[subprocess.Popen[bytes]]

    def start_vehicle(self) -> None:
        self.vehicle = _spawn(
            [
                "-m",
                "mcp_servers.vehicle",
                "--transport",
                "http",
                "--port",
                str(self.vehicle_port),
                "--insecure",
            ],
            self.root / "vehicle.log",
        )

    def say(self, text: str) -> httpx.Response:
        return httpx.post(
            f"{self.orchestrator}/v1/utterances",
            json={"text": text},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )


def _spawn(args: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "OTEL_INSTRUMENTATION_A2A_SDK_ENABLED": "false", **(env or {})},
        )


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the process exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer 200 within {timeout_s:g} s")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    root = tmp_path_factory.mktemp("frontend-faults")
    vehicle_port, agent_port, orchestrator_port = free_port(), free_port(), free_port()
    vehicle_mcp = f"http://127.0.0.1:{vehicle_port}/mcp"
    processes = Processes(
        root,
        vehicle_port,
        f"http://127.0.0.1:{orchestrator_port}",
        vehicle=None,  # type: ignore[arg-type]
        others=[],
    )
    processes.start_vehicle()
    try:
        _wait(f"http://127.0.0.1:{vehicle_port}/healthz", processes.vehicle, root / "vehicle.log")
        agent_log = root / "agent.log"
        agent = _spawn(
            [
                "-m",
                "agents.vehicle_control",
                "--port",
                str(agent_port),
                "--mcp-url",
                vehicle_mcp,
                "--no-model",
                "--insecure",
            ],
            agent_log,
        )
        processes.others.append(agent)
        _wait(f"http://127.0.0.1:{agent_port}/.well-known/agent-card.json", agent, agent_log)
        orchestrator_log = root / "orchestrator.log"
        orchestrator = _spawn(
            [
                "-m",
                "orchestrator.server",
                "--port",
                str(orchestrator_port),
                "--agent",
                f"http://127.0.0.1:{agent_port}",
                "--vehicle-mcp-url",
                vehicle_mcp,
                "--no-ui",
            ],
            orchestrator_log,
            env={"CABIN_OPERATOR_TOKEN": TOKEN},
        )
        processes.others.append(orchestrator)
        _wait(f"{processes.orchestrator}/healthz", orchestrator, orchestrator_log)
        yield processes
    finally:
        for process in [processes.vehicle, *processes.others]:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def _applied(response: httpx.Response) -> bool:
    return response.status_code == 200 and [a["outcome"] for a in response.json()["actions"]] == ["applied"]


def test_a_surrogate_state_write_is_422_and_breaks_nothing(stack: Processes) -> None:
    response = httpx.put(
        f"{stack.orchestrator}/v1/vehicle/state",
        content=b'{"Vehicle.Speed": "\\ud800"}',
        headers={"Authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["field"] == "Vehicle.Speed"
    health = httpx.get(f"{stack.orchestrator}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    assert _applied(stack.say("set the temperature to 20"))


def _restart_vehicle_server(stack: Processes, statuses: Counter[int]) -> tuple[float, float]:
    """SIGKILL the vehicle server, restart it a second later, asking /healthz all along; the seconds
    from the restarted server answering to the orchestrator's first 200 and first applied turn."""
    stack.vehicle.send_signal(signal.SIGKILL)
    stack.vehicle.wait(timeout=10)
    killed = time.monotonic()
    with httpx.Client(timeout=10) as client:
        # The vehicle server stays down for about a second, as under `cabin run`'s supervisor.
        while time.monotonic() - killed < 1.0:
            statuses[client.get(f"{stack.orchestrator}/healthz").status_code] += 1
        stack.start_vehicle()
        vehicle_health = f"http://127.0.0.1:{stack.vehicle_port}/healthz"
        while True:
            statuses[client.get(f"{stack.orchestrator}/healthz").status_code] += 1
            try:
                if client.get(vehicle_health, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() - killed < START_TIMEOUT_S, "the vehicle server did not restart"
        answering = time.monotonic()
        healthy_after = applied_after = None
        while healthy_after is None and time.monotonic() - answering < RECOVERY_TIMEOUT_S:
            health = client.get(f"{stack.orchestrator}/healthz")
            statuses[health.status_code] += 1
            if health.status_code == 200:
                healthy_after = time.monotonic() - answering
            else:
                time.sleep(0.05)
        assert healthy_after is not None, f"/healthz never came back: {statuses}"
        turns = 0
        while applied_after is None and time.monotonic() - answering < RECOVERY_TIMEOUT_S:
            turns += 1
            if _applied(stack.say(f"set the temperature to {20 + turns % 3}")):
                applied_after = time.monotonic() - answering
            else:
                time.sleep(0.2)
    assert applied_after is not None, "no turn was applied after the restart"
    return healthy_after, applied_after


def test_health_during_vehicle_server_restarts_is_never_500(stack: Processes) -> None:
    statuses: Counter[int] = Counter()
    figures = [_restart_vehicle_server(stack, statuses) for _ in range(RESTARTS)]
    print(
        f"\n/healthz during {RESTARTS} SIGKILLs and restarts of the vehicle server: {dict(statuses)}; "
        "seconds from the restarted server answering to /healthz 200 and to the first applied turn: "
        + ", ".join(f"{healthy:.2f}/{applied:.2f}" for healthy, applied in figures)
    )
    assert 500 not in statuses and set(statuses) <= {200, 503}, statuses
    assert statuses[503] >= RESTARTS, "the outages were not reported"
