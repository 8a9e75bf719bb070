"""`cabin models eval`: the vehicle model path measured on the held-out split, base vs tuned.

Each request of the split goes through the vehicle-control agent's own model path
(`agents.vehicle_control.interpreter.ModelInterpreter`, the same two constrained steps, the same
checks) once with the base model and its few-shot prompt, and once with the tuned adapter and its
format, over one loaded model. Figures per variant:

* `exact_match`: the proposed call (tool and arguments, compared as training writes them: a zone
  equal to the speaker's seat and arguments equal to their defaults left out) equals the expected;
* `tool_accuracy`: the tool is the expected one (`none` included);
* `argument_accuracy`: the arguments are right where the tool is right and is not `none`;
* `none_precision` / `none_recall`: of the answers `none`, how many were expected `none` / of the
  expected `none`, how many were answered `none`;
* `acted_correctly`: the share of requests where what the agent would do after its checks (schema,
  grounding) is right: the expected action, or nothing for a `none` request;
* `wrong_actions`: requests where the agent would act, but not as expected (a wrong actuation);
* `latency_ms_p50` / `latency_ms_p95`: one model-path call (both steps), measured per request.

Grounding still checks every proposal; these figures show how often it has to.
"""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from models.tuning.data import HELDOUT, Example, ToolSchemas, load_examples, tool_schemas
from models.tuning.errors import TuneError
from models.tuning.format import NO_TOOL

__all__ = ["EvalReport", "ExampleResult", "VariantReport", "evaluate", "split_sha256", "table"]


class ExampleResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    seat: str
    expected: dict[str, Any]
    proposed: dict[str, Any]
    acted: dict[str, Any] | None
    exact: bool
    latency_ms: float
    reason: str


class VariantReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    variant: str
    adapter: str | None
    figures: dict[str, float]
    results: list[ExampleResult]


class EvalReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    split: str
    split_sha256: str
    examples: int
    variants: list[VariantReport]
    latency: dict[str, dict[str, float]] = {}
    """`bench`: per variant, the median and 90th percentile of one model-path call (ms) over the same
    requests, the variants alternating request by request, after one warm-up pass."""


def split_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _canonical(tools: ToolSchemas, call: dict[str, Any], seat: str) -> dict[str, Any]:
    tool = str(call.get("tool"))
    if tool == NO_TOOL or tool not in tools.schemas:
        return {"tool": tool}
    arguments = call.get("arguments") or {}
    return {"tool": tool, "arguments": tools.canonical(tool, dict(arguments), seat)}


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.get("tool") != b.get("tool"):
        return False
    left, right = a.get("arguments") or {}, b.get("arguments") or {}
    if set(left) != set(right):
        return False
    for key, value in left.items():
        other = right[key]
        if isinstance(value, bool) or isinstance(other, bool):
            if value is not other:
                return False
        elif isinstance(value, int | float) and isinstance(other, int | float):
            if abs(float(value) - float(other)) > 1e-9:
                return False
        elif value != other:
            return False
    return True


def _figures(results: Sequence[ExampleResult]) -> dict[str, float]:
    n = len(results)
    tool_right = [r for r in results if r.proposed.get("tool") == r.expected.get("tool")]
    with_args = [r for r in tool_right if r.expected.get("tool") != NO_TOOL]
    said_none = [r for r in results if r.proposed.get("tool") == NO_TOOL]
    want_none = [r for r in results if r.expected.get("tool") == NO_TOOL]
    acted_right = 0
    wrong = 0
    for r in results:
        if r.expected.get("tool") == NO_TOOL:
            acted_right += r.acted is None
            wrong += r.acted is not None
        elif r.acted is not None:
            ok = _same(r.acted, r.expected)
            acted_right += ok
            wrong += not ok
    latencies = sorted(r.latency_ms for r in results)

    def share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    return {
        "exact_match": share(sum(r.exact for r in results), n),
        "tool_accuracy": share(len(tool_right), n),
        "argument_accuracy": share(sum(r.exact for r in with_args), len(with_args)),
        "none_precision": share(sum(r.expected.get("tool") == NO_TOOL for r in said_none), len(said_none)),
        "none_recall": share(sum(r.proposed.get("tool") == NO_TOOL for r in want_none), len(want_none)),
        "acted_correctly": share(acted_right, n),
        "wrong_actions": float(wrong),
        "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else 0.0,
        "latency_ms_p95": round(latencies[min(n - 1, int(0.95 * n))], 1) if latencies else 0.0,
    }


async def _run_variant(
    runtime: Any,
    catalog: Any,
    tools: ToolSchemas,
    examples: Sequence[Example],
    *,
    use_adapter: bool,
    progress: Callable[[str, int, int], None] | None,
) -> VariantReport:
    from agents.vehicle_control.interpreter import ModelInterpreter

    interpreter = ModelInterpreter(runtime, timeout_s=60.0, use_adapter=use_adapter)
    await interpreter.prepare()
    if use_adapter and interpreter.adapter is None:
        raise TuneError(
            "no vehicle tool-call adapter is loaded with the model: name one with --adapter "
            "or make one active with `cabin models use`"
        )
    name = "tuned" if use_adapter else "base"
    results: list[ExampleResult] = []
    for index, example in enumerate(examples):
        started = time.perf_counter()
        seat: Any = example.seat
        reading = await interpreter.interpret(example.text, seat=seat, catalog=catalog, ground_first=False)
        latency = (time.perf_counter() - started) * 1000.0
        raw = reading.proposal if isinstance(reading.proposal, dict) else {"tool": NO_TOOL}
        expected = _canonical(tools, example.call.model_dump(mode="json"), example.seat)
        proposed = _canonical(tools, dict(raw), example.seat)
        acted = None
        if reading.action is not None:
            acted = _canonical(tools, reading.action.model_dump(mode="json"), example.seat)
        results.append(
            ExampleResult(
                text=example.text,
                seat=example.seat,
                expected=expected,
                proposed=proposed,
                acted=acted,
                exact=_same(proposed, expected),
                latency_ms=round(latency, 1),
                reason=reading.reason,
            )
        )
        if progress is not None:
            progress(name, index + 1, len(examples))
    await interpreter.aclose()
    return VariantReport(
        variant=name, adapter=interpreter.adapter, figures=_figures(results), results=results
    )


async def _catalog() -> Any:
    from agents.vehicle_control.link import VehicleLink
    from mcp_servers.vehicle.backends.simulator import SimulatorBackend
    from mcp_servers.vehicle.server import build_server
    from mcp_servers.vehicle.service import VehicleService

    link = VehicleLink(build_server(VehicleService(SimulatorBackend()), client="vehicle-control"))
    try:
        return await link.catalog()
    finally:
        await link.aclose()


async def _bench(
    runtime: Any, catalog: Any, examples: Sequence[Example], variants: Sequence[str], repeats: int
) -> dict[str, dict[str, float]]:
    from agents.vehicle_control.interpreter import ModelInterpreter

    interpreters = {v: ModelInterpreter(runtime, timeout_s=60.0, use_adapter=v == "tuned") for v in variants}
    for interpreter in interpreters.values():
        await interpreter.prepare()
    times: dict[str, list[float]] = {v: [] for v in variants}
    for round_ in range(repeats + 1):
        for example in examples:
            for variant, interpreter in interpreters.items():
                seat: Any = example.seat
                started = time.perf_counter()
                await interpreter.interpret(example.text, seat=seat, catalog=catalog, ground_first=False)
                if round_:  # the first round warms the prefixes and caches
                    times[variant].append((time.perf_counter() - started) * 1000.0)
    for interpreter in interpreters.values():
        await interpreter.aclose()
    out = {}
    for variant, samples in times.items():
        ordered = sorted(samples)
        out[variant] = {
            "median_ms": round(statistics.median(ordered), 1),
            "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
            "calls": float(len(ordered)),
        }
    return out


def evaluate(
    runtime_factory: Callable[[], Any],
    *,
    split: Path = HELDOUT,
    limit: int | None = None,
    variants: Sequence[str] = ("base", "tuned"),
    progress: Callable[[str, int, int], None] | None = None,
    bench: int = 0,
    repeats: int = 3,
) -> EvalReport:
    """Evaluate each variant (`base`, `tuned`) on `split` (its first `limit` lines) with one runtime;
    `bench` > 0 also times the first `bench` requests `repeats` times, the variants alternating."""
    examples = load_examples(split)
    if limit is not None:
        examples = examples[:limit]
    if not examples:
        raise TuneError(f"{split} has no examples")
    tools = tool_schemas()

    async def run() -> EvalReport:
        catalog = await _catalog()
        runtime = await asyncio.to_thread(runtime_factory)
        try:
            reports = [
                await _run_variant(
                    runtime, catalog, tools, examples, use_adapter=v == "tuned", progress=progress
                )
                for v in variants
            ]
            latency = await _bench(runtime, catalog, examples[:bench], variants, repeats) if bench else {}
        finally:
            await runtime.aclose()
        return EvalReport(
            split=str(split.name),
            split_sha256=split_sha256(split),
            examples=len(examples),
            variants=reports,
            latency=latency,
        )

    return asyncio.run(run())


def table(report: EvalReport) -> str:
    """The figures side by side, one row per figure."""
    names = list(report.variants[0].figures) if report.variants else []
    head = f"{'figure':<20}" + "".join(f"{v.variant:>12}" for v in report.variants)
    lines = [f"held-out split {report.split} ({report.examples} requests)", head]
    for name in names:
        lines.append(f"{name:<20}" + "".join(f"{v.figures[name]:>12g}" for v in report.variants))
    for variant, figures in report.latency.items():
        lines.append(
            f"bench {variant}: median {figures['median_ms']:g} ms, p90 {figures['p90_ms']:g} ms "
            f"over {figures['calls']:g} calls"
        )
    return "\n".join(lines)
