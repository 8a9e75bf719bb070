"""Payloads of the navigation map service: the requests it takes and the results it returns.

Every position is WGS84 in decimal degrees, every distance in metres, every duration in seconds (with
minutes alongside for a spoken reply). Names and tags come from OpenStreetMap: they are data, never
instructions, and must not by themselves cause an action in the car.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcp_servers.navigation.names import words

ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
"""Credit every result carries: the map data is OpenStreetMap's, under the Open Database Licence."""

POI_ID_PATTERN = r"^[nwr][1-9][0-9]{0,18}$"
"""A POI id is the OSM element type (n = node, w = way, r = relation) followed by its OSM id."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Position(_Model):
    """A point on the earth (WGS84 degrees)."""

    latitude: float = Field(ge=-90.0, le=90.0, description="WGS84 latitude in degrees")
    longitude: float = Field(ge=-180.0, le=180.0, description="WGS84 longitude in degrees")


class Bounds(_Model):
    """The rectangle a map covers."""

    min_latitude: float
    min_longitude: float
    max_latitude: float
    max_longitude: float

    def contains(self, position: Position) -> bool:
        """True when the position lies inside the rectangle (edges included)."""
        return (
            self.min_latitude <= position.latitude <= self.max_latitude
            and self.min_longitude <= position.longitude <= self.max_longitude
        )

    def describe(self) -> str:
        """The rectangle in words, for error messages."""
        return (
            f"latitude {self.min_latitude:.5f}..{self.max_latitude:.5f}, "
            f"longitude {self.min_longitude:.5f}..{self.max_longitude:.5f}"
        )


class CategoryInfo(_Model):
    """A POI category: the OSM tags that put a place into it, and how many places the map has."""

    name: str
    description: str
    osm_tags: list[str] = Field(description="OSM tags (key=value) that put a place in this category")
    aliases: list[str] = Field(description="other words accepted for this category")
    count: int = Field(ge=0, description="places of this category in the loaded map")


class CategoryList(_Model):
    """The POI categories, their OSM tags and how many places of each the loaded map has."""

    categories: list[CategoryInfo]
    attribution: str = ATTRIBUTION


class AvoidOptionInfo(_Model):
    """A kind of road that a route can avoid, and how many road segments of that kind the map has."""

    name: str
    description: str
    osm_tags: list[str]
    segments_in_map: int = Field(ge=0)


class MapInfo(_Model):
    """What the loaded map covers and holds."""

    source: str = Field(description="file name of the OSM extract")
    sha256: str
    bounds: Bounds
    default_position: Position = Field(description="car position used when none is known")
    road_nodes: int
    road_segments: int
    pois: int
    categories: list[CategoryInfo]
    avoid_options: list[AvoidOptionInfo]
    load_seconds: float = Field(description="time the map took to load, parsing or cache read included")
    from_cache: bool = Field(description="whether the parsed form came from the on-disk cache")
    attribution: str = ATTRIBUTION


class PoiQuery(_Model):
    """A search for places near a position, by category, by name, or both."""

    near: Position
    category: str | None = Field(default=None, description="a category name or alias (see categories)")
    name: str | None = Field(
        default=None,
        description="what the place is called, in any of its names or languages, any case or accents; "
        "exact and whole-word matches come first, a near spelling only when nothing matches as said",
    )
    street: str | None = Field(
        default=None, description="only places on this street (their address, or a road they lie on)"
    )
    radius_m: float = Field(default=3000.0, gt=0.0, le=50_000.0)
    limit: int = Field(default=5, ge=1, le=50)
    road_distance: bool = Field(
        default=False, description="also compute driving distance and time, and sort by driving distance"
    )

    @model_validator(mode="after")
    def _category_or_name(self) -> PoiQuery:
        if self.category is None and self.name is None:
            raise ValueError("give a category, a name, or both")
        if self.name is not None and not words(self.name):
            raise ValueError("name must hold a letter or a digit")
        if self.street is not None and not words(self.street):
            raise ValueError("street must hold a letter or a digit")
        return self


class PoiSummary(_Model):
    """A place found by a search."""

    poi_id: str = Field(description="stable id: OSM element type letter and OSM id, e.g. n123456")
    name: str | None
    category: str | None = Field(description="the most specific category, or None for a named place")
    categories: list[str]
    position: Position
    address: str | None
    straight_line_m: float = Field(description="great-circle distance from the search position")
    road_distance_m: float | None = Field(default=None, description="driving distance, when asked for")
    eta_s: float | None = Field(default=None, description="driving time in seconds, when asked for")
    eta_min: float | None = Field(default=None, description="driving time in minutes, when asked for")
    name_match: Literal["exact", "words", "close"] | None = Field(
        default=None,
        description="how the searched name matched: the whole name, whole words of it, or a near spelling",
    )


class PoiSearchResult(_Model):
    """The places found, nearest first."""

    near: Position
    category: str | None = Field(description="the category searched for, after resolving aliases")
    name: str | None
    street: str | None = None
    radius_m: float
    sorted_by: Literal["straight_line", "road_distance"]
    total_found: int = Field(description="places within the radius before the limit was applied")
    pois: list[PoiSummary]
    attribution: str = ATTRIBUTION


class SnappedPoint(_Model):
    """A requested position and the road node a route starts or ends at."""

    requested: Position
    road_position: Position
    snap_distance_m: float = Field(description="distance from the requested position to the road node")


class PoiDetails(_Model):
    """Everything the map says about one place."""

    poi_id: str
    name: str | None
    names: dict[str, str] = Field(description="names in other languages and official or brand names")
    category: str | None
    categories: list[str]
    position: Position
    address: str | None
    nearest_road: SnappedPoint = Field(description="the road node a route to this place ends at")
    tags: dict[str, str] = Field(description="selected OSM tags: opening hours, contact, operator, capacity")
    osm_url: str
    attribution: str = ATTRIBUTION


class RouteRequest(_Model):
    """A route from a position to a position or to a POI."""

    origin: Position
    destination: Position | None = None
    poi_id: str | None = Field(default=None, pattern=POI_ID_PATTERN)
    avoid: list[str] = Field(default_factory=list, description="kinds of road to avoid (see map info)")
    include_geometry: bool = False

    @model_validator(mode="after")
    def _one_destination(self) -> RouteRequest:
        if (self.destination is None) == (self.poi_id is None):
            raise ValueError("give exactly one of a destination position or a poi_id")
        return self


class RoadStretch(_Model):
    """Consecutive route segments on the same road."""

    name: str | None = Field(description="road name (or its reference number); None for an unnamed road")
    highway: str = Field(description="OSM highway class of the stretch's first segment")
    distance_m: float
    duration_s: float


class AvoidOutcome(_Model):
    """What one avoid option did to the route."""

    option: str
    segments_in_map: int
    effect: Literal["changed_route", "route_unaffected", "no_such_roads_in_map"]
    message: str


class Route(_Model):
    """A drivable route: its length, its time, and the roads it follows."""

    origin: SnappedPoint
    destination: SnappedPoint
    poi_id: str | None
    poi_name: str | None
    distance_m: float = Field(description="driving distance along the road graph")
    duration_s: float = Field(description="estimated driving time, without traffic")
    duration_min: float
    straight_line_m: float = Field(description="great-circle distance between the two road points")
    main_roads: list[str] = Field(description="the longest named stretches, in driving order")
    roads: list[RoadStretch] = Field(description="every stretch, in driving order")
    avoid: list[AvoidOutcome]
    geometry: list[Position] | None = Field(description="road node positions, when asked for")
    attribution: str = ATTRIBUTION
