"""`cabin bench --startup` measures each command in fresh processes: the kernel's CPU account of the
child, the wall time, the median of the runs; a command that fails is reported, never timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from orchestrator.bench_startup import _measure, _run, bench_startup, help_commands, startup_table


def test_a_command_is_measured_in_fresh_processes() -> None:
    measured = _measure(["--help"], 2, dict(os.environ), None)
    assert measured["command"] == "cabin --help"
    assert measured["runs"] == 2 and len(measured["cpu_runs_s"]) == 2
    assert all(cpu > 0 for cpu in measured["cpu_runs_s"])
    assert measured["wall_s"] > 0
    assert min(measured["cpu_runs_s"]) <= measured["cpu_s"] <= max(measured["cpu_runs_s"])


def test_a_command_that_fails_is_reported() -> None:
    with pytest.raises(RuntimeError, match="exited with 2"):
        _run(["ask", "--seat", "roof", "hello"], dict(os.environ))


def test_runs_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        bench_startup(0)


def test_the_table_names_each_command_and_its_medians() -> None:
    row = {"command": "cabin ask x", "cpu_s": 2.5, "wall_s": 3.0, "cpu_runs_s": [2.4, 2.5, 2.6], "runs": 3}
    table = startup_table({"ask": row, "ask_cold": row, "machine": {"cores": 2, "load_average": [1.0]}})
    lines = table.splitlines()
    assert lines[1].startswith("cabin ask x ") and "2.50" in lines[1] and "2.40, 2.50, 2.60" in lines[1]
    assert "(empty template cache)" in lines[2]
    assert "2 cores" in lines[-1]


def test_every_command_and_nested_command_has_its_help_measured() -> None:
    commands = help_commands()
    assert commands[0] == [] and ["ask"] in commands and ["router", "fit"] in commands
    assert len(commands) == len({tuple(c) for c in commands})
    assert all(c[:1] != ["--help"] for c in commands)


def test_the_table_names_the_slowest_help() -> None:
    row = {"command": "cabin router fit --help", "cpu_s": 0.2, "wall_s": 0.3, "cpu_runs_s": [0.2], "runs": 1}
    table = startup_table(
        {"help_every": {**row, "commands": 29}, "machine": {"cores": 2, "load_average": [1.0]}}
    )
    assert "cabin router fit --help (the slowest --help of 29 commands)" in table.splitlines()[1]


_PROBE = """
import json, os
from orchestrator import bench_startup, cli
seen = {}
def bench(runs, *, environment=None):
    seen["given"] = dict(environment or {})
    return {"machine": {"cores": 2, "load_average": [0.0]}}
bench_startup.bench_startup = bench
cli.main(["bench", "--startup", "--runs", "1", "--json"])
print(json.dumps([os.environ.get("GOMP_SPINCOUNT"), seen["given"].get("GOMP_SPINCOUNT"), seen["given"].get("HOME")]))
"""


def test_the_runs_get_the_environment_cabin_was_started_with() -> None:
    # Building the bench's own parser imports the models package, which sets a spin count for
    # llama.cpp's threads; a user's shell would not pass that on to `cabin ask`, nor does the bench.
    env = {k: v for k, v in os.environ.items() if k not in {"GOMP_SPINCOUNT", "OMP_WAIT_POLICY"}}
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    now, given, home = json.loads(done.stdout.strip().splitlines()[-1])
    assert now is not None and given is None
    assert home == os.environ.get("HOME")
