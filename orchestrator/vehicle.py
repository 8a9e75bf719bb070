"""The orchestrator's own view of the car: state reads and simulator injection through the vehicle MCP
server (operator client), never around it.

The connection is an :class:`~mcp_servers.client.McpLink`: its client lives in a task of its own, so
nothing that happens to the connection (the vehicle server killed and restarting, a request the
transport cannot send) can end the orchestrator's lifespan. A failed call drops the connection; the
next call opens a new one, no sooner than a backoff that doubles after every failed attempt (from
``RETRY_MIN_S`` up to ``RETRY_MAX_S``) and resets on success.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from mcp import Client
from mcp.server import MCPServer
from mcp.types import CallToolResult
from pydantic import ValidationError

from mcp_servers.client import McpLink
from mcp_servers.vehicle.service import AppliedWrite, TurnWrites

from .models import Action

logger = logging.getLogger(__name__)

RETRY_MIN_S = 0.05
RETRY_MAX_S = 0.5
CALL_TIMEOUT_S = 10.0
HEALTH_TIMEOUT_S = 2.0

READ_ONLY_BACKEND = "cannot be injected"
"""What the vehicle server's refusal of ``simulate_signals`` says when its backend is a real car
(``VehicleBackend.inject`` raising ``BackendReadOnly``)."""
IMPOSSIBLE_STATE = "rejected, nothing injected"
"""What the simulator's refusal says when the values, with the car's current state, would make a
physically impossible state (a door open and locked): a conflict with the state, not a bad value."""


class VehicleStateError(Exception):
    """The vehicle server refused or failed a state request; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class VehicleAccess:
    """A long-lived MCP connection to the vehicle server as the operator; reconnects by itself.

    Every method raises :class:`VehicleStateError` (never a transport error): 503 while the server
    cannot be reached, the server's own refusal otherwise. Safe for concurrent callers."""

    def __init__(
        self, target: str | MCPServer[Any], token: str | None = None, *, timeout_s: float = CALL_TIMEOUT_S
    ) -> None:
        self.target = target
        self.token = token
        self.timeout_s = timeout_s
        self._link = McpLink(target, name="vehicle", token=token, timeout_s=timeout_s)
        self._retry_at = 0.0
        self._backoff_s = RETRY_MIN_S
        self.reconnects = 0
        self.last_error: str | None = None
        self.described: list[dict[str, Any]] | None = None

    async def __aenter__(self) -> VehicleAccess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._link.aclose()

    async def _call(
        self, tool: str, arguments: dict[str, Any], timeout_s: float | None = None
    ) -> CallToolResult:
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            raise VehicleStateError(
                f"the vehicle server is not answering ({self.last_error}); next try in {wait:.1f} s", 503
            )
        try:
            async with asyncio.timeout(timeout_s or self.timeout_s):
                was_open = self._link.is_open
                client: Client = await self._link.client()
                if not was_open:
                    self.reconnects += 1
                result = await client.call_tool(tool, arguments)
        except Exception as exc:  # any transport or protocol failure: this connection is done
            await self._failed(exc)
            raise VehicleStateError(f"the vehicle server is not answering ({self.last_error})", 503) from exc
        self._backoff_s = RETRY_MIN_S
        self._retry_at = 0.0
        self.last_error = None
        return result

    async def _failed(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        logger.info("vehicle server call failed: %s", self.last_error)
        self._retry_at = time.monotonic() + self._backoff_s
        self._backoff_s = min(RETRY_MAX_S, self._backoff_s * 2)
        await self._link.drop()

    async def signals(self) -> list[dict[str, Any]]:
        """Every signal the vehicle server serves, as its ``list_signals`` describes them (path,
        datatype, min, max, allowed, ...). Read once; kept in :attr:`described`."""
        if self.described is None:
            listed = await self._call("list_signals", {"prefix": "Vehicle"})
            if listed.is_error:
                raise VehicleStateError(_text(listed.content), 502)
            self.described = list((listed.structured_content or {}).get("result", []))
        return self.described

    async def paths(self, prefix: str = "Vehicle") -> list[str]:
        listed = await self._call("list_signals", {"prefix": prefix})
        if listed.is_error:
            raise VehicleStateError(_text(listed.content), 422)
        rows = (listed.structured_content or {}).get("result", [])
        return [row["path"] for row in rows]

    async def state(self, prefix: str = "Vehicle") -> dict[str, Any]:
        paths = await self.paths(prefix)
        if not paths:
            raise VehicleStateError(f"no signals under {prefix!r}", 404)
        result = await self._call("get_signals", {"paths": paths})
        if result.is_error:
            raise VehicleStateError(_text(result.content), 502)
        return dict(result.structured_content or {})

    async def inject(self, values: dict[str, Any]) -> dict[str, Any]:
        """Set simulator values; 409 when the vehicle server's backend is a real car, or when the values
        would make an impossible state with the car's current one; 422 for a bad path or value."""
        result = await self._call("simulate_signals", {"values": values})
        if result.is_error:
            message = _text(result.content)
            if READ_ONLY_BACKEND in message:
                raise VehicleStateError(
                    f"the car's state cannot be set: simulated-state writes are a simulator feature and "
                    f"the vehicle server drives a real car ({message})",
                    409,
                )
            raise VehicleStateError(message, 409 if IMPOSSIBLE_STATE in message else 422)
        return dict(result.structured_content or {})

    async def turn_writes(self, turn_id: str) -> list[Action] | None:
        """What the car took under ``turn_id`` (actions with outcome ``applied``, ``agent`` the client
        that wrote), with the turn closed to later writes; None when the vehicle server cannot tell."""
        try:
            result = await self._call("turn_writes", {"turn_id": turn_id, "close": True})
        except VehicleStateError:
            return None
        if result.is_error:
            logger.warning("reading back turn %s failed: %s", turn_id, _text(result.content))
            return None
        writes = (result.structured_content or {}).get("applied", [])
        try:
            return [
                Action.model_validate(
                    {
                        "tool": w["tool"],
                        "arguments": w["arguments"],
                        "outcome": "applied",
                        "agent": w["client"],
                    }
                )
                for w in writes
            ]
        except (KeyError, TypeError, ValidationError) as exc:
            logger.warning("reading back turn %s: unexpected answer (%s)", turn_id, exc)
            return None

    async def written(self, turn_id: str) -> list[AppliedWrite] | None:
        """What the car took under ``turn_id``, each write with the values before it, the turn left
        open; None when the vehicle server cannot tell."""
        try:
            result = await self._call("turn_writes", {"turn_id": turn_id})
        except VehicleStateError:
            return None
        if result.is_error:
            logger.warning("reading turn %s failed: %s", turn_id, _text(result.content))
            return None
        try:
            return TurnWrites.model_validate(result.structured_content or {}).applied
        except ValidationError as exc:
            logger.warning("reading turn %s: unexpected answer (%s)", turn_id, exc)
            return None

    async def healthy(self) -> bool:
        """Whether the vehicle server answers a read now (within ``HEALTH_TIMEOUT_S``)."""
        try:
            result = await self._call("get_signals", {"paths": ["Vehicle.Speed"]}, HEALTH_TIMEOUT_S)
        except VehicleStateError:
            return False
        return not result.is_error


def _text(content: object) -> str:
    parts = [getattr(block, "text", "") for block in content] if isinstance(content, list) else [str(content)]
    return " ".join(p for p in parts if p).removeprefix("Error executing tool ")
