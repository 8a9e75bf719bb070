"""The structured facts a reply is written from, as read from the MCP servers.

Every model here validates what an MCP tool returned (pydantic at the boundary). Unknown extra fields
are ignored, so a perception or vehicle server that adds fields keeps working with this agent; a
missing or mistyped field is a protocol problem and makes that fact a `Gap`.

A fact that could not be read is never filled in: `Facts` holds either the view a tool returned or a
`Gap` saying why there is none (no frame yet, no camera image, server unreachable, tool error).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents.perception.errors import GapReason
from mcp_servers.vehicle.guardrails.context import GEAR, PARKED_GEAR, SPEED, is_moving

__all__ = [
    "ATTENTIVE",
    "DISTRACTION",
    "DRIVER_SIGNALS",
    "EYES_ON_ROAD",
    "FATIGUE",
    "GEAR",
    "HANDS_ON_WHEEL",
    "PARKED_GEAR",
    "SPEED",
    "DriverState",
    "DrivingState",
    "Facts",
    "Gap",
    "GapSource",
    "LimitSeen",
    "ObjectsView",
    "PassedSign",
    "SeenObject",
    "SeenSign",
    "Side",
    "SignReading",
    "SignsView",
]

FATIGUE = "Vehicle.Driver.FatigueLevel"
ATTENTIVE = "Vehicle.Driver.AttentiveProbability"
DISTRACTION = "Vehicle.Driver.DistractionLevel"
EYES_ON_ROAD = "Vehicle.Driver.IsEyesOnRoad"
HANDS_ON_WHEEL = "Vehicle.Driver.IsHandsOnWheel"

DRIVER_SIGNALS: tuple[str, ...] = (SPEED, GEAR, FATIGUE, ATTENTIVE, DISTRACTION, EYES_ON_ROAD, HANDS_ON_WHEEL)
"""The VSS signals read from the vehicle server on every turn."""


GapSource = Literal["objects", "signs", "sign_text", "vehicle"]
DrivingState = Literal["parked", "idling", "moving"]
Side = Literal["left", "right", "ahead", "behind"]
"""Where an object or a sign is, seen from the car."""


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class SeenObject(_Read):
    """One object of the perception frame, with what the perception server derived from it."""

    id: str = Field(min_length=1, max_length=64)
    object_class: str = Field(alias="class", pattern=r"^[a-z_]{1,32}$")
    side: Side
    distance_m: float = Field(ge=0.0, allow_inf_nan=False)
    lane: str = "ego"
    rel_speed_kmh: float = Field(default=0.0, allow_inf_nan=False)
    blind_spot: Literal["left", "right"] | None = None
    closing_speed_kmh: float | None = None
    time_to_contact_s: float | None = None
    approaching_fast: bool = False

    def as_data(self) -> dict[str, JsonValue]:
        """The object as it appears in a reply's data part (`class`, not `object_class`)."""
        return self.model_dump(mode="json", by_alias=True)


class ObjectsView(_Read):
    """Result of the perception server's `get_objects("all")`: every object of the latest frame."""

    timestamp: float
    age_s: float = Field(ge=0.0)
    objects: tuple[SeenObject, ...] = ()


class SeenSign(_Read):
    """A traffic sign the perception stack recognised."""

    kind: str = Field(pattern=r"^[a-z_]{1,32}$")
    value: int | float | str | None = None
    text: str | None = None
    side: Side | None = None
    distance_m: float | None = None

    def as_data(self) -> dict[str, JsonValue]:
        """The sign as it appears in a reply's data part."""
        return self.model_dump(mode="json", exclude_none=True)


class PassedSign(_Read):
    """A sign the perception server remembers the car passing, and how long ago it was last in view."""

    sign: SeenSign
    source: Literal["detector", "ocr"] = "detector"
    last_seen: float
    age_s: float = Field(ge=0.0)


class LimitSeen(_Read):
    """The speed limit the last limit sign set, how long ago that sign was in view, and whether it ended."""

    value_kmh: float = Field(gt=0.0)
    age_s: float = Field(ge=0.0)
    ended: Literal["end_sign", "road_type"] | None = None
    ended_age_s: float | None = Field(default=None, ge=0.0)


class SignsView(_Read):
    """Result of the perception server's `get_signs()`: the frame's signs and the server's sign memory.

    `recent` (newest first) and `limit` come from the server's memory of the signs the car passed;
    a server without one leaves them empty and only the frame's own signs count.
    """

    timestamp: float
    age_s: float = Field(ge=0.0)
    signs: tuple[SeenSign, ...] = ()
    speed_limit_kmh: float | None = None
    recent: tuple[PassedSign, ...] = ()
    limit: LimitSeen | None = None


class _OcrLine(_Read):
    text: str


class SignReading(_Read):
    """Result of the perception server's `read_sign_text()`: OCR of the latest camera image."""

    timestamp: float
    text: str = ""
    lines: tuple[_OcrLine, ...] = ()
    found: bool = False

    @property
    def spoken_text(self) -> str:
        """The lines read, in reading order, on one line."""
        return " ".join(" ".join(line.text for line in self.lines).split()) or " ".join(self.text.split())


class DriverState(BaseModel):
    """The vehicle signals of one turn; None where the vehicle did not report a value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    speed_kmh: float | None = None
    gear: int | None = None
    fatigue_level: float | None = None
    attentive_probability: float | None = None
    distraction_level: float | None = None
    eyes_on_road: bool | None = None
    hands_on_wheel: bool | None = None

    @classmethod
    def from_signals(cls, values: dict[str, object]) -> DriverState:
        """Build from `get_signals` output; values of the wrong type count as not reported."""

        def number(path: str) -> float | None:
            value = values.get(path)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            return float(value)

        def flag(path: str) -> bool | None:
            value = values.get(path)
            return value if isinstance(value, bool) else None

        gear = number(GEAR)
        return cls(
            speed_kmh=number(SPEED),
            gear=None if gear is None else int(gear),
            fatigue_level=number(FATIGUE),
            attentive_probability=number(ATTENTIVE),
            distraction_level=number(DISTRACTION),
            eyes_on_road=flag(EYES_ON_ROAD),
            hands_on_wheel=flag(HANDS_ON_WHEEL),
        )

    @property
    def driving_state(self) -> DrivingState:
        """PARKED / IDLING / MOVING as docs/safety.md defines them; an unknown speed counts as moving."""
        if is_moving(self.speed_kmh):  # any speed but zero, reversing included
            return "moving"
        return "parked" if self.gear == PARKED_GEAR else "idling"

    @property
    def monitored(self) -> bool:
        """Whether driver monitoring reported any of fatigue, attentiveness, distraction or gaze."""
        return any(
            value is not None
            for value in (
                self.fatigue_level,
                self.attentive_probability,
                self.distraction_level,
                self.eyes_on_road,
            )
        )

    def as_data(self) -> dict[str, JsonValue]:
        """The driver facts of a reply's data part, with the driving state."""
        data: dict[str, JsonValue] = self.model_dump(mode="json")
        data["driving_state"] = self.driving_state
        return data


class Gap(BaseModel):
    """A fact that could not be read, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: GapSource
    reason: GapReason
    detail: str = ""


class Facts(BaseModel):
    """Everything one turn read. A view is None exactly when it was not asked for or a `Gap` names it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    objects: ObjectsView | None = None
    signs: SignsView | None = None
    reading: SignReading | None = None
    driver: DriverState = DriverState()
    gaps: tuple[Gap, ...] = ()

    def gap(self, source: GapSource) -> Gap | None:
        """The gap recorded for `source`, if any."""
        for gap in self.gaps:
            if gap.source == source:
                return gap
        return None
