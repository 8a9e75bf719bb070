"""Command line of the perception-summary agent.

``python -m agents.perception --host 127.0.0.1 --port 8713 --vehicle-mcp-url URL --perception-mcp-url URL
[--token T] [--mcp-token T] [--operator-token T] [--task-store URL] [--insecure] [--model-phrasing]``

Tokens come from the flags or, when a flag is absent, from `CABIN_AGENT_TOKEN` (callers of this
agent), `CABIN_OPERATOR_TOKEN` (also accepted from callers) and `CABIN_MCP_TOKEN` (sent to both MCP
servers). Without an agent token the agent refuses to start unless `--insecure` is given.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from agents.hosting import HostingError, base_url_for, serve
from agents.perception.app import build_perception_app
from agents.perception.errors import PerceptionAgentError
from agents.perception.spec import DEFAULT_PORT
from models import ModelError, Runtime, open_runtime

__all__ = ["AGENT_TOKEN_ENV", "MCP_TOKEN_ENV", "OPERATOR_TOKEN_ENV", "main", "parser"]

AGENT_TOKEN_ENV = "CABIN_AGENT_TOKEN"
MCP_TOKEN_ENV = "CABIN_MCP_TOKEN"
OPERATOR_TOKEN_ENV = "CABIN_OPERATOR_TOKEN"

_PROG = "python -m agents.perception"


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, got {text!r}") from None
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"port must be within 1..65535, got {port}")
    return port


def parser() -> argparse.ArgumentParser:
    """The command line parser."""
    cli = argparse.ArgumentParser(
        prog=_PROG, description="cabin perception-summary agent (A2A): surroundings, signs, driver alertness."
    )
    cli.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    cli.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    cli.add_argument(
        "--vehicle-mcp-url", required=True, help="vehicle MCP server, e.g. http://127.0.0.1:8701/mcp"
    )
    cli.add_argument(
        "--perception-mcp-url", required=True, help="perception MCP server, e.g. http://127.0.0.1:8703/mcp"
    )
    cli.add_argument(
        "--token", default=None, help=f"bearer token callers must send (default: ${AGENT_TOKEN_ENV})"
    )
    cli.add_argument(
        "--mcp-token", default=None, help=f"bearer token for the MCP servers (default: ${MCP_TOKEN_ENV})"
    )
    cli.add_argument(
        "--operator-token",
        default=None,
        help=f"a further token callers may send (default: ${OPERATOR_TOKEN_ENV})",
    )
    cli.add_argument(
        "--task-store",
        default=None,
        help="memory:// (default) or sqlite:///path.db (tasks survive a restart)",
    )
    cli.add_argument(
        "--insecure", action="store_true", help="no bearer token for callers (local experiments)"
    )
    cli.add_argument(
        "--model-phrasing",
        action="store_true",
        help="let the on-device model rephrase answers about objects (kept only when grounded in the facts)",
    )
    cli.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="warning",
        help="default: warning",
    )
    return cli


def _from_env(value: str | None, name: str) -> str | None:
    if value is not None:
        return value
    return os.environ.get(name) or None


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the agent until SIGINT or SIGTERM; 2 for a configuration error."""
    cli = parser()
    args = cli.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    if args.insecure and (args.token is not None or args.operator_token is not None):
        cli.error("--insecure takes no --token or --operator-token")
    token = None if args.insecure else _from_env(args.token, AGENT_TOKEN_ENV)
    operator = None if args.insecure else _from_env(args.operator_token, OPERATOR_TOKEN_ENV)
    if token is None and not args.insecure:
        cli.error(f"callers need a token: give --token or set {AGENT_TOKEN_ENV} (or --insecure)")
    if token is None and operator is not None:
        cli.error("--operator-token needs an agent token as well")
    runtime: Runtime | None = None
    try:
        if args.model_phrasing:
            runtime = open_runtime()
        app = build_perception_app(
            args.vehicle_mcp_url,
            args.perception_mcp_url,
            runtime,
            base_url=base_url_for(args.host, args.port),
            token=token,
            extra_tokens=() if operator is None else (operator,),
            mcp_token=_from_env(args.mcp_token, MCP_TOKEN_ENV),
            task_store=args.task_store,
        )
    except (HostingError, PerceptionAgentError, ModelError) as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        if runtime is not None:
            asyncio.run(runtime.aclose())
        return 2
    try:
        serve(app, host=args.host, port=args.port, log_level=args.log_level)
    except KeyboardInterrupt:
        pass
    finally:
        if runtime is not None:
            asyncio.run(runtime.aclose())
    return 0
