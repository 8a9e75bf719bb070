"""The orchestrator's own view of the car: state reads and simulator injection through the vehicle MCP
server (operator client), never around it."""

from __future__ import annotations

import contextlib
from typing import Any

from mcp import Client
from mcp.server import MCPServer

from mcp_servers.client import mcp_client


class VehicleStateError(Exception):
    """The vehicle server refused or failed a state request; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class VehicleAccess:
    """A long-lived MCP connection to the vehicle server as the operator."""

    def __init__(self, target: str | MCPServer[Any], token: str | None = None) -> None:
        self.target = target
        self.token = token
        self._stack = contextlib.AsyncExitStack()
        self._client: Client | None = None

    async def __aenter__(self) -> VehicleAccess:
        self._client = await self._stack.enter_async_context(mcp_client(self.target, token=self.token))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._client = None
        await self._stack.aclose()

    @property
    def client(self) -> Client:
        if self._client is None:
            raise VehicleStateError("the vehicle server is not connected", 503)
        return self._client

    async def paths(self, prefix: str = "Vehicle") -> list[str]:
        listed = await self.client.call_tool("list_signals", {"prefix": prefix})
        if listed.is_error:
            raise VehicleStateError(_text(listed.content), 422)
        rows = (listed.structured_content or {}).get("result", [])
        return [row["path"] for row in rows]

    async def state(self, prefix: str = "Vehicle") -> dict[str, Any]:
        paths = await self.paths(prefix)
        if not paths:
            raise VehicleStateError(f"no signals under {prefix!r}", 404)
        result = await self.client.call_tool("get_signals", {"paths": paths})
        if result.is_error:
            raise VehicleStateError(_text(result.content), 502)
        return dict(result.structured_content or {})

    async def inject(self, values: dict[str, Any]) -> dict[str, Any]:
        result = await self.client.call_tool("simulate_signals", {"values": values})
        if result.is_error:
            message = _text(result.content)
            raise VehicleStateError(message, 409 if "connected to a vehicle" in message else 422)
        return dict(result.structured_content or {})

    async def healthy(self) -> bool:
        try:
            result = await self.client.call_tool("get_signals", {"paths": ["Vehicle.Speed"]})
        except Exception:
            return False
        return not result.is_error


def _text(content: object) -> str:
    parts = [getattr(block, "text", "") for block in content] if isinstance(content, list) else [str(content)]
    return " ".join(p for p in parts if p).removeprefix("Error executing tool ")
