"""The ``cabin`` command line (docs/orchestrator.md)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models import Runtime

    from .models import TurnResult
    from .progress import Progress
    from .replay.record import Recorder

# Nothing heavy at import time: `cabin --help` must answer at once, so each command imports the SDKs,
# the model runtime and the servers it needs when it runs (tests/orchestrator/test_cli_imports.py).

SEATS = ("driver", "passenger", "rear_left", "rear_right")


def _cmd_run(args: argparse.Namespace) -> int:
    from .stack import run_stack

    return run_stack(
        config=args.config,
        host=args.host,
        port=args.port,
        insecure=args.insecure,
        ui=not args.no_ui,
        profile=args.profile,
    )


async def _list_tools() -> list[dict[str, Any]]:
    from mcp import Client

    from mcp_servers.vehicle.app import VehicleApp
    from mcp_servers.vehicle.declarations import guarded_by
    from mcp_servers.vehicle.guardrails.rules import rules_for
    from mcp_servers.vehicle.plugins import registry_for
    from mcp_servers.vehicle.server import build_server

    app = VehicleApp.create()
    registry = registry_for(app.service.catalog)
    server = build_server(app.service, registry=registry)
    async with Client(server, raise_exceptions=True) as client:
        listed = await client.list_tools()
    rules = app.service.guardrails.rules
    rows: list[dict[str, Any]] = []
    for tool in listed.tools:
        annotations = tool.annotations
        declared = registry.get(tool.name)
        rows.append(
            {
                "server": "vehicle",
                "name": tool.name,
                "description": (tool.description or "").strip().splitlines()[0] if tool.description else "",
                "read_only": bool(annotations and annotations.read_only_hint),
                "destructive": bool(annotations and annotations.destructive_hint),
                "rules": guarded_by(declared, app.service.catalog, rules)
                if declared is not None
                else rules_for(("Vehicle.*",), app.service.catalog.paths, rules)
                if tool.name == "set_signals"
                else [],
            }
        )
    return rows


def _cmd_tools(args: argparse.Namespace) -> int:
    if args.check is not None:
        return _cmd_tools_check(None if args.check == "" else args.check)
    rows = asyncio.run(_list_tools())
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        kind = "read" if row["read_only"] else "WRITE" if row["destructive"] else "write"
        rules = ", ".join(row["rules"]) if row["rules"] else "-"
        print(f"{row['server']}/{row['name']:<28} {kind:<5} {row['description']}")
        if row["rules"]:
            print(f"{'':<37}guarded by: {rules}")
    return 0


def _cmd_tools_check(target: str | None) -> int:
    from .plugins import PluginCheckError, check_target

    try:
        report = check_target(target)
    except PluginCheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in report.lines:
        print(line)
    print(f"checked: {', '.join(report.plugins) or 'no plugin installed'}")
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, new_agent, new_tool

    make = new_tool if args.kind == "tool" else new_agent
    try:
        root = make(args.name, Path(args.dir))
    except ScaffoldError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"created {root}: run its tests with `make -C {root} test`")
    return 0


async def _ask(text: str, seat: str, state: str | None, progress: Progress) -> TurnResult:
    progress.step("loading the stack")
    from agents.hosting.spans import mask
    from mcp_servers.vehicle.state_file import load_state_file

    from .lazy_runtime import LazyRuntime
    from .local import open_local_stack, shared_catalog, shared_router, shared_runtime
    from .routing import Router
    from .routing.router import RAMBLE_WORDS
    from .routing.templates import TemplateSet, TemplateStage

    initial = load_state_file(state, shared_catalog()) if state else None
    progress.step("compiling the routing templates")
    # A text the templates read whole is routed as the router would route it (its model path is only
    # asked about what no template reads, or reads through a wildcard), so the model is not loaded
    # unless an agent asks it for something.
    loaded = TemplateSet.load(warm=False)
    templates = TemplateStage(loaded)
    (whole,) = await templates.decide([mask(text.strip())], deadline=float("inf"))
    runtime: Runtime
    router: Router | Coroutine[Any, Any, Router]
    if whole is not None and whole.routed and not whole.tentative and len(text.split()) < RAMBLE_WORDS:
        router, runtime = Router([templates]), LazyRuntime(shared_runtime)
    else:
        progress.step("loading the model")
        # The model loads in a thread while the agents start (llama.cpp reads it without holding the
        # GIL); the router, which asks the model what it runs, is opened once the stack is built,
        # with the templates just asked, not a second copy.
        lazy = LazyRuntime(shared_runtime)
        lazy.start()
        router, runtime = shared_router(loaded, runtime=lazy), lazy
    progress.step("starting the agents")
    stack = await open_local_stack(initial, router=router, runtime=runtime)
    try:
        progress.step("answering")
        return await stack.say(text, seat, None)
    finally:
        await stack.aclose()


ONE_SHOT_THREADS = {"OMP_WAIT_POLICY": "passive", "OPENBLAS_NUM_THREADS": "1"}
"""What ``cabin ask`` sets in its own environment (where not set already) before llama.cpp and NumPy load.

A worker thread of OpenMP (llama.cpp's CPU threads) or of OpenBLAS (NumPy's) spins on a core for a
while after each piece of work, waiting for the next, instead of sleeping: that makes a server's next
request start sooner, and costs a process that answers one turn and exits CPU spent on nothing.
Passive waiting and one BLAS thread change where the threads wait, not what they compute (NumPy's
products in a turn are small ones; docs/performance.md). ``cabin run``'s servers keep the libraries'
defaults.

They are set by :func:`main` before the parser is built: building it imports the ``models`` package,
which gives llama.cpp's threads a bounded spin (``GOMP_SPINCOUNT``) unless a wait policy is already
set, and an explicit spin count outweighs the passive policy set after it."""


def _one_shot_threads() -> None:
    for name, value in ONE_SHOT_THREADS.items():
        os.environ.setdefault(name, value)


def _cmd_ask(args: argparse.Namespace) -> int:
    import logging

    # Warnings print as plain lines on standard error; set before the stack's MCP servers are built,
    # whose SDK otherwise installs a rich console handler on the root logger.
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    # One turn in a process that lives seconds: the cyclic garbage collector's passes over the
    # hundreds of thousands of objects the stack's imports create cost more CPU (about 0.4 s) than
    # the few megabytes of cycles they would free before the turn is answered.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _answer(args)
    finally:
        if collecting:
            gc.freeze()  # what the turn built is left to the process's end, not collected again
            gc.enable()


def _answer(args: argparse.Namespace) -> int:
    from mcp_servers.vehicle.errors import VehicleError

    from .progress import Progress

    try:
        with Progress() as progress:
            turn = asyncio.run(_ask(args.text, args.seat, args.state, progress))
    except VehicleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(turn.model_dump_json(indent=2))
    else:
        print(turn.reply)
    return 0


def _show(turn: TurnResult) -> None:
    print(f"cabin: {turn.reply}")
    route = ", ".join(f"{r.agent or 'none'}/{r.skill or '-'} ({r.via})" for r in turn.route)
    print(f"  route: {route}   {turn.latency_ms.total:.0f} ms")
    for action in turn.actions:
        rule = f" [{action.rule_id}]" if action.rule_id else ""
        print(f"  {action.outcome:<18} {action.tool} {json.dumps(action.arguments)}{rule}")
    if turn.pending_confirmation is not None:
        print("  (waiting for yes or no)")


async def _chat(seat: str, record: str | None) -> Recorder | None:
    from .local import open_local_stack
    from .replay.record import Recorder

    stack = await open_local_stack()
    recorder = Recorder(name=f"recorded session ({seat})") if record else None
    session: str | None = None
    print("cabin chat - say something (Ctrl-D to quit; ':seat passenger' changes seat)")
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, f"{seat}> ")
            except EOFError:
                print()
                break
            text = line.strip()
            if not text:
                continue
            if text.startswith(":seat "):
                choice = text.split(maxsplit=1)[1]
                if choice in SEATS:
                    seat = choice
                else:
                    print(f"unknown seat {choice!r}; one of {', '.join(SEATS)}")
                continue
            turn = await stack.say(text, seat, session)
            session = turn.session_id
            _show(turn)
            if recorder is not None:
                await stack.settle()
                observed = await stack.state(list(turn.state_changes))
                recorder.say(text, seat, turn, observed)
    finally:
        await stack.aclose()
    return recorder


def _cmd_chat(args: argparse.Namespace) -> int:
    recorder = asyncio.run(_chat(args.seat, args.record))
    if recorder is not None:
        Path(args.record).write_text(recorder.to_yaml(), encoding="utf-8")
        print(f"recorded {len(recorder.steps)} step(s) to {args.record}")
    return 0


async def _cards() -> list[dict[str, Any]]:
    from google.protobuf import json_format

    from .local import open_local_stack

    stack = await open_local_stack()
    try:
        return [
            {
                "url": e.url,
                "healthy": e.healthy,
                "card": json_format.MessageToDict(e.card) if e.card else None,
            }
            for e in stack.orchestrator.directory.entries
        ]
    finally:
        await stack.aclose()


def _cmd_agents(args: argparse.Namespace) -> int:
    cards = asyncio.run(_cards())
    if args.json:
        print(json.dumps(cards, indent=2))
        return 0
    for entry in cards:
        card = entry["card"] or {}
        print(f"{card.get('name', entry['url'])}: {card.get('description', '')}")
        for skill in card.get("skills", []):
            examples = "; ".join(skill.get("examples", [])[:3])
            print(f"  - {skill['id']}: {skill.get('description', '')}  e.g. {examples}")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from . import bench as bench_mod
    from . import bench_load

    if args.startup:
        from .bench_startup import bench_startup, startup_table

        startup = bench_startup(args.runs, environment=args.started_with)
        print(json.dumps(startup, indent=2) if args.json else startup_table(startup))
        return 0
    try:
        if args.memory:
            memory = bench_load.bench_memory(args.turns, args.readings, args.profile)
            print(json.dumps(memory, indent=2) if args.json else bench_load.memory_table(memory))
            return 0
        if args.sweep:
            if not args.url:
                print("error: --sweep measures a running stack: give its --url", file=sys.stderr)
                return 2
            from .access import front_end_token

            levels = bench_load.parse_levels(args.sweep)
            token = front_end_token(args.token)
            rows = asyncio.run(bench_load.sweep(args.url, token, levels, args.sweep_s))
            print(json.dumps(rows, indent=2) if args.json else bench_load.sweep_table(rows))
            return 0
    except bench_load.BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.ood:
        print(json.dumps(asyncio.run(bench_mod.bench_out_of_domain(args.ood)), indent=2))
        return 0
    if args.url:
        from .access import front_end_token

        token = front_end_token(args.token)
        report = asyncio.run(bench_mod.bench_stack(args.url, args.agent_url, token, load_s=args.load_s))
        print(json.dumps(report, indent=2))
        return 0
    report = bench_mod.run_bench(args.only or None)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {json.dumps(value)}")
    return 0


def _cmd_login(args: argparse.Namespace) -> int:
    import httpx

    from .access import TOKEN_FILE, front_end_token, login_link

    token = front_end_token(args.token)
    if token is None:
        print(
            "error: no front-end token: pass --token, set $CABIN_OPERATOR_TOKEN, "
            f"or run in the folder that holds {TOKEN_FILE}",
            file=sys.stderr,
        )
        return 2
    try:
        link = login_link(args.url, token)
    except httpx.HTTPError as exc:
        print(f"error: {args.url} gave no login link: {exc}", file=sys.stderr)
        return 1
    print(link.url)
    print(f"(open it once within {link.expires_in_s} s)", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .access import add_token_option

    parser = argparse.ArgumentParser(prog="cabin", description="On-device multi-agent in-car assistant.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the whole stack on loopback")
    run.add_argument("--config", help="YAML configuration file")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8700)
    run.add_argument("--no-ui", action="store_true", help="do not serve the web cockpit")
    run.add_argument("--insecure", action="store_true", help="no bearer tokens (local experiments only)")
    run.add_argument(
        "--profile",
        choices=("default", "compact"),
        default="default",
        help="compact: the orchestrator, the agents and the map and perception servers share one "
        "process (less memory)",
    )
    run.set_defaults(func=_cmd_run)

    ask = sub.add_parser("ask", help="one turn, in-process (no servers needed)")
    ask.add_argument("text")
    ask.add_argument("--seat", choices=SEATS, default="driver")
    ask.add_argument("--state", help="YAML/JSON mapping of VSS path to value, applied before the turn")
    ask.add_argument("--json", action="store_true", help="print the whole TurnResult")
    ask.set_defaults(func=_cmd_ask)

    chat = sub.add_parser("chat", help="interactive session in the terminal")
    chat.add_argument("--seat", choices=SEATS, default="driver")
    chat.add_argument("--record", metavar="FILE.yaml", help="write the session as a scenario file")
    chat.set_defaults(func=_cmd_chat)

    login = sub.add_parser("login", help="print a one-time login link for the web cockpit of a running stack")
    login.add_argument(
        "--url", default="http://127.0.0.1:8700", help="the orchestrator (default %(default)s)"
    )
    add_token_option(login)
    login.set_defaults(func=_cmd_login)

    agents = sub.add_parser("agents", help="the agents' Agent Cards")
    agents.add_argument("--json", action="store_true")
    agents.set_defaults(func=_cmd_agents)

    tools = sub.add_parser("tools", help="MCP tools with the guardrail rules that apply")
    tools.add_argument("--json", action="store_true")
    tools.add_argument(
        "--check",
        nargs="?",
        const="",
        metavar="PACKAGE|PATH",
        help="validate tool plugins (schemas, rules, examples): an installed package, a package "
        "directory, or every installed plugin",
    )
    tools.set_defaults(func=_cmd_tools)
    new = sub.add_parser("new", help="scaffold a tool or agent plugin package (docs/extending.md)")
    new.add_argument("kind", choices=("tool", "agent"))
    new.add_argument("name", help="lower-case name, e.g. seat_massage")
    new.add_argument("--dir", default=".", help="where to create cabin-NAME/ (default: here)")
    new.set_defaults(func=_cmd_new)

    bench = sub.add_parser("bench", help="performance figures")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--only", action="append", help="run only this section (repeatable)")
    bench.add_argument(
        "--url", help="also measure a running stack (cabin run) at this URL, e.g. http://127.0.0.1:8700"
    )
    bench.add_argument(
        "--agent-url", default="http://127.0.0.1:8711", help="the vehicle-control agent of that stack"
    )
    bench.add_argument("--load-s", type=float, default=30.0, help="seconds of the 50-session load run")
    bench.add_argument(
        "--memory",
        action="store_true",
        help="start a cabin run stack and print each process's PSS, fresh and after --turns turns",
    )
    bench.add_argument("--turns", type=int, default=200, help="turns before the second memory reading")
    bench.add_argument(
        "--readings", type=int, default=4, help="memory totals read this many times along the turns"
    )
    bench.add_argument(
        "--profile",
        choices=("default", "compact"),
        default="default",
        help="with --memory: the cabin run profile to measure",
    )
    bench.add_argument(
        "--sweep",
        metavar="N,N,...",
        help="with --url: concurrent sessions at each level, e.g. 1,5,10,25,50 (turns/s, p50/p95, errors)",
    )
    bench.add_argument("--sweep-s", type=float, default=10.0, help="seconds at each --sweep level")
    add_token_option(bench)
    bench.add_argument(
        "--ood",
        metavar="FILE.jsonl",
        help="run these utterances through the whole stack and count actuations",
    )
    bench.add_argument(
        "--startup",
        action="store_true",
        help="CPU and wall time of --help, tools and ask, each in fresh processes (docs/performance.md)",
    )
    bench.add_argument("--runs", type=int, default=3, help="with --startup: runs of each command")
    bench.set_defaults(func=_cmd_bench)

    from models.cli import register as register_models

    from .evaluation.cli import register as register_evaluation
    from .replay.cli import register as register_replay
    from .routing.cli import register as register_router

    register_models(sub)
    register_replay(sub)
    register_router(sub)
    register_evaluation(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # The environment as it was given, before the commands' packages set their defaults in it (the
    # models package's spin count for llama.cpp's threads): `cabin bench --startup` runs commands in it.
    started_with = dict(os.environ)
    given = list(sys.argv[1:] if argv is None else argv)
    if given[:1] == ["ask"]:
        _one_shot_threads()  # before build_parser() imports the models package (ONE_SHOT_THREADS)
    parser = build_parser()
    args = parser.parse_args(argv)
    args.started_with = started_with
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
