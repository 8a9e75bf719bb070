"""`cabin run`'s supervisor and stack, without the model: taken ports named with their process, the run
lock, what each component's environment holds (GR-16), and what a child inherits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agents.hosting import token_digest
from orchestrator import supervisor as supervisor_module
from orchestrator.compact import TOKENS_ENV, CompactTokens, OrchestratorTokens
from orchestrator.stack import AGENTS, CALLER, CLIENTS, StackConfig, components
from orchestrator.supervisor import (
    READY_LINE,
    AlreadyRunningError,
    Component,
    Endpoint,
    Plan,
    PortInUseError,
    RunLock,
    Supervisor,
    SupervisorError,
    Tokens,
    check_ports,
    is_credential,
)
from tests.conftest import free_port

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_a_taken_port_is_named_with_the_process_that_holds_it() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(PortInUseError) as raised:
            check_ports([Component("vehicle MCP server", ["true"], port)])
    message = str(raised.value)
    assert f"port {port} (vehicle MCP server)" in message
    assert f"pid {os.getpid()} (" in message


def test_a_free_port_passes() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check_ports([Component("model host", ["true"], port)])


def test_a_second_lock_on_the_run_folder_is_refused_naming_the_holder(tmp_path: Path) -> None:
    first, second = RunLock(tmp_path), RunLock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(AlreadyRunningError, match=f"pid {os.getpid()}"):
            second.acquire()
    finally:
        first.release()
    second.acquire()  # free again once the first holder let go
    second.release()


@pytest.mark.rule("GR-16")
def test_gr16_each_component_holds_only_its_own_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the vehicle server's token file goes to .cabin/run here
    tokens = Tokens.fresh(CLIENTS)
    stack = {c.name: c for c in components(StackConfig(), "127.0.0.1", 8700, tokens, ui=False)}
    orchestrator = stack["orchestrator + cockpit"].env
    callers = json.loads(orchestrator["CABIN_AGENT_TOKENS"])
    assert sorted(callers.values()) == sorted(tokens.clients[CALLER + agent] for agent in AGENTS)
    privileged = {tokens.operator, tokens.clients["orchestrator"], *callers.values()}
    vehicle_tokens = json.loads((tmp_path / ".cabin" / "run" / "vehicle-tokens.json").read_text())
    for name, agent in zip(
        ("vehicle-control agent", "navigation agent", "perception agent"), AGENTS, strict=True
    ):
        env = stack[name].env
        assert not set(env.values()) & privileged, name
        assert env["CABIN_AGENT_TOKEN"] == token_digest(tokens.clients[CALLER + agent])
        assert env["CABIN_OPERATOR_TOKEN"] == token_digest(tokens.operator)
        assert vehicle_tokens[env["CABIN_MCP_TOKEN"]] == agent  # its own client profile
    # The callers' tokens open no door on the vehicle server; the map server's token neither.
    assert not set(callers.values()) & set(vehicle_tokens)
    assert tokens.clients["navigation-map"] not in vehicle_tokens


@pytest.mark.rule("GR-16")
def test_gr16_the_compact_process_holds_its_servers_tokens_and_no_privileged_one_in_its_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    tokens = Tokens.fresh(CLIENTS)
    stack = components(StackConfig(), "127.0.0.1", 8700, tokens, ui=False, profile="compact")
    assert [c.name for c in stack] == ["model host", "vehicle MCP server", "compact"]
    shared = stack[2]
    assert [e.port for e in shared.endpoints] == [8702, 8703, 8711, 8712, 8713, 8700]
    held = CompactTokens.model_validate_json(shared.env[TOKENS_ENV])
    callers = {tokens.clients[CALLER + a] for a in AGENTS}
    privileged = {tokens.operator, tokens.clients["orchestrator"], *callers}
    # What an agent of the process could leak whole, its environment, holds no privileged token ...
    assert not set(shared.env.values()) & privileged
    assert not [token for token in privileged if token in json.dumps(shared.env)]
    # ... the orchestrator gets its own on standard input, as its own process would get them.
    assert shared.stdin is not None
    orchestrator = OrchestratorTokens.model_validate_json(shared.stdin)
    assert orchestrator.operator == tokens.operator
    assert orchestrator.vehicle == tokens.clients["orchestrator"]
    assert set(orchestrator.agents.values()) == callers
    assert set(orchestrator.agents) == {
        "http://127.0.0.1:8711",
        "http://127.0.0.1:8712",
        "http://127.0.0.1:8713",
    }
    vehicle_tokens = json.loads((tmp_path / ".cabin" / "run" / "vehicle-tokens.json").read_text())
    for agent, own in zip(AGENTS, (held.vehicle_control, held.navigation, held.perception), strict=True):
        assert own.caller == token_digest(tokens.clients[CALLER + agent])
        assert own.operator == token_digest(tokens.operator)
        assert vehicle_tokens[own.mcp] == agent  # each agent keeps its own client profile
    assert held.navigation.map == held.navigation_mcp == tokens.clients["navigation-map"]
    assert held.navigation_mcp not in vehicle_tokens


def test_a_child_reads_its_stdin_credentials_and_holds_none_in_its_environment(tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    script = (
        "import json, os, sys; "
        f"json.dump({{'stdin': sys.stdin.read(), 'env': dict(os.environ)}}, open({str(seen)!r}, 'w'))"
    )
    child = Component("reader", [sys.executable, "-c", script], free_port(), stdin="secret-0123456789")
    supervisor = Supervisor([child])
    supervisor._spawn(child)
    assert child.process is not None
    assert child.process.wait(timeout=30) == 0
    data = json.loads(seen.read_text())
    assert data["stdin"] == "secret-0123456789"
    assert "secret-0123456789" not in json.dumps(data["env"])


def test_a_component_serving_several_ports_checks_each_of_them() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        shared = Component(
            "shared", ["true"], 1, serves=[Endpoint("first", free_port()), Endpoint("second", port)]
        )
        with pytest.raises(PortInUseError, match=rf"port {port} \(second\)"):
            check_ports([shared])


def test_a_child_inherits_no_cabin_credential_from_the_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CABIN_OPERATOR_TOKEN", "from-the-shell-0123456789")
    monkeypatch.setenv("CABIN_MODELS", "kept.yaml")
    seen = tmp_path / "env.json"
    script = f"import json, os; open({str(seen)!r}, 'w').write(json.dumps(dict(os.environ)))"
    component = Component("probe", [sys.executable, "-c", script], 0, env={"CABIN_MCP_TOKEN": "own"})
    Supervisor([component])._spawn(component)
    assert component.process is not None
    assert component.process.wait(timeout=30) == 0
    env = json.loads(seen.read_text())
    assert "CABIN_OPERATOR_TOKEN" not in env
    assert env["CABIN_MCP_TOKEN"] == "own"
    assert env["CABIN_MODELS"] == "kept.yaml"  # settings that are no credential pass through
    assert is_credential("CABIN_AGENT_TOKENS") and not is_credential("CABIN_MODEL_HOST")


def test_a_child_dies_with_its_supervisor(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"""
import sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from orchestrator.supervisor import Component, Supervisor
child = Component("sleeper", [sys.executable, "-c", "import time; time.sleep(600)"], 0)
Supervisor([child])._spawn(child)
open({str(pid_file)!r}, "w").write(str(child.process.pid))
time.sleep(600)
"""
    parent = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text():
            assert parent.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        child = int(pid_file.read_text())
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_plan_travels_whole_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    tokens = Tokens.fresh(CLIENTS)
    for profile in ("default", "compact"):
        stack = components(StackConfig(), "127.0.0.1", 8700, tokens, ui=True, profile=profile)
        plan = Plan(stack, operator=tokens.operator, login=["true"], start_timeout_s=12.5)
        back = Plan.from_json(plan.to_json())
        assert (back.operator, back.login, back.start_timeout_s) == (tokens.operator, ["true"], 12.5)
        for before, after in zip(plan.components, back.components, strict=True):
            assert (after.name, after.argv, after.port, after.env, after.stdin) == (
                before.name,
                before.argv,
                before.port,
                before.env,
                before.stdin,
            )
            assert after.endpoints == before.endpoints
            assert (after.health_url, after.url) == (before.health_url, before.url)


@pytest.mark.parametrize("text", ["", "[]", '{"components": [{"name": "x"}]}', '{"operator": null}'])
def test_a_malformed_plan_is_refused_by_name(text: str) -> None:
    with pytest.raises(SupervisorError, match="not a supervisor plan"):
        Plan.from_json(text)


def test_the_supervisor_goes_on_in_an_interpreter_that_loads_only_the_standard_library(
    tmp_path: Path,
) -> None:
    """What `cabin run` execs into: `python -I supervisor.py --plan-fd N` starts the plan's
    components, writes the operator token, prints the ready line, and stops its child on SIGTERM;
    it maps no third-party extension (pydantic's, YAML's) and imports no cabin package."""
    port = free_port()
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    plan = Plan([Component("web", server, port)], operator="operator-secret", start_timeout_s=60)
    read, write = os.pipe()
    os.write(write, plan.to_json().encode())
    os.close(write)
    script = Path(supervisor_module.__file__).resolve()
    lean = subprocess.Popen(
        [sys.executable, "-I", str(script), "--plan-fd", str(read)],
        pass_fds=[read],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        text=True,
    )
    os.close(read)
    try:
        assert lean.stdout is not None
        lines = []
        for line in lean.stdout:
            lines.append(line)
            if READY_LINE in line:
                break
        assert any("operator token: .cabin/run/operator-token" in line for line in lines), lines
        assert (tmp_path / ".cabin" / "run" / "operator-token").read_text().strip() == "operator-secret"
        maps = Path(f"/proc/{lean.pid}/maps").read_text()
        assert "site-packages" not in maps
        children = Path(f"/proc/{lean.pid}/task/{lean.pid}/children").read_text().split()
        assert len(children) == 1
        lean.terminate()
        assert lean.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while _alive(int(children[0])) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _alive(int(children[0]))
    finally:
        if lean.poll() is None:
            lean.kill()
            lean.wait()
        if lean.stdout is not None:
            lean.stdout.close()


def test_the_supervisor_refuses_a_plan_it_cannot_read() -> None:
    script = Path(supervisor_module.__file__).resolve()
    read, write = os.pipe()
    os.write(write, b"{not json")
    os.close(write)
    done = subprocess.run(
        [sys.executable, "-I", str(script), "--plan-fd", str(read)],
        pass_fds=[read],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    os.close(read)
    assert done.returncode == 2
    assert "cannot read the supervisor plan: not a supervisor plan" in done.stderr
