"""Perception feed: an MCP server over what the car's perception sees (objects, signs, camera text).

The public surface is re-exported here; the modules behind it are private to the package.
"""

from mcp_servers.perception.describe import FrameDescriber, OcrFrameDescriber
from mcp_servers.perception.errors import (
    ConfigError,
    DescriberError,
    FrameError,
    ImageError,
    NoFrameError,
    NoImageError,
    OcrError,
    PerceptionError,
)
from mcp_servers.perception.memory import SignMemory, SignMemoryView
from mcp_servers.perception.models import (
    CameraImage,
    FrameDescription,
    FrameResult,
    ImageInfo,
    LimitInForce,
    ObjectReport,
    ObjectsResult,
    OcrLine,
    OcrReading,
    PerceivedObject,
    PerceptionFrame,
    PushResult,
    RecognisedSign,
    RememberedSign,
    SignsResult,
    SignTextResult,
)
from mcp_servers.perception.ocr import OcrSettings, RapidOcrReader, TextReader, shared_reader
from mcp_servers.perception.regions import DEFAULT_THRESHOLDS, RegionThresholds, analyse
from mcp_servers.perception.server import DEFAULT_PORT, SERVER_NAME, build_server, http_app
from mcp_servers.perception.sources import Clock, InjectedSource, PerceptionSource, SimulatedSource

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_THRESHOLDS",
    "SERVER_NAME",
    "CameraImage",
    "Clock",
    "ConfigError",
    "DescriberError",
    "FrameDescriber",
    "FrameDescription",
    "FrameError",
    "FrameResult",
    "ImageError",
    "ImageInfo",
    "InjectedSource",
    "LimitInForce",
    "NoFrameError",
    "NoImageError",
    "ObjectReport",
    "ObjectsResult",
    "OcrError",
    "OcrFrameDescriber",
    "OcrLine",
    "OcrReading",
    "OcrSettings",
    "PerceivedObject",
    "PerceptionError",
    "PerceptionFrame",
    "PerceptionSource",
    "PushResult",
    "RapidOcrReader",
    "RecognisedSign",
    "RegionThresholds",
    "RememberedSign",
    "SignMemory",
    "SignMemoryView",
    "SignTextResult",
    "SignsResult",
    "SimulatedSource",
    "TextReader",
    "analyse",
    "build_server",
    "http_app",
    "shared_reader",
]
