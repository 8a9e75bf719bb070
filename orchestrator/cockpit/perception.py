"""What the cockpit shows of the perception feed: the latest camera frame with the text read on it
(each line's box), the recognised signs and the objects around the car.

The driver-state estimate is not here: it is ``Vehicle.Driver.*`` in the vehicle server, which the
cockpit reads with the rest of the car.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod

import anyio.to_thread
from pydantic import BaseModel, Field

from mcp_servers.perception.errors import NoImageError
from mcp_servers.perception.images import decode_image, inspect_image, read_image_bytes
from mcp_servers.perception.models import ImageInfo, ObjectReport, OcrLine, PerceptionFrame, RecognisedSign
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
