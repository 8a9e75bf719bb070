"""``cabin bench --memory`` and ``cabin bench --url URL --sweep 1,5,10``: what a running stack costs.

Memory: a real ``cabin run`` is started in a scratch folder on free loopback ports; the proportional set
size (PSS, from ``/proc/PID/smaps_rollup``: shared pages divided among the processes that map them, so
the per-process figures add up to what the stack really takes) of each of its processes is read fresh
and again after ``turns`` turns through the front-end API, then the stack is stopped.

Load: ``concurrency`` sessions each say one line after another against a running stack for a fixed time;
each level reports turns per second, the median and 95th-percentile turn latency and the errors.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .bench import summarize
from .supervisor import READY_LINE

START_TIMEOUT_S = 300.0

# A mix of what people say: template-routed actions on several seats, a navigation search, a question
# the model path routes, perception, chit-chat the stack declines.
TURN_MIX = (
    "set the temperature to 21",
    "warmer please",
    "find a charger",
    "what's the speed limit",
    "turn the volume down a bit",
    "set the temperature to 22",
    "hello",
    "open my window",
    "close my window",
)
SEATS = ("driver", "passenger", "rear_left", "rear_right")
ROLLUP_FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "Swap")


class BenchError(Exception):
    """A load or memory figure could not be taken (the stack did not start, /proc is missing)."""


def smaps_rollup(pid: int) -> dict[str, float]:
    """The ``ROLLUP_FIELDS`` of ``/proc/PID/smaps_rollup``, in MiB."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text(encoding="ascii")
    except OSError as exc:
        raise BenchError(f"cannot read /proc/{pid}/smaps_rollup: {exc.strerror or exc}") from exc
    figures: dict[str, float] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ROLLUP_FIELDS:
            figures[key] = round(int(rest.split()[0]) / 1024, 1)
    return figures


MODEL_SUFFIX = ".gguf"
"""Memory-mapped model files: their pages are shared with any process that maps the same file."""


def model_mappings(pid: int) -> dict[str, dict[str, float]]:
    """The model files (``MODEL_SUFFIX``) ``pid`` maps, each with its ``Rss`` and ``Pss`` in MiB (from
    ``/proc/PID/smaps``); empty when it maps none or has exited."""
    found: dict[str, dict[str, float]] = {}
    current: dict[str, float] | None = None
    try:
        lines = Path(f"/proc/{pid}/smaps").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        head = line.split(None, 5)
        if len(head) >= 5 and "-" in head[0] and ":" not in head[0]:
            path = head[5].strip() if len(head) == 6 else ""
            current = (
                found.setdefault(path, {"Rss": 0.0, "Pss": 0.0}) if path.endswith(MODEL_SUFFIX) else None
            )
        elif current is not None and head and head[0] in ("Rss:", "Pss:"):
            current[head[0][:-1]] += int(head[1]) / 1024
    return {path: {key: round(value, 1) for key, value in sizes.items()} for path, sizes in found.items()}


def mapped_elsewhere(paths: set[str], inside: set[int]) -> list[int]:
    """PIDs outside ``inside`` that map any of ``paths`` (another stack, an evaluation run): while one
    does, the kernel divides those pages between it and the stack, and the stack's PSS is lower."""
    if not paths:
        return []
    others: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in inside:
            continue
        try:
            maps = (entry / "maps").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(path in maps for path in paths):
            others.append(int(entry.name))
    return sorted(others)


def process_tree(root: int) -> dict[int, str]:
    """PID -> a short name (the ``-m`` module, else the program) of ``root`` and all its descendants."""
    found: dict[int, str] = {}
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        words = [w.decode(errors="replace") for w in argv if w]
        name = words[words.index("-m") + 1] if "-m" in words[:-1] else Path(words[0]).name if words else "?"
        found[pid] = "cabin run" if pid == root else name
        for task in tasks:
            try:
                pending += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


def snapshot(root: int) -> list[dict[str, Any]]:
    """One row per process of the tree under ``root``: pid, name, its ``smaps_rollup`` figures, the
    PSS and RSS of the model files it maps (``Model_Pss``, ``Model_Rss``) and ``Pss_Whole``: its PSS
    with those files' resident pages counted whole, as the kernel counts them when no process outside
    the stack maps the same file (no process of the stack but the model host maps one)."""
    rows = []
    for pid, name in sorted(process_tree(root).items(), key=lambda item: item[1]):
        try:
            figures = smaps_rollup(pid)
        except BenchError:
            continue  # exited between listing and reading
        files = model_mappings(pid)
        model_pss = round(sum(sizes["Pss"] for sizes in files.values()), 1)
        model_rss = round(sum(sizes["Rss"] for sizes in files.values()), 1)
        whole = round(figures.get("Pss", 0.0) - model_pss + model_rss, 1)
        rows.append(
            {
                "pid": pid,
                "name": name,
                **figures,
                "Model_Pss": model_pss,
                "Model_Rss": model_rss,
                "Pss_Whole": whole,
                "model_files": sorted(files),
            }
        )
    return rows


def elsewhere(rows: list[dict[str, Any]]) -> list[int]:
    """The processes outside the stack of ``rows`` that map one of its model files."""
    paths = {path for row in rows for path in row.get("model_files", [])}
    return mapped_elsewhere(paths, {int(row["pid"]) for row in rows})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class RunningStack:
    """``cabin run`` in a scratch folder on free ports, its output collected; ``stop()`` ends it."""

    def __init__(self, root: Path, profile: str = "default") -> None:
        import yaml

        from .stack import PortsConfig

        self.root = root
        ports = {name: _free_port() for name in PortsConfig.model_fields}
        (root / "cabin.yaml").write_text(yaml.safe_dump({"ports": ports}), encoding="utf-8")
        self.url = f"http://127.0.0.1:{ports['orchestrator']}"
        command = [sys.executable, "-m", "orchestrator.cli", "run", "--config", "cabin.yaml", "--no-ui"]
        command += ["--profile", profile]
        self.process = subprocess.Popen(
            [*command, "--port", str(ports["orchestrator"])],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(READY_LINE in line for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        tail = "\n".join(self.lines[-40:])
        raise BenchError(f"cabin run did not become ready within {timeout_s:.0f} s:\n{tail}")

    def token(self) -> str:
        return (self.root / ".cabin" / "run" / "operator-token").read_text(encoding="utf-8").strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


async def drive_turns(
    url: str, token: str | None, count: int, *, first: int = 0
) -> tuple[list[float], list[str]]:
    """``count`` turns one after another over the front-end API, cycling ``TURN_MIX`` and the seats from
    turn number ``first``; a new session every ten turns, so sessions come and go as in a car. Returns
    the latencies (ms) of the turns answered and the errors of the others."""
    import httpx

    from .access import bearer

    samples: list[float] = []
    errors: list[str] = []
    session: str | None = None
    async with httpx.AsyncClient(base_url=url, timeout=60.0, headers=bearer(token)) as http:
        for i in range(first, first + count):
            if i % 10 == 0:
                session = None
            body = {"text": TURN_MIX[i % len(TURN_MIX)], "seat": SEATS[i % len(SEATS)], "session_id": session}
            start = time.perf_counter()
            try:
                response = await http.post("/v1/utterances", json=body)
                response.raise_for_status()
                session = response.json()["session_id"]
                samples.append((time.perf_counter() - start) * 1000)
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                errors.append(repr(exc))
    return samples, errors


def _totals(rows: list[dict[str, Any]]) -> dict[str, float]:
    keys = ("Pss", "Pss_Anon", "Rss", "Pss_Whole")
    return {key: round(sum(row.get(key, 0.0) for row in rows), 1) for key in keys}


def _reading(turns: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One point of the series: the totals and each process's PSS, anonymous PSS and PSS with the
    model file counted whole (summed per name) after ``turns``, and how many processes outside the
    stack mapped its model file."""
    per: dict[str, dict[str, float]] = {"pss": {}, "anon": {}, "whole": {}}
    for row in rows:
        for label, key in (("pss", "Pss"), ("anon", "Pss_Anon"), ("whole", "Pss_Whole")):
            per[label][row["name"]] = round(per[label].get(row["name"], 0.0) + row.get(key, 0.0), 1)
    return {"turns": turns, **_totals(rows), **per, "model_mapped_elsewhere": len(elsewhere(rows))}


def growth(series: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """How much each process's PSS and the total grew (percent) from the first reading after turns
    began (once lazily loaded parts, the model's embedding context and the like, are in) to the
    last; None with fewer than two such readings."""
    warm = [point for point in series if point["turns"] > 0]
    if len(warm) < 2:
        return None
    first, last = warm[0], warm[-1]

    def percent(before: float, after: float) -> float:
        return round((after - before) / before * 100, 1) if before else 0.0

    processes = {
        name: percent(pss, last.get("pss", {}).get(name, pss)) for name, pss in first.get("pss", {}).items()
    }
    grew: dict[str, Any] = {
        "from_turns": first["turns"],
        "to_turns": last["turns"],
        "total_percent": percent(first["Pss"], last["Pss"]),
        "processes_percent": processes,
    }
    if "Pss_Whole" in first and "Pss_Whole" in last:
        # Does not move when another process maps or unmaps the model file along the way.
        grew["total_whole_percent"] = percent(first["Pss_Whole"], last["Pss_Whole"])
        grew["processes_whole_percent"] = {
            name: percent(pss, last.get("whole", {}).get(name, pss))
            for name, pss in first.get("whole", {}).items()
        }
    return grew


def bench_memory(turns: int = 200, readings: int = 4, profile: str = "default") -> dict[str, Any]:
    """PSS and RSS of every process of a fresh ``cabin run --profile PROFILE`` stack, and again after
    ``turns`` turns; the totals are also read ``readings`` times along the way (``series``), to show
    whether memory levels off or keeps growing."""
    if not Path("/proc/self/smaps_rollup").exists():
        raise BenchError("cabin bench --memory reads /proc/PID/smaps_rollup (Linux 4.14 or later)")
    if turns < 0 or readings < 1:
        raise BenchError(f"--turns must be 0 or more and readings 1 or more (got {turns}, {readings})")

    async def load(stack: RunningStack) -> tuple[list[dict[str, Any]], list[float], list[str]]:
        series: list[dict[str, Any]] = []
        samples: list[float] = []
        errors: list[str] = []
        done = 0
        for k in range(1, readings + 1):
            upto = turns * k // readings
            more, failed = await drive_turns(stack.url, stack.token(), upto - done, first=done)
            samples += more
            errors += failed
            done = upto
            series.append(_reading(done, snapshot(stack.process.pid)))
        return series, samples, errors

    with tempfile.TemporaryDirectory(prefix="cabin-bench-") as scratch:
        stack = RunningStack(Path(scratch), profile)
        try:
            stack.wait_ready()
            fresh = snapshot(stack.process.pid)
            series, samples, errors = asyncio.run(load(stack))
            after = snapshot(stack.process.pid)
        finally:
            stack.stop()
    turn_figures = {"turns": turns, "errors": len(errors), "first_errors": errors[:5]}
    return {
        "what": f"PSS/RSS in MiB per process of `cabin run --profile {profile}` "
        "(from /proc/PID/smaps_rollup)",
        "profile": profile,
        "fresh": {"processes": fresh, "total": _totals(fresh), "model_mapped_elsewhere": elsewhere(fresh)},
        "after_turns": {
            "processes": after,
            "total": _totals(after),
            "model_mapped_elsewhere": elsewhere(after),
            "turns": {**turn_figures, **summarize(samples or [0.0])},
        },
        "series": [_reading(0, fresh), *series],
        "growth": growth([_reading(0, fresh), *series]),
    }


def memory_table(report: dict[str, Any]) -> str:
    """The memory report as a table: one row per process, PSS, its anonymous part and RSS, fresh and
    after the turns. Anonymous PSS does not move when another process maps the same files (the model)."""
    fresh = {row["name"]: row for row in report["fresh"]["processes"]}
    after = {row["name"]: row for row in report["after_turns"]["processes"]}
    turns = report["after_turns"]["turns"]["turns"]
    head = f"{'process':<24} {'PSS fresh':>10} {'PSS after':>10} {'anon fresh':>10} {'anon after':>10}"
    head += f" {'RSS fresh':>10} {'RSS after':>10}"
    lines = [f"{head}   (MiB; after = after {turns} turns)"]
    for name in sorted(set(fresh) | set(after)):
        f, a = fresh.get(name, {}), after.get(name, {})
        lines.append(
            f"{name:<24} {f.get('Pss', 0):>10.1f} {a.get('Pss', 0):>10.1f} "
            f"{f.get('Pss_Anon', 0):>10.1f} {a.get('Pss_Anon', 0):>10.1f} "
            f"{f.get('Rss', 0):>10.1f} {a.get('Rss', 0):>10.1f}"
        )
    ft, at = report["fresh"]["total"], report["after_turns"]["total"]
    lines.append(
        f"{'total':<24} {ft['Pss']:>10.1f} {at['Pss']:>10.1f} {ft.get('Pss_Anon', 0):>10.1f} "
        f"{at.get('Pss_Anon', 0):>10.1f} {ft['Rss']:>10.1f} {at['Rss']:>10.1f}"
    )
    if "Pss_Whole" in ft and "Pss_Whole" in at:
        others = {
            *report["fresh"].get("model_mapped_elsewhere", []),
            *report["after_turns"].get("model_mapped_elsewhere", []),
        }
        lines.append(
            f"total PSS with the model file counted whole: {ft['Pss_Whole']:.1f} fresh, "
            f"{at['Pss_Whole']:.1f} after ({len(others)} process(es) outside the stack mapped it)"
        )
    series = report.get("series", [])
    if series:
        lines.append(
            "total PSS along the way: " + ", ".join(f"{r['turns']} turns {r['Pss']:.1f}" for r in series)
        )
    grew = report.get("growth")
    if grew:
        lines.append(
            f"PSS growth from {grew['from_turns']} to {grew['to_turns']} turns: total "
            f"{grew['total_percent']:+.1f} %; "
            + ", ".join(f"{name} {pct:+.1f} %" for name, pct in sorted(grew["processes_percent"].items()))
        )
        if "total_whole_percent" in grew:
            lines.append(f"with the model file counted whole: total {grew['total_whole_percent']:+.1f} %")
    return "\n".join(lines)


def parse_levels(text: str) -> list[int]:
    """``"1,5,10"`` -> ``[1, 5, 10]``; each a whole number from 1 to 1000."""
    levels: list[int] = []
    for part in text.split(","):
        try:
            level = int(part.strip())
        except ValueError:
            raise BenchError(
                f"--sweep takes whole numbers separated by commas, not {part.strip()!r}"
            ) from None
        if not 1 <= level <= 1000:
            raise BenchError(f"--sweep levels are 1 to 1000 concurrent sessions, not {level}")
        levels.append(level)
    return levels


async def sweep(
    url: str, token: str | None, levels: Sequence[int], seconds: float = 10.0
) -> list[dict[str, Any]]:
    """At each concurrency level, that many sessions say ``TURN_MIX`` lines back to back for ``seconds``;
    turns per second, p50/p95 latency (ms) and errors per level."""
    import httpx

    from .access import bearer

    rows: list[dict[str, Any]] = []
    limits = httpx.Limits(max_connections=max(levels) + 5, max_keepalive_connections=max(levels) + 5)
    async with httpx.AsyncClient(base_url=url, timeout=60.0, headers=bearer(token), limits=limits) as http:
        for level in levels:
            samples: list[float] = []
            errors: list[str] = []
            deadline = time.monotonic() + seconds

            async def session_loop(k: int, deadline: float, samples: list[float], errors: list[str]) -> None:
                session: str | None = None
                i = k
                while time.monotonic() < deadline:
                    body = {"text": TURN_MIX[i % len(TURN_MIX)], "seat": SEATS[k % len(SEATS)]}
                    start = time.perf_counter()
                    try:
                        response = await http.post("/v1/utterances", json={**body, "session_id": session})
                        response.raise_for_status()
                        session = response.json()["session_id"]
                        samples.append((time.perf_counter() - start) * 1000)
                    except (httpx.HTTPError, KeyError, ValueError) as exc:
                        errors.append(repr(exc))
                    i += 1

            started = time.monotonic()
            await asyncio.gather(*(session_loop(k, deadline, samples, errors) for k in range(level)))
            elapsed = time.monotonic() - started
            figures = summarize(samples) if samples else {"median_ms": 0.0, "p95_ms": 0.0}
            rows.append(
                {
                    "concurrency": level,
                    "turns": len(samples),
                    "turns_per_s": round(len(samples) / elapsed, 2),
                    "p50_ms": figures["median_ms"],
                    "p95_ms": figures["p95_ms"],
                    "errors": len(errors),
                    "first_errors": errors[:3],
                }
            )
    return rows


def sweep_table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'sessions':>8} {'turns':>7} {'turns/s':>8} {'p50 ms':>9} {'p95 ms':>9} {'errors':>7}"]
    for r in rows:
        lines.append(
            f"{r['concurrency']:>8} {r['turns']:>7} {r['turns_per_s']:>8.2f} "
            f"{r['p50_ms']:>9.1f} {r['p95_ms']:>9.1f} {r['errors']:>7}"
        )
    return "\n".join(lines)
