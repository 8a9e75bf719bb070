"""The perception frame and the payloads the perception tools return.

A frame is what the car's perception stack saw at one instant: tracked objects around the car, the
traffic signs it recognised, and optionally the camera image those came from. Its YAML/JSON shape is the
one scenario files use (scenarios/README.md)::

    objects: [{class: cyclist, side: right, distance_m: 2.5, lane: right, rel_speed_kmh: -3}]
    signs: [{kind: speed_limit, value: 50}]
    image: images/sign_parking.png

Conventions (all relative to the ego car):

- ``side`` is the sector the object is in: ``ahead``, ``behind``, ``left`` or ``right``.
- ``distance_m`` is the straight-line distance from the car's reference point (the driver's mirror).
- ``bearing_deg`` (optional) is the direction to the object: 0 straight ahead, positive clockwise
  (90 = right, -90 = left, ±180 = behind). When given it must lie in the ``side`` sector
  (ahead |b| <= 45, right 45..135, behind |b| >= 135, left -135..-45; the boundaries belong to both).
- ``rel_speed_kmh`` is the object's speed along the driving direction minus the car's own speed:
  positive = the object moves forward faster than the car, negative = the car is faster.
- ``lane`` defaults from ``side``: left -> left, right -> right, ahead/behind -> ego.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mcp_servers.perception.errors import FrameError

ObjectClass = Literal[
    "car",
    "truck",
    "bus",
    "van",
    "motorcycle",
    "cyclist",
    "scooter",
    "pedestrian",
    "animal",
    "unknown",
]
Side = Literal["left", "right", "ahead", "behind"]
Lane = Literal[
    "ego", "left", "right", "far_left", "far_right", "oncoming", "shoulder", "bike_lane", "sidewalk"
]
SignKind = Literal[
    "speed_limit",
    "end_speed_limit",
    "stop",
    "yield",
    "no_entry",
    "no_parking",
    "no_stopping",
    "parking",
    "no_overtaking",
    "pedestrian_crossing",
    "school_zone",
    "roadworks",
    "one_way",
    "text",
]
Region = Literal["all", "left", "right", "ahead", "behind", "blind_spot"]
MediaType = Literal["image/png", "image/jpeg"]
RoadType = Literal["residential", "urban", "rural", "motorway"]
BlindSpot = Literal["left", "right"]

MAX_OBJECTS = 256
MAX_SIGNS = 64
MAX_IMAGE_BYTES = 16 * 1024 * 1024
SPEED_LIMIT_RANGE_KMH = (5.0, 250.0)

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_LEFT_LANES = frozenset({"left", "far_left"})
_RIGHT_LANES = frozenset({"right", "far_right"})
_SECTORS: dict[str, tuple[float, float]] = {
    "right": (45.0, 135.0),
    "left": (-135.0, -45.0),
}


def sniff_media_type(data: bytes) -> MediaType | None:
    """The media type that the leading bytes of ``data`` announce, or None when neither PNG nor JPEG."""
    if data.startswith(_PNG_MAGIC):
        return "image/png"
    if data.startswith(_JPEG_MAGIC):
        return "image/jpeg"
    return None


def bearing_in_sector(bearing_deg: float, side: Side) -> bool:
    """Whether a bearing lies in a side's sector (boundaries at ±45° and ±135° belong to both sides)."""
    if side == "ahead":
        return abs(bearing_deg) <= 45.0
    if side == "behind":
        return abs(bearing_deg) >= 135.0
    low, high = _SECTORS[side]
    return low <= bearing_deg <= high


def _lane_from_side(data: dict[str, Any]) -> Lane:
    side = data.get("side")
    if side == "left":
        return "left"
    if side == "right":
        return "right"
    return "ego"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True)


class PerceivedObject(_Model):
    """One tracked object around the car."""

    id: str = Field(
        default="",
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:#-]*$",
        description="Stable track id; when empty the frame assigns '<class>-<n>' (n = 1-based position).",
    )
    object_class: ObjectClass = Field(alias="class", description="What the object is.")
    side: Side = Field(description="Sector of the object relative to the car.")
    distance_m: float = Field(ge=0.0, le=500.0, allow_inf_nan=False, description="Distance in metres.")
    lane: Lane = Field(
        default_factory=_lane_from_side,
        description="Lane of the object; defaults from side (left/right, else ego).",
    )
    rel_speed_kmh: float = Field(
        default=0.0,
        ge=-400.0,
        le=400.0,
        allow_inf_nan=False,
        description="Object speed minus the car's speed along the driving direction (km/h).",
    )
    bearing_deg: float | None = Field(
        default=None,
        ge=-180.0,
        le=180.0,
        allow_inf_nan=False,
        description="Direction to the object: 0 ahead, 90 right, -90 left, ±180 behind.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.bearing_deg is not None and not bearing_in_sector(self.bearing_deg, self.side):
            raise FrameError(
                f"bearing_deg {self.bearing_deg:g} is not in the {self.side!r} sector "
                "(ahead |b|<=45, right 45..135, behind |b|>=135, left -135..-45)"
            )
        if self.lane in _LEFT_LANES and self.side == "right":
            raise FrameError(f"an object in lane {self.lane!r} cannot be on the right side")
        if self.lane in _RIGHT_LANES and self.side == "left":
            raise FrameError(f"an object in lane {self.lane!r} cannot be on the left side")
        if self.bearing_deg is not None and abs(self.bearing_deg) not in (0.0, 180.0):
            if self.lane in _LEFT_LANES and self.bearing_deg > 0:
                raise FrameError(f"an object in lane {self.lane!r} cannot have a bearing to the right")
            if self.lane in _RIGHT_LANES and self.bearing_deg < 0:
                raise FrameError(f"an object in lane {self.lane!r} cannot have a bearing to the left")
        return self


class RecognisedSign(_Model):
    """A traffic sign the perception stack recognised."""

    kind: SignKind = Field(description="What kind of sign it is.")
    value: int | float | str | None = Field(
        default=None,
        description="The sign's value: km/h for speed_limit/end_speed_limit, e.g. '2h' for parking.",
    )
    text: str | None = Field(default=None, max_length=200, description="Text printed on the sign, if any.")
    side: Side | None = Field(default=None, description="Where the sign stands, if known.")
    distance_m: float | None = Field(default=None, ge=0.0, le=1000.0, allow_inf_nan=False)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)

    @field_validator("value", mode="before")
    @classmethod
    def _no_booleans(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise FrameError(f"a sign value must be a number or text, not {str(value).lower()}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind in ("speed_limit", "end_speed_limit"):
            if self.kind == "speed_limit" and self.value is None:
                raise FrameError("a speed_limit sign needs a numeric value (km/h)")
            if self.value is not None:
                if not isinstance(self.value, int | float):
                    raise FrameError(f"{self.kind} value must be a number of km/h, got {self.value!r}")
                low, high = SPEED_LIMIT_RANGE_KMH
                if not low <= float(self.value) <= high:
                    raise FrameError(f"{self.kind} value {self.value!r} km/h is outside {low:g}..{high:g}")
        if self.kind == "text" and not (self.text and self.text.strip()):
            raise FrameError("a text sign needs a non-empty 'text'")
        return self


class CameraImage(_Model):
    """A camera frame: a file path (PNG/JPEG) or the image bytes in base64.

    In YAML a plain string is a path: ``image: images/sign_parking.png``. A relative path is resolved
    against the scenario file's folder (``PerceptionFrame.resolved``) or, when pushed to the service,
    against the service's image root.
    """

    path: str | None = Field(default=None, min_length=1, max_length=4096, description="Path to a PNG/JPEG.")
    data_base64: str | None = Field(default=None, description="PNG or JPEG bytes, base64-encoded.")
    media_type: MediaType | None = Field(
        default=None, description="image/png or image/jpeg; when given it must match the data."
    )

    @model_validator(mode="before")
    @classmethod
    def _path_shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"path": data}
        if isinstance(data, Path):
            return {"path": str(data)}
        return data

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.path is None) == (self.data_base64 is None):
            raise FrameError("an image needs exactly one of 'path' or 'data_base64'")
        if self.data_base64 is not None:
            raw = _decode_base64(self.data_base64)
            sniffed = sniff_media_type(raw)
            if sniffed is None:
                raise FrameError("image data is neither PNG nor JPEG")
            if self.media_type is not None and self.media_type != sniffed:
                raise FrameError(f"media_type says {self.media_type} but the data is {sniffed}")
        return self

    @classmethod
    def from_bytes(cls, data: bytes) -> CameraImage:
        """An inline image from PNG or JPEG bytes."""
        return cls(data_base64=base64.b64encode(data).decode("ascii"))

    def inline_bytes(self) -> bytes | None:
        """The decoded inline bytes, or None for a path image."""
        if self.data_base64 is None:
            return None
        return _decode_base64(self.data_base64)

    def resolved(self, base_dir: Path) -> CameraImage:
        """This image with its path absolute and normalised (``~`` expanded, a relative path joined to
        ``base_dir``, ``..`` and links resolved); an inline image is returned as it is."""
        if self.path is None:
            return self
        path = Path(self.path).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        normalised = str(path.resolve())
        return self if normalised == self.path else self.model_copy(update={"path": normalised})


def _decode_base64(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FrameError(f"data_base64 is not valid base64: {exc}") from exc
    if len(raw) > MAX_IMAGE_BYTES:
        raise FrameError(f"image data is {len(raw)} bytes, more than the {MAX_IMAGE_BYTES} allowed")
    return raw


class PerceptionFrame(_Model):
    """What the perception stack saw at one instant."""

    objects: list[PerceivedObject] = Field(default_factory=list, max_length=MAX_OBJECTS)
    signs: list[RecognisedSign] = Field(default_factory=list, max_length=MAX_SIGNS)
    image: CameraImage | None = Field(default=None, description="The camera frame, if any.")
    road_type: RoadType | None = Field(
        default=None,
        description="The kind of road the car is on, if known; a change ends the speed limit in force.",
    )
    timestamp: float | None = Field(
        default=None,
        allow_inf_nan=False,
        description="Seconds on the perception clock; stamped when the frame is pushed without one.",
    )

    @model_validator(mode="before")
    @classmethod
    def _assign_ids(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        objects = data.get("objects")
        if not isinstance(objects, list):
            return data
        numbered: list[Any] = []
        for index, item in enumerate(objects, start=1):
            if isinstance(item, Mapping) and not item.get("id"):
                kind = item.get("class", item.get("object_class", "object"))
                numbered.append({**item, "id": f"{kind}-{index}"})
            elif isinstance(item, PerceivedObject) and not item.id:
                numbered.append(item.model_copy(update={"id": f"{item.object_class}-{index}"}))
            else:
                numbered.append(item)
        return {**data, "objects": numbered}

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        seen: set[str] = set()
        for obj in self.objects:
            if obj.id in seen:
                raise FrameError(f"two objects share the id {obj.id!r}; give each object its own 'id'")
            seen.add(obj.id)
        return self

    def resolved(self, base_dir: Path) -> PerceptionFrame:
        """This frame with a relative image path made absolute against ``base_dir`` (a scenario's folder)."""
        if self.image is None:
            return self
        return self.model_copy(update={"image": self.image.resolved(base_dir)})


# --- tool results ----------------------------------------------------------------------------------------


class ObjectReport(PerceivedObject):
    """A perceived object with what the region logic derived from it."""

    blind_spot: BlindSpot | None = Field(description="Which blind spot the object is in, if any.")
    closing_speed_kmh: float | None = Field(
        description="How fast the longitudinal gap shrinks (km/h, negative = opening); None when beside."
    )
    time_to_contact_s: float | None = Field(description="Gap / closing speed when closing; else None.")
    approaching_fast: bool = Field(description="Closing fast enough that contact is near (see thresholds).")


class ObjectsResult(_Model):
    """Result of ``get_objects``."""

    region: Region
    timestamp: float
    age_s: float = Field(description="How old the frame is, in seconds.")
    count: int
    objects: list[ObjectReport] = Field(description="Objects in the region, nearest first.")
    blind_spot_left: bool = Field(description="Something is in the left blind spot.")
    blind_spot_right: bool = Field(description="Something is in the right blind spot.")
    approaching_fast: list[str] = Field(description="Ids of objects in the region that approach fast.")
    summary: str = Field(description="One short sentence a driver understands.")


class RememberedSign(_Model):
    """A sign the car passed, when it was first and last in view, and how long ago that was."""

    sign: RecognisedSign
    source: Literal["detector", "ocr"] = Field(
        description="detector: recognised by the perception stack; ocr: text read from the camera image."
    )
    first_seen: float = Field(description="Seconds on the perception clock when it came into view.")
    last_seen: float = Field(description="Seconds on the perception clock when it was last in view.")
    age_s: float = Field(default=0.0, ge=0.0, description="Seconds since it was last in view.")


class LimitInForce(_Model):
    """The speed limit the last limit sign set, or the one that ended and how."""

    value_kmh: float
    seen_at: float = Field(description="When its sign was last in view (perception clock).")
    age_s: float = Field(ge=0.0, description="Seconds since its sign was last in view.")
    ended: Literal["end_sign", "road_type"] | None = Field(
        default=None, description="Why it no longer holds; None while it is in force."
    )
    ended_at: float | None = None
    ended_age_s: float | None = None


class SignsResult(_Model):
    """Result of ``get_signs``."""

    timestamp: float
    age_s: float
    signs: list[RecognisedSign]
    speed_limit_kmh: float | None = Field(description="The nearest speed limit in the frame, if any.")
    summary: str
    recent: list[RememberedSign] = Field(
        default_factory=list, description="Signs passed recently, newest first, with how long ago."
    )
    limit: LimitInForce | None = Field(
        default=None, description="The limit the last limit sign set (or how it ended), even out of view."
    )


class OcrLine(_Model):
    """One line of text the OCR engine found."""

    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    box: list[tuple[float, float]] = Field(description="Four corner points (x, y) in image pixels.")


class OcrReading(_Model):
    """What an OCR engine read in one image."""

    text: str = Field(description="All lines, in reading order, joined by newlines.")
    lines: list[OcrLine]
    engine: str
    latency_ms: float = Field(description="Time spent reading this image (engine load excluded).")
    load_ms: float | None = Field(description="Engine load time, when this call loaded the engine.")


class SignTextResult(_Model):
    """Result of ``read_sign_text``."""

    timestamp: float
    text: str
    lines: list[OcrLine]
    found: bool = Field(description="Whether any text was read.")
    engine: str
    latency_ms: float
    load_ms: float | None


class FrameDescription(_Model):
    """Result of ``describe_frame``."""

    timestamp: float
    text: str
    describer: str
    latency_ms: float


class ImageInfo(_Model):
    """What is known about a frame's camera image without sending its bytes."""

    media_type: MediaType
    width: int
    height: int
    byte_size: int
    path: str | None


class FrameResult(_Model):
    """Result of ``get_frame``."""

    source: str
    timestamp: float
    age_s: float
    objects: list[ObjectReport]
    signs: list[RecognisedSign]
    image: ImageInfo | None


class FrameImage(_Model):
    """Result of ``get_frame_image``: the latest frame's camera image itself."""

    timestamp: float
    media_type: MediaType
    data: str = Field(description="the image's bytes, base64")


class PushResult(_Model):
    """Result of ``push_frame``."""

    timestamp: float
    object_ids: list[str]
    signs: int
    has_image: bool
