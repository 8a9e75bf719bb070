"""The perception MCP server through the official MCP client, in memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp_types import CallToolResult, TextContent

from mcp_servers.perception import (
    CameraImage,
    ConfigError,
    DescriberError,
    FrameDescriber,
    InjectedSource,
    PerceptionFrame,
    SimulatedSource,
    build_server,
    http_app,
)
from mcp_servers.perception.models import MediaType
from mcp_servers.perception.server import READ_ONLY_TOOLS

from .perception_support import FakeClock

pytestmark = pytest.mark.anyio  # its MCP Client fixture is entered and left in one task (docs/testing.md)

SCENARIO_FRAME: dict[str, Any] = {
    "objects": [
        {"class": "cyclist", "side": "right", "distance_m": 2.5, "lane": "right", "rel_speed_kmh": -3},
        {"class": "car", "side": "ahead", "distance_m": 20, "rel_speed_kmh": -36},
        {"class": "truck", "side": "behind", "distance_m": 14, "lane": "ego", "rel_speed_kmh": 4},
    ],
    "signs": [
        {"kind": "speed_limit", "value": 50, "distance_m": 40, "side": "right"},
        {"kind": "no_parking"},
    ],
}
READ_TOOLS = READ_ONLY_TOOLS


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    first = result.content[0]
    assert isinstance(first, TextContent)
    return first.text


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    content: dict[str, Any] | None = result.structured_content
    assert content is not None
    return content


@pytest.fixture
def source(clock: FakeClock, parking_png: Path) -> InjectedSource:
    return InjectedSource(clock=clock, image_root=parking_png.parent)


@pytest.fixture
def parking_size(parking_png: Path) -> int:
    return parking_png.stat().st_size


@pytest.fixture
async def client(source: InjectedSource) -> AsyncIterator[Client]:
    async with Client(build_server(source, inject=True), raise_exceptions=True) as connected:
        yield connected


async def test_tools_are_listed_with_schemas_and_annotations(client: Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == READ_TOOLS | {"push_frame"}
    for name in READ_TOOLS:
        annotations = tools[name].annotations
        assert annotations is not None
        assert annotations.read_only_hint is True
        assert tools[name].output_schema is not None
    push = tools["push_frame"].annotations
    assert push is not None
    assert push.read_only_hint is False
    region = tools["get_objects"].input_schema["properties"]["region"]
    assert region["enum"] == ["all", "left", "right", "ahead", "behind", "blind_spot"]


async def test_push_frame_is_only_served_with_injection(clock: FakeClock) -> None:
    async with Client(build_server(SimulatedSource(clock=clock)), raise_exceptions=True) as plain:
        names = {tool.name for tool in (await plain.list_tools()).tools}
        assert names == READ_TOOLS
        result = await plain.call_tool("push_frame", {"frame": SCENARIO_FRAME})
        assert "push_frame" in error_text(result)


async def test_pushed_scenario_frame_is_what_the_tools_read(client: Client, clock: FakeClock) -> None:
    pushed = data(await client.call_tool("push_frame", {"frame": SCENARIO_FRAME}))
    assert pushed == {
        "timestamp": clock.now,
        "object_ids": ["cyclist-1", "car-2", "truck-3"],
        "signs": 2,
        "has_image": False,
    }
    clock.advance(0.25)
    everything = data(await client.call_tool("get_objects", {}))
    assert everything["region"] == "all"
    assert everything["age_s"] == 0.25
    assert [item["id"] for item in everything["objects"]] == ["cyclist-1", "truck-3", "car-2"]
    assert everything["blind_spot_right"] is True
    assert everything["blind_spot_left"] is False
    assert everything["approaching_fast"] == ["car-2"]
    cyclist = everything["objects"][0]
    assert cyclist["class"] == "cyclist"
    assert cyclist["blind_spot"] == "right"

    spot = data(await client.call_tool("get_objects", {"region": "blind_spot"}))
    assert spot["count"] == 1
    assert (
        spot["summary"]
        == "1 object in the blind spots: cyclist on the right, 2.5 m, in the right blind spot."
    )
    ahead = data(await client.call_tool("get_objects", {"region": "ahead"}))
    assert [item["id"] for item in ahead["objects"]] == ["car-2"]
    assert ahead["objects"][0]["time_to_contact_s"] == 2.0
    left = data(await client.call_tool("get_objects", {"region": "left"}))
    assert left["count"] == 0
    assert left["summary"] == "Nothing detected on the left."


async def test_signs_and_speed_limit(client: Client) -> None:
    await client.call_tool("push_frame", {"frame": SCENARIO_FRAME})
    signs = data(await client.call_tool("get_signs", {}))
    assert signs["speed_limit_kmh"] == 50.0
    assert [sign["kind"] for sign in signs["signs"]] == ["speed_limit", "no_parking"]
    assert signs["summary"] == "Speed limit 50 km/h, 40 m on the right; no parking."


async def test_unknown_region_is_a_clear_tool_error(client: Client) -> None:
    await client.call_tool("push_frame", {"frame": SCENARIO_FRAME})
    text = error_text(await client.call_tool("get_objects", {"region": "upstairs"}))
    assert "region" in text
    assert "'blind_spot'" in text
    assert "upstairs" in text


async def test_before_any_frame_every_read_tool_says_so(client: Client) -> None:
    for name in sorted(READ_TOOLS):
        assert "no perception frame has been pushed yet" in error_text(await client.call_tool(name, {}))


async def test_malformed_frames_are_refused_and_the_last_frame_stays(client: Client) -> None:
    await client.call_tool("push_frame", {"frame": SCENARIO_FRAME})
    bad_distance = {"objects": [{"class": "car", "side": "ahead", "distance_m": -1}]}
    assert "distance_m" in error_text(await client.call_tool("push_frame", {"frame": bad_distance}))
    contradiction = {"objects": [{"class": "car", "side": "left", "distance_m": 3, "bearing_deg": 90}]}
    assert "not in the 'left' sector" in error_text(
        await client.call_tool("push_frame", {"frame": contradiction})
    )
    assert "frame" in error_text(await client.call_tool("push_frame", {"frame": "cars everywhere"}))
    assert "frame" in error_text(await client.call_tool("push_frame", {}))
    missing = {"image": "nowhere.png"}
    assert "cannot be read" in error_text(await client.call_tool("push_frame", {"frame": missing}))
    frame = data(await client.call_tool("get_frame", {}))
    assert len(frame["objects"]) == 3


async def test_images_outside_the_image_root_are_refused(client: Client, tmp_path: Path) -> None:
    stray = tmp_path / "stray.png"
    stray.write_bytes(b"\x89PNG\r\n\x1a\n")
    text = error_text(await client.call_tool("push_frame", {"frame": {"image": str(stray)}}))
    assert "outside the image root" in text


async def test_read_sign_text_reads_the_camera_image(
    client: Client, parking_png: Path, parking_size: int
) -> None:
    await client.call_tool(
        "push_frame", {"frame": {"signs": [{"kind": "parking"}], "image": parking_png.name}}
    )
    reading = data(await client.call_tool("read_sign_text", {}))
    assert reading["found"] is True
    assert [line["text"] for line in reading["lines"]] == ["P", "2h"]
    assert reading["text"] == "P\n2h"
    assert reading["engine"] == "rapidocr-onnxruntime PP-OCRv4"
    assert reading["latency_ms"] > 0
    assert all(0.5 <= line["confidence"] <= 1.0 for line in reading["lines"])
    described = data(await client.call_tool("describe_frame", {}))
    assert described["text"] == 'Text visible in the camera frame: "P", "2h".'
    assert described["describer"].startswith("ocr")
    frame = data(await client.call_tool("get_frame", {}))
    assert frame["source"] == "injected"
    assert frame["image"] == {
        "media_type": "image/png",
        "width": 640,
        "height": 360,
        "byte_size": parking_size,
        "path": str(parking_png),
    }


async def test_inline_images_are_read(client: Client, sign_images: dict[str, Any]) -> None:
    street = sign_images["street_name"]
    inline = PerceptionFrame(image=CameraImage.from_bytes(street.data))
    await client.call_tool("push_frame", {"frame": inline.model_dump(mode="json", exclude_none=True)})
    reading = data(await client.call_tool("read_sign_text", {}))
    assert reading["text"] == "Main Street"
    frame = data(await client.call_tool("get_frame", {}))
    assert frame["image"]["byte_size"] == len(street.data)
    assert frame["image"]["path"] is None


async def test_no_camera_image_is_a_clear_tool_error(client: Client) -> None:
    await client.call_tool("push_frame", {"frame": SCENARIO_FRAME})
    assert "has no camera image" in error_text(await client.call_tool("read_sign_text", {}))
    assert "has no camera image" in error_text(await client.call_tool("describe_frame", {}))
    assert data(await client.call_tool("get_frame", {}))["image"] is None


class CaptionDescriber(FrameDescriber):
    """A describer that reports the image's size and the question: it exercises the hook end to end."""

    name = "caption-test"

    def __init__(self) -> None:
        self.questions: list[str | None] = []

    def describe(self, image: bytes, media_type: MediaType, question: str | None = None) -> str:
        self.questions.append(question)
        if question == "fail":
            raise DescriberError("the describer gave up")
        return f"A {media_type} frame of {len(image)} bytes."


async def test_a_frame_describer_plugs_in(clock: FakeClock, parking_png: Path, parking_size: int) -> None:
    describer = CaptionDescriber()
    source = InjectedSource(clock=clock, initial={"image": str(parking_png)})
    server = build_server(source, inject=True, describer=describer)
    async with Client(server, raise_exceptions=True) as client:
        described = data(await client.call_tool("describe_frame", {"question": "what does the sign say?"}))
        assert described["text"] == f"A image/png frame of {parking_size} bytes."
        assert described["describer"] == "caption-test"
        failed = await client.call_tool("describe_frame", {"question": "fail"})
        assert "the describer gave up" in error_text(failed)
    assert describer.questions == ["what does the sign say?", "fail"]


async def test_simulated_scene_through_the_server(clock: FakeClock) -> None:
    source = SimulatedSource(seed=2, clock=clock)
    clock.advance(20.0)  # the parking sign's window of the sign cycle
    async with Client(build_server(source), raise_exceptions=True) as client:
        frame = data(await client.call_tool("get_frame", {}))
        assert frame["source"] == "simulated"
        assert frame["age_s"] == 0.0
        assert frame["image"]["width"] == 640
        signs = data(await client.call_tool("get_signs", {}))
        assert signs["signs"][0]["kind"] == "parking"
        value = signs["signs"][0]["value"]
        reading = data(await client.call_tool("read_sign_text", {}))
        assert reading["text"].split() == ["P", *str(value).split()]
        objects = data(await client.call_tool("get_objects", {"region": "all"}))
        assert objects["count"] == len(frame["objects"])


async def test_legacy_handshake_clients_are_served(source: InjectedSource) -> None:
    async with Client(build_server(source, inject=True), mode="legacy", raise_exceptions=True) as client:
        await client.call_tool("push_frame", {"frame": SCENARIO_FRAME})
        result = data(await client.call_tool("get_objects", {"region": "right"}))
        assert [item["id"] for item in result["objects"]] == ["cyclist-1"]


def test_injection_needs_an_injectable_source(clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="InjectedSource"):
        build_server(SimulatedSource(clock=clock), inject=True)


async def test_http_requests_without_the_token_get_401(clock: FakeClock) -> None:
    app = http_app(build_server(SimulatedSource(clock=clock)), token="s3cret-token")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8703") as http:
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic s3cret-token"}):
            response = await http.post("/mcp", json=body, headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json()["error"] == "unauthorized"


def test_unusable_tokens_are_a_config_error(clock: FakeClock) -> None:
    with pytest.raises(ConfigError, match="bearer token"):
        http_app(build_server(SimulatedSource(clock=clock)), token="two words")
