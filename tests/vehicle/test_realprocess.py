"""Real processes: the vehicle server over stdio and streamable HTTP, driven by the official MCP client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, METHOD_NOT_FOUND

from mcp_servers.client import mcp_client
from mcp_servers.vehicle.guardrails import read_audit

from ..conftest import ROOT, free_port

pytestmark = pytest.mark.realprocess

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"


def stdio_params(*args: str) -> StdioServerParameters:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return StdioServerParameters(command=sys.executable, args=["-m", "mcp_servers.vehicle", *args], env=env)


@pytest.mark.rule("GR-06")
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_acceptance(tmp_path: Path, mode: str) -> None:
    moving = tmp_path / "moving.yaml"
    moving.write_text("Vehicle.Speed: 60\nVehicle.Powertrain.Transmission.SelectedGear: 127\n")
    async with Client(stdio_params("--transport", "stdio", "--state", str(moving)), mode=mode) as client:  # type: ignore[arg-type]
        trunk = await client.call_tool("set_signals", {"values": {"Vehicle.Body.Trunk.Rear.IsOpen": True}})
        assert trunk.structured_content is not None
        assert [r["rule_id"] for r in trunk.structured_content["refused"]] == ["GR-06"]
    async with Client(stdio_params("--transport", "stdio"), mode=mode) as client:  # type: ignore[arg-type]
        ok = await client.call_tool("set_signals", {"values": {TEMP: 22}})
        assert ok.structured_content == {
            "applied": {TEMP: 22.0},
            "refused": [],
            "needs_confirmation": None,
            "held_back": [],
            "driving_state": "parked",
        }
        hot = await client.call_tool("set_signals", {"values": {TEMP: 45}})
        assert (
            hot.structured_content is not None and hot.structured_content["refused"][0]["rule_id"] == "GR-03"
        )


def test_bad_state_file_fails_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("Vehicle.Speed: 60\nVehicle.Cabin.Warp: 9\n")
    done = subprocess.run(
        [sys.executable, "-m", "mcp_servers.vehicle", "--transport", "stdio", "--state", str(bad)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "bad.yaml:2: key Vehicle.Cabin.Warp: unknown signal" in done.stderr


@pytest.fixture
def http_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({"op-secret": "operator", "nav-secret": "navigation"}))
    audit = tmp_path / "audit.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcp_servers.vehicle",
            "--transport",
            "http",
            "--port",
            str(port),
            "--tokens",
            str(tokens),
            "--audit",
            str(audit),
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("vehicle server did not start")
        yield {"url": f"http://127.0.0.1:{port}/mcp", "process": process, "audit": audit, "port": port}
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.rule("GR-16")
@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_with_tokens(http_server: dict[str, Any], mode: str) -> None:
    url = http_server["url"]
    async with httpx.AsyncClient() as http:
        denied = await http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        wrong = await http.post(url, json={}, headers={"Authorization": "Bearer nope"})
    assert denied.status_code == 401 and denied.json()["detail"] == "missing bearer token"
    assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid bearer token"
    user = {"cabin/seat": "driver", "cabin/origin": "occupant"}
    async with mcp_client(url, token="op-secret", mode=mode) as operator:  # type: ignore[arg-type]
        done = await operator.call_tool("set_signals", {"values": {TEMP: 23}}, meta=user)
        assert done.structured_content is not None and done.structured_content["applied"] == {TEMP: 23.0}
    async with mcp_client(url, token="nav-secret", mode=mode) as navigation:  # type: ignore[arg-type]
        unlock = await navigation.call_tool(
            "set_signals", {"values": {"Vehicle.Cabin.Door.Row1.DriverSide.IsLocked": False}}, meta=user
        )
        assert unlock.structured_content is not None
        assert "GR-16" in {r["rule_id"] for r in unlock.structured_content["refused"]}


@pytest.mark.rule("GR-20")
async def test_audit_survives_kill_9(http_server: dict[str, Any]) -> None:
    user = {"cabin/seat": "driver", "cabin/origin": "occupant"}
    acknowledged = 0
    async with mcp_client(http_server["url"], token="op-secret") as client:
        for i in range(40):
            path = ("Vehicle.Cabin.Infotainment.Media.Volume", TEMP)[i % 2]
            value = 20 + i % 7
            result = await client.call_tool("set_signals", {"values": {path: value}}, meta=user)
            assert result.structured_content is not None
            acknowledged += 1
            if i == 25:
                os.kill(http_server["process"].pid, signal.SIGKILL)
                break
    http_server["process"].wait(timeout=10)
    records = read_audit(http_server["audit"])
    assert len(records) >= acknowledged
    assert [r["seq"] for r in records[:acknowledged]] == list(range(1, acknowledged + 1))
    assert {r["decision"] for r in records} <= {"intent", "applied", "refused"}
    # Write-ahead: every applied write names the intent record written before it.
    intents = {r["seq"] for r in records if r["decision"] == "intent"}
    applied = [r for r in records if r["decision"] == "applied"]
    assert applied and all(r["intent_seq"] in intents and r["intent_seq"] < r["seq"] for r in applied)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_protocol_edges(http_server: dict[str, Any], mode: str) -> None:
    async with mcp_client(http_server["url"], token="op-secret", mode=mode) as client:  # type: ignore[arg-type]
        with pytest.raises(MCPError) as unknown:
            await client.read_resource("vss://Vehicle.Cabin.Warp")
        assert unknown.value.code == INVALID_PARAMS
        assert client.server_capabilities.prompts is None
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("anything")
        assert prompt.value.code == METHOD_NOT_FOUND
        typo = await client.call_tool(
            "unlock_doors", {"confirm_tokn": "x"}, meta={"cabin/seat": "driver", "cabin/origin": "occupant"}
        )
        assert typo.is_error and "unknown argument 'confirm_tokn'" in str(typo.content)
