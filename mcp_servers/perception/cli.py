"""Command line: ``python -m mcp_servers.perception --transport stdio|http [--port 8703] [--inject]``."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import anyio
import uvicorn
from mcp.server import MCPServer

from mcp_servers.http import KEEP_ALIVE_S
from mcp_servers.perception.auth import READ_TOKEN_ENV, TOKEN_ENV, check_token
from mcp_servers.perception.errors import PerceptionError
from mcp_servers.perception.server import DEFAULT_PORT, build_server, http_app
from mcp_servers.perception.sources import InjectedSource, PerceptionSource, SimulatedSource

_PROG = "python -m mcp_servers.perception"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be within 0..65535, got {port}")
    return port


def parser() -> argparse.ArgumentParser:
    """The command line parser."""
    cli = argparse.ArgumentParser(prog=_PROG, description="cabin perception feed: an MCP server.")
    cli.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="default: stdio")
    cli.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    cli.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    cli.add_argument(
        "--inject",
        action="store_true",
        help="serve pushed frames (push_frame tool) instead of the simulated scene",
    )
    cli.add_argument(
        "--token",
        default=None,
        help=f"HTTP bearer token (default: ${TOKEN_ENV}, else none); ${READ_TOKEN_ENV}: a second, "
        "read-only token",
    )
    cli.add_argument("--seed", type=int, default=0, help="seed of the simulated scene (default 0)")
    cli.add_argument("--ego-speed", type=float, default=30.0, help="simulated car speed, km/h (default 30)")
    cli.add_argument("--image-root", type=Path, default=None, help="pushed image paths must lie inside this")
    cli.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="warning",
        help="default: warning",
    )
    return cli


def _serve(server: MCPServer[Any], transport: Literal["stdio", "http"], args: argparse.Namespace) -> None:
    if transport == "stdio":
        anyio.run(server.run_stdio_async)
        return
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    read_token = os.environ.get(READ_TOKEN_ENV) or None
    app = http_app(
        server,
        token=check_token(token) if token is not None else None,
        read_token=check_token(read_token) if read_token is not None else None,
        host=args.host,
    )
    uvicorn.run(
        app, host=args.host, port=args.port, log_level=args.log_level, timeout_keep_alive=KEEP_ALIVE_S
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until its transport closes (stdio) or it is interrupted (HTTP)."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        source: PerceptionSource = (
            InjectedSource(image_root=args.image_root)
            if args.inject
            else SimulatedSource(seed=args.seed, ego_speed_kmh=args.ego_speed)
        )
        server = build_server(source, inject=args.inject)
        _serve(server, args.transport, args)
    except PerceptionError as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0
