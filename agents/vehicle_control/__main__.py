"""The vehicle-control agent on its own.

``python -m agents.vehicle_control [--host 127.0.0.1] [--port 8711] [--mcp-url URL] [--token TOKEN]
[--mcp-token TOKEN] [--operator-token TOKEN] [--task-store URL] [--insecure] [--no-model]``

Tokens may also come from the environment: ``CABIN_AGENT_TOKEN`` (callers of this agent),
``CABIN_MCP_TOKEN`` (this agent's token at the vehicle server), ``CABIN_OPERATOR_TOKEN`` (a second
token this agent accepts).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from agents.hosting import ConfigurationError, base_url_for, serve
from agents.vehicle_control.app import build_vehicle_control_app
from agents.vehicle_control.errors import SetupError
from agents.vehicle_control.interpreter import RuntimeSource

ENV_TOKEN = "CABIN_AGENT_TOKEN"
ENV_MCP_TOKEN = "CABIN_MCP_TOKEN"
ENV_OPERATOR_TOKEN = "CABIN_OPERATOR_TOKEN"
DEFAULT_MCP_URL = "http://127.0.0.1:8701/mcp"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m agents.vehicle_control",
        description="The vehicle-control A2A agent: requests in, vehicle MCP tool calls out.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8711)
    parser.add_argument(
        "--mcp-url", default=DEFAULT_MCP_URL, help=f"vehicle MCP endpoint (default {DEFAULT_MCP_URL})"
    )
    parser.add_argument("--token", help=f"bearer token callers must send (default: ${ENV_TOKEN})")
    parser.add_argument(
        "--mcp-token", help=f"bearer token for the vehicle server (default: ${ENV_MCP_TOKEN})"
    )
    parser.add_argument("--operator-token", help=f"a second accepted token (default: ${ENV_OPERATOR_TOKEN})")
    parser.add_argument(
        "--task-store", default="memory://", help="memory:// (default) or sqlite:///path/to/tasks.db"
    )
    parser.add_argument(
        "--insecure", action="store_true", help="accept calls without a token (local experiments)"
    )
    parser.add_argument("--no-model", action="store_true", help="sentence templates only, no on-device model")
    parser.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug", "trace"]
    )
    return parser.parse_args(argv)


def _model() -> RuntimeSource:
    from models import open_runtime

    return open_runtime


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.insecure and args.token:
        print("error: --insecure and --token exclude each other", file=sys.stderr)
        return 2
    token = None if args.insecure else (args.token or os.environ.get(ENV_TOKEN) or None)
    if token is None and not args.insecure:
        print(
            f"error: give --token (or set {ENV_TOKEN}), or --insecure for local experiments", file=sys.stderr
        )
        return 2
    operator = args.operator_token or os.environ.get(ENV_OPERATOR_TOKEN)
    extra = [operator] if operator and token is not None else []
    mcp_token = args.mcp_token or os.environ.get(ENV_MCP_TOKEN) or None
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper(), logging.INFO) if args.log_level != "trace" else 5
    )
    try:
        app = build_vehicle_control_app(
            args.mcp_url,
            token=token,
            base_url=base_url_for(args.host, args.port),
            extra_tokens=extra,
            mcp_token=mcp_token,
            task_store=args.task_store,
            runtime=None if args.no_model else _model(),
        )
    except (ConfigurationError, SetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Its grammar's templates are compiled each when a text first reaches it, not all before serving
    # (about 21 MiB and seconds of CPU for the whole set; docs/performance.md).
    serve(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
