"""Test support for the perception-summary agent: frames, camera images, and the two MCP servers in memory."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mcp.server import MCPServer
from PIL import Image, ImageDraw, ImageFont

from agents.hosting import AgentResult
from mcp_servers.client import mcp_client
from mcp_servers.perception import CameraImage, InjectedSource, build_server
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.guardrails import AuditLog, Guardrails
from mcp_servers.vehicle.server import build_server as build_vehicle_server
from mcp_servers.vehicle.service import VehicleService

BASE_URL = "http://127.0.0.1:8713"
TOKEN = "perception-agent-test-token-0123456789"

PARKED: dict[str, Any] = {"Vehicle.Speed": 0.0, "Vehicle.Powertrain.Transmission.SelectedGear": 126}
MOVING: dict[str, Any] = {"Vehicle.Speed": 80.0, "Vehicle.Powertrain.Transmission.SelectedGear": 127}
TIRED: dict[str, Any] = {"Vehicle.Driver.FatigueLevel": 85.0, "Vehicle.Driver.AttentiveProbability": 70.0}
INATTENTIVE: dict[str, Any] = {
    "Vehicle.Driver.AttentiveProbability": 20.0,
    "Vehicle.Driver.IsEyesOnRoad": False,
}

CYCLIST_RIGHT: dict[str, Any] = {
    "class": "cyclist",
    "side": "right",
    "distance_m": 2.5,
    "lane": "right",
    "rel_speed_kmh": -3,
}
BUSY_STREET: list[dict[str, Any]] = [
    {"class": "pedestrian", "side": "right", "distance_m": 7, "lane": "sidewalk"},
    {"class": "car", "side": "ahead", "distance_m": 35, "rel_speed_kmh": -2},
    {"class": "truck", "side": "behind", "distance_m": 30, "lane": "ego", "rel_speed_kmh": 1},
    {"class": "van", "side": "left", "distance_m": 12, "lane": "far_left"},
    {"class": "bus", "side": "ahead", "distance_m": 60, "lane": "right"},
    {"class": "pedestrian", "side": "left", "distance_m": 9, "lane": "sidewalk"},
]
"""Six objects, none urgent: nothing closes fast, nothing is in a blind spot."""


def data_of(result: AgentResult) -> dict[str, Any]:
    """The data part of an agent's answer (it must have one)."""
    assert result.data is not None, result
    return dict(result.data)


def font(size: int) -> ImageFont.FreeTypeFont:
    loaded = ImageFont.load_default(size=size)
    assert isinstance(loaded, ImageFont.FreeTypeFont)
    return loaded


def destination_sign_png() -> bytes:
    """A green 'Airport / Exit 12' direction sign over a street, drawn with Pillow's built-in font."""
    scene = Image.new("RGB", (800, 450), (140, 175, 205))
    draw = ImageDraw.Draw(scene)
    draw.rectangle((0, 225, 800, 450), fill=(80, 82, 80))
    draw.rectangle((120, 60, 680, 300), fill=(0, 110, 60), outline="white", width=5)
    draw.text((400, 140), "Airport", font=font(72), fill="white", anchor="mm")
    draw.text((400, 230), "Exit 12", font=font(72), fill="white", anchor="mm")
    buffer = io.BytesIO()
    scene.save(buffer, format="PNG")
    return buffer.getvalue()


def image_field(data: bytes) -> dict[str, Any]:
    """A frame's `image` field carrying `data` inline."""
    return CameraImage.from_bytes(data).model_dump(exclude_none=True)


@dataclass
class Servers:
    """The vehicle server (simulator backend) and the perception server (injection mode), in process."""

    backend: SimulatorBackend
    vehicle: MCPServer[Any]
    perception: MCPServer[Any]
    source: InjectedSource = field(default_factory=InjectedSource)

    async def push(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        """Push a frame through the perception server's `push_frame` tool."""
        async with mcp_client(self.perception) as client:
            result = await client.call_tool("push_frame", {"frame": dict(frame)})
        assert not result.is_error, result.content
        content: dict[str, Any] | None = result.structured_content
        assert content is not None
        return content

    async def set_signals(self, values: Mapping[str, Any]) -> None:
        """Set sensor values of the simulated car (speed, gear, driver monitoring)."""
        await self.backend.inject(dict(values))


@dataclass
class ManualClock:
    """The perception clock of a test: it moves only when the test says so."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_servers(
    catalog: Catalog, initial: Mapping[str, Any] | None = None, *, clock: ManualClock | None = None
) -> Servers:
    backend = SimulatorBackend(catalog, dict(initial or {}))
    service = VehicleService(backend, Guardrails(catalog), AuditLog(None))
    source = InjectedSource(clock=clock) if clock is not None else InjectedSource()
    return Servers(
        backend=backend,
        vehicle=build_vehicle_server(service, client="perception-summary"),
        perception=build_server(source, inject=True),
        source=source,
    )
