"""The map the cockpit draws: the OSM extract the navigation server reads, as SVG path data.

One pass with pyosmium over the extract (the same file as :func:`mcp_servers.navigation.config.map_pbf`)
keeps the roads (by class), water and green areas, projected to metres east and south of the extract's
north-west corner and rounded to a metre. The cockpit places the car, places and routes with the same
projection, whose two constants travel in the answer. Nothing is fetched from outside: no tile server.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import osmium
from osmium.filter import KeyFilter
from pydantic import BaseModel, Field

from mcp_servers.navigation import config
from mcp_servers.navigation.errors import MapDataError
from mcp_servers.navigation.models import ATTRIBUTION, Position, RouteRequest
from mcp_servers.navigation.provider import MapProvider

LayerKind = Literal["water", "park", "minor", "major", "motorway"]

METRES_PER_DEGREE_LATITUDE = 110_574.0
METRES_PER_DEGREE_LONGITUDE_AT_EQUATOR = 111_320.0

_ROAD_CLASS: dict[str, LayerKind] = {
    **dict.fromkeys(("motorway", "motorway_link", "trunk", "trunk_link"), "motorway"),
    **dict.fromkeys(
        ("primary", "primary_link", "secondary", "secondary_link", "tertiary", "tertiary_link"), "major"
    ),
    **dict.fromkeys(
        ("residential", "unclassified", "living_street", "service", "pedestrian", "road"), "minor"
    ),
}
_WATER = {
    "natural": {"water", "bay", "wetland"},
    "waterway": {"riverbank", "dock"},
    "landuse": {"basin", "reservoir"},
}
_PARK = {
    "leisure": {"park", "garden", "playground", "pitch", "golf_course", "nature_reserve"},
    "landuse": {"grass", "forest", "recreation_ground", "cemetery", "meadow", "village_green"},
    "natural": {"wood", "scrub", "grassland", "heath"},
}
_DRAW_ORDER: tuple[LayerKind, ...] = ("water", "park", "minor", "major", "motorway")


class MapLayer(BaseModel):
    """One kind of feature: every shape of it as one SVG path (``d``), in metres."""

    kind: LayerKind
    d: str = Field(description="SVG path data: M/L commands in whole metres, Z closing an area")
    shapes: int = Field(description="how many ways or areas the path draws")


class MapSketch(BaseModel):
    """``GET /v1/map``: the extract drawn as SVG layers in a local metric projection."""

    source: str = Field(description="the extract's file name")
    bounds: tuple[float, float, float, float] = Field(description="south, west, north, east (degrees)")
    width_m: float
    height_m: float
    metres_per_degree_latitude: float = Field(description="y = (north - latitude) * this")
    metres_per_degree_longitude: float = Field(description="x = (longitude - west) * this")
    layers: list[MapLayer] = Field(description="drawn in this order: water, parks, then roads by size")
    attribution: str = ATTRIBUTION


class RouteLine(BaseModel):
    """``GET /v1/map/route``: the drivable route between two positions, as the navigation server finds it."""

    distance_m: float
    duration_s: float
    main_roads: list[str]
    points: list[tuple[float, float]] = Field(description="latitude, longitude of each road node, in order")
    attribution: str = ATTRIBUTION


def _kind(tags: osmium.osm.TagList, table: dict[str, set[str]]) -> bool:
    return any(tags.get(key) in values for key, values in table.items())


class _Projection:
    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        south, west, north, east = bounds
        self.north, self.west = north, west
        self.per_lat = METRES_PER_DEGREE_LATITUDE
        self.per_lon = METRES_PER_DEGREE_LONGITUDE_AT_EQUATOR * math.cos(math.radians((south + north) / 2))
        self.width = round((east - west) * self.per_lon, 1)
        self.height = round((north - south) * self.per_lat, 1)

    def path(self, points: Iterable[tuple[float, float]], closed: bool) -> str:
        out: list[str] = []
        last: tuple[int, int] | None = None
        for lat, lon in points:
            xy = (round((lon - self.west) * self.per_lon), round((self.north - lat) * self.per_lat))
            if xy != last:
                out.append(f"{'L' if out else 'M'}{xy[0]} {xy[1]}")
                last = xy
        if len(out) < 2:
            return ""
        return "".join(out) + ("Z" if closed else "")


def _located(nodes: Iterable[osmium.osm.NodeRef]) -> list[tuple[float, float]]:
    return [(n.location.lat, n.location.lon) for n in nodes if n.location.valid()]


@functools.cache
def sketch_map(pbf: Path | None = None) -> MapSketch:
    """The sketch of ``pbf`` (default: the extract the navigation server reads); read once per process.
    Raises :class:`~mcp_servers.navigation.errors.MapDataError` when the file cannot be read."""
    path = config.map_pbf(pbf)
    if not path.is_file():
        raise MapDataError(f"map file {str(path)!r} does not exist")
    shapes: dict[LayerKind, list[str]] = {kind: [] for kind in _DRAW_ORDER}
    try:
        box = osmium.io.Reader(str(path), osmium.osm.NOTHING).header().box()
        raw: list[tuple[LayerKind, list[tuple[float, float]], bool]] = []
        lats: list[float] = []
        lons: list[float] = []
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_areas(KeyFilter("natural", "waterway", "landuse", "leisure"))
            .with_filter(KeyFilter("highway", "natural", "waterway", "landuse", "leisure"))
        )
        for obj in processor:
            if isinstance(obj, osmium.osm.Way):
                road = _ROAD_CLASS.get(obj.tags.get("highway") or "")
                if road is not None:
                    points = _located(obj.nodes)
                    raw.append((road, points, False))
                    lats += [p[0] for p in points]
                    lons += [p[1] for p in points]
            elif isinstance(obj, osmium.osm.Area):
                kind: LayerKind | None = (
                    "water" if _kind(obj.tags, _WATER) else "park" if _kind(obj.tags, _PARK) else None
                )
                if kind is not None:
                    for ring in obj.outer_rings():
                        raw.append((kind, _located(ring), True))
    except RuntimeError as exc:
        raise MapDataError(f"map file {str(path)!r} cannot be read as OSM PBF: {exc}") from exc
    if box.valid():
        bounds = (box.bottom_left.lat, box.bottom_left.lon, box.top_right.lat, box.top_right.lon)
    elif lats:
        bounds = (min(lats), min(lons), max(lats), max(lons))
    else:
        raise MapDataError(f"map file {str(path)!r} holds no road to draw")
    projection = _Projection(bounds)
    for kind, points, closed in raw:
        d = projection.path(points, closed)
        if d:
            shapes[kind].append(d)
    return MapSketch(
        source=path.name,
        bounds=bounds,
        width_m=projection.width,
        height_m=projection.height,
        metres_per_degree_latitude=projection.per_lat,
        metres_per_degree_longitude=round(projection.per_lon, 3),
        layers=[MapLayer(kind=k, d="".join(shapes[k]), shapes=len(shapes[k])) for k in _DRAW_ORDER],
    )


@functools.cache
def default_map_provider() -> MapProvider:
    """The navigation server's map provider over the same extract, loaded once per process (the
    parsed form is cached on disk by the navigation package)."""
    from mcp_servers.navigation.osm_provider import OsmMapProvider

    return OsmMapProvider()


def route_line(provider: MapProvider, origin: Sequence[float], destination: Sequence[float]) -> RouteLine:
    """The route from ``origin`` to ``destination`` (latitude, longitude) on ``provider``'s road graph.
    Raises the navigation errors (:class:`~mcp_servers.navigation.errors.NavigationError`) as they come."""
    route = provider.route(
        RouteRequest(
            origin=Position(latitude=origin[0], longitude=origin[1]),
            destination=Position(latitude=destination[0], longitude=destination[1]),
            include_geometry=True,
        )
    )
    return RouteLine(
        distance_m=route.distance_m,
        duration_s=route.duration_s,
        main_roads=route.main_roads,
        points=[(p.latitude, p.longitude) for p in route.geometry or ()],
    )
