"""What a navigation turn remembers and what it reports.

- `DialogueState` is saved with a `Question` (task metadata `cabin/pending`) and comes back with the
  next message of the same task: the places just offered, which one is meant, the road kinds to
  avoid, and what the question waits for. It is how "yes", "take me there" and "the second one"
  find their place.
- `TurnData` is the data part of every answer:
  `{"pois": [...], "route": {...} | null, "actions": [...], "stateChanges": {...}, "attribution": str}`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents.hosting import DATA_RULE_ID, DATA_STATE_CHANGES
from agents.navigation.services import AvoidEffect, FoundPoi, PlaceDetails, Point, RouteFacts

__all__ = [
    "ATTRIBUTION",
    "ActionOutcome",
    "ActionRecord",
    "Awaiting",
    "DialogueState",
    "PoiView",
    "RouteView",
    "TurnData",
]

ATTRIBUTION = "© OpenStreetMap contributors, ODbL"
"""Credit for the map data every place and route comes from."""

_Frozen = ConfigDict(extra="forbid", frozen=True)

Awaiting = Literal["go_there", "destination", "confirmation"]
"""What a question waits for: a yes to go to the offered place, a destination, or the car's
confirmation of a write."""

ActionOutcome = Literal["applied", "refused", "needs_confirmation", "failed"]


class PoiView(BaseModel):
    """A place as the agent reports it (data part) and remembers it (task state)."""

    model_config = _Frozen

    poi_id: str | None = None
    """The map's id of the place; None for a position given as numbers."""
    name: str | None = None
    category: str | None = None
    latitude: float = Field(ge=-90.0, le=90.0)
    longitude: float = Field(ge=-180.0, le=180.0)
    address: str | None = None
    straight_line_m: float | None = None
    road_distance_m: float | None = None
    eta_s: float | None = None

    @classmethod
    def from_found(cls, poi: FoundPoi) -> PoiView:
        """From a search result."""
        return cls(
            poi_id=poi.poi_id,
            name=poi.name,
            category=poi.category,
            latitude=poi.position.latitude,
            longitude=poi.position.longitude,
            address=poi.address,
            straight_line_m=poi.straight_line_m,
            road_distance_m=poi.road_distance_m,
            eta_s=poi.eta_s,
        )

    @classmethod
    def from_details(cls, place: PlaceDetails) -> PoiView:
        """From `describe_poi` (no distances: they depend on where the car is)."""
        return cls(
            poi_id=place.poi_id,
            name=place.name,
            category=place.category,
            latitude=place.position.latitude,
            longitude=place.position.longitude,
            address=place.address,
        )

    @property
    def point(self) -> Point:
        """The place's position."""
        return Point(latitude=self.latitude, longitude=self.longitude)

    @property
    def distance_m(self) -> float | None:
        """Driving distance when known, else the straight line."""
        return self.road_distance_m if self.road_distance_m is not None else self.straight_line_m


class RouteView(BaseModel):
    """A route as the agent reports it."""

    model_config = _Frozen

    poi_id: str | None = None
    poi_name: str | None = None
    latitude: float
    longitude: float
    distance_m: float
    duration_s: float
    duration_min: float
    main_roads: list[str] = Field(default_factory=list)
    street: str | None = None
    avoid: list[AvoidEffect] = Field(default_factory=list)

    @classmethod
    def from_route(cls, route: RouteFacts) -> RouteView:
        """From a `route` result."""
        return cls(
            poi_id=route.poi_id,
            poi_name=route.poi_name,
            latitude=route.destination.requested.latitude,
            longitude=route.destination.requested.longitude,
            distance_m=route.distance_m,
            duration_s=route.duration_s,
            duration_min=round(route.duration_s / 60.0, 1),
            main_roads=route.main_roads,
            street=route.last_street,
            avoid=route.avoid,
        )


class ActionRecord(BaseModel):
    """One write the agent asked the car for, and what became of it (docs/orchestrator.md `actions`)."""

    model_config = _Frozen

    tool: str
    arguments: dict[str, JsonValue]
    outcome: ActionOutcome
    rule_id: str | None = Field(default=None, serialization_alias=DATA_RULE_ID)
    message: str | None = None


class DialogueState(BaseModel):
    """What a pending question remembers (saved with the task, back with the answer).

    `pois` are the places last offered, `selected` the index of the one the question is about,
    `label` how their kind was named ("charger"), `avoid` the road kinds asked to avoid in this task.
    For `awaiting == "confirmation"`, `confirm_token` is the vehicle server's token and `selected`
    the place whose destination waits for it.
    """

    model_config = _Frozen

    awaiting: Awaiting
    pois: list[PoiView] = Field(default_factory=list)
    selected: int = 0
    label: str | None = None
    avoid: list[str] = Field(default_factory=list)
    confirm_token: str | None = None

    @property
    def current(self) -> PoiView | None:
        """The place the question is about, if any."""
        if 0 <= self.selected < len(self.pois):
            return self.pois[self.selected]
        return None


class TurnData(BaseModel):
    """The data part of an answer."""

    model_config = ConfigDict(extra="forbid")

    pois: list[PoiView] = Field(default_factory=list)
    route: RouteView | None = None
    actions: list[ActionRecord] = Field(default_factory=list)
    state_changes: dict[str, JsonValue] = Field(default_factory=dict, serialization_alias=DATA_STATE_CHANGES)
    attribution: str = ATTRIBUTION

    def dump(self) -> dict[str, JsonValue]:
        """As plain JSON data for the A2A data part (camelCase keys: `stateChanges`, `ruleId`)."""
        data: dict[str, JsonValue] = self.model_dump(mode="json", by_alias=True)
        return data
