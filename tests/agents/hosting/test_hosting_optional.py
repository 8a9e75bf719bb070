"""Optional parts of dependencies that cabin does not use stay unloaded in every process that serves
(agents/hosting/optional.py): an MCP server built the way `cabin run` builds one sets its logging up
without rich, and httpx is imported without its command-line client; each in a fresh interpreter, so
that nothing another test imported counts."""

from __future__ import annotations

import subprocess
import sys

_MCP_SERVER_WITHOUT_RICH = """
import logging, sys
from mcp_servers.perception.server import build_server
from mcp_servers.perception.sources import SimulatedSource
import httpx
server = build_server(SimulatedSource(seed=0, ego_speed_kmh=30.0), inject=False)
assert server is not None
loaded = sorted(m for m in sys.modules if m == "rich" or m.startswith(("rich.", "pygments", "httpx._main")))
assert not loaded, loaded
handlers = [type(h).__name__ for h in logging.getLogger().handlers]
assert handlers == ["StreamHandler"], handlers
"""


def test_an_mcp_server_logs_without_rich_and_httpx_without_its_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _MCP_SERVER_WITHOUT_RICH], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
