"""The two MCP servers the navigation agent works through, as typed clients.

- The **vehicle server** (`mcp_servers/vehicle`): `get_signals` for the car's position, speed, gear
  and current destination; `set_navigation_destination` to set the destination, which its
  guardrails check (GR-15 seat, GR-16 scope, GR-18 provenance) before anything reaches the car.
- The **map server** (`mcp_servers/navigation`): `map_info`, `search_pois`, `route`, `describe_poi`.

A target is an in-process `MCPServer` (tests, one-process stacks) or the URL of a streamable HTTP
endpoint (`http://127.0.0.1:8701/mcp`) reached with a bearer token. `ServiceLinks` opens each
connection on first use within one turn and closes both when the turn ends.

Results are read into the models below, which keep only the fields the agent uses and ignore the
rest, so a server that grows new fields does not break the agent. Every failure is a
`ServiceError`: `ServiceUnavailable` for transport and protocol trouble, `ToolFailed` for a
tool's error result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import anyio
from mcp import Client
from mcp.server import MCPServer
from mcp_types import RequestParamsMeta
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from agents.navigation.errors import ServiceName, ServiceUnavailable, ToolFailed
from mcp_servers.client import McpLink
from mcp_servers.vehicle.guardrails.context import GEAR, SPEED, DrivingState

__all__ = [
    "DESTINATION_LATITUDE",
    "DESTINATION_LONGITUDE",
    "AvoidEffect",
    "AvoidFact",
    "CarState",
    "CategoryFact",
    "ConfirmationNeeded",
    "FoundPoi",
    "MapClient",
    "MapFacts",
    "McpTarget",
    "PlaceDetails",
    "PoiSearch",
    "Point",
    "Refusal",
    "RouteFacts",
    "ServiceLinks",
    "VehicleClient",
    "WriteOutcome",
]

McpTarget = str | MCPServer[Any]
"""An in-process MCP server, or the URL of a streamable HTTP MCP endpoint."""

LATITUDE = "Vehicle.CurrentLocation.Latitude"
LONGITUDE = "Vehicle.CurrentLocation.Longitude"
DESTINATION_LATITUDE = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude"
DESTINATION_LONGITUDE = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude"

_Lenient = ConfigDict(extra="ignore", frozen=True)


# -- map server payloads ------------------------------------------------------------------------------


class Point(BaseModel):
    """A position, WGS84 degrees."""

    model_config = _Lenient

    latitude: float = Field(ge=-90.0, le=90.0)
    longitude: float = Field(ge=-180.0, le=180.0)


class _Bounds(BaseModel):
    model_config = _Lenient

    min_latitude: float
    min_longitude: float
    max_latitude: float
    max_longitude: float

    def contains(self, point: Point) -> bool:
        return (
            self.min_latitude <= point.latitude <= self.max_latitude
            and self.min_longitude <= point.longitude <= self.max_longitude
        )


class CategoryFact(BaseModel):
    """A place category of the loaded map, with the words that name it."""

    model_config = _Lenient

    name: str
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    count: int | None = None


class AvoidFact(BaseModel):
    """A kind of road a route can avoid, and how many segments of it the map has."""

    model_config = _Lenient

    name: str
    description: str = ""
    segments_in_map: int | None = None


class MapFacts(BaseModel):
    """What the loaded map covers and the words it understands (`map_info`)."""

    model_config = _Lenient

    bounds: _Bounds
    categories: list[CategoryFact]
    avoid_options: list[AvoidFact] = Field(default_factory=list)
    attribution: str = "© OpenStreetMap contributors, ODbL"

    def covers(self, point: Point) -> bool:
        """True when `point` lies inside the loaded map."""
        return self.bounds.contains(point)


class FoundPoi(BaseModel):
    """A place from `search_pois`."""

    model_config = _Lenient

    poi_id: str
    name: str | None = None
    category: str | None = None
    position: Point
    address: str | None = None
    straight_line_m: float
    road_distance_m: float | None = None
    eta_s: float | None = None


class PoiSearch(BaseModel):
    """The places a search found, nearest first."""

    model_config = _Lenient

    pois: list[FoundPoi]
    total_found: int = 0
    attribution: str = "© OpenStreetMap contributors, ODbL"


class PlaceDetails(BaseModel):
    """One place from `describe_poi`."""

    model_config = _Lenient

    poi_id: str
    name: str | None = None
    category: str | None = None
    position: Point
    address: str | None = None


class _RoadStretch(BaseModel):
    model_config = _Lenient

    name: str | None = None
    distance_m: float = 0.0


class AvoidEffect(BaseModel):
    """What one avoid option did to a route: changed_route, route_unaffected or no_such_roads_in_map."""

    model_config = _Lenient

    option: str
    effect: str
    message: str = ""


class _Snapped(BaseModel):
    model_config = _Lenient

    requested: Point


class RouteFacts(BaseModel):
    """A route from `route`: length, free-flow time, roads, and what each avoid option did."""

    model_config = _Lenient

    destination: _Snapped
    poi_id: str | None = None
    poi_name: str | None = None
    distance_m: float
    duration_s: float
    main_roads: list[str] = Field(default_factory=list)
    roads: list[_RoadStretch] = Field(default_factory=list)
    avoid: list[AvoidEffect] = Field(default_factory=list)
    attribution: str = "© OpenStreetMap contributors, ODbL"

    @property
    def last_street(self) -> str | None:
        """The name of the last named road of the route: the street the destination lies on."""
        for stretch in reversed(self.roads):
            if stretch.name:
                return stretch.name
        return None


# -- vehicle server payloads ---------------------------------------------------------------------------


class CarState(BaseModel):
    """What the agent reads from the car at the start of a turn."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    position: Point | None
    speed_kmh: float | None
    gear: int | None
    destination: Point | None

    @property
    def parked(self) -> bool:
        """Parked and stationary (gear P, speed 0). An unknown speed or gear counts as not parked."""
        return DrivingState.of({SPEED: self.speed_kmh, GEAR: self.gear}).parked


class Refusal(BaseModel):
    """One signal the vehicle server refused, with the guardrail rule that refused it."""

    model_config = _Lenient

    path: str
    rule_id: str
    reason: str


class ConfirmationNeeded(BaseModel):
    """The vehicle server waits for the person's yes before it applies the write."""

    model_config = _Lenient

    token: str
    question: str
    rule_id: str


class WriteOutcome(BaseModel):
    """The result every vehicle write tool returns (docs/vehicle-server.md)."""

    model_config = _Lenient

    applied: dict[str, JsonValue] = Field(default_factory=dict)
    refused: list[Refusal] = Field(default_factory=list)
    needs_confirmation: ConfirmationNeeded | None = None


# -- clients ------------------------------------------------------------------------------------------


async def _call(
    service: ServiceName,
    client: Client,
    tool: str,
    arguments: dict[str, Any],
    *,
    timeout_s: float,
    meta: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Call one tool and return its structured result; `ToolFailed` for an error result."""
    try:
        with anyio.fail_after(timeout_s):
            result = await client.call_tool(
                tool, arguments, meta=cast(RequestParamsMeta, dict(meta)) if meta else None
            )
    except Exception as exc:
        # Transport, protocol and timeout errors arrive as many types (httpx, MCP, anyio groups);
        # to a caller they all mean the same thing: the server gave no usable answer.
        raise ServiceUnavailable(service, f"{tool}: {type(exc).__name__}: {exc}") from exc
    if result.is_error:
        detail = " ".join(getattr(block, "text", "") for block in result.content).strip()
        raise ToolFailed(service, tool, detail.removeprefix(f"Error executing tool {tool}: ") or "failed")
    if result.structured_content is None:
        raise ServiceUnavailable(service, f"{tool}: the result carried no structured content")
    return dict(result.structured_content)


_ModelT = TypeVar("_ModelT", bound=BaseModel)


def _read(service: ServiceName, tool: str, model: type[_ModelT], payload: Any) -> _ModelT:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise ServiceUnavailable(
            service, f"{tool}: unexpected result ({exc.error_count()} problems)"
        ) from exc


class MapClient:
    """Typed calls to the navigation map server over one open connection."""

    def __init__(self, client: Client, *, timeout_s: float) -> None:
        self._client = client
        self._timeout_s = timeout_s

    async def facts(self) -> MapFacts:
        """The map's coverage, categories and avoid options (`map_info`)."""
        payload = await _call("map", self._client, "map_info", {}, timeout_s=self._timeout_s)
        return _read("map", "map_info", MapFacts, payload)

    async def search(
        self,
        near: Point,
        *,
        category: str | None,
        name: str | None,
        radius_m: float,
        limit: int,
        street: str | None = None,
    ) -> PoiSearch:
        """Places near `near` (on `street` when given), with driving distance and time: the best
        name matches first, then by driving distance."""
        arguments: dict[str, Any] = {
            "latitude": near.latitude,
            "longitude": near.longitude,
            "radius_m": radius_m,
            "limit": limit,
            "road_distance": True,
        }
        if category is not None:
            arguments["category"] = category
        if name is not None:
            arguments["name"] = name
        if street is not None:
            arguments["street"] = street
        payload = await _call("map", self._client, "search_pois", arguments, timeout_s=self._timeout_s)
        return _read("map", "search_pois", PoiSearch, payload)

    async def route(
        self,
        origin: Point,
        *,
        poi_id: str | None = None,
        destination: Point | None = None,
        avoid: tuple[str, ...] = (),
    ) -> RouteFacts:
        """The fastest route from `origin` to a place (`poi_id`) or a position."""
        arguments: dict[str, Any] = {"from_lat": origin.latitude, "from_lon": origin.longitude}
        if poi_id is not None:
            arguments["poi_id"] = poi_id
        elif destination is not None:
            arguments["to_lat"] = destination.latitude
            arguments["to_lon"] = destination.longitude
        if avoid:
            arguments["avoid"] = list(avoid)
        payload = await _call("map", self._client, "route", arguments, timeout_s=self._timeout_s)
        return _read("map", "route", RouteFacts, payload)

    async def describe(self, poi_id: str) -> PlaceDetails:
        """One place by id (`describe_poi`)."""
        payload = await _call(
            "map", self._client, "describe_poi", {"poi_id": poi_id}, timeout_s=self._timeout_s
        )
        return _read("map", "describe_poi", PlaceDetails, payload)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _point(latitude: Any, longitude: Any) -> Point | None:
    lat, lon = _number(latitude), _number(longitude)
    if lat is None or lon is None or not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return Point(latitude=lat, longitude=lon)


class VehicleClient:
    """Typed calls to the vehicle server over one open connection."""

    def __init__(self, client: Client, *, timeout_s: float) -> None:
        self._client = client
        self._timeout_s = timeout_s

    async def state(self) -> CarState:
        """Position, speed, gear and destination, as the car reports them now (None where it reports none)."""
        paths = [LATITUDE, LONGITUDE, SPEED, GEAR, DESTINATION_LATITUDE, DESTINATION_LONGITUDE]
        values = await _call(
            "vehicle", self._client, "get_signals", {"paths": paths}, timeout_s=self._timeout_s
        )
        gear = values.get(GEAR)
        return CarState(
            position=_point(values.get(LATITUDE), values.get(LONGITUDE)),
            speed_kmh=_number(values.get(SPEED)),
            gear=gear if isinstance(gear, int) and not isinstance(gear, bool) else None,
            destination=_point(values.get(DESTINATION_LATITUDE), values.get(DESTINATION_LONGITUDE)),
        )

    async def set_destination(
        self, target: Point, *, meta: Mapping[str, str], confirm_token: str | None = None
    ) -> WriteOutcome:
        """Ask the car to set its destination; the server's guardrails decide, the outcome tells."""
        arguments: dict[str, Any] = {"latitude": target.latitude, "longitude": target.longitude}
        if confirm_token is not None:
            arguments["confirm_token"] = confirm_token
        payload = await _call(
            "vehicle",
            self._client,
            "set_navigation_destination",
            arguments,
            timeout_s=self._timeout_s,
            meta=meta,
        )
        return _read("vehicle", "set_navigation_destination", WriteOutcome, payload)


class ServiceLinks:
    """The agent's connections to the vehicle and map servers, open from first use until `aclose`.

    Each server gets one `McpLink` shared by every turn (an MCP connection costs more to open than a
    turn's calls over it). A turn asks for a typed client with `vehicle()` / `map()`; when a call
    fails at the transport the turn calls `drop(service)`, and the next turn connects afresh, so a
    restarted server is picked up.
    """

    def __init__(
        self,
        vehicle: McpTarget,
        map_server: McpTarget,
        *,
        vehicle_token: str | None,
        map_token: str | None,
        timeout_s: float,
    ) -> None:
        self._timeout_s = timeout_s
        self._links: dict[ServiceName, McpLink] = {
            "vehicle": McpLink(vehicle, name="vehicle", token=vehicle_token, timeout_s=timeout_s),
            "map": McpLink(map_server, name="map", token=map_token, timeout_s=timeout_s),
        }

    async def _client(self, service: ServiceName) -> Client:
        try:
            return await self._links[service].client()
        except Exception as exc:
            # Any failure to connect means the server cannot be used this turn.
            raise ServiceUnavailable(service, f"cannot connect: {type(exc).__name__}: {exc}") from exc

    async def drop(self, service: ServiceName) -> None:
        """Close `service`'s connection after a failed call; the next turn opens a new one."""
        await self._links[service].drop()

    async def aclose(self) -> None:
        """Close both connections for good."""
        for link in self._links.values():
            with contextlib.suppress(Exception):
                await link.aclose()

    async def vehicle(self) -> VehicleClient:
        """The vehicle server, connected."""
        return VehicleClient(await self._client("vehicle"), timeout_s=self._timeout_s)

    async def map(self) -> MapClient:
        """The map server, connected."""
        return MapClient(await self._client("map"), timeout_s=self._timeout_s)
