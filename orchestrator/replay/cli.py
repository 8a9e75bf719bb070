"""``cabin replay PATH... [--report F.json] [--junit F.xml] [--jobs N] [--url URL] [--baseline F.json]``."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from orchestrator.models import TurnResult

    from .compare import Report
    from .fleet import Fleet
    from .runner import ReplayStack, ScenarioResult
    from .scenario import Matcher, Scenario

# The scenario loader, the stack and the HTTP client load when a replay runs, not when `cabin --help`
# builds this command's parser.


POLL_S = 0.2
"""How often a running stack's state is read while a step waits for its expected state."""


class HttpStack:
    """A running ``cabin run`` stack driven through its front-end API. Each scenario starts from the
    simulator's default state (written with ``PUT /v1/vehicle/state``); time passes for real.

    It is a :class:`~orchestrator.replay.runner.StateWaiter`: a step's expected state is awaited by
    reading ``GET /v1/vehicle/state`` until every matcher holds (or the timeout runs out), so a step
    whose change is already there costs one read, not a fixed settle wait."""

    def __init__(self, url: str, token: str | None = None) -> None:
        import httpx

        from orchestrator.access import bearer

        self.http = httpx.AsyncClient(base_url=url.rstrip("/"), timeout=60.0, headers=bearer(token))

    async def _check(self, response: httpx.Response) -> Any:
        from .scenario import ScenarioError

        if response.status_code >= 400:
            raise ScenarioError(
                f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
            )
        return response.json()

    async def reset(self) -> None:
        from mcp_servers.vehicle.backends.simulator import DEFAULT_STATE

        await self._check(await self.http.put("/v1/vehicle/state", json=DEFAULT_STATE))

    async def inject(self, values: dict[str, Any]) -> None:
        await self._check(await self.http.put("/v1/vehicle/state", json=values))

    async def advance(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def perceive(self, frame: dict[str, Any], base_dir: Path) -> None:
        from .scenario import ScenarioError

        raise ScenarioError("perception steps need the in-process stack (run without --url)")

    async def say(self, text: str, seat: str, session_id: str | None) -> TurnResult:
        from orchestrator.models import TurnResult

        body = {"text": text, "seat": seat, "session_id": session_id}
        return TurnResult.model_validate(await self._check(await self.http.post("/v1/utterances", json=body)))

    async def settle(self) -> None:
        previous: Any = None
        for _ in range(40):
            current = await self._check(
                await self.http.get("/v1/vehicle/state", params={"prefix": "Vehicle.Cabin"})
            )
            if current == previous:
                return
            previous = current
            await asyncio.sleep(0.5)

    async def state(self, paths: list[str]) -> dict[str, Any]:
        everything = await self._check(await self.http.get("/v1/vehicle/state"))
        return {p: everything.get(p) for p in paths}

    async def await_state(self, expected: dict[str, Matcher], timeout_s: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            current = await self.state(list(expected))
            if all(m.check(current.get(p)) for p, m in expected.items()) or loop.time() >= deadline:
                return current
            await asyncio.sleep(POLL_S)

    async def aclose(self) -> None:
        await self.http.aclose()


NO_SCRIPTED_FEED = (
    "perception steps need a scripted perception feed; a running stack's front-end API cannot push "
    "frames (replay it without --url)"
)


def _http_factory(
    url: str, token: str | None
) -> Callable[[], Awaitable[tuple[ReplayStack, Callable[[], Awaitable[None]]]]]:
    async def factory() -> tuple[ReplayStack, Callable[[], Awaitable[None]]]:
        stack = HttpStack(url, token)
        await stack.reset()
        return stack, stack.aclose

    return factory


async def replay(
    scenarios: list[Scenario],
    jobs: int = 2,
    progress: bool = False,
    url: str | None = None,
    token: str | None = None,
) -> list[ScenarioResult]:
    """Run ``scenarios``: in-process ``jobs`` at a time, each on a stack of a :class:`StackPool` (a
    fresh car and conversation, the stack kept between scenarios), or one by one against the running
    stack at ``url`` (sending the front-end ``token``)."""
    from .progress import Progress
    from .runner import StackPool, run_scenario, skipped

    pool = StackPool()
    factory = _http_factory(url, token) if url else pool
    limit = asyncio.Semaphore(1 if url else max(1, jobs))
    shown = Progress(len(scenarios), sys.stderr, bar=sys.stderr.isatty()) if progress else None

    async def one(scenario: Scenario) -> ScenarioResult:
        if url and scenario.has_perception:
            result = skipped(scenario, NO_SCRIPTED_FEED)
        else:
            async with limit:
                result = await run_scenario(scenario, factory)
        if shown is not None:
            shown.finished(scenario.name, "ok" if result.passed else "skip" if result.skipped else "FAILED")
        return result

    try:
        results = await asyncio.gather(*(one(s) for s in scenarios))
    finally:
        await pool.aclose()
    if shown is not None:
        shown.close()
    return list(results)


def load_all(paths: list[str]) -> list[Scenario]:
    from mcp_servers.vehicle.catalog import Catalog

    from .scenario import ScenarioError, discover, load_scenario

    catalog = Catalog.load()
    files = discover(list(paths))
    if not files:
        raise ScenarioError(f"no scenario files under {', '.join(paths)}")
    return [load_scenario(f, catalog) for f in files]


def _read(args: argparse.Namespace) -> tuple[list[Scenario], Report | None]:
    """The scenarios of ``args.paths`` and the ``--baseline`` report, if any."""
    from .compare import load_report

    return load_all(args.paths), load_report(args.baseline) if args.baseline else None


OUTPUTS = (("report", "--report"), ("junit", "--junit"), ("html", "--html"))
"""The options naming a file the replay writes when it ends: checked before it starts."""


def ray_address_problem(address: str) -> str | None:
    """What is wrong with ``--ray``'s value, or ``None``: ``auto``, or a cluster's ``HOST:PORT`` (the
    address ``ray start --head`` prints; ``ray://HOST:PORT`` for Ray's client)."""
    if address == "auto":
        return None
    where = address.removeprefix("ray://")
    host, colon, port = where.rpartition(":")
    if (
        colon
        and host
        and not any(c.isspace() or c == "/" for c in host)
        and port.isdigit()
        and 0 < int(port) < 65536
    ):
        return None
    return (
        f"--ray {address!r}: expected auto (a local Ray) or a cluster's address HOST:PORT, as "
        "`ray start --head` prints it (e.g. 10.0.0.5:6379)"
    )


def option_problems(args: argparse.Namespace) -> list[str]:
    """What is wrong with the options of ``cabin replay``, found without reading a scenario or
    starting anything: conflicting options, counts, ``--ray``'s value and whether Ray is installed,
    and the folders of the files it writes at the end (so a run is not lost to a typo)."""
    problems = []
    if args.ray and args.url:
        problems.append("--ray replays in-process stacks on Ray workers; it cannot take --url")
    if args.jobs < 1:
        problems.append(f"--jobs {args.jobs}: expected at least 1 scenario at a time")
    if args.workers < 1:
        problems.append(f"--workers {args.workers}: expected at least 1 Ray worker")
    if args.ray:
        from .fleet import ray_missing

        address = ray_address_problem(args.ray)
        if address is not None:
            problems.append(address)
        missing = ray_missing()
        if missing is not None:
            problems.append(missing)
    for attribute, option in OUTPUTS:
        value = getattr(args, attribute)
        if value is None:
            continue
        target = Path(value)
        if target.is_dir():
            problems.append(f"{option} {value}: is a folder, expected a file to write")
        elif not target.parent.is_dir():
            problems.append(f"{option} {value}: no such folder {target.parent}")
    return problems


def _cmd_replay(args: argparse.Namespace) -> int:
    from .compare import Report, compare, describe
    from .runner import describe_failure, report_json, report_junit
    from .scenario import ScenarioError

    # Everything that can be wrong without Ray is checked before Ray starts (its start takes
    # seconds): the options, then every scenario file and the baseline, read whole.
    problems = option_problems(args)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        return 2
    try:
        scenarios, baseline = _read(args)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    fleet: Fleet | None = None
    if args.ray:
        from .fleet import FleetError, start_fleet

        try:
            fleet = start_fleet(args.ray, args.workers)
        except FleetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if len(fleet.actors) < args.workers:
            print(
                f"note: --workers {args.workers}: the Ray cluster has {len(fleet.actors)} CPU(s), "
                f"one per worker: {len(fleet.actors)} worker(s)",
                file=sys.stderr,
            )
    started = time.perf_counter()
    from orchestrator.access import front_end_token

    token = front_end_token(args.token) if args.url else None
    if fleet is not None:
        from .fleet import FleetError
        from .progress import Progress

        shown = None if args.quiet else Progress(len(scenarios), sys.stderr, bar=sys.stderr.isatty())
        try:
            results = fleet.replay(
                scenarios,
                on_result=None
                if shown is None
                else lambda r: shown.finished(r.name, "ok" if r.passed else "FAILED"),
            )
        except FleetError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        finally:
            fleet.close()
        if shown is not None:
            shown.close()
    else:
        results = asyncio.run(
            replay(scenarios, jobs=args.jobs, progress=not args.quiet, url=args.url, token=token)
        )
    for result in results:
        verdict = "PASS" if result.passed else "SKIP" if result.skipped else "FAIL"
        print(
            f"{verdict}  {result.file}  {result.name}" + (f"  ({result.skipped})" if result.skipped else "")
        )
        for line in describe_failure(result):
            print(line)
    report = report_json(results)
    print(
        f"{report['passed']} passed, {report['failed']} failed, {report['skipped']} skipped "
        f"({report['steps']} steps, p50 {report['latency_ms']['p50']} ms, "
        f"p95 {report['latency_ms']['p95']} ms, "
        f"{time.perf_counter() - started:.1f} s)"
    )
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2), encoding="utf-8")
    if args.junit:
        Path(args.junit).write_bytes(report_junit(results))
    if args.html:
        from .html import report_html

        Path(args.html).write_text(report_html(results), encoding="utf-8")
    if baseline is not None:
        comparison = compare(baseline, Report.model_validate(report))
        for line in describe(comparison):
            print(line)
        return 1 if comparison.regressions else 0
    return 0 if report["failed"] == 0 else 1


def _cmd_expand(args: argparse.Namespace) -> int:
    from mcp_servers.vehicle.catalog import Catalog

    from .expand import expand_all
    from .scenario import ScenarioError, load_scenario

    catalog = Catalog.load()
    try:
        variants = expand_all(args.paths, catalog)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    written = 0
    for variant in variants:
        target = out / variant.path
        target.parent.mkdir(parents=True, exist_ok=True)
        text = variant.to_yaml()
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written += 1
        load_scenario(target, catalog)  # every variant is a valid scenario file
    wanted = {out / v.path for v in variants}
    stale = [p for p in out.rglob("*.yaml") if p not in wanted] if args.prune else []
    for path in stale:
        path.unlink()
    print(f"{len(variants)} scenarios under {out} ({written} written, {len(stale)} stale removed)")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scenarios = sub.add_parser("scenarios", help="work with scenario files")
    scenarios_sub = scenarios.add_subparsers(dest="scenarios_command", required=True)
    expand = scenarios_sub.add_parser(
        "expand",
        help="expand parametrised *.matrix files into scenario files, expectations from the guardrails",
    )
    expand.add_argument("paths", nargs="+", metavar="PATH", help="*.matrix files or folders holding them")
    expand.add_argument("--out", required=True, metavar="DIR", help="write the scenario files under here")
    expand.add_argument(
        "--prune", action="store_true", help="remove *.yaml files under DIR that no matrix produces now"
    )
    expand.set_defaults(func=_cmd_expand)

    from orchestrator.access import add_token_option

    parser = sub.add_parser("replay", help="replay scenario files or folders; exit 0 only if all pass")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--report", metavar="FILE.json", help="write the JSON report here")
    parser.add_argument("--junit", metavar="FILE.xml", help="write a JUnit XML report here")
    parser.add_argument(
        "--html",
        metavar="FILE.html",
        help="write a self-contained HTML report here (pass rates by tag, rule, agent; latencies; failures)",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr (by default a bar with ETA on a terminal, a line per scenario otherwise)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="scenarios run at once in-process (default 1: timings stay honest)",
    )
    parser.add_argument(
        "--url",
        help="replay against a running stack (cabin run) at this URL instead; perception scenarios are "
        "skipped there (its feed cannot be scripted)",
    )
    parser.add_argument(
        "--ray",
        metavar="auto|ADDRESS",
        help="replay on Ray workers, each with its own in-process stack: 'auto' for a local Ray, or a "
        "cluster's address (ray start --head); needs the [fleet] extra",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="Ray workers (actors) to start with --ray (default 2)"
    )
    parser.add_argument(
        "--baseline",
        metavar="FILE.json",
        help="compare with a previous --report: print regressions and fixes; exit 1 only on a regression",
    )
    add_token_option(parser)
    parser.set_defaults(func=_cmd_replay)
