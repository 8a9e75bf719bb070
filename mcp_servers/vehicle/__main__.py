"""The vehicle MCP server on its own.

``python -m mcp_servers.vehicle --transport stdio|http [--port 8701] [--state FILE] [--persist FILE]
[--audit FILE] [--catalog VSS_JSON]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from .app import VehicleApp, VehicleConfig
from .errors import VehicleError


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mcp_servers.vehicle", description=__doc__)
    parser.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8701)
    parser.add_argument("--state", type=Path, help="YAML/JSON mapping of VSS path to initial value")
    parser.add_argument(
        "--catalog", type=Path, help="a VSS JSON export to use instead of the built-in catalog"
    )
    parser.add_argument(
        "--backend",
        choices=["simulator", "kuksa"],
        default=None,
        help="default: kuksa when CABIN_KUKSA_ADDRESS is set, else the simulator",
    )
    parser.add_argument(
        "--persist",
        type=Path,
        help="keep the simulated car's state in this JSON file across restarts: restored at start "
        "(it wins over --state), written on every change",
    )
    parser.add_argument("--audit", type=Path, help="append-only audit log (JSONL); default: none")
    parser.add_argument(
        "--client",
        default="operator",
        help="client profile served over stdio (operator, vehicle-control, navigation, ...)",
    )
    parser.add_argument(
        "--tokens",
        type=Path,
        help="JSON file {token: client profile} for HTTP; CABIN_MCP_TOKEN adds an operator token",
    )
    parser.add_argument("--insecure", action="store_true", help="HTTP without tokens (local experiments)")
    parser.add_argument(
        "--anti-pinch", action="store_true", help="the platform has anti-pinch protection (GR-08)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tokens: dict[str, str] = {}
    if args.tokens is not None:
        try:
            tokens.update(json.loads(args.tokens.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            print(f"error: {args.tokens}: cannot read tokens ({exc})", file=sys.stderr)
            return 2
    if os.environ.get("CABIN_MCP_TOKEN"):
        tokens[os.environ["CABIN_MCP_TOKEN"]] = "operator"
    config = VehicleConfig(
        catalog=args.catalog,
        state=args.state,
        backend=args.backend,
        audit=args.audit,
        persist=args.persist,
        anti_pinch=args.anti_pinch,
    )
    try:
        app = VehicleApp.create(config)
    except VehicleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if app.restored.restored:
        print(
            f"vehicle state restored from {app.restored.state_file} (saved {app.restored.saved_at})",
            file=sys.stderr,
        )
    if args.transport == "stdio":
        asyncio.run(app.run_stdio(client=args.client))
        return 0
    if not tokens and not args.insecure:
        print(
            "error: HTTP needs --tokens FILE or CABIN_MCP_TOKEN (or --insecure for local experiments)",
            file=sys.stderr,
        )
        return 2
    app.run_http(args.host, args.port, tokens)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
