"""The navigation MCP server through the official MCP client, in memory, on the real Helsinki map."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from mcp import Client
from mcp_types import CallToolResult, TextContent

from mcp_servers.navigation import (
    ATTRIBUTION,
    CATEGORY_NAMES,
    DEFAULT_POSITION,
    BearerTokenMiddleware,
    CategoryList,
    MapInfo,
    OsmMapProvider,
    PoiDetails,
    PoiSearchResult,
    Route,
    create_http_app,
    create_server,
)

HERE = {"latitude": DEFAULT_POSITION.latitude, "longitude": DEFAULT_POSITION.longitude}
FROM_HERE = {"from_lat": DEFAULT_POSITION.latitude, "from_lon": DEFAULT_POSITION.longitude}
TOOLS = {"search_pois", "route", "describe_poi", "categories", "map_info"}


def _error_text(result: CallToolResult) -> str:
    assert result.is_error
    assert result.structured_content is None
    (content,) = result.content
    assert isinstance(content, TextContent)
    return content.text


async def _call(provider: OsmMapProvider, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    async with Client(create_server(provider)) as client:
        return await client.call_tool(tool, arguments)


async def test_every_tool_is_read_only_with_an_output_schema(helsinki: OsmMapProvider) -> None:
    async with Client(create_server(helsinki)) as client:
        listed = await client.list_tools()
    assert {tool.name for tool in listed.tools} == TOOLS
    for tool in listed.tools:
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is True
        assert tool.annotations.destructive_hint is False
        assert tool.annotations.open_world_hint is False
        assert tool.output_schema is not None
        assert tool.description
    search = next(tool for tool in listed.tools if tool.name == "search_pois")
    assert set(search.input_schema["required"]) == {"latitude", "longitude"}


async def test_search_pois_returns_structured_places(helsinki: OsmMapProvider) -> None:
    result = await _call(helsinki, "search_pois", {**HERE, "category": "pharmacy", "limit": 3})
    assert not result.is_error
    found = PoiSearchResult.model_validate(result.structured_content)
    assert found.category == "pharmacy"
    assert 1 <= len(found.pois) <= 3
    assert found.attribution == ATTRIBUTION
    assert all("pharmacy" in poi.categories for poi in found.pois)


async def test_search_by_name_with_road_distance(helsinki: OsmMapProvider) -> None:
    result = await _call(helsinki, "search_pois", {**HERE, "name": "stockmann", "road_distance": True})
    found = PoiSearchResult.model_validate(result.structured_content)
    assert found.sorted_by == "road_distance"
    assert found.pois
    assert all(poi.road_distance_m is not None for poi in found.pois)


async def test_route_to_a_found_place_and_describe_it(helsinki: OsmMapProvider) -> None:
    async with Client(create_server(helsinki)) as client:
        search = await client.call_tool("search_pois", {**HERE, "category": "charging", "limit": 1})
        charger = PoiSearchResult.model_validate(search.structured_content).pois[0]
        routed = await client.call_tool(
            "route", {**FROM_HERE, "poi_id": charger.poi_id, "avoid": ["motorways"]}
        )
        described = await client.call_tool("describe_poi", {"poi_id": charger.poi_id})
    route = Route.model_validate(routed.structured_content)
    assert route.poi_id == charger.poi_id
    assert route.distance_m > 0
    assert route.duration_min > 0
    assert route.avoid[0].effect == "no_such_roads_in_map"
    details = PoiDetails.model_validate(described.structured_content)
    assert details.position == charger.position
    assert details.osm_url.endswith(charger.poi_id[1:])


async def test_route_to_a_position_with_geometry(helsinki: OsmMapProvider) -> None:
    result = await _call(
        helsinki, "route", {**FROM_HERE, "to_lat": 60.1675, "to_lon": 24.9520, "include_geometry": True}
    )
    route = Route.model_validate(result.structured_content)
    assert route.geometry is not None
    assert len(route.geometry) >= 2
    assert route.main_roads


async def test_categories_and_map_info(helsinki: OsmMapProvider) -> None:
    async with Client(create_server(helsinki)) as client:
        categories = CategoryList.model_validate(
            (await client.call_tool("categories", {})).structured_content
        )
        info = MapInfo.model_validate((await client.call_tool("map_info", {})).structured_content)
    assert [category.name for category in categories.categories] == list(CATEGORY_NAMES)
    assert {c.name: c.count for c in categories.categories} == {c.name: c.count for c in info.categories}
    assert info.default_position == DEFAULT_POSITION
    assert info.attribution == ATTRIBUTION


async def test_the_handshake_era_client_is_served_too(helsinki: OsmMapProvider) -> None:
    async with Client(create_server(helsinki), mode="legacy") as client:
        result = await client.call_tool("search_pois", {**HERE, "category": "atm", "limit": 1})
    assert PoiSearchResult.model_validate(result.structured_content).pois


@pytest.mark.parametrize(
    ("tool", "arguments", "expected"),
    [
        ("search_pois", {**HERE, "category": "spaceport"}, "category: unknown category 'spaceport'; known"),
        ("search_pois", {**HERE}, "give a category, a name, or both"),
        ("search_pois", {"latitude": 61.5, "longitude": 24.9, "category": "cafe"}, "outside the loaded map"),
        ("search_pois", {**HERE, "category": "cafe", "radius_m": -1}, "radius_m"),
        ("search_pois", {**HERE, "category": "cafe", "limit": 500}, "limit"),
        ("search_pois", {"latitude": 95, "longitude": 24.9, "category": "cafe"}, "latitude"),
        ("route", {**FROM_HERE}, "to_lat/to_lon or poi_id: give exactly one"),
        ("route", {**FROM_HERE, "to_lat": 60.17}, "to_lon: give both to_lat and to_lon"),
        ("route", {**FROM_HERE, "to_lat": 60.17, "to_lon": 24.95, "poi_id": "n1"}, "give exactly one"),
        ("route", {**FROM_HERE, "poi_id": "pharmacy"}, "poi_id"),
        ("route", {**FROM_HERE, "poi_id": "n1"}, "poi_id: no POI 'n1' in the loaded map"),
        (
            "route",
            {**FROM_HERE, "to_lat": 48.85, "to_lon": 2.35},
            "destination: position (48.850000, 2.350000)",
        ),
        ("route", {"from_lat": 0, "from_lon": 0, "to_lat": 60.17, "to_lon": 24.95}, "origin: position"),
        (
            "route",
            {**FROM_HERE, "to_lat": 60.17, "to_lon": 24.95, "avoid": ["ferries"]},
            "known options: motorways",
        ),
        ("describe_poi", {"poi_id": "w1"}, "poi_id: no POI 'w1'"),
        ("describe_poi", {"poi_id": "123"}, "poi_id: '123' is not a POI id"),
    ],
)
async def test_bad_input_is_a_tool_error_naming_the_argument(
    helsinki: OsmMapProvider, tool: str, arguments: dict[str, Any], expected: str
) -> None:
    result = await _call(helsinki, tool, arguments)
    assert expected in _error_text(result)


async def test_the_server_keeps_serving_after_errors(helsinki: OsmMapProvider) -> None:
    async with Client(create_server(helsinki)) as client:
        bad = await client.call_tool("route", {**FROM_HERE, "poi_id": "n1"})
        good = await client.call_tool("search_pois", {**HERE, "category": "hotel", "limit": 1})
    assert bad.is_error
    assert not good.is_error


async def test_http_app_refuses_requests_without_the_bearer_token(helsinki: OsmMapProvider) -> None:
    app = create_http_app(create_server(helsinki), helsinki, token="s3cret", host="127.0.0.1")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        missing = await http.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        wrong = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Authorization": "Bearer nope"},
        )
        basic = await http.post("/mcp", json={}, headers={"Authorization": "Basic czNjcmV0"})
        health = await http.get("/healthz")
    for response in (missing, wrong, basic):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert health.status_code == 200
    assert health.json()["map"] == "Helsinki.osm.pbf"


def test_bearer_middleware_refuses_an_empty_token(helsinki: OsmMapProvider) -> None:
    app = create_http_app(create_server(helsinki), helsinki, token=None, host="127.0.0.1")
    with pytest.raises(ValueError, match="token must not be empty"):
        BearerTokenMiddleware(app, "")
