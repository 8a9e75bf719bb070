"""The agent's one connection to the vehicle MCP server, through the official MCP client.

`VehicleLink` opens the connection on first use and keeps it for every later turn (an
`mcp_servers.client.McpLink`), and turns running concurrently share it. A call that fails at the
transport drops the connection; the next call opens a fresh one, so the agent outlives a restart of
the vehicle server. Reads are retried once on a fresh connection; writes never are (a write that may
have reached the car is reported as failed, not sent twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from mcp import Client
from mcp.server import MCPServer
from mcp_types import CallToolResult, RequestParamsMeta, TextContent
from pydantic import JsonValue

from agents.vehicle_control.actions import ToolCatalog, WriteResult
from agents.vehicle_control.errors import VehicleUnavailableError
from mcp_servers.client import ClientMode, McpLink

__all__ = ["CallMeta", "ToolError", "VehicleLink"]

logger = logging.getLogger(__name__)

CallMeta = dict[str, JsonValue]
"""The `_meta` of a tool call: `cabin/seat`, `cabin/origin`, `cabin/turn_id` (each only when known)."""

_ERROR_PREFIX = "Error executing tool "

_T = TypeVar("_T")


class ToolError(Exception):
    """The server ran the tool and reported an error (bad arguments, expired confirmation token, ...)."""


class VehicleLink:
    """Calls vehicle MCP tools on `target`: an in-process `MCPServer` (tests) or a streamable HTTP URL.

    Over HTTP `token` is sent as `Authorization: Bearer <token>`; the server maps it to this agent's
    client profile (its write scope, GR-16). `timeout_s` bounds every call. Safe to use from any
    number of tasks of one event loop; `aclose` ends the connection.
    """

    def __init__(
        self,
        target: str | MCPServer[Any],
        *,
        token: str | None = None,
        timeout_s: float = 10.0,
        mode: ClientMode = "auto",
    ) -> None:
        self._target = target
        self._timeout_s = timeout_s
        self._link = McpLink(target, name="vehicle", token=token, timeout_s=timeout_s, mode=mode)
        self._catalog: ToolCatalog | None = None

    @property
    def target(self) -> str:
        """Where the vehicle server is: its URL, or `in-process`."""
        return self._target if isinstance(self._target, str) else "in-process"

    async def catalog(self) -> ToolCatalog:
        """The tools this agent may call, as the server lists them (listed once, then kept)."""
        if self._catalog is None:
            listing = await self._read(lambda client: client.list_tools())
            self._catalog = ToolCatalog.from_listing(
                [(tool.name, tool.input_schema) for tool in listing.tools]
            )
        return self._catalog

    async def read(self, paths: Sequence[str]) -> dict[str, JsonValue]:
        """Current values of VSS signals (`get_signals`); None where the car reports nothing."""
        result = await self._read(lambda client: client.call_tool("get_signals", {"paths": list(paths)}))
        if result.is_error or not isinstance(result.structured_content, dict):
            raise VehicleUnavailableError(f"reading {', '.join(paths)} failed: {_error_text(result)}")
        return dict(result.structured_content)

    async def write(self, tool: str, arguments: Mapping[str, JsonValue], meta: CallMeta) -> WriteResult:
        """Call a write tool once; raise ToolError when the server reports an error, VehicleUnavailableError
        when no answer came back (the write may or may not have happened)."""
        client = await self._connected()
        try:
            async with asyncio.timeout(self._timeout_s):
                result = await client.call_tool(
                    tool, dict(arguments), meta=cast(RequestParamsMeta, dict(meta))
                )
        except Exception as exc:
            await self._link.drop()
            raise VehicleUnavailableError(f"the vehicle server gave no answer to {tool}: {exc!r}") from exc
        if result.is_error:
            raise ToolError(_error_text(result))
        return WriteResult.from_content(result.structured_content)

    async def aclose(self) -> None:
        """Close the connection; later calls raise VehicleUnavailableError."""
        await self._link.aclose()

    # -- connection ----------------------------------------------------------------------------------

    async def _read(self, call: Callable[[Client], Awaitable[_T]]) -> _T:
        for attempt in (1, 2):
            client = await self._connected()
            try:
                async with asyncio.timeout(self._timeout_s):
                    return await call(client)
            except Exception as exc:
                await self._link.drop()
                if attempt == 2:
                    raise VehicleUnavailableError(
                        f"the vehicle server at {self.target} did not answer: {exc!r}"
                    ) from exc
                logger.info("vehicle server call failed (%r); reconnecting once", exc)
        raise AssertionError("unreachable")

    async def _connected(self) -> Client:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._link.client()
        except (TimeoutError, Exception) as exc:
            raise VehicleUnavailableError(
                f"cannot connect to the vehicle server at {self.target}: {exc}"
            ) from exc


def _error_text(result: CallToolResult) -> str:
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    text = " ".join(texts).strip() or "the tool reported an error"
    if text.startswith(_ERROR_PREFIX):
        # "Error executing tool set_window: <reason>" -> "<reason>"
        _, _, reason = text.partition(": ")
        text = reason or text
    return text
