"""What the cockpit shows of the perception feed: the latest camera frame with the text read on it
(each line's box), the recognised signs and the objects around the car.

The driver-state estimate is not here: it is ``Vehicle.Driver.*`` in the vehicle server, which the
cockpit reads with the rest of the car.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import threading
from abc import ABC, abstractmethod
from typing import Any, TypeVar

import anyio.to_thread
from mcp import Client
from mcp.server import MCPServer
from pydantic import BaseModel, Field, ValidationError

from mcp_servers.client import McpLink
from mcp_servers.perception.errors import NO_FRAME, NoFrameError, NoImageError, PerceptionError
from mcp_servers.perception.images import decode_image, inspect_image, read_image_bytes
from mcp_servers.perception.models import (
    FrameImage,
    FrameResult,
    ImageInfo,
    ObjectReport,
    OcrLine,
    PerceptionFrame,
    RecognisedSign,
    SignTextResult,
)
from mcp_servers.perception.ocr import TextReader, shared_reader
from mcp_servers.perception.regions import analyse
from mcp_servers.perception.sources import PerceptionSource


class PerceptionSnapshot(BaseModel):
    """``GET /v1/perception``: the latest frame as the cockpit draws it."""

    source: str = Field(description="the feed: simulated, injected, ...")
    timestamp: float
    age_s: float = Field(description="how old the frame is, in seconds")
    objects: list[ObjectReport]
    signs: list[RecognisedSign]
    image: ImageInfo | None = Field(description="the camera frame (its bytes: GET /v1/perception/image)")
    lines: list[OcrLine] = Field(description="text read on the frame, each with its box in image pixels")
    ocr_engine: str | None = None


class PerceptionFeed(ABC):
    """Where the orchestrator sees what perception sees.

    Contract: ``snapshot()`` describes the latest frame, ``image()`` gives its camera image as
    ``(bytes, media type)``. Both raise :class:`~mcp_servers.perception.errors.PerceptionError`
    (``NoFrameError`` before the first frame, ``NoImageError`` for a frame without an image, ``OcrError``
    when the text reader fails); nothing else escapes. Reading text is slow: an implementation reads
    each frame once, never once per call.
    """

    @abstractmethod
    async def snapshot(self) -> PerceptionSnapshot: ...

    @abstractmethod
    async def image(self) -> tuple[bytes, str]: ...


class SourceFeed(PerceptionFeed):
    """A feed over a :class:`~mcp_servers.perception.sources.PerceptionSource` in this process, reading
    the text of each camera frame with the on-device OCR (``reader``, default the process-wide one)."""

    def __init__(self, source: PerceptionSource, reader: TextReader | None = None) -> None:
        self.source = source
        self._reader = reader
        self._lock = threading.Lock()
        self._read: tuple[PerceptionFrame, list[OcrLine], str] | None = None

    def _lines(self, frame: PerceptionFrame) -> tuple[list[OcrLine], str | None]:
        if frame.image is None:
            return [], None
        with self._lock:
            if self._read is None or self._read[0] is not frame:
                reader = self._reader or shared_reader()
                reading = reader.read(read_image_bytes(frame.image))
                self._read = (frame, list(reading.lines), reading.engine)
            return self._read[1], self._read[2]

    def _snapshot(self) -> PerceptionSnapshot:
        frame = self.source.latest()
        now = self.source.now()
        stamp = frame.timestamp if frame.timestamp is not None else now
        lines, engine = self._lines(frame)
        return PerceptionSnapshot(
            source=self.source.kind,
            timestamp=stamp,
            age_s=round(max(now - stamp, 0.0), 3),
            objects=analyse(frame.objects, "all"),
            signs=list(frame.signs),
            image=None if frame.image is None else inspect_image(frame.image),
            lines=lines,
            ocr_engine=engine,
        )

    def _image(self) -> tuple[bytes, str]:
        frame = self.source.latest()
        if frame.image is None:
            raise NoImageError("the latest perception frame has no camera image")
        data = read_image_bytes(frame.image)
        _, media_type = decode_image(data)
        return data, media_type

    async def snapshot(self) -> PerceptionSnapshot:
        return await anyio.to_thread.run_sync(self._snapshot)

    async def image(self) -> tuple[bytes, str]:
        return await anyio.to_thread.run_sync(self._image)


_Result = TypeVar("_Result", bound=BaseModel)

MCP_TIMEOUT_S = 30.0
"""How long one call to the perception MCP server may take (reading text on a frame is the slow one)."""


class McpFeed(PerceptionFeed):
    """A feed read over MCP from the perception server of another process (``cabin run``): the frame
    from ``get_frame``, its text from ``read_sign_text`` (once per frame: kept until the frame's
    timestamp changes), its image from ``get_frame_image``. ``target`` is the server's endpoint URL,
    reached with ``token`` (the orchestrator's read-only token there), or an in-process server.

    Before the first frame it raises ``NoFrameError`` (the server's tool error says ``NO_FRAME``); a
    server that cannot be reached, another tool error or an answer of the wrong shape raises
    :class:`~mcp_servers.perception.errors.PerceptionError` naming it; the next call connects again.
    """

    def __init__(
        self, target: str | MCPServer[Any], token: str | None = None, *, timeout_s: float = MCP_TIMEOUT_S
    ) -> None:
        self.timeout_s = timeout_s
        self._link = McpLink(target, name="perception", token=token, timeout_s=timeout_s)
        self._read_lock = asyncio.Lock()
        self._read: tuple[float, list[OcrLine], str] | None = None

    async def aclose(self) -> None:
        await self._link.aclose()

    async def _call(self, tool: str, shape: type[_Result]) -> _Result:
        try:
            async with asyncio.timeout(self.timeout_s):
                client: Client = await self._link.client()
                result = await client.call_tool(tool, {})
        except Exception as exc:  # any transport or protocol failure: this connection is done
            await self._link.drop()
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise PerceptionError(f"the perception server is not answering ({reason})") from exc
        if result.is_error:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            if NO_FRAME in text:
                raise NoFrameError(NO_FRAME)
            raise PerceptionError(f"{tool}: {text.removeprefix('Error executing tool ')}")
        try:
            return shape.model_validate(result.structured_content or {})
        except ValidationError as exc:
            raise PerceptionError(
                f"{tool}: the perception server answered an unexpected shape ({exc})"
            ) from exc

    async def _lines(self, frame: FrameResult) -> tuple[list[OcrLine], str | None]:
        if frame.image is None:
            return [], None
        async with self._read_lock:
            if self._read is None or self._read[0] != frame.timestamp:
                reading = await self._call("read_sign_text", SignTextResult)
                self._read = (frame.timestamp, list(reading.lines), reading.engine)
            return self._read[1], self._read[2]

    async def snapshot(self) -> PerceptionSnapshot:
        frame = await self._call("get_frame", FrameResult)
        lines, engine = await self._lines(frame)
        return PerceptionSnapshot(
            source=frame.source,
            timestamp=frame.timestamp,
            age_s=frame.age_s,
            objects=frame.objects,
            signs=frame.signs,
            image=frame.image,
            lines=lines,
            ocr_engine=engine,
        )

    async def image(self) -> tuple[bytes, str]:
        try:
            image = await self._call("get_frame_image", FrameImage)
        except PerceptionError:
            # A frame without a camera image is a 404, not a failure: ask what the frame is.
            if (await self._call("get_frame", FrameResult)).image is None:
                raise NoImageError("the latest perception frame has no camera image") from None
            raise
        try:
            data = base64.b64decode(image.data, validate=True)
        except binascii.Error as exc:
            raise PerceptionError(f"get_frame_image: the image is not base64 ({exc})") from exc
        return data, image.media_type
