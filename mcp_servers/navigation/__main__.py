"""Command line: ``python -m mcp_servers.navigation --transport stdio|http [--port 8702] [--pbf FILE]``.

Also ``--host`` (default 127.0.0.1), ``--token`` (default ``$CABIN_MCP_TOKEN``) and ``--log-level``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import uvicorn

from mcp_servers.http import KEEP_ALIVE_S
from mcp_servers.navigation.config import DEFAULT_PORT, MAP_PBF_ENV
from mcp_servers.navigation.errors import MapDataError
from mcp_servers.navigation.osm_provider import OsmMapProvider
from mcp_servers.navigation.server import TOKEN_ENV, create_http_app, create_server


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mcp_servers.navigation",
        description="Offline navigation map MCP server. Map data © OpenStreetMap contributors, ODbL.",
    )
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--pbf", default=None, help=f"OSM PBF extract (default ${MAP_PBF_ENV}, else central Helsinki)"
    )
    parser.add_argument(
        "--token",
        default=None,
        help=f"bearer token HTTP requests must carry (default ${TOKEN_ENV}; none: open)",
    )
    parser.add_argument("--log-level", default="WARNING", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Load the map, then serve it over stdio or streamable HTTP until stopped."""
    args = _parser().parse_args(argv)
    try:
        provider = OsmMapProvider(args.pbf)
    except MapDataError as exc:
        print(f"navigation server: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    info = provider.info()
    print(
        f"navigation server: {info.source} loaded in {info.load_seconds:.2f} s "
        f"({'cache' if info.from_cache else 'parsed'}; {info.road_nodes} road nodes, {info.pois} places)",
        file=sys.stderr,
    )
    server = create_server(provider)
    if args.transport == "stdio":
        server.run("stdio")
        return 0
    token = args.token if args.token is not None else os.environ.get(TOKEN_ENV) or None
    app = create_http_app(server, provider, token=token, host=args.host)
    print(
        f"navigation server: http://{args.host}:{args.port}/mcp "
        f"({'bearer token required' if token else 'no token'})",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
