"""Command line: run the navigation agent on its own.

``python -m agents.navigation --host 127.0.0.1 --port 8712 --vehicle-mcp-url URL --nav-mcp-url URL
[--token T] [--mcp-token T] [--nav-mcp-token T] [--operator-token T] [--task-store URL] [--insecure]``

Tokens default to the environment: ``CABIN_AGENT_TOKEN`` (callers of this agent), ``CABIN_MCP_TOKEN``
(this agent towards the MCP servers), ``CABIN_NAV_MCP_TOKEN`` (the map server, when it differs),
``CABIN_OPERATOR_TOKEN`` (accepted as well as the agent token). Without an agent token the agent
refuses to start unless ``--insecure`` says to run without one.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from agents.hosting import ConfigurationError, base_url_for, serve
from agents.navigation.app import DEFAULT_PORT, build_navigation_app
from agents.navigation.errors import SettingsError

AGENT_TOKEN_ENV = "CABIN_AGENT_TOKEN"
MCP_TOKEN_ENV = "CABIN_MCP_TOKEN"
NAV_MCP_TOKEN_ENV = "CABIN_NAV_MCP_TOKEN"
OPERATOR_TOKEN_ENV = "CABIN_OPERATOR_TOKEN"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m agents.navigation",
        description="The navigation A2A agent: places and routes. Map data © OpenStreetMap contributors.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--vehicle-mcp-url", required=True, help="vehicle MCP server, e.g. http://127.0.0.1:8701/mcp"
    )
    parser.add_argument(
        "--nav-mcp-url", required=True, help="navigation map MCP server, e.g. http://127.0.0.1:8702/mcp"
    )
    parser.add_argument(
        "--token", default=None, help=f"bearer token callers must send (default ${AGENT_TOKEN_ENV})"
    )
    parser.add_argument(
        "--mcp-token", default=None, help=f"bearer token for the MCP servers (default ${MCP_TOKEN_ENV})"
    )
    parser.add_argument(
        "--nav-mcp-token",
        default=None,
        help=f"bearer token for the map server (default ${NAV_MCP_TOKEN_ENV}, else --mcp-token)",
    )
    parser.add_argument(
        "--operator-token", default=None, help=f"a second accepted token (default ${OPERATOR_TOKEN_ENV})"
    )
    parser.add_argument(
        "--task-store",
        default=None,
        help="memory:// (default) or sqlite:///path/to/tasks.db (survives restarts)",
    )
    parser.add_argument(
        "--insecure", action="store_true", help="accept calls without a token (local experiments)"
    )
    parser.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    return parser


def _setting(value: str | None, env: str) -> str | None:
    return value if value is not None else (os.environ.get(env) or None)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, build the agent and serve it until SIGINT or SIGTERM."""
    args = _parser().parse_args(argv)
    if args.insecure and args.token is not None:
        print("error: --insecure and --token exclude each other", file=sys.stderr)
        return 2
    token = None if args.insecure else _setting(args.token, AGENT_TOKEN_ENV)
    operator = None if args.insecure else _setting(args.operator_token, OPERATOR_TOKEN_ENV)
    if token is None and not args.insecure:
        print(
            f"error: the agent needs a token (--token or ${AGENT_TOKEN_ENV}), or --insecure to run without",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        base_url = base_url_for(args.host, args.port)
        app = build_navigation_app(
            args.vehicle_mcp_url,
            args.nav_mcp_url,
            base_url=base_url,
            token=token,
            operator_token=operator,
            mcp_token=_setting(args.mcp_token, MCP_TOKEN_ENV),
            nav_mcp_token=_setting(args.nav_mcp_token, NAV_MCP_TOKEN_ENV),
            task_store=args.task_store,
        )
    except (SettingsError, ConfigurationError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"navigation agent: {base_url} ({'bearer token required' if token else 'no token'}); "
        f"vehicle {args.vehicle_mcp_url}, map {args.nav_mcp_url}",
        file=sys.stderr,
        flush=True,
    )
    serve(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    sys.exit(main())
