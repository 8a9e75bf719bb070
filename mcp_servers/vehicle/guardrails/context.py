"""Who is asking and in what state the car is: the facts every guardrail rule decides on."""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from ..catalog import Value

Seat: TypeAlias = Literal["driver", "passenger", "rear_left", "rear_right"]
SEATS: tuple[Seat, ...] = ("driver", "passenger", "rear_left", "rear_right")

Origin: TypeAlias = Literal["occupant", "agent", "external", "system"]
"""Where the request came from: ``occupant`` = words a person in the car said or typed; ``agent`` = an
agent's own initiative; ``external`` = text from elsewhere (a POI name, a message, a web page);
``system`` = the stack itself (a proactive notice)."""

META_SEAT = "cabin/seat"
META_ORIGIN = "cabin/origin"
META_TURN = "cabin/turn_id"
META_BEST_EFFORT = "cabin/best_effort"

SPEED = "Vehicle.Speed"
GEAR = "Vehicle.Powertrain.Transmission.SelectedGear"
PARKED_GEAR = 126
"""VSS ``SelectedGear`` value for P (park)."""


def is_moving(speed: object) -> bool:
    """Whether a ``Vehicle.Speed`` reading means the car moves: any speed but zero, forward or backward
    (reversing is moving); an unknown or unreadable speed counts as moving, the least permissive reading."""
    if not isinstance(speed, int | float) or isinstance(speed, bool):
        return True
    return speed != 0  # NaN is not zero either: moving


class DrivingState(enum.Enum):
    """Android Automotive's CarUxRestrictions driving states, the one definition every rule uses.

    - ``MOVING``: ``|Vehicle.Speed| > 0`` whatever the sign (reversing is moving), or speed unknown;
    - ``PARKED``: standing still (speed 0) with gear P selected (``SelectedGear`` = 126);
    - ``IDLING``: standing still in any other gear (drive, reverse or neutral at a red light), or with
      the gear unknown: neither moving nor parked.
    """

    PARKED = "parked"
    IDLING = "idling"
    MOVING = "moving"

    @classmethod
    def of(cls, state: Mapping[str, Value | None]) -> DrivingState:
        if is_moving(state.get(SPEED)):
            return cls.MOVING
        if state.get(GEAR) == PARKED_GEAR:
            return cls.PARKED
        return cls.IDLING

    @property
    def parked(self) -> bool:
        return self is DrivingState.PARKED

    @property
    def moving(self) -> bool:
        return self is DrivingState.MOVING


@dataclass(frozen=True, slots=True)
class ClientProfile:
    """A connecting client's identity and what it may write (GR-16).

    ``scopes`` are glob patterns over VSS paths (``Vehicle.Cabin.*`` matches every path below
    Vehicle.Cabin). ``default_origin``/``default_seat`` apply when a call carries no metadata: only
    person-facing clients (a local console) have them; for every other client a call without
    metadata is the least-privileged case (no seat, not a person's request).
    """

    client_id: str
    scopes: tuple[str, ...]
    default_origin: Origin | None = None
    default_seat: Seat | None = None
    limits: tuple[str, ...] = ()
    """When set, the call writes only these patterns as well (a task tool's declared signals)."""

    def may_write(self, path: str) -> bool:
        if self.limits and not any(fnmatch.fnmatchcase(path, pattern) for pattern in self.limits):
            return False
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.scopes)

    def within(self, patterns: tuple[str, ...]) -> ClientProfile:
        """This client, writing only what ``patterns`` match as well (a tool's own scope)."""
        return replace(self, limits=patterns)


# Least privilege by default: each agent writes only what its job needs.
DEFAULT_PROFILES: dict[str, ClientProfile] = {
    "operator": ClientProfile("operator", ("Vehicle.*",), default_origin="occupant", default_seat="driver"),
    "vehicle-control": ClientProfile(
        "vehicle-control",
        (
            "Vehicle.Cabin.HVAC.*",
            "Vehicle.Cabin.Seat.*",
            "Vehicle.Cabin.Door.*",
            "Vehicle.Cabin.Sunroof.*",
            "Vehicle.Cabin.RearShade.*",
            "Vehicle.Cabin.Light.*",
            "Vehicle.Cabin.IsWindowChildLockEngaged",
            "Vehicle.Cabin.Infotainment.Media.*",
            "Vehicle.Cabin.Infotainment.Navigation.Volume",
            "Vehicle.Cabin.Infotainment.Navigation.Mute",
            "Vehicle.Body.*",
            "Vehicle.Chassis.SteeringWheel.HeatingCooling",
        ),
    ),
    "navigation": ClientProfile("navigation", ("Vehicle.Cabin.Infotainment.Navigation.*",)),
    "perception-summary": ClientProfile("perception-summary", ()),
    "anonymous": ClientProfile("anonymous", ()),
}


@dataclass(frozen=True, slots=True)
class CallContext:
    """Everything about one tool call that is not the values themselves."""

    client: ClientProfile
    seat: Seat | None = None
    origin: Origin | None = None
    turn_id: str | None = None
    best_effort: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_meta(cls, client: ClientProfile, meta: Mapping[str, object] | None) -> CallContext:
        """Read seat, origin and turn from a call's ``_meta``; absent or invalid = least privilege."""
        meta = meta or {}
        seat_raw = meta.get(META_SEAT, client.default_seat)
        origin_raw = meta.get(META_ORIGIN, client.default_origin)
        seat: Seat | None = seat_raw if seat_raw in SEATS else None
        origin: Origin | None = (
            origin_raw if origin_raw in ("occupant", "agent", "external", "system") else None
        )
        turn = meta.get(META_TURN)
        return cls(
            client=client,
            seat=seat,
            origin=origin,
            turn_id=str(turn) if turn is not None else None,
            best_effort=meta.get(META_BEST_EFFORT) is True,
        )
