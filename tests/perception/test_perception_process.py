"""The perception server as a real process: over stdio, and over HTTP behind a bearer token."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ROOT = Path(__file__).resolve().parents[2]
FRAME = {
    "objects": [
        {"class": "car", "side": "behind", "distance_m": 4, "lane": "left", "rel_speed_kmh": 12},
        {"class": "bus", "side": "ahead", "distance_m": 30},
    ],
    "signs": [{"kind": "speed_limit", "value": 30}],
}

pytestmark = pytest.mark.realprocess


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_stdio_server_serves_pushed_frames() -> None:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.perception", "--transport", "stdio", "--inject"],
        cwd=ROOT,
    )
    async with Client(params, read_timeout_seconds=60) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "push_frame" in names
        pushed = await client.call_tool("push_frame", {"frame": FRAME})
        assert pushed.structured_content is not None
        assert pushed.structured_content["object_ids"] == ["car-1", "bus-2"]
        spot = await client.call_tool("get_objects", {"region": "blind_spot"})
        assert spot.structured_content is not None
        assert [item["id"] for item in spot.structured_content["objects"]] == ["car-1"]
        signs = await client.call_tool("get_signs", {})
        assert signs.structured_content is not None
        assert signs.structured_content["speed_limit_kmh"] == 30.0


READ_TOKEN = "perception-read-only-test-token"


@pytest.fixture
def http_server() -> Iterator[tuple[str, str]]:
    port = free_port()
    token = "perception-test-token"
    env = {**os.environ, "CABIN_MCP_TOKEN": token, "CABIN_MCP_READ_TOKEN": READ_TOKEN}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcp_servers.perception",
            "--transport",
            "http",
            "--port",
            str(port),
            "--seed",
            "4",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30.0
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"the server exited early with {process.returncode}: {stderr}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("the HTTP server did not start listening within 30 s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp", token
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


async def test_http_server_requires_the_bearer_token(http_server: tuple[str, str]) -> None:
    url, token = http_server
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    async with httpx.AsyncClient(timeout=10) as http:
        refused = await http.post(url, json=body)
    assert refused.status_code == 401
    # A client handed to the transport stays the caller's to close.
    async with create_mcp_http_client({"Authorization": f"Bearer {token}"}) as authorised:
        transport = streamable_http_client(url, http_client=authorised)
        async with Client(transport, read_timeout_seconds=60) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert "get_objects" in names
            assert "push_frame" not in names
            frame = await client.call_tool("get_frame", {})
            assert frame.structured_content is not None
            assert frame.structured_content["source"] == "simulated"
            assert len(frame.structured_content["objects"]) >= 2


async def test_the_read_only_token_reads_the_frame_and_its_image_and_calls_nothing_else(
    http_server: tuple[str, str],
) -> None:
    url, _ = http_server
    async with create_mcp_http_client({"Authorization": f"Bearer {READ_TOKEN}"}) as reader:
        async with Client(streamable_http_client(url, http_client=reader), read_timeout_seconds=60) as client:
            frame = await client.call_tool("get_frame", {})
            assert not frame.is_error and frame.structured_content is not None
            image = await client.call_tool("get_frame_image", {})
            assert not image.is_error and image.structured_content is not None
            assert image.structured_content["media_type"] == frame.structured_content["image"]["media_type"]
        call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "push_frame"}}
        refused = await reader.post(url, json=call)
    assert refused.status_code == 403
    assert "push_frame" in refused.json()["detail"]
