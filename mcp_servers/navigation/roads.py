"""The road model: which OSM ways a car may drive, in which direction, how fast, and what they are.

Drivable: ``highway`` in :data:`HIGHWAY_SPEEDS_KMH`, not an area (``area=yes``), not closed to cars
(the most specific of ``motorcar``, ``motor_vehicle``, ``vehicle``, ``access`` is not ``no``,
``private``, ``agricultural``, ``forestry``, ``delivery``, ``emergency`` or ``psv``), not
``service=emergency_access``. Direction: ``oneway`` (or ``oneway:motorcar`` / ``oneway:motor_vehicle``)
``yes|true|1`` forward only, ``-1|reverse`` backward only, ``reversible|alternating`` not routed;
``junction=roundabout|circular`` and ``highway=motorway`` are one-way unless ``oneway=no``.
Speed: ``maxspeed`` (or ``maxspeed:forward`` / ``maxspeed:backward``) in km/h, mph or a zone name,
else the class default; the driving speed is :data:`SPEED_FACTOR` times that (the reduction the OSRM car
profile applies), and a segment that ends at ``highway=traffic_signals`` costs
:data:`TRAFFIC_SIGNAL_DELAY_S` more.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mcp_servers.navigation.errors import UnknownAvoidOption

HIGHWAY_SPEEDS_KMH: Mapping[str, float] = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 30.0,
}
"""Drivable highway classes and their speed in km/h when the way has no usable ``maxspeed``."""

SPEED_FACTOR = 0.8
TRAFFIC_SIGNAL_DELAY_S = 2.0

FLAG_MOTORWAY = 1
FLAG_TRUNK = 2
FLAG_TOLL = 4
FLAG_UNPAVED = 8

_CLOSED_ACCESS = frozenset({"no", "private", "agricultural", "forestry", "delivery", "emergency", "psv"})
_UNPAVED_SURFACES = frozenset(
    {
        "unpaved",
        "compacted",
        "fine_gravel",
        "gravel",
        "pebblestone",
        "rock",
        "dirt",
        "earth",
        "ground",
        "grass",
        "grass_paver",
        "mud",
        "sand",
        "woodchips",
        "clay",
        "snow",
        "ice",
    }
)
_UNPAVED_TRACKTYPES = ("grade2", "grade3", "grade4", "grade5")
_ZONE_SPEEDS_KMH: Mapping[str, float] = {
    "urban": 50.0,
    "rural": 80.0,
    "trunk": 100.0,
    "motorway": 120.0,
    "living_street": 20.0,
    "walk": 7.0,
}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")
_ZONE = re.compile(r"^(?:[a-z]{2}:)?zone:?(\d+)$")


@dataclass(frozen=True)
class AvoidOption:
    """A kind of road a route can avoid, and the road flag that marks it."""

    name: str
    label: str
    description: str
    flag: int
    osm_tags: tuple[str, ...]


AVOID_OPTIONS: tuple[AvoidOption, ...] = (
    AvoidOption(
        "motorways",
        "motorways",
        "motorways and their ramps",
        FLAG_MOTORWAY,
        ("highway=motorway", "highway=motorway_link"),
    ),
    AvoidOption(
        "trunk_roads",
        "trunk roads",
        "trunk roads and their ramps",
        FLAG_TRUNK,
        ("highway=trunk", "highway=trunk_link"),
    ),
    AvoidOption("tolls", "toll roads", "toll roads", FLAG_TOLL, ("toll=yes", "toll:motorcar=yes")),
    AvoidOption(
        "unpaved",
        "unpaved roads",
        "unpaved roads (gravel, dirt and the like)",
        FLAG_UNPAVED,
        (
            *(f"surface={surface}" for surface in sorted(_UNPAVED_SURFACES)),
            *(f"tracktype={grade}" for grade in _UNPAVED_TRACKTYPES),
        ),
    ),
)
AVOID_NAMES: tuple[str, ...] = tuple(option.name for option in AVOID_OPTIONS)
_AVOID_ALIASES: Mapping[str, str] = {
    "motorway": "motorways",
    "highway": "motorways",
    "highways": "motorways",
    "freeway": "motorways",
    "freeways": "motorways",
    "trunk": "trunk_roads",
    "trunk_road": "trunk_roads",
    "toll": "tolls",
    "toll_roads": "tolls",
    "toll_road": "tolls",
    "gravel": "unpaved",
    "unpaved_roads": "unpaved",
    "dirt_roads": "unpaved",
}


def resolve_avoid(options: Iterable[str]) -> list[AvoidOption]:
    """The avoid options named (names or aliases, any case), without duplicates, in catalog order."""
    by_name = {option.name: option for option in AVOID_OPTIONS}
    wanted: set[str] = set()
    for option in options:
        word = re.sub(r"[\s\-]+", "_", option.strip().casefold())
        word = _AVOID_ALIASES.get(word, word)
        if word not in by_name:
            raise UnknownAvoidOption(option, AVOID_NAMES)
        wanted.add(word)
    return [option for option in AVOID_OPTIONS if option.name in wanted]


@dataclass(frozen=True)
class RoadProfile:
    """How a car may use one OSM way."""

    highway: str
    label: str | None
    forward: bool
    backward: bool
    forward_kmh: float
    backward_kmh: float
    flags: int


def parse_maxspeed(value: str) -> float | None:
    """A ``maxspeed`` value in km/h, or None when it gives no number (``none``, ``signals``, unknown)."""
    text = value.strip().casefold()
    if ";" in text:
        speeds = [speed for part in text.split(";") if (speed := parse_maxspeed(part)) is not None]
        return min(speeds) if speeds else None
    number = _NUMBER.match(text)
    if number:
        speed = float(number.group(1))
        if number.group(2) == "mph":
            speed *= 1.609344
        return speed if speed > 0 else None
    zone = _ZONE.match(text)
    if zone:
        return float(zone.group(1))
    if text == "walk":
        return _ZONE_SPEEDS_KMH["walk"]
    if ":" in text:
        return _ZONE_SPEEDS_KMH.get(text.split(":", 1)[1])
    return None


def _access(tags: Mapping[str, str]) -> str | None:
    for key in ("motorcar", "motor_vehicle", "vehicle", "access"):
        if key in tags:
            return tags[key]
    return None


def _oneway(tags: Mapping[str, str], highway: str) -> str:
    for key in ("oneway:motorcar", "oneway:motor_vehicle", "oneway"):
        if key in tags:
            value = tags[key].strip().casefold()
            if value in ("yes", "true", "1"):
                return "forward"
            if value in ("-1", "reverse"):
                return "backward"
            if value in ("reversible", "alternating"):
                return "unknown"
            if value in ("no", "false", "0"):
                return "both"
    if tags.get("junction") in ("roundabout", "circular") or highway == "motorway":
        return "forward"
    return "both"


def _flags(tags: Mapping[str, str], highway: str) -> int:
    flags = 0
    if highway in ("motorway", "motorway_link"):
        flags |= FLAG_MOTORWAY
    if highway in ("trunk", "trunk_link"):
        flags |= FLAG_TRUNK
    if tags.get("toll") == "yes" or tags.get("toll:motorcar") == "yes":
        flags |= FLAG_TOLL
    surface = tags.get("surface")
    if (surface is not None and surface in _UNPAVED_SURFACES) or tags.get("tracktype") in _UNPAVED_TRACKTYPES:
        flags |= FLAG_UNPAVED
    return flags


def road_profile(tags: Mapping[str, str]) -> RoadProfile | None:
    """How a car may use a way with these tags, or None when a car may not drive it."""
    highway = tags.get("highway")
    if highway is None or highway not in HIGHWAY_SPEEDS_KMH:
        return None
    if tags.get("area") == "yes" or tags.get("service") == "emergency_access":
        return None
    access = _access(tags)
    if access is not None and access in _CLOSED_ACCESS:
        return None
    direction = _oneway(tags, highway)
    if direction == "unknown":
        return None
    default = HIGHWAY_SPEEDS_KMH[highway]
    limit = parse_maxspeed(tags["maxspeed"]) if "maxspeed" in tags else None
    base = limit if limit is not None else default
    forward_limit = parse_maxspeed(tags["maxspeed:forward"]) if "maxspeed:forward" in tags else None
    backward_limit = parse_maxspeed(tags["maxspeed:backward"]) if "maxspeed:backward" in tags else None
    return RoadProfile(
        highway=highway,
        label=tags.get("name") or tags.get("ref"),
        forward=direction in ("forward", "both"),
        backward=direction in ("backward", "both"),
        forward_kmh=SPEED_FACTOR * (forward_limit if forward_limit is not None else base),
        backward_kmh=SPEED_FACTOR * (backward_limit if backward_limit is not None else base),
        flags=_flags(tags, highway),
    )
