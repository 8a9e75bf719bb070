"""``cabin bench --startup``: what the command line costs to start and answer, in CPU and wall time.

Each command runs ``runs`` times, one after the other, each in a fresh interpreter (``python -m
orchestrator.cli ...``, as the ``cabin`` script runs it). Its CPU time is the kernel's account of that
process and everything it waited for (user + system, ``os.wait4``), which a busy machine changes
little; its wall time grows with whatever else runs, so compare CPU times across machines and loads.
Each figure is the median over the runs.

``--help`` is measured for ``cabin`` itself and for ``ask`` on their own rows, and for every command
and nested command the parser declares (``help_commands``), of which the slowest is reported
(``help_every``: its median, and how many commands were measured).

``ask`` is measured on a sentence the templates read (``ASK_TEXT``) with the template cache filled
by an untimed run first (every run after the first on a machine), and again with an empty cache for
each run (``cold``: the first run after an install or a grammar change), and on a sentence no
template reads, which loads the model (``MODEL_TEXT``). The template cache of the runs is a scratch
folder (``$CABIN_TEMPLATE_CACHE``), so the user's is neither used nor changed. The runs write and
read Python's bytecode cache as an installed ``cabin`` does (``PYTHONDONTWRITEBYTECODE`` is left out
of their environment): with it set, every run would compile the modules changed since the cache was
last written, and the figure would be the compiler's. ``cabin bench --startup`` runs them in the
environment ``cabin`` was started with (``main`` in ``orchestrator/cli.py`` keeps a copy), not the
bench's own: building the bench's parser imports the models package, which sets a spin count for
llama.cpp's threads that a user's shell would not pass on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["ASK_TEXT", "MODEL_TEXT", "bench_startup", "help_commands", "startup_table"]

ASK_TEXT = "set the temperature to 21"
"""A request the vehicle-control templates read whole."""

MODEL_TEXT = "the air in here feels rather stale today"
"""A request no template reads: the router's model path decides it."""

_ROOT = Path(__file__).resolve().parents[1]


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one ``python -m orchestrator.cli ARGV``; raises when it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "orchestrator.cli", *argv],
        cwd=_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    with child.stderr:
        errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        tail = errors.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"cabin {' '.join(argv)} exited with {child.returncode}: {' / '.join(tail)}")
    return usage.ru_utime + usage.ru_stime, wall


def _measure(argv: list[str], runs: int, env: dict[str, str], fresh_cache: Path | None) -> dict[str, Any]:
    cpu: list[float] = []
    wall: list[float] = []
    for n in range(runs):
        run_env = env
        if fresh_cache is not None:
            run_env = {**env, "CABIN_TEMPLATE_CACHE": str(fresh_cache / f"run-{n}")}
        used, took = _run(argv, run_env)
        cpu.append(used)
        wall.append(took)
    return {
        "command": "cabin " + " ".join(f'"{a}"' if " " in a else a for a in argv),
        "cpu_s": round(statistics.median(cpu), 2),
        "wall_s": round(statistics.median(wall), 2),
        "cpu_runs_s": [round(c, 2) for c in cpu],
        "runs": runs,
    }


def help_commands(parser: argparse.ArgumentParser | None = None) -> list[list[str]]:
    """Every command and nested command of ``cabin`` (``[]`` is ``cabin`` itself), as the parser
    declares them."""
    if parser is None:
        from .cli import build_parser

        parser = build_parser()
    found: list[list[str]] = [[]]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in sorted(action.choices.items()):
                found += [[name, *rest] for rest in help_commands(child)]
    return found


def _slowest_help(runs: int, env: dict[str, str]) -> dict[str, Any]:
    measured = [_measure([*command, "--help"], runs, env, None) for command in help_commands()]
    slowest = max(measured, key=lambda m: (m["cpu_s"], m["wall_s"]))
    return {**slowest, "commands": len(measured)}


def bench_startup(runs: int = 3, *, environment: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Median CPU and wall seconds of ``--help``, ``ask --help``, the slowest ``--help`` of every
    command, ``tools`` and ``ask`` (warm and cold template cache, and a sentence the model routes),
    each over ``runs`` fresh processes, in ``environment`` (default: this process's)."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    with tempfile.TemporaryDirectory(prefix="cabin-bench-startup-") as scratch:
        folder = Path(scratch)
        given = os.environ if environment is None else environment
        env = {key: value for key, value in given.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["CABIN_TEMPLATE_CACHE"] = str(folder / "warm")
        _run(["ask", ASK_TEXT], env)  # fills the template cache (not timed)
        report: dict[str, Any] = {
            "help": _measure(["--help"], runs, env, None),
            "ask_help": _measure(["ask", "--help"], runs, env, None),
            "help_every": _slowest_help(runs, env),
            "tools": _measure(["tools"], runs, env, None),
            "ask": _measure(["ask", ASK_TEXT], runs, env, None),
            "ask_cold": _measure(["ask", ASK_TEXT], runs, env, folder / "cold"),
            "ask_model": _measure(["ask", MODEL_TEXT], runs, env, None),
        }
    report["machine"] = {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]}
    return report


def _label(key: str, value: dict[str, Any]) -> str:
    if key == "ask_cold":
        return f"{value['command']} (empty template cache)"
    if key == "help_every":
        return f"{value['command']} (the slowest --help of {value['commands']} commands)"
    return str(value["command"])


def startup_table(report: dict[str, Any]) -> str:
    """The report as a table: command, median CPU and wall seconds, each run's CPU."""
    rows = [(_label(key, value), value) for key, value in report.items() if key != "machine"]
    width = max(len(label) for label, _ in rows)
    lines = [f"{'command':<{width}}  cpu s  wall s  cpu per run"]
    for label, value in rows:
        runs = ", ".join(f"{c:.2f}" for c in value["cpu_runs_s"])
        lines.append(f"{label:<{width}}  {value['cpu_s']:5.2f}  {value['wall_s']:6.2f}  {runs}")
    machine = report.get("machine", {})
    lines.append(f"({machine.get('cores')} cores, load average {machine.get('load_average')}; medians)")
    return "\n".join(lines)
