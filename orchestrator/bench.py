"""``cabin bench``: performance figures, each a median over several timed runs after a warm-up."""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.guardrails import Guardrails
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService


def summarize(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(p95, 3),
        "min_ms": round(ordered[0], 3),
        "n": len(ordered),
    }


async def bench_mcp_write(calls: int = 300, warmup: int = 30) -> dict[str, Any]:
    """An applied ``set_signals`` through the official MCP client in memory, guardrails and audit included.

    The guardrails run on the simulator's clock, advanced one simulated second between calls outside
    the timed region, so the rate limit (GR-17) is checked on every call but never trips.
    """
    backend = SimulatorBackend()
    guardrails = Guardrails(backend.catalog, clock=lambda: backend.clock)
    service = VehicleService(backend, guardrails)
    server = build_server(service)
    samples: list[float] = []
    async with Client(server, raise_exceptions=True) as client:
        for i in range(warmup + calls):
            value = 20.0 + (i % 5)
            start = time.perf_counter()
            result = await client.call_tool(
                "set_signals", {"values": {"Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": value}}
            )
            elapsed = (time.perf_counter() - start) * 1000
            structured = result.structured_content or {}
            if not structured.get("applied"):
                raise RuntimeError(f"benchmark write was not applied: {structured}")
            if i >= warmup:
                samples.append(elapsed)
            backend.advance_now(1.0)
    return {"what": "applied set_signals via in-memory MCP client (guardrails + audit)", **summarize(samples)}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def run_bench(sections: list[str] | None = None) -> dict[str, Any]:
    """Every benchmark section; each adds one key to the report."""
    report: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "gomp_spincount": os.environ.get("GOMP_SPINCOUNT"),
        }
    }
    from models.bench import bench_runtime

    available: dict[str, Callable[[], Any]] = {
        "runtime": bench_runtime,
        "mcp_write": lambda: asyncio.run(bench_mcp_write()),
    }
    unknown = sorted(set(sections or ()) - set(available))
    if unknown:
        raise ValueError(f"unknown bench section(s): {', '.join(unknown)}; known: {', '.join(available)}")
    for name, run in available.items():
        if sections and name not in sections:
            continue
        result = run()
        # bench_runtime reports the process's peak RSS beside its section
        if isinstance(result, dict) and "runtime" in result and name == "runtime":
            report.update(result)
        else:
            report[name] = result
    report.setdefault("peak_rss_mb", peak_rss_mb())
    return report


# A template-routed turn is measured two ways. Paced: one turn, then a pause, as a person speaks; every
# process of the chain has gone idle before the next turn. Back to back: bursts of turns with no pause,
# the first of each burst left out. The fast-path sentences are spoken from the four seats in turn (each
# sets its own zone), so each zone's temperature is written at most 4 times a second paced and 4 times
# per burst: every write is applied, none refused by the rate limit (GR-17, 5 per second per signal).
# The bare chain (the baseline) is measured in the same loop, a chain round trip after each turn and a
# burst of the chain after each burst of turns, so that both series see the same minutes of a shared
# machine and their ratio says what the stack costs rather than how busy the machine was.
_FAST_TEXTS = ("set the temperature to 21", "set the temperature to 22", "set the temperature to 20")
_SEATS = ("driver", "passenger", "rear_left", "rear_right")
_PACE_S = 0.06
_PACED_TURNS = 60
_PACED_WARMUP = 5
_BURST = 16
_BURSTS = 5
_BURST_REST_S = 1.1

Turn = Callable[[int], Awaitable[float]]
"""One timed turn (its index in the series): the milliseconds it took."""


async def _paced(turns: Sequence[Turn], n: int, warmup: int, gap_s: float) -> list[list[float]]:
    """`n` timed turns of each of `turns` (after `warmup` untimed ones), taken in turn, `gap_s` after
    each: one series per element of `turns`."""
    samples: list[list[float]] = [[] for _ in turns]
    for i in range(warmup + n):
        for series, turn in zip(samples, turns, strict=True):
            elapsed = await turn(i)
            if i >= warmup:
                series.append(elapsed)
            await asyncio.sleep(gap_s)
    return samples


async def _back_to_back(turns: Sequence[Turn]) -> list[list[float]]:
    """`_BURSTS` bursts of `_BURST` turns of each of `turns` with no pause, one burst of each in turn,
    `_BURST_REST_S` before each burst; the first turn of each burst (which follows the rest) is not
    counted. One series per element of `turns`."""
    samples: list[list[float]] = [[] for _ in turns]
    for _ in range(_BURSTS):
        for series, turn in zip(samples, turns, strict=True):
            await asyncio.sleep(_BURST_REST_S)
            for i in range(_BURST):
                elapsed = await turn(i)
                if i:
                    series.append(elapsed)
    return samples


def _load_average() -> list[float]:
    """The machine's load average over 1, 5 and 15 minutes (what else the cores were running)."""
    return [round(load, 2) for load in os.getloadavg()]


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_ms(pid: int) -> float | None:
    """The CPU time (user and system) process `pid` has used so far, in ms, from /proc (Linux); None
    when it cannot be read. Unlike wall-clock times it hardly depends on what else the machine runs."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / _CLOCK_TICKS


def _children(pattern: str) -> list[int]:
    """The pids of this process's children whose command line holds `pattern` (Linux)."""
    me, found = str(os.getpid()), []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                parent = stat.read().rsplit(")", 1)[1].split()[1]
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError):
            continue
        if parent == me and pattern in command:
            found.append(int(entry))
    return found


class _CpuMeter:
    """CPU ms per turn of named processes over a stretch of turns (`start`, then `per_turn`)."""

    def __init__(self, processes: Mapping[str, int]) -> None:
        self._processes = dict(processes)
        self._start: dict[str, float] = {}

    def start(self) -> None:
        readings = {name: cpu_ms(pid) for name, pid in self._processes.items()}
        self._start = {name: ms for name, ms in readings.items() if ms is not None}

    def per_turn(self, turns: int) -> dict[str, float]:
        """Each process's CPU ms over the turns since `start`, divided by `turns`; a process that
        could not be read at both ends is left out."""
        result: dict[str, float] = {}
        for name, before in self._start.items():
            after = cpu_ms(self._processes[name])
            if after is not None and turns:
                result[name] = round((after - before) / turns, 2)
        return result


def _listener(url: str) -> int | None:
    """The pid of the process of this machine that listens on `url`'s port (Linux), if any; None for
    a URL of another machine."""
    from urllib.parse import urlsplit

    from .supervisor import port_holder

    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1") or parts.port is None:
        return None
    holder = port_holder(parts.port)
    if holder is None or not holder.startswith("pid "):
        return None
    return int(holder.split()[1])


def _argument(pid: int, option: str) -> str | None:
    """The value given to `option` on process `pid`'s command line, if any."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            args = cmdline.read().decode(errors="replace").split("\0")
    except OSError:
        return None
    return args[args.index(option) + 1] if option in args[:-1] else None


def stack_processes(url: str, agent_url: str) -> dict[str, int]:
    """The processes a template-routed turn of the stack at `url` crosses, when they run on this
    machine: the orchestrator (listening on `url`), the vehicle-control agent (`agent_url`) and the
    vehicle MCP server (the orchestrator's `--vehicle-mcp-url`), by name; one process serving
    several (the compact profile) is named once with all of them ("orchestrator + vehicle-control")."""
    names: dict[int, list[str]] = {}
    orchestrator = _listener(url)
    vehicle_url = _argument(orchestrator, "--vehicle-mcp-url") if orchestrator is not None else None
    for name, pid in (
        ("orchestrator", orchestrator),
        ("vehicle-control", _listener(agent_url)),
        ("vehicle MCP server", _listener(vehicle_url) if vehicle_url else None),
    ):
        if pid is not None:
            names.setdefault(pid, []).append(name)
    return {" + ".join(named): pid for pid, named in names.items()}


async def bench_fast_path(turn: Turn, processes: Mapping[str, int] | None = None) -> dict[str, Any]:
    """A template-routed turn (`turn`) against the bare loopback chain (`orchestrator.bench_chain`, as
    many processes as such a turn crosses), both measured in the same loop with the same pacing; the
    load average before and after, and the ratios of the medians. With `processes` (the stack's, by
    name: pid), also the CPU ms each used per turn over the same turns, beside the chain's per hop."""
    import httpx

    from .bench_chain import HOPS, open_chain, server_settings

    payload = {"text": _FAST_TEXTS[0], "session_id": None, "seat": "driver", "pad": "x" * 300}
    turns = [0]
    async with open_chain() as url, httpx.AsyncClient(timeout=30.0) as http:

        async def chain(_: int) -> float:
            start = time.perf_counter()
            response = await http.post(url, json=payload)
            elapsed = (time.perf_counter() - start) * 1000
            response.raise_for_status()
            return elapsed

        hops = _children("orchestrator.bench_chain")
        stack_cpu = _CpuMeter(processes or {})
        chain_cpu = _CpuMeter({f"hop {n}": pid for n, pid in enumerate(sorted(hops), start=1)})

        async def counted(i: int) -> float:
            # CPU is counted from the first timed paced turn: the warm-up turns of a fresh stack
            # compile the templates they reach
            if not turns[0] and i >= _PACED_WARMUP:
                stack_cpu.start()
                chain_cpu.start()
            if turns[0] or i >= _PACED_WARMUP:
                turns[0] += 1
            return await turn(i)

        load_before = _load_average()
        paced_turn, paced_chain = await _paced([counted, chain], _PACED_TURNS, _PACED_WARMUP, _PACE_S)
        burst_turn, burst_chain = await _back_to_back([counted, chain])
        load_after = _load_average()
        # as many chain round trips as turns: one after each turn
        stack_per_turn, chain_per_trip = stack_cpu.per_turn(turns[0]), chain_cpu.per_turn(turns[0])
    fast: dict[str, Any] = {
        "what": "POST /v1/utterances, template-routed, orchestrator -> A2A -> MCP -> simulator "
        f"(applied); paced: {_PACE_S * 1000:.0f} ms after each turn; back to back: bursts of "
        f"{_BURST} turns, the first of each not counted",
        "paced": summarize(paced_turn),
        "back_to_back": summarize(burst_turn),
    }
    chain_report: dict[str, Any] = {
        "what": f"POST through {HOPS} bare uvicorn + httpx processes on loopback, nothing else in them; "
        "a round trip after each paced turn and a burst after each burst of turns",
        "paced": summarize(paced_chain),
        "back_to_back": summarize(burst_chain),
    }
    return {
        "fast_path_turn_http": fast,
        "loopback_chain_baseline": chain_report,
        "fast_path_over_baseline": {
            mode: round(fast[mode]["median_ms"] / chain_report[mode]["median_ms"], 2)
            for mode in ("paced", "back_to_back")
        },
        "fast_path_load_average": {"before": load_before, "after": load_after},
        "fast_path_servers": f"uvicorn with {server_settings()}, the stack's servers and the chain's alike",
        "fast_path_cpu_ms_per_turn": {
            "what": "CPU ms (user + system, /proc/PID/stat) per turn over the timed turns above and the "
            "untimed first turn of each burst; the chain's per round trip, by hop (the last answers "
            "without forwarding)",
            "stack": stack_per_turn,
            "chain": chain_per_trip,
            "chain_total": round(sum(chain_per_trip.values()), 2),
        },
    }


_MODEL_PATH_LINES = 48
_MODEL_PATH_MIN = 10


def _model_path_texts() -> list[str]:
    """Distinct in-car sentences of the router's probe set (written apart from its training data), the
    labels taken in turn: each is said once, so no embedding comes from the runtime's cache."""
    from .routing.training import data_file, read_examples

    by_label: dict[str, list[str]] = {}
    for example in read_examples(data_file("probe.jsonl")):
        if example.label != "none":
            by_label.setdefault(example.label, []).append(example.text)
    rounds = zip(*by_label.values(), strict=False)
    return [text for texts in rounds for text in texts][:_MODEL_PATH_LINES]


async def _model_path(
    turn: Callable[[str], Awaitable[tuple[float, bool]]], gap_s: float = 0.25
) -> dict[str, Any]:
    """Turns routed by the embedding classifier: each probe sentence once, `gap_s` apart; only the turns
    the classifier routed count (the templates or the fallback take the others)."""
    for text in ("I can barely hear the radio", "can you make the cabin cozier"):
        await turn(text)  # the model host's first embeddings and generation (not counted)
    texts = _model_path_texts()
    samples: list[float] = []
    for text in texts:
        elapsed, by_model = await turn(text)
        if by_model:
            samples.append(elapsed)
        await asyncio.sleep(gap_s)
    if len(samples) < _MODEL_PATH_MIN:
        raise RuntimeError(
            f"only {len(samples)} of {len(texts)} probe sentences were routed by the classifier"
        )
    return {
        "what": "POST /v1/utterances routed by the embedding classifier: distinct probe sentences, said "
        f"once each (no cached embedding); {len(samples)} of {len(texts)} were routed by it",
        **summarize(samples),
    }


_VEHICLE_MODEL_LINES = 40
_VEHICLE_MODEL_MIN = 10
_VEHICLE_CONTROL = "vehicle-control"
_WARMUP_LINES = 20
_WARMUP_SEED = 16  # the tuning data's generator with a seed other than training's (0)
_WARMUP_EXAMPLES = 300


def _vehicle_model_texts() -> list[tuple[str, str]]:
    """(text, seat) of held-out in-car requests (``models/tuning/data/heldout.jsonl``, written by hand
    and never trained on) that vehicle-control's sentence templates leave unread, so the agent hands
    them to its model: found by parsing each, not chosen by hand. At most `_VEHICLE_MODEL_LINES`,
    spread evenly over the file (it is grouped by tool)."""
    from agents.vehicle_control.parser import shared_parser
    from models.tuning.data import HELDOUT, load_examples

    parser = shared_parser()
    missed: list[tuple[str, str]] = []
    for example in load_examples(HELDOUT):
        seat: Any = example.seat  # one of the four seats (the split's schema checks it)
        if parser.parse(example.text, seat=seat).unmatched:
            missed.append((example.text, example.seat))
    step = max(1, len(missed) / _VEHICLE_MODEL_LINES)
    return [missed[int(i * step)] for i in range(min(len(missed), _VEHICLE_MODEL_LINES))]


def _same_text(text: str) -> str:
    return " ".join(text.casefold().split())


def _vehicle_warmup_texts(measured: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """(text, seat) of `_WARMUP_LINES` requests that warm the stack's model path before it is measured:
    generated by the tuning data's generator (``models.tuning.data.generate``, seed `_WARMUP_SEED`,
    which already drops every held-out file's requests), those that ask for a tool and that
    vehicle-control's templates leave unread (so the agent hands them to its model), none of them
    one of `measured`; in the generator's order."""
    from agents.vehicle_control.parser import shared_parser
    from models.tuning.data import generate
    from models.tuning.format import NO_TOOL

    parser = shared_parser()
    examples, _ = generate(_WARMUP_EXAMPLES, seed=_WARMUP_SEED)
    excluded = {_same_text(text) for text, _ in measured}
    chosen: list[tuple[str, str]] = []
    for example in examples:
        seat: Any = example.seat  # one of the four seats (the generator draws them)
        if example.call.tool == NO_TOOL or _same_text(example.text) in excluded:
            continue
        if parser.parse(example.text, seat=seat).unmatched:
            excluded.add(_same_text(example.text))
            chosen.append((example.text, example.seat))
            if len(chosen) == _WARMUP_LINES:
                return chosen
    raise RuntimeError(
        f"the generator gave only {len(chosen)} requests the templates miss for the warm-up "
        f"(seed {_WARMUP_SEED}, {_WARMUP_EXAMPLES} examples); {_WARMUP_LINES} are needed"
    )


async def _vehicle_model_path(
    turn: Callable[[str, str], Awaitable[tuple[float, bool, bool]]], gap_s: float = 0.25
) -> dict[str, Any]:
    """Turns that vehicle-control reads with its on-device model, on a warm stack and seen for the
    first time: generated requests its templates miss (`_vehicle_warmup_texts`) warm the stack first,
    not timed; then held-out requests its templates miss (`_vehicle_model_texts`), each said once,
    `gap_s` apart. So the figure pays neither what the stack does once after its start nor what it
    keeps per text (embeddings, the tokens of the last request). `turn` returns the turn's time,
    whether the route reached vehicle-control, and whether an action was applied; only turns that
    reached it count, whatever the model made of them (acted on or declined)."""
    texts = _vehicle_model_texts()
    # in a thread: the generator lists the vehicle tools through an event loop of its own
    warmup = await asyncio.to_thread(_vehicle_warmup_texts, texts)
    warmed = 0
    for text, seat in warmup:
        _, reached, _ = await turn(text, seat)
        warmed += reached
        await asyncio.sleep(gap_s)
    samples: list[float] = []
    applied = 0
    for text, seat in texts:
        elapsed, reached, acted = await turn(text, seat)
        if reached:
            samples.append(elapsed)
            applied += acted
        await asyncio.sleep(gap_s)
    if len(samples) < _VEHICLE_MODEL_MIN:
        raise RuntimeError(
            f"only {len(samples)} of {len(texts)} requests the templates miss reached {_VEHICLE_CONTROL}"
        )
    return {
        "what": "POST /v1/utterances that vehicle-control hands to its model (both constrained steps), "
        f"on a warm stack, each request seen for the first time: {len(warmup)} generated requests its "
        f"templates miss first (not timed; {warmed} reached it), then held-out requests its templates "
        f"miss, said once each; {len(samples)} of {len(texts)} reached it, {applied} of those applied "
        "an action",
        "warmup": {"turns": len(warmup), "reached": warmed, "seed": _WARMUP_SEED},
        **summarize(samples),
    }


async def bench_stack(
    url: str, agent_url: str, token: str | None, load_s: float = 30.0, sessions: int = 50
) -> dict[str, Any]:
    """Figures against a running stack (``cabin run``): turns over HTTP, the vehicle-control agent over
    A2A, ``sessions`` concurrent sessions for ``load_s`` seconds, and the bare loopback chain as the
    baseline of the turn figures, measured in the same run."""
    import httpx

    from .access import bearer

    async with httpx.AsyncClient(base_url=url, timeout=30.0, headers=bearer(token)) as http:

        async def turn(
            text: str, session: str | None = None, seat: str = "driver"
        ) -> tuple[float, dict[str, Any]]:
            start = time.perf_counter()
            response = await http.post(
                "/v1/utterances", json={"text": text, "session_id": session, "seat": seat}
            )
            elapsed = (time.perf_counter() - start) * 1000
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return elapsed, body

        async def fast_turn(i: int) -> float:
            elapsed, body = await turn(_FAST_TEXTS[i % len(_FAST_TEXTS)], seat=_SEATS[i % len(_SEATS)])
            if [part["via"] for part in body["route"]] != ["template"]:
                raise RuntimeError(f"expected the template path, got {body['route']}")
            if [action["outcome"] for action in body["actions"]] != ["applied"]:
                raise RuntimeError(f"expected one applied action, got {body['actions']}")
            return elapsed

        async def model_turn(text: str) -> tuple[float, bool]:
            elapsed, body = await turn(text)
            return elapsed, bool(body["route"]) and body["route"][0]["via"] == "model"

        report: dict[str, Any] = await bench_fast_path(fast_turn, stack_processes(url, agent_url))

        async def vehicle_model_turn(text: str, seat: str) -> tuple[float, bool, bool]:
            elapsed, body = await turn(text, seat=seat)
            reached = any(part["agent"] == _VEHICLE_CONTROL for part in body["route"])
            return elapsed, reached, any(action["outcome"] == "applied" for action in body["actions"])

        report["model_path_turn_http"] = await _model_path(model_turn)
        report["vehicle_model_turn_http"] = await _vehicle_model_path(vehicle_model_turn)
        await http.put("/v1/vehicle/state", json={"Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": 21.0})

        headers = {"A2A-Version": "1.0", **({"Authorization": f"Bearer {token}"} if token else {})}
        samples: list[float] = []
        for i in range(65):
            payload = {
                "jsonrpc": "2.0",
                "id": i,
                "method": "SendMessage",
                "params": {
                    "message": {
                        "messageId": f"bench-{i}",
                        "role": "ROLE_USER",
                        "parts": [{"text": f"set the driver temperature to {20 + i % 3} degrees"}],
                        "metadata": {"cabin/seat": "driver", "cabin/origin": "occupant"},
                    }
                },
            }
            start = time.perf_counter()
            response = await http.post(agent_url, json=payload, headers=headers)
            elapsed = (time.perf_counter() - start) * 1000
            state = response.json()["result"]["task"]["status"]["state"]
            if state != "TASK_STATE_COMPLETED":
                raise RuntimeError(f"agent answered {state}")
            if i >= 5:
                samples.append(elapsed)
            await asyncio.sleep(0.25)  # stay under the per-signal rate limit (GR-17)
        report["vehicle_control_a2a_http"] = {
            "what": "SendMessage (JSON-RPC) to vehicle-control, template-parsed, MCP write included",
            **summarize(samples),
        }

        phrases = [
            "warmer please",
            "find a charger",
            "what's the speed limit",
            "turn the volume down a bit",
            "hello",
        ]
        errors: list[str] = []
        counts = [0]
        deadline = time.monotonic() + load_s

        async def session_loop(k: int) -> None:
            session: str | None = None
            i = k
            while time.monotonic() < deadline:
                try:
                    _, body = await turn(phrases[i % len(phrases)], session)
                    session = body["session_id"]
                    if body.get("degraded"):
                        errors.append(f"degraded: {body['reply']}")
                except (httpx.HTTPError, KeyError, ValueError) as exc:
                    errors.append(repr(exc))
                counts[0] += 1
                i += 1

        await asyncio.gather(*(session_loop(k) for k in range(sessions)))
        report["concurrent_sessions"] = {
            "sessions": sessions,
            "seconds": load_s,
            "turns": counts[0],
            "errors": len(errors),
            "first_errors": errors[:5],
        }
    return report


async def bench_out_of_domain(path: str, limit: int | None = None) -> dict[str, Any]:
    """Every utterance of a JSONL file (``{"text": ...}`` per line) through the whole in-process stack,
    each in a fresh session: how many turns acted on the car, and which."""
    import json
    from collections import Counter
    from pathlib import Path

    from .local import open_local_stack

    text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    rows = rows[:limit] if limit else rows
    stack = await open_local_stack()
    routes: Counter[str] = Counter()
    actuated: list[dict[str, Any]] = []
    confirmations = 0
    started = time.perf_counter()
    try:
        for row in rows:
            turn = await stack.say(str(row["text"]), "driver", None)
            routes.update(r.agent or "none" for r in turn.route)
            confirmations += turn.pending_confirmation is not None
            applied = [
                {"tool": a.tool, "arguments": a.arguments} for a in turn.actions if a.outcome == "applied"
            ]
            if applied:
                actuated.append({"text": row["text"], "scenario": row.get("scenario"), "applied": applied})
    finally:
        await stack.aclose()
    return {
        "file": path,
        "turns": len(rows),
        "actuated_turns": len(actuated),
        "confirmations_asked": confirmations,
        "routes": dict(routes),
        "seconds": round(time.perf_counter() - started, 1),
        "actuated": actuated,
    }
