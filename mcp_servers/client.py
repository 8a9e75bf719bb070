"""Connecting to cabin's MCP servers with the official client: in memory, or over HTTP with a token.

`mcp_client` opens one connection for a `with` block. `McpLink` keeps one open between a service's
requests: opening an MCP connection costs more than the calls a request makes over it (protocol
discovery, the tool list for output validation, a TLS-ready HTTP client: tens of milliseconds over
loopback against a few for a call on an open connection).

The SDK's client must be entered and left in the same task (anyio cancel scopes), so a link runs a
small holder task that opens the client, hands it out, and waits until the link is dropped; requests
call the client from their own tasks, concurrently. A failed call should `drop` the link, and the
next `client()` opens a new connection, so a restarted server is picked up on the next request.

The SDK's session keeps each listed tool's output schema, as parsed from the listing, to check the
tools' results; the vehicle server lists 33 tools to the vehicle-control agent, 29 of them with the
same schema, and each session kept one copy per tool (most of 1.9 MiB of Python objects the compact
process parsed from the listings and kept). A link makes the session's equal schemas one shared object
once the session holds them (`share_output_schemas`); the checks read equal schemas as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import ssl
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server import MCPServer

__all__ = ["ClientMode", "McpLink", "McpLinkError", "mcp_client", "share_output_schemas"]

logger = logging.getLogger(__name__)

ClientMode = Literal["auto", "legacy"]

_CLOSE_GRACE_S = 2.0


class McpLinkError(ConnectionError):
    """The link is closed, or its connection was cancelled before it opened."""


def share_output_schemas(client: Client) -> bool:
    """Make the output schemas the client's session keeps for its listed tools one object per distinct
    schema (equal as canonical JSON). False when the session holds no listing yet (it lists the tools on
    its first call), True once it did the sharing. The session's private table is read defensively: a
    session without one is left as it is (False)."""
    schemas = getattr(client.session, "_tool_output_schemas", None)
    if not isinstance(schemas, dict) or not schemas:
        return False
    distinct: dict[str, object] = {}
    for name, schema in list(schemas.items()):
        if schema is None:
            continue
        schemas[name] = distinct.setdefault(json.dumps(schema, sort_keys=True), schema)
    return True


@functools.cache
def _tls() -> ssl.SSLContext:
    # Building a default TLS context reads the system's CA bundle: do it once per process, not per
    # connection (every HTTP client builds one, even for plain-HTTP loopback URLs).
    return ssl.create_default_context()


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
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(timeout_s), verify=_tls()) as http,
        Client(streamable_http_client(target, http_client=http), mode=mode) as client,
    ):
        yield client


class McpLink:
    """One MCP server's connection: opened on first use, reopened after `drop`, closed by `aclose`.

    `target` is an in-process `MCPServer` or a streamable-HTTP endpoint URL (with `token` sent as a
    bearer token); `timeout_s` is the HTTP client's per-request limit; `mode="legacy"` uses the
    2025-11-25 handshake. The link binds to the event loop of its first use. Safe for concurrent
    callers.
    """

    def __init__(
        self,
        target: str | MCPServer[Any],
        *,
        name: str,
        token: str | None,
        timeout_s: float,
        mode: ClientMode = "auto",
    ) -> None:
        self._target = target
        self._name = name
        self._token = token
        self._timeout_s = timeout_s
        self._mode: ClientMode = mode
        self._lock: asyncio.Lock | None = None
        self._client: Client | None = None
        self._schemas_shared = False
        self._holder: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self._closed = False

    @property
    def name(self) -> str:
        """Which server this link reaches (for messages)."""
        return self._name

    @property
    def is_open(self) -> bool:
        """Whether a connection is open now."""
        return self._client is not None and self._holder is not None and not self._holder.done()

    async def client(self) -> Client:
        """The open client, connecting first when there is none. Raises McpLinkError (or the
        connection's own error) when the server cannot be reached."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._closed:
                raise McpLinkError(f"the connection to the {self._name} server is closed")
            if self._client is not None and self.is_open:
                if not self._schemas_shared:
                    self._schemas_shared = share_output_schemas(self._client)
                return self._client
            await self._release()
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[Client] = loop.create_future()
            # Retrieve a failure even when no caller waits for it any more.
            ready.add_done_callback(lambda future: future.cancelled() or future.exception())
            stop = asyncio.Event()
            holder = loop.create_task(self._hold(ready, stop), name=f"mcp-link:{self._name}")
            self._holder, self._stop = holder, stop
            self._schemas_shared = False
            try:
                self._client = await asyncio.shield(ready)
            except BaseException:
                # Connecting failed, or the caller gave up: leave no half-open connection behind.
                stop.set()
                holder.cancel()
                raise
            return self._client

    async def drop(self) -> None:
        """Close the connection (after a failed call); the next `client()` opens a new one."""
        if self._lock is None:
            return
        async with self._lock:
            await self._release()

    async def aclose(self) -> None:
        """Close the connection for good."""
        self._closed = True
        await self.drop()

    async def _release(self) -> None:
        holder, stop = self._holder, self._stop
        self._client, self._holder, self._stop = None, None, None
        if holder is None or stop is None:
            return
        stop.set()
        done, _ = await asyncio.wait({holder}, timeout=_CLOSE_GRACE_S)
        if not done:
            holder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await holder

    async def _hold(self, ready: asyncio.Future[Client], stop: asyncio.Event) -> None:
        try:
            async with mcp_client(
                self._target, token=self._token, mode=self._mode, timeout_s=self._timeout_s
            ) as client:
                ready.set_result(client)
                await stop.wait()
        except Exception as exc:
            # Any transport or protocol failure ends this connection; a later turn opens a new one.
            if not ready.done():
                ready.set_exception(exc)
            else:
                logger.info("the connection to the %s server ended: %s", self._name, exc)
        finally:
            if not ready.done():
                ready.set_exception(McpLinkError(f"the {self._name} server connection was cancelled"))
