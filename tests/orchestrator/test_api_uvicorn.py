"""The front-end API behind a real uvicorn on a loopback port: bad input, and even an unexpected failure,
get an answer and leave the keep-alive connection usable for the front-end's next request; the event
stream needs the token; `cabin login` prints a link that logs a browser in once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from orchestrator.access import TOKEN_ENV, front_end_token
from orchestrator.api import create_app
from orchestrator.turn import Orchestrator
from orchestrator.vehicle import VehicleAccess
from tests.conftest import free_port

from .doubles import KeywordRouter, Route, directory

TOKEN = "front-end-token-for-tests"


class BrokenRouter(KeywordRouter):
    """Fails unexpectedly on 'explode' (a bug somewhere behind the API)."""

    async def route(
        self, text: str, *, available_agents: Collection[str] | None = None, budget_s: float = 0.8
    ) -> Route:
        if "explode" in text:
            raise RuntimeError("a bug behind the API")
        return await super().route(text, available_agents=available_agents, budget_s=budget_s)


@pytest.fixture
async def port() -> AsyncIterator[int]:
    agents, _ = directory()
    await agents.refresh()
    orchestrator = Orchestrator(BrokenRouter(), agents, agent_timeout_s=5.0)
    async with VehicleAccess(build_server(VehicleService(SimulatorBackend()), client="operator")) as vehicle:
        port = free_port()
        app = create_app(orchestrator, vehicle, front_end_token=TOKEN, base_url=f"http://127.0.0.1:{port}")
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
        )
        task = asyncio.create_task(server.serve())
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.02)
        assert server.started, "uvicorn did not start"
        try:
            yield port
        finally:
            server.should_exit = True
            await task


class Connection:
    """One HTTP/1.1 keep-alive connection, spoken by hand so nothing reconnects behind the test."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader, self.writer, self.port = reader, writer, port

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, dict[str, str], Any]:
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        async with asyncio.timeout(30):
            status_line = await self.reader.readline()
            assert status_line, "the server closed the connection"
            headers: dict[str, str] = {}
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            payload = await self.reader.readexactly(int(headers["content-length"]))
        return int(status_line.split()[1]), headers, json.loads(payload)


@pytest.fixture
async def connection(port: int) -> AsyncIterator[Connection]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield Connection(reader, writer, port)
    finally:
        writer.close()
        await writer.wait_closed()


GOOD_TURN = json.dumps({"text": "set the temperature to 20"}).encode()


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/v1/utterances", b'{"text": "heat my seat \\ud800"}', 422),
        ("PUT", "/v1/vehicle/state", b'{"Vehicle.Speed": "\\ud800"}', 422),
        ("PUT", "/v1/vehicle/state", b'{"Vehicle.Sp\\ud800eed": 1}', 422),
        ("POST", "/v1/utterances", b'{"text": "explode"}', 500),
        ("POST", "/v1/utterances", b"\xff\xfe not utf-8", 422),
    ],
)
async def test_the_connection_stays_usable_after_bad_input(
    connection: Connection, method: str, path: str, body: bytes, status: int
) -> None:
    answered, headers, payload = await connection.request(method, path, body)
    assert answered == status, payload
    assert headers.get("connection") != "close"
    assert set(payload) == {"error", "detail", "problems"}
    turn_status, _, turn = await connection.request("POST", "/v1/utterances", GOOD_TURN)
    assert turn_status == 200, turn
    assert [action["outcome"] for action in turn["actions"]] == ["applied"]
    health_status, _, health = await connection.request("GET", "/healthz")
    assert health_status == 200 and health["status"] == "ok"


@pytest.mark.parametrize(
    ("authorization", "status"), [(f"Bearer {TOKEN}", 200), ("Bearer wrong", 401), (None, 401)]
)
async def test_the_event_stream_needs_the_token(port: int, authorization: str | None, status: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        auth = f"Authorization: {authorization}\r\n" if authorization else ""
        writer.write(f"GET /v1/events HTTP/1.1\r\nHost: localhost:{port}\r\n{auth}\r\n".encode())
        await writer.drain()
        async with asyncio.timeout(30):
            status_line = await reader.readline()
            headers = b""
            while (line := await reader.readline()) not in (b"\r\n", b""):
                headers += line.lower()
        assert int(status_line.split()[1]) == status
        expected = b"text/event-stream" if status == 200 else b"application/json"
        assert b"content-type: " + expected in headers
    finally:
        writer.close()
        await writer.wait_closed()


async def test_cabin_login_prints_a_link_that_logs_in_once(
    port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestrator.cli import main

    url = f"http://127.0.0.1:{port}"
    code = await asyncio.to_thread(main, ["login", "--url", url, "--token", TOKEN])
    assert code == 0
    link = capsys.readouterr().out.strip()
    assert link.startswith(f"{url}/login?code=")
    async with httpx.AsyncClient() as browser:
        assert (await browser.get(link)).status_code == 303
        assert (await browser.get(f"{url}/v1/agents")).status_code == 200
        assert (await browser.get(link)).status_code == 403
    refused = await asyncio.to_thread(main, ["login", "--url", url, "--token", "not-the-token"])
    assert refused == 1


def test_the_token_comes_from_the_option_then_the_environment_then_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_file = tmp_path / "operator-token"
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert front_end_token(None, token_file) is None
    token_file.write_text("from-the-file\n", encoding="utf-8")
    assert front_end_token(None, token_file) == "from-the-file"
    monkeypatch.setenv(TOKEN_ENV, "from-the-environment")
    assert front_end_token(None, token_file) == "from-the-environment"
    assert front_end_token("from-the-option", token_file) == "from-the-option"
