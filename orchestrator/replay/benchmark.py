"""Replay throughput and the multi-node check (``python -m orchestrator.replay.benchmark``).

The committed matrix (``scenarios/matrix``) is expanded and a sample of it taken (``--sample N``: N
files drawn with a fixed seed; ``--sample 0`` is all of it). ``cabin replay`` is then
timed on the sample as a person runs it, the whole command (start-up, model load, and Ray's start where
there is one): in-process (``--jobs 1``), on Ray with one worker and with two (``--ray auto``). Each
run's wall time is split at its first result (read from the progress lines): the time to it is
start-up (model load; Ray and its workers), the scenarios per second after it are the steady rate that
decides a long run. Each run's CPU seconds are read from ``/proc`` meanwhile, by process (the command,
Ray's replay workers, Ray's own processes: :class:`CpuSampler`): on a shared machine they move less
than wall time. There are ``--repeats`` rounds, each running the three in turn (``--only`` to pick
some), and the medians are reported, with the load average of the machine before and after each run
(the figures are only comparable on an otherwise quiet machine). ``--two-nodes`` then starts two Ray
nodes on this machine, ``ray start --head`` and ``ray start --address`` with one CPU each (so the two
workers sit one per node), replays the sample on that cluster with ``--ray ADDRESS --workers 2``,
and compares its verdicts with every other run's: the same scenarios pass and fail, at the same
steps, for the same expectations.

Ray's files (its address file, sessions, sockets) go to a temporary folder (``RAY_TMPDIR``), so these
runs never join, nor are joined by, another Ray on the machine; the nodes are stopped by their process
ids, never with ``ray stop`` (which stops every Ray of the machine). Exit status: 0 when every run gave
the same verdicts, 1 when one differs, 2 on bad arguments or a run that could not be made.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcp_servers.vehicle.catalog import Catalog

from .expand import expand_all
from .fleet import WORKER_NICENESS

ROOT = Path(__file__).resolve().parents[2]
MATRIX = ROOT / "scenarios" / "matrix"
RUNS: dict[str, list[str]] = {
    "in-process": ["--jobs", "1"],
    "ray, 1 worker": ["--ray", "auto", "--workers", "1"],
    "ray, 2 workers": ["--ray", "auto", "--workers", "2"],
}
"""The ways of running the sample, with their ``cabin replay`` options."""
TWO_NODES = "ray, 2 nodes"
NODE_START_S = 180.0
"""How long a node may take to join on a busy machine."""


class BenchmarkError(Exception):
    """A run could not be made (a command failed, a node did not start)."""


SAMPLE_SEED = 20
"""The seed of the sample's choice: the same sample on every machine and every run."""


def write_sample(out: Path, size: int) -> list[Path]:
    """Expand the matrix and write ``size`` of its variants (0: all) under ``out``, in path order.

    The variants are drawn at random with a fixed seed, not every k-th: each matrix lists its
    variants as nested cycles (phrasings within seats within driving states), so every 4th file of
    the matrix was 456 plain phrasings of 616 and no indirect one, while a draw takes each kind about
    as often as the matrix has it."""
    variants = expand_all([MATRIX], Catalog.load())
    if size <= 0 or size >= len(variants):
        chosen = variants
    else:
        picked = sorted(random.Random(SAMPLE_SEED).sample(range(len(variants)), size))
        chosen = [variants[i] for i in picked]
    files = []
    for variant in chosen:
        path = out / variant.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(variant.to_yaml(), encoding="utf-8")
        files.append(path)
    return files


def verdicts(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a report says passed and failed, without timings or the turn's trace: per scenario its
    file, whether it passed, was skipped or crashed, and per step whether it passed and the
    expectations it missed."""
    return [
        (
            result["file"],
            result["passed"],
            result["skipped"],
            result["error"] is not None,
            tuple(
                (
                    step["index"],
                    step["passed"],
                    tuple(f for f in step["failures"] if not f.startswith("(said")),
                )
                for step in result["steps"]
            ),
        )
        for result in report["results"]
    ]


def _cabin() -> str:
    return str(Path(sys.executable).with_name("cabin"))


@dataclass(frozen=True)
class Timing:
    """One ``cabin replay`` run: its wall time, and when its first and last results arrived (seconds
    from its start; the progress lines on stderr). ``steady_rate`` is the scenarios per second between
    the first result and the last, once start-up (model load, Ray, workers) is behind it."""

    wall_s: float
    first_s: float
    last_s: float
    results: int
    cpu_s: dict[str, float]
    """CPU seconds of the run's processes (:class:`CpuSampler`): ``driver`` (the ``cabin replay``
    command; in-process replay, everything), ``workers`` (Ray's replay workers) and ``ray`` (Ray's
    own processes: GCS, raylet, its agents and monitors, idle workers)."""

    @property
    def steady_rate(self) -> float | None:
        span = self.last_s - self.first_s
        return (self.results - 1) / span if self.results > 1 and span > 0 else None


_RESULT_LINE = re.compile(r"^\[(\d+)/(\d+)\] ")
RUN_MARK = "CABIN_REPLAY_BENCHMARK_RUN"
"""An environment variable set for one run's command only: every process it starts (a local Ray's
GCS, raylet, agents and workers) inherits it, which is how :class:`CpuSampler` finds them."""
CPU_PERIOD_S = 0.25
_TICKS = os.sysconf("SC_CLK_TCK")


class CpuSampler:
    """The CPU seconds of the processes whose environment holds ``RUN_MARK=mark``, read from
    ``/proc/PID/stat`` every ``CPU_PERIOD_S`` while the run lasts (a process's last reading counts,
    so what one does in its last quarter second before it ends is missed), by kind: the command
    (``driver``), Ray's replay workers (``workers``: their process title is ``ray::ReplayWorker``)
    and every other one (``ray``: Ray's own processes)."""

    def __init__(self, mark: str, driver: int) -> None:
        self._marker = f"{RUN_MARK}={mark}".encode()
        self._driver = driver
        self._seen: dict[int, tuple[str, float]] = {}
        self._others: set[int] = set()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def _kind(self, pid: int, title: bytes) -> str:
        if pid == self._driver:
            return "driver"
        if pid in self._seen and self._seen[pid][0] == "workers":
            return "workers"  # its title is gone once it has ended (an empty cmdline until reaped)
        return "workers" if title.startswith(b"ray::ReplayWorker") else "ray"

    def _sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in self._others:
                continue
            pid = int(entry.name)
            try:
                environment = b"" if pid in self._seen else (entry / "environ").read_bytes()
                if pid not in self._seen and self._marker not in environment.split(b"\0"):
                    self._others.add(pid)
                    continue
                stat = (entry / "stat").read_text(encoding="utf-8", errors="replace")
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            self._seen[pid] = (self._kind(pid, title), (int(fields[11]) + int(fields[12])) / _TICKS)

    def _run(self) -> None:
        while not self._done.wait(CPU_PERIOD_S):
            self._sample()

    @property
    def processes(self) -> dict[int, str]:
        """The processes counted so far, by pid: their kind."""
        return {pid: kind for pid, (kind, _) in self._seen.items()}

    def stop(self) -> dict[str, float]:
        """Stop sampling; the CPU seconds by kind."""
        self._done.set()
        self._thread.join()
        totals = {"driver": 0.0, "workers": 0.0, "ray": 0.0}
        for kind, seconds in self._seen.values():
            totals[kind] += seconds
        return {kind: round(seconds, 2) for kind, seconds in totals.items()}


def replay(sample: Path, options: Sequence[str], report: Path, env: dict[str, str]) -> Timing:
    """Run ``cabin replay`` on ``sample`` (the report is written) and time it, wall and CPU."""
    command = [_cabin(), "replay", str(sample), "--report", str(report), *options]
    mark = f"{os.getpid()}-{time.monotonic_ns()}"
    started = time.monotonic()
    arrived: list[float] = []
    tail: list[str] = []
    with subprocess.Popen(
        command,
        env={**env, RUN_MARK: mark},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        sampler = CpuSampler(mark, process.pid)
        assert process.stderr is not None
        for line in process.stderr:
            if _RESULT_LINE.match(line):
                arrived.append(time.monotonic() - started)
            else:
                tail = [*tail[-40:], line]
        returncode = process.wait()
    wall = time.monotonic() - started
    time.sleep(1.0)  # what the run started and stops as it ends: its last readings
    cpu = sampler.stop()
    if returncode not in (0, 1) or not report.is_file() or not arrived:
        raise BenchmarkError(f"{' '.join(command)} exited {returncode}: {''.join(tail)[-2000:]}")
    return Timing(wall, arrived[0], arrived[-1], len(arrived), cpu)


def _describe(timing: Timing) -> str:
    steady = timing.steady_rate
    cpu = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in timing.cpu_s.items() if seconds)
    return (
        f"{timing.wall_s:.1f} s, first result at {timing.first_s:.1f} s, "
        f"{'-' if steady is None else f'{steady:.3f}'} scenarios/s after it, "
        f"CPU {sum(timing.cpu_s.values()):.1f} s ({cpu})"
    )


def _figures(timings: Sequence[Timing], scenarios: int) -> dict[str, Any]:
    """Medians of a run's rounds: wall time and scenarios per second over it, the time to the first
    result (start-up), and the steady rate after it."""
    wall = statistics.median(t.wall_s for t in timings)
    steady = [rate for t in timings if (rate := t.steady_rate) is not None]
    return {
        "wall_s": round(wall, 1),
        "scenarios_per_s": round(scenarios / wall, 3),
        "first_result_s": round(statistics.median(t.first_s for t in timings), 1),
        "steady_scenarios_per_s": round(statistics.median(steady), 3) if steady else None,
        "wall_s_each": [round(t.wall_s, 1) for t in timings],
        "cpu_s": round(statistics.median(sum(t.cpu_s.values()) for t in timings), 1),
        "cpu_s_each": [t.cpu_s for t in timings],
    }


def ray_env(ray_dir: Path) -> dict[str, str]:
    """The environment of every command of a run: Ray's files in ``ray_dir``; token authentication
    (Ray's own token, ``ray get-auth-token --generate``) said explicitly, since a node joining with
    ``--address`` does not turn it on by itself; workers at niceness 0, as in-process replay runs."""
    return {**os.environ, "RAY_TMPDIR": str(ray_dir), "RAY_AUTH_MODE": "token", WORKER_NICENESS: "0"}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ray_processes(ray_dir: Path) -> list[int]:
    """The processes started with ``ray_dir`` as their Ray folder (nodes, their workers)."""
    mine: list[int] = []
    marker = f"RAY_TMPDIR={ray_dir}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in environment.split(b"\0") or str(ray_dir).encode() in command:
            mine.append(int(entry.name))
    return mine


def stop_ray(nodes: Sequence[subprocess.Popen[bytes]], ray_dir: Path) -> None:
    """Stop the nodes started here and every process that runs in their Ray folder, by process id."""
    for node in nodes:
        if node.poll() is None:
            node.terminate()
    for node in nodes:
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            node.kill()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = ray_processes(ray_dir)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 20
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = ray_processes(ray_dir)
        if not left:
            return


def start_two_nodes(ray_dir: Path, env: dict[str, str]) -> tuple[str, list[subprocess.Popen[bytes]]]:
    """``ray start --head`` and ``ray start --address`` on this machine, one CPU each; the head's
    address once both nodes are up."""
    ray = str(Path(sys.executable).with_name("ray"))
    log = open(ray_dir / "nodes.log", "ab")  # noqa: SIM115 - kept open while the nodes run
    common = ["--block", "--num-cpus", "1", "--disable-usage-stats"]
    ports = ["--port", str(_free_port()), "--ray-client-server-port", str(_free_port())]
    head = subprocess.Popen(
        [ray, "start", "--head", *ports, "--include-dashboard", "false", *common],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    nodes = [head]
    address_file = ray_dir / "ray" / "ray_current_cluster"
    deadline = time.monotonic() + NODE_START_S
    while not address_file.is_file():
        if head.poll() is not None or time.monotonic() > deadline:
            raise BenchmarkError(f"the head node did not start (see {ray_dir / 'nodes.log'})")
        time.sleep(1)
    address = address_file.read_text(encoding="utf-8").strip()
    nodes.append(
        subprocess.Popen(
            [ray, "start", "--address", address, *common], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    )
    waiting = subprocess.run(
        [sys.executable, "-c", _WAIT_FOR_NODES, address, "2", str(NODE_START_S)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if waiting.returncode != 0:
        raise BenchmarkError(f"the second node did not join: {waiting.stdout}{waiting.stderr[-2000:]}")
    return address, nodes


_WAIT_FOR_NODES = """
import sys, time, ray
address, wanted, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
ray.init(address=address, log_to_driver=False, configure_logging=False)
deadline = time.monotonic() + limit
while True:
    alive = [n for n in ray.nodes() if n["Alive"]]
    if len(alive) >= wanted:
        print(len(alive), "nodes,", sum(n["Resources"].get("CPU", 0) for n in alive), "CPUs")
        break
    if time.monotonic() > deadline:
        print(len(alive), "nodes after", limit, "s")
        sys.exit(1)
    time.sleep(1)
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.replay.benchmark", description=__doc__)
    parser.add_argument("--sample", type=int, default=24, help="scenarios of the matrix (0: all)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the three runs")
    parser.add_argument("--only", action="append", choices=list(RUNS), help="only these runs")
    parser.add_argument("--two-nodes", action="store_true", help="also replay on two Ray nodes")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument(
        "--reports", type=Path, metavar="DIR", help="keep each run's JSON report (cabin replay --report) here"
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if shutil.which(_cabin()) is None:
        parser.error(f"{_cabin()} is not installed (pip install -e '.[fleet]')")
    work = Path(tempfile.mkdtemp(prefix="cabin-replay-bench-"))
    ray_dir = work / "r"
    ray_dir.mkdir()
    env = ray_env(ray_dir)
    try:
        files = write_sample(work / "sample", args.sample)
        sample = work / "sample"
        print(f"{len(files)} scenarios of {MATRIX.relative_to(ROOT)} under {sample}", flush=True)
        runs = {name: RUNS[name] for name in (args.only or RUNS)}
        times: dict[str, list[Timing]] = {name: [] for name in runs}
        loads: dict[str, list[float]] = {name: [] for name in runs}
        loads_after: dict[str, list[float]] = {name: [] for name in runs}
        reports: dict[str, dict[str, Any]] = {}
        for round_ in range(args.repeats):
            for name, options in runs.items():
                load = os.getloadavg()[0]
                report = work / f"{name.replace(' ', '').replace(',', '-')}-{round_}.json"
                timing = replay(sample, options, report, env)
                times[name].append(timing)
                loads[name].append(load)
                loads_after[name].append(os.getloadavg()[0])
                reports[name] = json.loads(report.read_text(encoding="utf-8"))
                if args.reports is not None:
                    args.reports.mkdir(parents=True, exist_ok=True)
                    shutil.copy(report, args.reports / report.name)
                print(
                    f"round {round_ + 1}: {name}: {_describe(timing)}, {reports[name]['passed']} passed, "
                    f"{reports[name]['failed']} failed (load average {load:.1f} before, "
                    f"{loads_after[name][-1]:.1f} after)",
                    flush=True,
                )
        figures: dict[str, Any] = {"scenarios": len(files), "repeats": args.repeats, "runs": {}}
        for name in runs:
            figures["runs"][name] = {
                **_figures(times[name], len(files)),
                "load_average_before": [round(v, 1) for v in loads[name]],
                "load_average_after": [round(v, 1) for v in loads_after[name]],
                "passed": reports[name]["passed"],
                "failed": reports[name]["failed"],
            }
        if "in-process" in runs and "ray, 1 worker" in runs:
            base, ray_1 = figures["runs"]["in-process"], figures["runs"]["ray, 1 worker"]
            figures["ray_overhead_1_worker"] = {
                "wall": round(ray_1["wall_s"] / base["wall_s"] - 1, 3),
                "start_up_s": round(ray_1["first_result_s"] - base["first_result_s"], 1),
                "steady": round(base["steady_scenarios_per_s"] / ray_1["steady_scenarios_per_s"] - 1, 3)
                if base["steady_scenarios_per_s"] and ray_1["steady_scenarios_per_s"]
                else None,
                "cpu": round(ray_1["cpu_s"] / base["cpu_s"] - 1, 3) if base["cpu_s"] else None,
                "wall_pairs": [
                    round(on_ray.wall_s / in_process.wall_s, 2)
                    for in_process, on_ray in zip(times["in-process"], times["ray, 1 worker"], strict=True)
                ],
            }
        if args.two_nodes:
            nodes: list[subprocess.Popen[bytes]] = []
            try:
                started = time.monotonic()
                address, nodes = start_two_nodes(ray_dir, env)
                print(f"two nodes up at {address} in {time.monotonic() - started:.1f} s", flush=True)
                report = work / "two-nodes.json"
                load = os.getloadavg()[0]
                timing = replay(sample, ["--ray", address, "--workers", "2"], report, env)
                reports[TWO_NODES] = json.loads(report.read_text(encoding="utf-8"))
                if args.reports is not None:
                    args.reports.mkdir(parents=True, exist_ok=True)
                    shutil.copy(report, args.reports / report.name)
                figures["runs"][TWO_NODES] = {
                    **_figures([timing], len(files)),
                    "load_average_before": [round(load, 1)],
                    "load_average_after": [round(os.getloadavg()[0], 1)],
                    "passed": reports[TWO_NODES]["passed"],
                    "failed": reports[TWO_NODES]["failed"],
                }
                print(f"{TWO_NODES}: {_describe(timing)}", flush=True)
            finally:
                stop_ray(nodes, ray_dir)
        first = next(iter(reports))
        same = {name: verdicts(report) == verdicts(reports[first]) for name, report in reports.items()}
        figures["same_verdicts_as"] = {"run": first, **same}
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
