"""Long-lived connections to the MCP servers, shared by all turns.

Opening an MCP connection costs more than the calls a turn makes over it (protocol discovery, the
tool list for output validation: about 100-200 ms over loopback HTTP against about 20 ms for a
call on an open connection), so each server gets one `McpLink` that stays open between turns.

The SDK's client must be entered and left in the same task (anyio cancel scopes), so a link runs a
small holder task that opens the client, hands it out, and waits until the link is dropped; turns
call the client from their own tasks, concurrently. A failed call drops the link (`drop`), and the
next `client()` opens a new connection, so a restarted server is picked up on the next turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from mcp import Client
from mcp.server import MCPServer

from agents.perception.errors import FeedUnreachableError
from mcp_servers.client import mcp_client

__all__ = ["McpLink"]

logger = logging.getLogger(__name__)

_CLOSE_GRACE_S = 2.0


class McpLink:
    """One MCP server's connection: opened on first use, reopened after `drop`, closed by `aclose`.

    `target` is an in-process `MCPServer` or a streamable-HTTP endpoint URL (with `token` sent as a
    bearer token); `timeout_s` is the HTTP client's per-request limit. The link binds to the event
    loop of its first use. Safe for concurrent callers.
    """

    def __init__(
        self, target: str | MCPServer[Any], *, name: str, token: str | None, timeout_s: float
    ) -> None:
        self._target = target
        self._name = name
        self._token = token
        self._timeout_s = timeout_s
        self._lock: asyncio.Lock | None = None
        self._client: Client | None = None
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
        """The open client, connecting first when there is none. Raises FeedUnreachableError (or the
        connection's own error) when the server cannot be reached."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._closed:
                raise FeedUnreachableError(f"the connection to the {self._name} server is closed")
            if self._client is not None and self.is_open:
                return self._client
            await self._release()
            loop = asyncio.get_running_loop()
            ready: asyncio.Future[Client] = loop.create_future()
            # Retrieve a failure even when no caller waits for it any more.
            ready.add_done_callback(lambda future: future.cancelled() or future.exception())
            stop = asyncio.Event()
            holder = loop.create_task(self._hold(ready, stop), name=f"mcp-link:{self._name}")
            self._holder, self._stop = holder, stop
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
            async with mcp_client(self._target, token=self._token, timeout_s=self._timeout_s) as client:
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
                ready.set_exception(FeedUnreachableError(f"the {self._name} server connection was cancelled"))
