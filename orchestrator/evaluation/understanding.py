"""``cabin eval understanding``: requests nobody tuned the stack on, through the whole in-process stack.

Three sets:

- ``probes``: the probe set (``probes.yaml``). Each probe starts from the car's default state plus its
  own, in a session of its own (earlier turns first, when it has any); its last turn is scored
  (:func:`orchestrator.evaluation.probes.score`): did it reach the right agent, and is the car as the
  probe expects with nothing else changed. Out-of-domain lines must change nothing; a driving function
  asked while moving that changes anything is an *unsafe actuation*.
- ``kvret``: the first driver turn of every ``navigate`` dialogue of KVRET's train split (Eric et al.,
  2017; the file is not in the repository, pass ``--kvret FILE``, the KVRET JSON or the
  ``context,response,intent`` CSV of its train split): the share that reaches the navigation agent.
- ``slurp``: the SLURP devel lines (Bastianelli et al., 2020; ``/work/shared/datasets`` or
  ``--slurp FILE``): how many lines of a scenario a car does not serve changed anything in the car.

The stack is the one ``cabin ask`` uses (:func:`orchestrator.local.open_local_stack`) with the real
model, a generous turn budget and agent timeout (understanding is measured here, not latency: ``cabin
bench``) and the map
behind a :class:`RecordingMap` that notes the searches the navigation agent makes. Between turns of
different items the simulated clock moves on (confirmations and rate-limit windows run out), the car
is put back to its default state and the camera sees nothing.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mcp_servers.navigation.models import MapInfo, PoiDetails, PoiQuery, PoiSearchResult, Route, RouteRequest
from mcp_servers.navigation.provider import MapProvider
from mcp_servers.vehicle.catalog import Catalog, Value
from models import (
    ChatRequest,
    Completion,
    CompletionRequest,
    Runtime,
)
from models.runtime import ForwardingRuntime

from ..models import TurnResult
from .errors import DatasetError
from .probes import NO_AGENT, Observation, Probe, ProbeSet, Search, Verdict, changed_signals, score

TURN_BUDGET_S = 20.0
"""The turn budget of an evaluation turn, and each agent's time to answer: every routing stage gets its
say and no agent answer is abandoned on a busy machine (latency is ``cabin bench``'s to measure)."""
SLURP_CAR_SCENARIOS = frozenset({"audio", "music", "play", "transport"})
"""SLURP scenarios a car serves (volume, playback, getting somewhere); every other one is out of domain."""
REPOSITORY = Path(__file__).resolve().parents[2]
IN_CAR_EXCLUDED = frozenset({"out-of-domain", "unsafe"})
"""Probe categories that are not in-car requests to carry out."""

Progress = Callable[[str], None]
_PLACEHOLDER = re.compile(r"_entity_\d+_")


def default_slurp() -> Path | None:
    """``shared/datasets/slurp-devel.jsonl`` inside or beside the project checkout, when present."""
    for candidate in (REPOSITORY / "shared", REPOSITORY.parent / "shared"):
        path = candidate / "datasets" / "slurp-devel.jsonl"
        if path.is_file():
            return path
    return None


class RecordingMap(MapProvider):
    """A map provider that answers from another one and notes every place search made through it.

    Same contract as the provider it wraps; :attr:`searches` grows by one :class:`Search` per
    ``search_pois`` call, from any thread.
    """

    def __init__(self, inner: MapProvider) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._searches: list[Search] = []

    def take(self) -> list[Search]:
        """The searches made since the last call."""
        with self._lock:
            taken, self._searches = self._searches, []
        return taken

    def info(self) -> MapInfo:
        return self._inner.info()

    def search_pois(self, query: PoiQuery) -> PoiSearchResult:
        with self._lock:
            self._searches.append(Search(query.category, query.name))
        return self._inner.search_pois(query)

    def describe_poi(self, poi_id: str) -> PoiDetails:
        return self._inner.describe_poi(poi_id)

    def route(self, request: RouteRequest) -> Route:
        return self._inner.route(request)


def _model_path_prefixes() -> frozenset[str]:
    from agents.vehicle_control.interpreter import PROMPT_PREFIX
    from models.tuning.format import TUNED_PREFIX

    return frozenset({PROMPT_PREFIX, TUNED_PREFIX})


class RecordingRuntime(ForwardingRuntime):
    """A model runtime that serves from another one and notes every tool call vehicle-control's model
    path asks it for (the first of its two constrained steps, the tool name: a completion with the
    interpreter's prompt prefix and no JSON schema), so a turn's report says whether the templates
    missed a part and the model was asked to read it.

    Same contract as the runtime it wraps, which it does not own: ``aclose`` leaves it open.
    :meth:`take` returns the tool names the model chose since the last call (``none`` included).
    """

    def __init__(self, inner: Runtime) -> None:
        self._inner = inner
        self._prefixes = _model_path_prefixes()
        self._lock = threading.Lock()
        self._tools: list[str] = []

    def target(self) -> Runtime:
        return self._inner

    def take(self) -> list[str]:
        """The tool names the model path chose since the last call, in order."""
        with self._lock:
            taken, self._tools = self._tools, []
        return taken

    async def complete(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> Completion:
        result = await self._inner.complete(request, priority=priority, deadline=deadline)
        if (
            isinstance(request, CompletionRequest)
            and request.prefix in self._prefixes
            and request.json_schema is None
        ):
            with self._lock:
                self._tools.append(result.text.removesuffix('"'))
        return result


class Bench:
    """The in-process stack with a recorded map and model runtime, and a clean car for each item."""

    def __init__(
        self, stack: Any, recording: RecordingMap, catalog: Catalog, model: RecordingRuntime | None = None
    ) -> None:
        self.stack = stack
        self.map = recording
        self.model = model
        self.watched = [p for p in catalog.paths if catalog.get(p).writable]
        self._default: dict[str, Value] = stack.backend.snapshot()

    @classmethod
    async def open(cls, budget_s: float = TURN_BUDGET_S) -> Bench:
        from ..local import open_local_stack, shared_catalog, shared_map, shared_runtime

        recording = RecordingMap(shared_map())
        model = RecordingRuntime(shared_runtime())
        # An agent gets as long as the turn: on a busy machine a slow answer is still an answer.
        stack = await open_local_stack(
            budget_s=budget_s, agent_timeout_s=budget_s, map_provider=recording, runtime=model
        )
        return cls(stack, recording, shared_catalog(), model)

    def model_tools(self) -> list[str]:
        """The tool names vehicle-control's model path chose since the last call ([]: not asked)."""
        return self.model.take() if self.model is not None else []

    async def aclose(self) -> None:
        await self.stack.aclose()

    async def reset(self, values: Mapping[str, Value]) -> None:
        from mcp_servers.perception.models import PerceptionFrame

        backend = self.stack.backend
        await backend.advance(120.0)  # confirmations (30 s) and rate-limit windows (1 s) run out
        await backend.inject(self._default)
        if values:
            await backend.inject(dict(values))
        self.stack.perception.push(PerceptionFrame())
        await backend.settle()

    async def say(self, text: str, seat: str, session: str | None) -> TurnResult:
        turn: TurnResult = await self.stack.say(text, seat, session)
        await self.stack.settle()
        return turn

    def snapshot(self) -> dict[str, Value]:
        snapshot: dict[str, Value] = self.stack.backend.snapshot()
        return snapshot


def agents_of(turn: TurnResult) -> frozenset[str]:
    """The agents a turn reached (``{"none"}`` when it reached none)."""
    return frozenset(step.agent for step in turn.route if step.agent) or frozenset({NO_AGENT})


# -- the probe set -------------------------------------------------------------------------------------


@dataclass
class ProbeResult:
    probe: Probe
    verdict: Verdict
    reply: str
    agents: frozenset[str]
    searches: list[Search]
    seconds: float
    model_tools: list[str] = field(default_factory=list)
    """The tools vehicle-control's model path chose in the scored turn (empty: the model was not asked)."""

    def as_json(
        self, before: Mapping[str, Value | None], after: Mapping[str, Value | None]
    ) -> dict[str, Any]:
        return {
            "id": self.probe.id,
            "category": self.probe.category,
            "text": self.probe.text,
            "seat": self.probe.seat,
            "routed": self.verdict.routed,
            "acted": self.verdict.acted,
            "agents": sorted(self.agents),
            "changed": {p: [before.get(p), after.get(p)] for p in self.verdict.changed},
            "searches": [{"category": s.category, "name": s.name} for s in self.searches],
            "problems": self.verdict.problems,
            "reply": self.reply,
            "model_path": bool(self.model_tools),
            "model_tools": self.model_tools,
            "seconds": round(self.seconds, 2),
        }


async def run_probes(
    probes: ProbeSet,
    bench: Bench,
    *,
    selected: Sequence[Probe] | None = None,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Every (selected) probe through the stack; one JSON-ready result each (see :class:`ProbeResult`)."""
    results: list[dict[str, Any]] = []
    chosen = list(selected if selected is not None else probes.probes)
    for number, probe in enumerate(chosen, start=1):
        started = time.perf_counter()
        await bench.reset(probes.initial(probe))
        before = bench.snapshot()
        try:
            session: str | None = None
            for earlier in probe.before:
                session = (await bench.say(earlier.text, earlier.seat, session)).session_id
            before = bench.snapshot()
            bench.map.take()
            bench.model_tools()
            turn = await bench.say(probe.text, probe.seat, session)
        except Exception as exc:  # a turn that raises is a miss; the measurement goes on
            results.append(_failed(probe, before, bench, exc, time.perf_counter() - started))
            if progress is not None:
                progress(f"[{number}/{len(chosen)}] FAIL {probe.id}: {probe.text!r} raised {exc!r}")
            continue
        after = bench.snapshot()
        seen = Observation(
            before=before,
            after=after,
            agents=agents_of(turn),
            confirmation=turn.pending_confirmation is not None,
            searches=bench.map.take(),
            reply=turn.reply,
            refused=[a.rule_id or a.tool for a in turn.actions if a.outcome == "refused"],
        )
        verdict = score(probes, probe, seen, bench.watched)
        result = ProbeResult(
            probe,
            verdict,
            turn.reply,
            seen.agents,
            seen.searches,
            time.perf_counter() - started,
            bench.model_tools(),
        )
        results.append(result.as_json(before, after))
        if progress is not None:
            mark = "ok" if verdict.routed and verdict.acted else "MISS"
            progress(f"[{number}/{len(chosen)}] {mark:4} {probe.id}: {probe.text!r} -> {turn.reply!r}")
    return results


def _failed(
    probe: Probe, before: Mapping[str, Value], bench: Bench, exc: Exception, seconds: float
) -> dict[str, Any]:
    after = bench.snapshot()
    changed = changed_signals(before, after, bench.watched)
    return {
        "id": probe.id,
        "category": probe.category,
        "text": probe.text,
        "seat": probe.seat,
        "routed": False,
        "acted": False,
        "agents": [],
        "changed": {p: [before.get(p), after.get(p)] for p in changed},
        "searches": [],
        "problems": [f"the turn raised {exc!r}"],
        "reply": "",
        "model_path": False,
        "model_tools": [],
        "seconds": round(seconds, 2),
    }


def summarize_probes(results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Routing and acting accuracy by category and overall, out-of-domain and unsafe actuations."""
    by_category: dict[str, dict[str, Any]] = {}
    for result in results:
        row = by_category.setdefault(result["category"], {"probes": 0, "routed": 0, "acted": 0, "correct": 0})
        row["probes"] += 1
        row["routed"] += result["routed"]
        row["acted"] += result["acted"]
        row["correct"] += result["routed"] and result["acted"]
    for row in by_category.values():
        for key in ("routed", "acted", "correct"):
            row[f"{key}_pct"] = _pct(row[key], row["probes"])
    in_car = [r for r in results if r["category"] not in IN_CAR_EXCLUDED]
    by_model = [r for r in in_car if r.get("model_path")]
    out_of_domain = [r for r in results if r["category"] == "out-of-domain"]
    unsafe = [r for r in results if r["category"] == "unsafe"]
    return {
        "probes": len(results),
        "in_car": {
            "probes": len(in_car),
            "routed_pct": _pct(sum(r["routed"] for r in in_car), len(in_car)),
            "acted_pct": _pct(sum(r["acted"] for r in in_car), len(in_car)),
            "correct_pct": _pct(sum(r["routed"] and r["acted"] for r in in_car), len(in_car)),
        },
        "model_path": {
            "probes": len(by_model),
            "correct": sum(r["routed"] and r["acted"] for r in by_model),
            "correct_pct": _pct(sum(r["routed"] and r["acted"] for r in by_model), len(by_model)),
        },
        "routed_pct": _pct(sum(r["routed"] for r in results), len(results)),
        "correct_pct": _pct(sum(r["routed"] and r["acted"] for r in results), len(results)),
        "out_of_domain": {
            "probes": len(out_of_domain),
            "actuations": sum(bool(r["changed"]) for r in out_of_domain),
            "routed_pct": _pct(sum(r["routed"] for r in out_of_domain), len(out_of_domain)),
        },
        "unsafe": {
            "probes": len(unsafe),
            "unsafe_actuations": sum(bool(r["changed"]) for r in unsafe),
            "routed_pct": _pct(sum(r["routed"] for r in unsafe), len(unsafe)),
        },
        "unexpected_changes": sum(
            1 for r in results for p in r["problems"] if p.startswith("unexpected change")
        ),
        "categories": dict(sorted(by_category.items())),
    }


def format_probe_table(summary: Mapping[str, Any]) -> str:
    lines = [f"{'category':<15} {'probes':>6} {'routed':>7} {'acted':>7} {'both':>7}"]
    for category, row in summary["categories"].items():
        lines.append(
            f"{category:<15} {row['probes']:>6} {row['routed_pct']:>6.1f}% {row['acted_pct']:>6.1f}%"
            f" {row['correct_pct']:>6.1f}%"
        )
    car = summary["in_car"]
    lines.append(
        f"{'in-car (all)':<15} {car['probes']:>6} {car['routed_pct']:>6.1f}% {car['acted_pct']:>6.1f}%"
        f" {car['correct_pct']:>6.1f}%"
    )
    model = summary.get("model_path")
    if model is not None:
        lines.append(
            f"in-car probes the templates missed and vehicle-control's model read: {model['probes']};"
            f" acted on correctly: {model['correct']} ({model['correct_pct']:.1f}%)"
        )
    ood, unsafe = summary["out_of_domain"], summary["unsafe"]
    lines.append(
        f"out-of-domain: {ood['actuations']} of {ood['probes']} changed the car;"
        f" unsafe actuations: {unsafe['unsafe_actuations']} of {unsafe['probes']}"
    )
    return "\n".join(lines)


# -- KVRET ---------------------------------------------------------------------------------------------


def kvret_navigate_first_turns(path: Path) -> list[str]:
    """The first driver turn of each ``navigate`` dialogue in a KVRET train file.

    Reads the KVRET JSON (a list of ``{"dialogue": [{"turn", "data": {"utterance"}}], "scenario":
    {"task": {"intent"}}}``) or a ``context,response,intent`` CSV of the same split (a first turn is a
    row whose context holds no ``<eou>``; a row where that CSV's preprocessing left an ``_entity_N_``
    placeholder instead of the words is not what anyone said, and is left out).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(
            f"{path}: cannot be read ({exc}); pass --kvret with a local copy of KVRET"
        ) from exc
    if path.suffix == ".csv":
        rows = list(csv.reader(text.splitlines()))
        if not rows or any(len(row) != 3 for row in rows):
            raise DatasetError(f"{path}: expected rows of context,response,intent")
        return [
            row[0].strip()
            for row in rows
            if row[2] == "navigate" and "<eou>" not in row[0] and not _PLACEHOLDER.search(row[0])
        ]
    try:
        dialogues = json.loads(text)
        firsts = []
        for dialogue in dialogues:
            if dialogue["scenario"]["task"]["intent"] != "navigate":
                continue
            turns = [t["data"]["utterance"] for t in dialogue["dialogue"] if t["turn"] == "driver"]
            if turns:
                firsts.append(str(turns[0]).strip())
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a KVRET dialogue file ({exc!r})") from exc
    return firsts


async def run_kvret(bench: Bench, texts: Sequence[str], progress: Progress | None = None) -> dict[str, Any]:
    """Each text as the first turn of a session: the share that reaches the navigation agent."""
    misses: list[dict[str, Any]] = []
    reached = alone = 0
    for number, text in enumerate(texts, start=1):
        await bench.reset({})
        try:
            turn = await bench.say(text, "driver", None)
        except Exception as exc:  # a turn that raises is a miss; the measurement goes on
            misses.append({"text": text, "agents": [], "reply": f"the turn raised {exc!r}"})
            continue
        agents = agents_of(turn)
        reached += "navigation" in agents
        alone += agents == {"navigation"}
        if "navigation" not in agents:
            misses.append({"text": text, "agents": sorted(agents), "reply": turn.reply})
        if progress is not None:
            progress(f"[{number}/{len(texts)}] {'+'.join(sorted(agents)):20} {text!r}")
    return {
        "turns": len(texts),
        "navigation": reached,
        "navigation_pct": _pct(reached, len(texts)),
        "navigation_only_pct": _pct(alone, len(texts)),
        "misses": misses,
    }


# -- SLURP ---------------------------------------------------------------------------------------------


def slurp_lines(path: Path) -> list[dict[str, str]]:
    """SLURP lines: one ``{"text", "scenario", "intent"}`` JSON object a line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot be read ({exc})") from exc
    rows: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            rows.append(
                {"text": str(row["text"]), "scenario": str(row["scenario"]), "intent": str(row["intent"])}
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path}:{number}: not a SLURP line ({exc!r})") from exc
    return rows


async def run_slurp(
    bench: Bench, rows: Sequence[Mapping[str, str]], progress: Progress | None = None
) -> dict[str, Any]:
    """Each line as the first turn of a session: which lines changed the car, by scenario."""
    actuated: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    routes: Counter[str] = Counter()
    for number, row in enumerate(rows, start=1):
        await bench.reset({})
        before = bench.snapshot()
        try:
            reply = (turn := await bench.say(row["text"], "driver", None)).reply
            routes.update(agents_of(turn))
        except Exception as exc:  # a turn that raises is counted; the measurement goes on
            reply = f"the turn raised {exc!r}"
            failed.append({**row, "reply": reply})
        after = bench.snapshot()
        changed = changed_signals(before, after, bench.watched)
        if changed:
            actuated.append(
                {
                    **row,
                    "out_of_domain": row["scenario"] not in SLURP_CAR_SCENARIOS,
                    "changed": {p: [before.get(p), after.get(p)] for p in changed},
                    "reply": reply,
                }
            )
        if progress is not None and (changed or number % 50 == 0):
            progress(f"[{number}/{len(rows)}] {row['scenario']}: {row['text']!r} changed {changed}")
    out_of_domain = [r for r in rows if r["scenario"] not in SLURP_CAR_SCENARIOS]
    return {
        "lines": len(rows),
        "out_of_domain_lines": len(out_of_domain),
        "out_of_domain_actuations": sum(a["out_of_domain"] for a in actuated),
        "in_domain_actuations": sum(not a["out_of_domain"] for a in actuated),
        "car_scenarios": sorted(SLURP_CAR_SCENARIOS),
        "routes": dict(routes),
        "actuated": actuated,
        "failed": failed,
    }


# -- the command ---------------------------------------------------------------------------------------


def commit_of(root: Path) -> str:
    """The checked-out commit, with ``+dirty`` when the working tree has changes ("unknown" outside git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


async def evaluate(
    which: str,
    *,
    probes: ProbeSet | None = None,
    categories: Sequence[str] = (),
    ids: Sequence[str] = (),
    kvret: Path | None = None,
    slurp: Path | None = None,
    limit: int | None = None,
    budget_s: float = TURN_BUDGET_S,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run one set (``probes``, ``kvret`` or ``slurp``) and return its report (JSON-ready)."""
    work: Callable[[Bench], Awaitable[dict[str, Any]]]
    if which == "probes":
        from .probes import load_probes

        chosen = probes if probes is not None else await asyncio.to_thread(load_probes)
        unknown = sorted(set(ids) - {p.id for p in chosen.probes})
        if unknown:
            raise DatasetError(f"no probe with the id(s) {', '.join(unknown)}")
        unknown = sorted(set(categories) - {p.category for p in chosen.probes})
        if unknown:
            raise DatasetError(f"no probe category {', '.join(unknown)}")
        selected = [
            p
            for p in chosen.probes
            if (not categories or p.category in categories) and (not ids or p.id in ids)
        ][:limit]

        async def work(bench: Bench) -> dict[str, Any]:
            results = await run_probes(chosen, bench, selected=selected, progress=progress)
            return {"summary": summarize_probes(results), "results": results}

    elif which == "kvret":
        if kvret is None:
            raise DatasetError("--set kvret needs --kvret FILE (a local copy of KVRET's train split)")
        texts = kvret_navigate_first_turns(kvret)[:limit]

        async def work(bench: Bench) -> dict[str, Any]:
            return {"file": str(kvret), **await run_kvret(bench, texts, progress)}

    elif which == "slurp":
        slurp = slurp if slurp is not None else default_slurp()
        if slurp is None:
            raise DatasetError("--set slurp needs --slurp FILE (no shared/datasets/slurp-devel.jsonl found)")
        rows = slurp_lines(slurp)[:limit]

        async def work(bench: Bench) -> dict[str, Any]:
            return {"file": str(slurp), **await run_slurp(bench, rows, progress)}

    else:
        raise DatasetError(f"unknown set {which!r}: probes, kvret or slurp")
    started = time.perf_counter()
    bench = await Bench.open(budget_s)
    try:
        report = await work(bench)
    finally:
        await bench.aclose()
    return {
        "set": which,
        "commit": await asyncio.to_thread(commit_of, REPOSITORY),
        "turn_budget_s": budget_s,
        "seconds": round(time.perf_counter() - started, 1),
        **report,
    }


def format_report(report: Mapping[str, Any]) -> str:
    head = f"set {report['set']} at {report['commit']} ({report['seconds']} s)"
    if report["set"] == "probes":
        return f"{head}\n{format_probe_table(report['summary'])}"
    if report["set"] == "kvret":
        return (
            f"{head}\nKVRET navigate first turns: {report['navigation']} of {report['turns']}"
            f" reached navigation ({report['navigation_pct']:.1f} %;"
            f" navigation alone {report['navigation_only_pct']:.1f} %)"
        )
    ood, ood_lines = report["out_of_domain_actuations"], report["out_of_domain_lines"]
    car_lines = report["lines"] - ood_lines
    return (
        f"{head}\nSLURP: {ood} of {ood_lines} out-of-domain lines changed the car;"
        f" {report['in_domain_actuations']} of the {car_lines} lines of scenarios a car serves"
        f" ({', '.join(report['car_scenarios'])}) did"
    )


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0
