"""The perception MCP server: read-only tools over the latest perception frame, plus frame injection.

Tools (structured output; every failure is a tool error with a sentence saying what was wrong):

- ``get_objects(region="all")``: objects in a region with blind-spot and closing facts, nearest first;
- ``get_signs()``: recognised signs, the signs passed recently (with how long ago) and the speed limit
  in force, which outlasts its sign (see ``mcp_servers.perception.memory``);
- ``read_sign_text()``: on-device OCR of the latest camera image;
- ``describe_frame(question=None)``: the frame described in words by the configured describer;
- ``get_frame()``: the whole latest frame (image described, not sent);
- ``get_frame_image()``: the latest frame's camera image itself (base64, with its media type);
- ``push_frame(frame)``: only with injection enabled: make ``frame`` the latest frame.

Over HTTP a second, read-only token (``read_token``: the orchestrator's, for the cockpit) may call
only the tools in ``READ_ONLY_TOOLS``.

Driver monitoring (fatigue, attentiveness, eyes on road) is not served here: it is VSS
``Vehicle.Driver.*`` in the vehicle server.
"""

from __future__ import annotations

import base64
import threading
import time
from typing import Annotated, Any

import anyio.to_thread
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field
from starlette.types import ASGIApp

from mcp_servers.perception.auth import BearerTokenMiddleware
from mcp_servers.perception.describe import FrameDescriber, OcrFrameDescriber
from mcp_servers.perception.errors import ConfigError, NoImageError, PerceptionError
from mcp_servers.perception.images import decode_image, inspect_image, read_image_bytes
from mcp_servers.perception.memory import SignMemory
from mcp_servers.perception.models import (
    FrameDescription,
    FrameImage,
    FrameResult,
    ObjectsResult,
    PerceptionFrame,
    PushResult,
    Region,
    SignsResult,
    SignTextResult,
)
from mcp_servers.perception.ocr import TextReader, shared_reader
from mcp_servers.perception.regions import DEFAULT_THRESHOLDS, RegionThresholds, analyse, summarize
from mcp_servers.perception.signs import speed_limit_kmh, summarize_signs
from mcp_servers.perception.sources import InjectedSource, PerceptionSource, SimulatedSource
from mcp_servers.protocol import StrictMCPServer

SERVER_NAME = "cabin-perception"
DEFAULT_PORT = 8703

READ_ONLY_TOOLS = frozenset(
    {"get_objects", "get_signs", "read_sign_text", "describe_frame", "get_frame", "get_frame_image"}
)
"""The tools that change nothing: the only ones the read-only token may call."""

_READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
_INSTRUCTIONS = (
    "What the car's perception sees right now: objects around the car (with blind spots and fast "
    "approaching objects), recognised traffic signs, and text read from the camera image on the car itself. "
    "Every answer carries the frame's timestamp and age. Driver monitoring is in the vehicle server "
    "(Vehicle.Driver.*), not here."
)


def build_server(
    source: PerceptionSource | None = None,
    *,
    inject: bool = False,
    reader: TextReader | None = None,
    describer: FrameDescriber | None = None,
    thresholds: RegionThresholds = DEFAULT_THRESHOLDS,
) -> MCPServer[Any]:
    """An MCP server over ``source``.

    Without a source the server runs the simulated street scene, or, with ``inject=True``, an empty
    ``InjectedSource`` that ``push_frame`` fills. ``push_frame`` is registered only when ``inject`` is
    true, and then the source must be an ``InjectedSource``. OCR uses the process-wide reader unless
    ``reader`` is given; ``describer`` defaults to OCR-only description.
    """
    if source is None:
        source = InjectedSource() if inject else SimulatedSource()
    if inject and not isinstance(source, InjectedSource):
        raise ConfigError(f"inject=True needs an InjectedSource, got a {type(source).__name__}")
    text_reader = reader or shared_reader()
    frame_describer = describer or OcrFrameDescriber(text_reader)
    describer_lock = threading.Lock()
    memory = SignMemory()
    server: MCPServer[Any] = StrictMCPServer(
        SERVER_NAME, title="cabin perception feed", instructions=_INSTRUCTIONS, log_level="WARNING"
    )

    def latest() -> tuple[PerceptionFrame, float, float]:
        try:
            frame = source.latest()
        except PerceptionError as exc:
            raise ToolError(str(exc)) from exc
        now = source.now()
        stamp = frame.timestamp if frame.timestamp is not None else now
        memory.observe(frame, stamp)
        return frame, stamp, round(max(now - stamp, 0.0), 3)

    def image_bytes(frame: PerceptionFrame, stamp: float) -> bytes:
        if frame.image is None:
            raise NoImageError(f"the latest perception frame (timestamp {stamp:g}) has no camera image")
        return read_image_bytes(frame.image)

    @server.tool(title="Objects around the car", annotations=_READ_ONLY)
    def get_objects(
        region: Annotated[
            Region,
            Field(
                description="all, left, right, ahead, behind or blind_spot (left/right include blind spots)"
            ),
        ] = "all",
    ) -> ObjectsResult:
        """Objects the car perceives in a region, nearest first, with blind-spot and time-to-contact facts."""
        frame, stamp, age = latest()
        everything = analyse(frame.objects, "all", thresholds)
        selected = analyse(frame.objects, region, thresholds)
        return ObjectsResult(
            region=region,
            timestamp=stamp,
            age_s=age,
            count=len(selected),
            objects=selected,
            blind_spot_left=any(item.blind_spot == "left" for item in everything),
            blind_spot_right=any(item.blind_spot == "right" for item in everything),
            approaching_fast=[item.id for item in selected if item.approaching_fast],
            summary=summarize(selected, region),
        )

    @server.tool(title="Recognised traffic signs", annotations=_READ_ONLY)
    def get_signs() -> SignsResult:
        """Traffic signs in the latest frame, the signs passed recently and the speed limit in force."""
        frame, stamp, age = latest()
        remembered = memory.view(source.now())
        return SignsResult(
            timestamp=stamp,
            age_s=age,
            signs=frame.signs,
            speed_limit_kmh=speed_limit_kmh(frame.signs),
            summary=summarize_signs(frame.signs),
            recent=remembered.recent,
            limit=remembered.limit,
        )

    @server.tool(title="Read sign text (OCR)", annotations=_READ_ONLY)
    async def read_sign_text() -> SignTextResult:
        """Read the text in the latest camera image with on-device OCR (e.g. what a sign says)."""
        frame, stamp, _ = latest()

        def work() -> SignTextResult:
            reading = text_reader.read(image_bytes(frame, stamp))
            if reading.lines:
                memory.observe_reading(reading.text, stamp)
            return SignTextResult(
                timestamp=stamp,
                text=reading.text,
                lines=reading.lines,
                found=bool(reading.lines),
                engine=reading.engine,
                latency_ms=reading.latency_ms,
                load_ms=reading.load_ms,
            )

        try:
            return await anyio.to_thread.run_sync(work)
        except PerceptionError as exc:
            raise ToolError(str(exc)) from exc

    @server.tool(title="Describe the camera frame", annotations=_READ_ONLY)
    async def describe_frame(
        question: Annotated[
            str | None, Field(default=None, max_length=500, description="What the person asked, if anything.")
        ] = None,
    ) -> FrameDescription:
        """Describe the latest camera image in words (by default: the text visible in it)."""
        frame, stamp, _ = latest()

        def work() -> FrameDescription:
            data = image_bytes(frame, stamp)
            _, media_type = decode_image(data)
            with describer_lock:
                begin = time.perf_counter()
                text = frame_describer.describe(data, media_type, question)
                elapsed_ms = (time.perf_counter() - begin) * 1000.0
            return FrameDescription(
                timestamp=stamp, text=text, describer=frame_describer.name, latency_ms=round(elapsed_ms, 3)
            )

        try:
            return await anyio.to_thread.run_sync(work)
        except PerceptionError as exc:
            raise ToolError(str(exc)) from exc

    @server.tool(title="Latest perception frame", annotations=_READ_ONLY)
    async def get_frame() -> FrameResult:
        """The whole latest frame: analysed objects, signs, and what the camera image is (not its bytes)."""
        frame, stamp, age = latest()
        try:
            image = (
                None if frame.image is None else await anyio.to_thread.run_sync(inspect_image, frame.image)
            )
        except PerceptionError as exc:
            raise ToolError(str(exc)) from exc
        return FrameResult(
            source=source.kind,
            timestamp=stamp,
            age_s=age,
            objects=analyse(frame.objects, "all", thresholds),
            signs=frame.signs,
            image=image,
        )

    @server.tool(title="Latest camera image", annotations=_READ_ONLY)
    async def get_frame_image() -> FrameImage:
        """The latest frame's camera image itself (base64), with its media type."""
        frame, stamp, _ = latest()

        def work() -> FrameImage:
            data = image_bytes(frame, stamp)
            _, media_type = decode_image(data)
            return FrameImage(timestamp=stamp, media_type=media_type, data=base64.b64encode(data).decode())

        try:
            return await anyio.to_thread.run_sync(work)
        except PerceptionError as exc:
            raise ToolError(str(exc)) from exc

    if isinstance(source, InjectedSource) and inject:
        injected = source

        @server.tool(
            title="Push a perception frame",
            annotations=ToolAnnotations(
                read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
            ),
        )
        async def push_frame(frame: PerceptionFrame) -> PushResult:
            """Make ``frame`` the latest perception frame (scenarios and tests; injection mode only)."""
            try:
                stored = await anyio.to_thread.run_sync(injected.push, frame)
            except PerceptionError as exc:
                raise ToolError(str(exc)) from exc
            memory.observe(stored, stored.timestamp if stored.timestamp is not None else injected.now())
            return PushResult(
                timestamp=stored.timestamp if stored.timestamp is not None else injected.now(),
                object_ids=[obj.id for obj in stored.objects],
                signs=len(stored.signs),
                has_image=stored.image is not None,
            )

    return server


def http_app(
    server: MCPServer[Any],
    *,
    token: str | None = None,
    read_token: str | None = None,
    host: str = "127.0.0.1",
) -> ASGIApp:
    """The server's streamable-HTTP application at ``/mcp``, behind a bearer token when one is given;
    ``read_token`` (only beside ``token``) may call only ``READ_ONLY_TOOLS``."""
    app: ASGIApp = server.streamable_http_app(streamable_http_path="/mcp", host=host)
    if read_token and not token:
        raise ConfigError("a read-only token needs the server's own token beside it")
    if not token:
        return app
    return BearerTokenMiddleware(app, token, read_token=read_token, read_only_tools=READ_ONLY_TOOLS)
