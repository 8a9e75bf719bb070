"""Where objects are relative to the car: regions, blind spots and closing objects.

Everything here is deterministic arithmetic on one frame; no state, no clock.

Geometry. Each object gets a position in the car's frame: ``x`` metres forward, ``y`` metres to the right,
from the reference point (the driver's mirror). With a bearing ``b``: ``x = d·cos b``, ``y = d·sin b``.
Without one the side decides: ahead ``x = d``, behind ``x = -d``, left/right ``x = 0`` (beside).

Blind spot (left; right is the mirror image). An object is in the left blind spot when all hold:

- it is on the left: bearing left of the axis, else side ``left``, else a left lane (``left``/``far_left``);
- it is not ``ahead``, and its lane is the adjacent one: ``left``, ``shoulder`` or ``bike_lane``;
- ``-blind_spot_rear_m <= x <= blind_spot_front_m`` (beside or slightly behind; default -6 m .. +1 m,
  about the zone of ISO 17387 lane-change decision aids: from the mirror to ~3 m past the rear bumper);
- ``distance_m <= blind_spot_range_m`` (default 6 m: within a few metres, so one adjacent lane).

Closing. Only objects ahead or behind (their ``side``) close or open a gap; an object to the left or
right is alongside and has no closing speed. The longitudinal gap is ``|x|``. For an object ahead it
shrinks at ``-rel_speed``, for one behind at ``+rel_speed``. Time to contact is gap / closing speed while
the gap closes at 0.01 km/h or more. An object *approaches fast* when it is in a lane the car could meet
it in (``ego``, ``left``, ``right``, ``bike_lane``, ``shoulder``: not the sidewalk, oncoming or far
lanes), closes at least ``approach_min_closing_kmh`` (default 5 km/h) and its time to contact is at most
``approach_ttc_s`` (default 3.5 s, the closing-vehicle warning time used by lane-change decision aids).

Regions for ``get_objects``: ``ahead``/``behind`` = that side; ``left``/``right`` = that side plus that
blind spot (which may reach slightly behind); ``blind_spot`` = either blind spot; ``all`` = everything.
Results are nearest first (ties by id).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from mcp_servers.perception.models import BlindSpot, ObjectReport, PerceivedObject, Region

_KMH_PER_MS = 3.6
_EPSILON_M = 1e-6
# Below this a gap is not meaningfully closing (and dividing by it would overflow).
_MIN_CLOSING_KMH = 0.01
_APPROACH_LANES = frozenset({"ego", "left", "right", "bike_lane", "shoulder"})
_ADJACENT: dict[BlindSpot, frozenset[str]] = {
    "left": frozenset({"left", "shoulder", "bike_lane"}),
    "right": frozenset({"right", "shoulder", "bike_lane"}),
}


class RegionThresholds(BaseModel):
    """The tunable numbers of the region logic (defaults documented in the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blind_spot_rear_m: float = Field(default=6.0, gt=0.0, le=50.0)
    blind_spot_front_m: float = Field(default=1.0, ge=0.0, le=10.0)
    blind_spot_range_m: float = Field(default=6.0, gt=0.0, le=50.0)
    approach_ttc_s: float = Field(default=3.5, gt=0.0, le=60.0)
    approach_min_closing_kmh: float = Field(default=5.0, ge=0.0, le=200.0)


DEFAULT_THRESHOLDS = RegionThresholds()


def position(obj: PerceivedObject) -> tuple[float, float]:
    """``(x forward, y right)`` in metres (see the module docstring)."""
    if obj.bearing_deg is not None:
        rad = math.radians(obj.bearing_deg)
        # Rounded to the nanometre so that exact boundary cases are not decided by float noise.
        x = round(obj.distance_m * math.cos(rad), 9)
        y = round(obj.distance_m * math.sin(rad), 9)
        return (0.0 if abs(x) < _EPSILON_M else x, 0.0 if abs(y) < _EPSILON_M else y)
    if obj.side == "ahead":
        return (obj.distance_m, 0.0)
    if obj.side == "behind":
        return (-obj.distance_m, 0.0)
    return (0.0, obj.distance_m if obj.side == "right" else -obj.distance_m)


def lateral_side(obj: PerceivedObject) -> BlindSpot | None:
    """Which side of the car's axis the object is on, or None when it cannot be told."""
    if obj.bearing_deg is not None and abs(obj.bearing_deg) not in (0.0, 180.0):
        return "right" if obj.bearing_deg > 0 else "left"
    if obj.side in ("left", "right"):
        return "left" if obj.side == "left" else "right"
    if obj.lane in ("left", "far_left"):
        return "left"
    if obj.lane in ("right", "far_right"):
        return "right"
    return None


def blind_spot(obj: PerceivedObject, thresholds: RegionThresholds = DEFAULT_THRESHOLDS) -> BlindSpot | None:
    """The blind spot the object is in, or None."""
    side = lateral_side(obj)
    if side is None or obj.side == "ahead" or obj.lane not in _ADJACENT[side]:
        return None
    if obj.distance_m > thresholds.blind_spot_range_m:
        return None
    x, _ = position(obj)
    if -thresholds.blind_spot_rear_m <= x <= thresholds.blind_spot_front_m:
        return side
    return None


def closing_speed_kmh(obj: PerceivedObject) -> float | None:
    """How fast the longitudinal gap shrinks (km/h; negative = opening), or None when alongside."""
    if obj.side == "ahead":
        return -obj.rel_speed_kmh
    if obj.side == "behind":
        return obj.rel_speed_kmh
    return None


def time_to_contact_s(obj: PerceivedObject) -> float | None:
    """Longitudinal gap / closing speed while the gap shrinks, else None."""
    closing = closing_speed_kmh(obj)
    if closing is None or closing < _MIN_CLOSING_KMH:
        return None
    x, _ = position(obj)
    return abs(x) / (closing / _KMH_PER_MS)


def report(obj: PerceivedObject, thresholds: RegionThresholds = DEFAULT_THRESHOLDS) -> ObjectReport:
    """The object together with everything derived from it."""
    closing = closing_speed_kmh(obj)
    ttc = time_to_contact_s(obj)
    fast = (
        obj.lane in _APPROACH_LANES
        and closing is not None
        and ttc is not None
        and closing >= thresholds.approach_min_closing_kmh
        and ttc <= thresholds.approach_ttc_s
    )
    return ObjectReport(
        **obj.model_dump(),
        blind_spot=blind_spot(obj, thresholds),
        closing_speed_kmh=None if closing is None else round(closing, 3),
        time_to_contact_s=None if ttc is None else round(ttc, 3),
        approaching_fast=fast,
    )


def in_region(item: ObjectReport, region: Region) -> bool:
    """Whether an analysed object belongs to a region (see the module docstring)."""
    if region == "all":
        return True
    if region == "blind_spot":
        return item.blind_spot is not None
    if region in ("left", "right"):
        return item.side == region or item.blind_spot == region
    return item.side == region


def analyse(
    objects: Iterable[PerceivedObject],
    region: Region = "all",
    thresholds: RegionThresholds = DEFAULT_THRESHOLDS,
) -> list[ObjectReport]:
    """The objects of a region with their derived facts, nearest first (ties by id)."""
    reports = [report(obj, thresholds) for obj in objects]
    selected = [item for item in reports if in_region(item, region)]
    return sorted(selected, key=lambda item: (item.distance_m, item.id))


_REGION_WORDS: dict[Region, str] = {
    "all": "around the car",
    "left": "on the left",
    "right": "on the right",
    "ahead": "ahead",
    "behind": "behind",
    "blind_spot": "in the blind spots",
}
_SIDE_WORDS = {"left": "on the left", "right": "on the right", "ahead": "ahead", "behind": "behind"}


def _metres(value: float) -> str:
    return f"{value:.0f} m" if value >= 10.0 else f"{value:.1f} m"


def describe(item: ObjectReport) -> str:
    """A short phrase for one object, e.g. ``cyclist on the right, 2.5 m, in the right blind spot``."""
    parts = [f"{item.object_class} {_SIDE_WORDS[item.side]}", _metres(item.distance_m)]
    if item.blind_spot is not None:
        parts.append(f"in the {item.blind_spot} blind spot")
    if item.approaching_fast and item.time_to_contact_s is not None and item.closing_speed_kmh is not None:
        parts.append(
            f"closing at {item.closing_speed_kmh:.0f} km/h, about {item.time_to_contact_s:.1f} s away"
        )
    return ", ".join(parts)


def summarize(items: list[ObjectReport], region: Region, limit: int = 4) -> str:
    """One sentence about a region's analysed objects (at most ``limit`` named, nearest first)."""
    where = _REGION_WORDS[region]
    if not items:
        return f"Nothing detected {where}."
    named = "; ".join(describe(item) for item in items[:limit])
    more = len(items) - limit
    tail = f"; and {more} more" if more > 0 else ""
    noun = "object" if len(items) == 1 else "objects"
    return f"{len(items)} {noun} {where}: {named}{tail}."
