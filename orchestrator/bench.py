"""``cabin bench``: performance figures, each a median over several timed runs after a warm-up."""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import time
from collections.abc import Callable
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
        "machine": {"cores": os.cpu_count(), "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY")}
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
