"""The cockpit's endpoints through httpx in memory: the map sketch, routes, the perception frame and the
page's own files; each /v1 endpoint needs the front-end token and answers errors in the one model."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from importlib import resources

import httpx
import pytest

from mcp_servers.perception.models import PerceptionFrame
from mcp_servers.perception.server import build_server as build_perception_server
from mcp_servers.perception.sources import InjectedSource
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from orchestrator.api import COCKPIT_ASSETS, create_app
from orchestrator.cockpit import MapSketch, McpFeed, PerceptionFeed, PerceptionSnapshot, RouteLine, SourceFeed
from orchestrator.local import shared_map
from orchestrator.models import ErrorBody
from orchestrator.turn import Orchestrator
from orchestrator.vehicle import VehicleAccess
from tests.conftest import ROOT
from tests.orchestrator.doubles import KeywordRouter, directory

TOKEN = "cockpit-api-token-for-tests"
STATION = (60.1710, 24.9414)
"""Helsinki Central Station, inside the bundled extract."""


@pytest.fixture
async def source() -> InjectedSource:
    return InjectedSource(image_root=ROOT / "scenarios")


@pytest.fixture(params=["in-process", "over-mcp"])
async def feed(request: pytest.FixtureRequest, source: InjectedSource) -> AsyncIterator[PerceptionFeed]:
    """The perception feed of the in-process stack, and the one `cabin run` gives the orchestrator: read
    over MCP from the perception server (here an in-process one over the same source)."""
    if request.param == "in-process":
        yield SourceFeed(source)
        return
    mcp_feed = McpFeed(build_perception_server(source, inject=True))
    try:
        yield mcp_feed
    finally:
        await mcp_feed.aclose()


@pytest.fixture
async def client(feed: PerceptionFeed) -> AsyncIterator[httpx.AsyncClient]:
    agents, _ = directory()
    orchestrator = Orchestrator(KeywordRouter(), agents, agent_timeout_s=1.0)
    async with VehicleAccess(build_server(VehicleService(SimulatorBackend()), client="operator")) as vehicle:
        app = create_app(
            orchestrator,
            vehicle,
            front_end_token=TOKEN,
            base_url="http://cabin.test",
            map_provider=shared_map,
            perception=feed,
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://cabin.test",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as client:
            yield client


@pytest.mark.parametrize("path", ["/v1/map", "/v1/map/route", "/v1/perception", "/v1/perception/image"])
async def test_the_cockpit_endpoints_need_the_front_end_token(client: httpx.AsyncClient, path: str) -> None:
    async with httpx.AsyncClient(transport=client._transport, base_url="http://cabin.test") as bare:
        response = await bare.get(path)
    assert response.status_code == 401
    assert ErrorBody.model_validate(response.json()).error == "unauthorized"


async def test_the_map_is_the_extract_as_svg_layers(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/map")
    assert response.status_code == 200
    sketch = MapSketch.model_validate(response.json())
    layers = {layer.kind: layer for layer in sketch.layers}
    assert [layer.kind for layer in sketch.layers] == ["water", "park", "minor", "major", "motorway"]
    assert layers["minor"].shapes > 100 and layers["major"].shapes > 50 and layers["park"].shapes > 10
    assert re.fullmatch(r"(M-?\d+ -?\d+(L-?\d+ -?\d+)+Z?)+", layers["major"].d)
    assert sketch.source == "Helsinki.osm.pbf" and "OpenStreetMap" in sketch.attribution
    south, west, north, east = sketch.bounds
    assert south < STATION[0] < north and west < STATION[1] < east
    assert 500 < sketch.width_m < 5000 and 500 < sketch.height_m < 5000


async def test_a_route_follows_the_roads(client: httpx.AsyncClient) -> None:
    query = {"from_lat": 60.1699, "from_lon": 24.9384, "to_lat": STATION[0], "to_lon": STATION[1]}
    response = await client.get("/v1/map/route", params=query)
    assert response.status_code == 200
    route = RouteLine.model_validate(response.json())
    assert len(route.points) > 2 and route.distance_m > 100
    assert route.points[0][0] == pytest.approx(60.1699, abs=0.002)


async def test_a_route_outside_the_map_or_malformed_is_422_naming_it(client: httpx.AsyncClient) -> None:
    outside = {"from_lat": 60.1699, "from_lon": 24.9384, "to_lat": 48.85, "to_lon": 2.35}
    response = await client.get("/v1/map/route", params=outside)
    assert response.status_code == 422 and "destination" in response.json()["detail"]
    missing = await client.get("/v1/map/route", params={"from_lat": 60.17, "from_lon": "east"})
    assert missing.status_code == 422
    fields = {p.field for p in ErrorBody.model_validate(missing.json()).problems}
    assert {"from_lon", "to_lat", "to_lon"} <= fields


async def test_perception_before_any_frame_is_404(client: httpx.AsyncClient) -> None:
    for path in ("/v1/perception", "/v1/perception/image"):
        response = await client.get(path)
        assert response.status_code == 404
        assert ErrorBody.model_validate(response.json()).error == "not_found"


async def test_perception_frame_with_the_text_read_and_its_image(
    client: httpx.AsyncClient, source: InjectedSource
) -> None:
    source.push(
        PerceptionFrame.model_validate(
            {
                "signs": [{"kind": "speed_limit", "value": 40}],
                "image": {"path": "images/sign_speed_limit_40.png"},
            }
        )
    )
    response = await client.get("/v1/perception")
    assert response.status_code == 200
    snapshot = PerceptionSnapshot.model_validate(response.json())
    assert snapshot.source == "injected" and snapshot.signs[0].value == 40
    assert snapshot.image is not None and snapshot.image.width > 0
    assert "40" in " ".join(line.text for line in snapshot.lines)
    assert all(len(line.box) == 4 for line in snapshot.lines)
    image = await client.get("/v1/perception/image")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


async def test_a_frame_without_an_image_has_no_image_to_show(
    client: httpx.AsyncClient, source: InjectedSource
) -> None:
    source.push(PerceptionFrame.model_validate({"signs": [{"kind": "stop"}]}))
    snapshot = PerceptionSnapshot.model_validate((await client.get("/v1/perception")).json())
    assert snapshot.image is None and snapshot.lines == []
    assert (await client.get("/v1/perception/image")).status_code == 404


async def test_no_feed_connected_is_a_404_saying_so() -> None:
    agents, _ = directory()
    orchestrator = Orchestrator(KeywordRouter(), agents)
    async with VehicleAccess(build_server(VehicleService(SimulatorBackend()), client="operator")) as vehicle:
        app = create_app(orchestrator, vehicle, front_end_token=None)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as c:
            response = await c.get("/v1/perception")
    assert response.status_code == 404
    assert "no perception feed" in response.json()["detail"]


async def test_the_page_and_its_files_are_served_and_fetch_nothing_from_outside(
    client: httpx.AsyncClient,
) -> None:
    async with httpx.AsyncClient(transport=client._transport, base_url="http://cabin.test") as bare:
        page = await bare.get("/")
        assert page.status_code == 200 and '<meta name="viewport"' in page.text
        texts = [page.text]
        for name, media_type in COCKPIT_ASSETS.items():
            asset = await bare.get(f"/cockpit/{name}")
            assert asset.status_code == 200 and asset.headers["content-type"] == media_type
            assert asset.content == resources.files("orchestrator.cockpit").joinpath(name).read_bytes()
            texts.append(asset.text)
        assert (await bare.get("/cockpit/secret.py")).status_code == 404
    for text in texts:
        external = set(re.findall(r"https?://[^\s\"'`)]+", text)) - {"http://www.w3.org/2000/svg"}
        assert not external, external


async def test_the_cockpit_endpoints_are_in_the_schema_with_the_error_model(
    client: httpx.AsyncClient,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/map", "/v1/map/route", "/v1/perception", "/v1/perception/image"):
        operation = spec["paths"][path]["get"]
        assert operation["security"] == [{"bearer": []}, {"session": []}]
        errors = {status: answer for status, answer in operation["responses"].items() if int(status) >= 400}
        assert {"401", "404" if "perception" in path else "413", "421"} <= set(errors), path
        for answer in errors.values():
            assert answer["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
    assert "/cockpit/{name}" not in spec["paths"]
