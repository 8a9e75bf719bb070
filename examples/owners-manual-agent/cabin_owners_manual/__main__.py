"""``python -m cabin_owners_manual [--host H] [--port P]``: serve the agent over A2A.

The bearer token the agent accepts is read from ``CABIN_AGENT_TOKEN`` (none: insecure, loopback only).
"""

from __future__ import annotations

import argparse
import os

from agents.hosting import build_agent_app, serve

from . import SPEC, ManualExecutor


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cabin_owners_manual", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args()
    base_url = f"http://{args.host}:{args.port}"
    token = os.environ.get("CABIN_AGENT_TOKEN") or None
    serve(
        build_agent_app(SPEC, ManualExecutor(), base_url=base_url, token=token),
        host=args.host,
        port=args.port,
    )


if __name__ == "__main__":
    main()
