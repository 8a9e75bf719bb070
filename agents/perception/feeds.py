"""Reading one turn's facts from the vehicle and perception MCP servers.

`FactReader.read(ask)` reads from both servers (in-process `MCPServer` objects or streamable-HTTP
URLs, over connections kept open between turns), calls only the read-only tools the question
needs, concurrently, and returns `Facts`:

| question skill | perception tools | vehicle tool |
|---|---|---|
| surroundings | `get_objects(region="all")` | `get_signals(DRIVER_SIGNALS)` |
| signs | `get_signs()`, plus `read_sign_text()` for "what did that sign say" | same |
| driver | none | same |

The vehicle signals are read on every turn, because the driving state (GR-12) and the driver's
state (GR-14) decide how long a reply may be. Every failure of one read becomes a `Gap` for that fact
and leaves the others standing; `read` itself raises nothing but cancellation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeAlias, TypeVar, cast
from urllib.parse import urlsplit, urlunsplit

import anyio
from mcp import Client
from mcp.server import MCPServer
from mcp_types import RequestParamsMeta, TextContent
from pydantic import BaseModel, ValidationError

from agents.perception.errors import FeedError, FeedToolError, FeedUnreachableError, SettingsError
from agents.perception.facts import (
    DRIVER_SIGNALS,
    DriverState,
    Facts,
    Gap,
    GapSource,
    ObjectsView,
    SignReading,
    SignsView,
)
from agents.perception.understanding import Ask
from mcp_servers.client import McpLink, McpLinkError

__all__ = ["FactReader", "McpTarget", "mcp_endpoint"]

logger = logging.getLogger(__name__)

McpTarget: TypeAlias = "str | MCPServer[Any]"
"""An in-process MCP server (tests, single-process runs) or the URL of a streamable-HTTP endpoint."""

_Model = TypeVar("_Model", bound=BaseModel)
_ERROR_PREFIX = "Error executing tool "


def mcp_endpoint(url: str) -> str:
    """`url` as a streamable-HTTP MCP endpoint: `http://host:port` gets the conventional `/mcp` path.

    Raises SettingsError for anything but an http(s) URL with a host.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"MCP server URL {url!r} must be http(s)://host[:port][/path]")
    path = parts.path if parts.path not in ("", "/") else "/mcp"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _error_text(result_content: list[Any]) -> str:
    for block in result_content:
        if isinstance(block, TextContent):
            text = block.text
            if text.startswith(_ERROR_PREFIX):
                _, _, text = text.partition(": ")
            return text.strip()
    return "the tool reported an error without a message"


def _classify(message: str) -> FeedToolError:
    lowered = message.lower()
    if "no perception frame" in lowered:
        return FeedToolError(message, reason="no_frame")
    if "no camera image" in lowered:
        return FeedToolError(message, reason="no_image")
    return FeedToolError(message, reason="error")


async def _call(client: Client, tool: str, arguments: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments, meta=cast(RequestParamsMeta, meta))
    if result.is_error:
        raise _classify(_error_text(list(result.content)))
    if result.structured_content is None:
        raise FeedUnreachableError(f"{tool} answered without structured content")
    content: dict[str, Any] = result.structured_content
    return content


def _parse(model: type[_Model], tool: str, content: dict[str, Any]) -> _Model:
    try:
        return model.model_validate(content)
    except ValidationError as exc:
        raise FeedUnreachableError(
            f"{tool} answered in an unexpected shape: {exc.errors()[0]['msg']}"
        ) from exc


class FactReader:
    """Reads facts for one question at a time from the two MCP servers.

    `token` is sent as `Authorization: Bearer <token>` to URL targets (ignored in process).
    `timeout_s` bounds each server's part of a turn (connecting included); `ocr_timeout_s` bounds
    the sign-text read, whose first call loads the OCR engine. Connections stay open between turns
    (`McpLink`); a read that fails drops its connection and is tried once more on a new one when the
    connection was an old one, so a restarted server is picked up. Safe for concurrent turns; call
    `aclose` when done.
    """

    def __init__(
        self,
        vehicle: McpTarget,
        perception: McpTarget,
        *,
        token: str | None = None,
        timeout_s: float = 5.0,
        ocr_timeout_s: float = 30.0,
    ) -> None:
        if timeout_s <= 0 or ocr_timeout_s <= 0:
            raise SettingsError("feed timeouts must be positive")
        vehicle_target = mcp_endpoint(vehicle) if isinstance(vehicle, str) else vehicle
        perception_target = mcp_endpoint(perception) if isinstance(perception, str) else perception
        self._vehicle = McpLink(vehicle_target, name="vehicle", token=token, timeout_s=timeout_s)
        self._perception = McpLink(
            perception_target, name="perception", token=token, timeout_s=max(timeout_s, ocr_timeout_s)
        )
        self._timeout_s = timeout_s
        self._ocr_timeout_s = ocr_timeout_s

    async def aclose(self) -> None:
        """Close both connections."""
        await self._vehicle.aclose()
        await self._perception.aclose()

    async def read(self, ask: Ask, *, meta: dict[str, Any] | None = None) -> Facts:
        """The facts `ask` needs; `meta` travels in each tool call's `_meta` (turn id, seat)."""
        call_meta = dict(meta or {})
        views: dict[str, object] = {}
        gaps: list[Gap] = []

        async def vehicle() -> None:
            async def work(client: Client) -> None:
                content = await _call(client, "get_signals", {"paths": list(DRIVER_SIGNALS)}, call_meta)
                views["vehicle"] = DriverState.from_signals(content)

            await self._session(self._vehicle, self._timeout_s, work, gaps, ("vehicle",), views)

        async def perception() -> None:
            wanted: list[GapSource] = []
            if ask.skill == "surroundings":
                wanted.append("objects")
            if ask.skill == "signs":
                wanted.append("signs")
            if ask.kind == "sign_text":
                wanted.append("sign_text")
            if not wanted:
                return

            async def work(client: Client) -> None:
                async with anyio.create_task_group() as group:
                    if "objects" in wanted:
                        group.start_soon(self._one, client, "objects", call_meta, views, gaps)
                    if "signs" in wanted:
                        group.start_soon(self._one, client, "signs", call_meta, views, gaps)
                    if "sign_text" in wanted:
                        group.start_soon(self._one, client, "sign_text", call_meta, views, gaps)

            limit = self._ocr_timeout_s if "sign_text" in wanted else self._timeout_s
            await self._session(self._perception, limit, work, gaps, tuple(wanted), views)

        async with anyio.create_task_group() as group:
            group.start_soon(vehicle)
            group.start_soon(perception)

        driver = views.get("vehicle")
        objects = views.get("objects")
        signs = views.get("signs")
        reading = views.get("sign_text")
        return Facts(
            objects=objects if isinstance(objects, ObjectsView) else None,
            signs=signs if isinstance(signs, SignsView) else None,
            reading=reading if isinstance(reading, SignReading) else None,
            driver=driver if isinstance(driver, DriverState) else DriverState(),
            gaps=tuple(gaps),
        )

    async def _one(
        self,
        client: Client,
        source: GapSource,
        meta: dict[str, Any],
        views: dict[str, object],
        gaps: list[Gap],
    ) -> None:
        """One perception read; a tool error becomes a gap for that source only."""
        try:
            if source == "objects":
                content = await _call(client, "get_objects", {"region": "all"}, meta)
                views[source] = _parse(ObjectsView, "get_objects", content)
            elif source == "signs":
                content = await _call(client, "get_signs", {}, meta)
                views[source] = _parse(SignsView, "get_signs", content)
            else:
                content = await _call(client, "read_sign_text", {}, meta)
                views[source] = _parse(SignReading, "read_sign_text", content)
        except FeedError as exc:
            gaps.append(Gap(source=source, reason=exc.reason, detail=str(exc)))

    async def _session(
        self,
        link: McpLink,
        limit_s: float,
        work: Callable[[Client], Awaitable[None]],
        gaps: list[Gap],
        sources: tuple[GapSource, ...],
        views: dict[str, object],
    ) -> None:
        """Run `work` on `link`'s client; on failure record a gap for every source not yet read."""
        name = link.name
        try:
            with anyio.fail_after(limit_s):
                for attempt in (1, 2):
                    reused = link.is_open
                    # A retry starts afresh: nothing of a failed attempt may stand.
                    gaps[:] = [gap for gap in gaps if gap.source not in sources]
                    for source in sources:
                        views.pop(source, None)
                    try:
                        await work(await link.client())
                        return
                    except McpLinkError as exc:
                        raise FeedUnreachableError(f"the {name} server: {exc}") from exc
                    except FeedError:
                        raise
                    except Exception:
                        await link.drop()
                        if attempt == 2 or not reused:
                            raise
                        logger.info("retrying the %s server on a new connection", name)
        except TimeoutError:
            await link.drop()
            detail = f"the {name} server did not answer within {limit_s:g} s"
            reason: FeedError = FeedUnreachableError(detail)
        except FeedError as exc:
            reason, detail = exc, str(exc)
        except Exception as exc:
            # The boundary to another process: a transport, protocol or server failure of any kind
            # must end as a named gap (GR-19), never as an exception in the middle of a turn.
            logger.warning("reading from the %s server failed: %s", name, exc, exc_info=True)
            detail = f"the {name} server could not be read ({type(exc).__name__})"
            reason = FeedUnreachableError(detail)
        recorded = {gap.source for gap in gaps}
        for source in sources:
            if source not in recorded and source not in views:
                gaps.append(Gap(source=source, reason=reason.reason, detail=detail))
