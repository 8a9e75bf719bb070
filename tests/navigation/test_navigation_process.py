"""The navigation server as a real process: over stdio, and over streamable HTTP on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from mcp_servers.navigation import DEFAULT_POSITION, MapInfo, PoiSearchResult, Route

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN = "process-test-token"

pytestmark = pytest.mark.realprocess


def _environment(home: Path) -> dict[str, str]:
    """This process's environment without map or token settings, with a private CABIN_HOME."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("CABIN_MAP_PBF", "CABIN_MCP_TOKEN")}
    return {**inherited, "CABIN_HOME": str(home)}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_stdio_server_answers_through_the_official_client(tmp_path: Path) -> None:
    parameters = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.navigation", "--transport", "stdio"],
        cwd=str(REPO_ROOT),
        env={"CABIN_HOME": str(tmp_path)},
    )
    async with Client(parameters, read_timeout_seconds=60) as client:
        tools = await client.list_tools()
        search = await client.call_tool(
            "search_pois",
            {
                "latitude": DEFAULT_POSITION.latitude,
                "longitude": DEFAULT_POSITION.longitude,
                "category": "parking",
            },
        )
        found = PoiSearchResult.model_validate(search.structured_content)
        route = await client.call_tool(
            "route",
            {
                "from_lat": DEFAULT_POSITION.latitude,
                "from_lon": DEFAULT_POSITION.longitude,
                "poi_id": found.pois[0].poi_id,
            },
        )
        refused = await client.call_tool("describe_poi", {"poi_id": "not-an-id"})
    assert {tool.name for tool in tools.tools} >= {"search_pois", "route", "describe_poi", "categories"}
    assert Route.model_validate(route.structured_content).distance_m > 0
    assert refused.is_error


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcp_servers.navigation",
            "--transport",
            "http",
            "--port",
            str(port),
            "--token",
            TOKEN,
        ],
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_environment(tmp_path),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited: {(tmp_path / 'server.log').read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not start within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def test_http_server_requires_the_bearer_token(http_server: str) -> None:
    async with httpx.AsyncClient() as http:
        refused = await http.post(
            f"{http_server}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        )
    assert refused.status_code == 401
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}) as authorised:
        transport = streamable_http_client(f"{http_server}/mcp", http_client=authorised)
        async with Client(transport) as client:
            result = await client.call_tool("map_info", {})
    info = MapInfo.model_validate(result.structured_content)
    assert info.source == "Helsinki.osm.pbf"
    assert info.bounds.contains(DEFAULT_POSITION)
