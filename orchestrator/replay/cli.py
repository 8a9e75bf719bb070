"""``cabin replay PATH... [--report FILE.json] [--junit FILE.xml] [--jobs N]``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from mcp_servers.vehicle.catalog import Catalog

from .runner import ReplayStack, ScenarioResult, describe_failure, report_json, report_junit, run_scenario
from .scenario import Scenario, ScenarioError, discover, load_scenario


async def _local_factory() -> tuple[ReplayStack, Callable[[], Awaitable[None]]]:
    from orchestrator.local import open_local_stack

    stack = await open_local_stack()
    return stack, stack.aclose


async def replay(scenarios: list[Scenario], jobs: int = 2, progress: bool = False) -> list[ScenarioResult]:
    """Run ``scenarios`` in-process, ``jobs`` at a time (each against its own fresh stack)."""
    limit = asyncio.Semaphore(max(1, jobs))
    done = 0

    async def one(scenario: Scenario) -> ScenarioResult:
        nonlocal done
        async with limit:
            result = await run_scenario(scenario, _local_factory)
        done += 1
        if progress:
            mark = "ok" if result.passed else "FAILED"
            print(
                f"\r[{done}/{len(scenarios)}] {mark:6} {scenario.name[:60]:60}",
                end="",
                file=sys.stderr,
                flush=True,
            )
        return result

    results = await asyncio.gather(*(one(s) for s in scenarios))
    if progress:
        print(file=sys.stderr)
    return list(results)


def load_all(paths: list[str]) -> list[Scenario]:
    catalog = Catalog.load()
    files = discover(list(paths))
    if not files:
        raise ScenarioError(f"no scenario files under {', '.join(paths)}")
    return [load_scenario(f, catalog) for f in files]


def _cmd_replay(args: argparse.Namespace) -> int:
    try:
        scenarios = load_all(args.paths)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = asyncio.run(replay(scenarios, jobs=args.jobs, progress=sys.stderr.isatty()))
    for result in results:
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.file}  {result.name}")
        for line in describe_failure(result):
            print(line)
    report = report_json(results)
    print(
        f"{report['passed']} passed, {report['failed']} failed "
        f"({report['steps']} steps, p50 {report['latency_ms']['p50']} ms, "
        f"p95 {report['latency_ms']['p95']} ms, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2), encoding="utf-8")
    if args.junit:
        Path(args.junit).write_bytes(report_junit(results))
    return 0 if report["failed"] == 0 else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("replay", help="replay scenario files or folders; exit 0 only if all pass")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--report", metavar="FILE.json", help="write the JSON report here")
    parser.add_argument("--junit", metavar="FILE.xml", help="write a JUnit XML report here")
    parser.add_argument("--jobs", type=int, default=2, help="scenarios run at once (default 2)")
    parser.set_defaults(func=_cmd_replay)
