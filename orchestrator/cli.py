"""The ``cabin`` command line (CONTRACTS.md §2)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from mcp import Client

from mcp_servers.vehicle.guardrails.rules import rules_for
from mcp_servers.vehicle.server import WRITES, build_server

from . import bench as bench_mod
from .stack import run_stack


def _cmd_run(args: argparse.Namespace) -> int:
    return run_stack(
        config=args.config, host=args.host, port=args.port, insecure=args.insecure, ui=not args.no_ui
    )


async def _list_tools() -> list[dict[str, Any]]:
    from mcp_servers.vehicle.app import VehicleApp

    app = VehicleApp.create()
    server = build_server(app.service)
    async with Client(server, raise_exceptions=True) as client:
        listed = await client.list_tools()
    rows: list[dict[str, Any]] = []
    for tool in listed.tools:
        annotations = tool.annotations
        rows.append(
            {
                "server": "vehicle",
                "name": tool.name,
                "description": (tool.description or "").strip().splitlines()[0] if tool.description else "",
                "read_only": bool(annotations and annotations.read_only_hint),
                "destructive": bool(annotations and annotations.destructive_hint),
                "rules": rules_for(WRITES[tool.name], app.service.catalog.paths)
                if tool.name in WRITES
                else [],
            }
        )
    return rows


def _cmd_tools(args: argparse.Namespace) -> int:
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


def _cmd_bench(args: argparse.Namespace) -> int:
    report = bench_mod.run_bench(args.only or None)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key}: {json.dumps(value)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cabin", description="On-device multi-agent in-car assistant.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="start the whole stack on loopback")
    run.add_argument("--config", help="YAML configuration file")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8700)
    run.add_argument("--no-ui", action="store_true", help="do not serve the web cockpit")
    run.add_argument("--insecure", action="store_true", help="no bearer tokens (local experiments only)")
    run.set_defaults(func=_cmd_run)

    tools = sub.add_parser("tools", help="MCP tools with the guardrail rules that apply")
    tools.add_argument("--json", action="store_true")
    tools.set_defaults(func=_cmd_tools)

    bench = sub.add_parser("bench", help="performance figures")
    bench.add_argument("--json", action="store_true")
    bench.add_argument("--only", action="append", help="run only this section (repeatable)")
    bench.set_defaults(func=_cmd_bench)

    from models.cli import register as register_models

    register_models(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except KeyboardInterrupt:
        return 130
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
