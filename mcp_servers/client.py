"""Connecting to cabin's MCP servers with the official client: in memory, or over HTTP with a token."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import MCPServer

ClientMode = Literal["auto", "legacy"]


@contextlib.asynccontextmanager
async def mcp_client(
    target: str | MCPServer[Any],
    *,
    token: str | None = None,
    mode: ClientMode = "auto",
    timeout_s: float = 30.0,
) -> AsyncIterator[Client]:
    """A connected client for ``target``: an in-process server, or the URL of a streamable HTTP endpoint
    (``http://127.0.0.1:8701/mcp``) reached with ``Authorization: Bearer <token>`` when given. The
    HTTP connection pool is closed with the client."""
    if not isinstance(target, str):
        async with Client(target, raise_exceptions=True, mode=mode) as client:
            yield client
        return
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(timeout_s)) as http,
        Client(streamable_http_client(target, http_client=http), mode=mode) as client,
    ):
        yield client
