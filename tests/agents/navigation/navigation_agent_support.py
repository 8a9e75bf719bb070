"""Shared pieces of the navigation agent tests: token, URLs, signal paths, a map that renames a place."""

from __future__ import annotations

import re

from pydantic import JsonValue

from agents.hosting import AgentClient, AgentResult, Origin, Seat
from mcp_servers.navigation import (
    DEFAULT_POSITION,
    MapInfo,
    MapProvider,
    PoiDetails,
    PoiQuery,
    PoiSearchResult,
    PoiSummary,
    Route,
    RouteRequest,
)

TOKEN = "navigation-test-token-0123456789"
BASE_URL = "http://navigation.agent"
DEST_LAT = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude"
DEST_LON = "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude"
MOVING = {"Vehicle.Speed": 50.0, "Vehicle.Powertrain.Transmission.SelectedGear": 4}


async def ask(
    agent: AgentClient,
    text: str,
    *,
    task_id: str | None = None,
    seat: Seat | None = "driver",
    origin: Origin | None = "occupant",
    data: dict[str, JsonValue] | None = None,
) -> AgentResult:
    """One message to the agent, as a person in the car (by default the driver) says it."""
    return await agent.send_text(text, seat=seat, origin=origin, task_id=task_id, data=data)


def payload(result: AgentResult) -> dict[str, JsonValue]:
    """The answer's data part (every answer of the agent carries one)."""
    assert result.data is not None, result
    return result.data


def poi_ids(result: AgentResult) -> list[str]:
    pois = payload(result)["pois"]
    assert isinstance(pois, list)
    return [str(poi["poi_id"]) for poi in pois if isinstance(poi, dict)]


def sentences(text: str) -> list[str]:
    """The sentences of a reply (split after '.', '?' or '!' followed by a space)."""
    return [part for part in re.split(r"(?<=[.?!])\s+", text.strip()) if part]


class RenamingProvider(MapProvider):
    """A map in which one place carries a different name; everything else is the wrapped map."""

    def __init__(self, inner: MapProvider, poi_id: str, name: str) -> None:
        self._inner = inner
        self._poi_id = poi_id
        self._name = name

    def info(self) -> MapInfo:
        return self._inner.info()

    def search_pois(self, query: PoiQuery) -> PoiSearchResult:
        result = self._inner.search_pois(query)
        pois = [
            poi.model_copy(update={"name": self._name}) if poi.poi_id == self._poi_id else poi
            for poi in result.pois
        ]
        return result.model_copy(update={"pois": pois})

    def describe_poi(self, poi_id: str) -> PoiDetails:
        details = self._inner.describe_poi(poi_id)
        return details.model_copy(update={"name": self._name}) if poi_id == self._poi_id else details

    def route(self, request: RouteRequest) -> Route:
        route = self._inner.route(request)
        return route.model_copy(update={"poi_name": self._name}) if request.poi_id == self._poi_id else route


def nearest(provider: MapProvider, category: str, *, limit: int = 5) -> list[PoiSummary]:
    """The places of `category` nearest the car by road, straight from the map (the expected answer)."""
    query = PoiQuery(near=DEFAULT_POSITION, category=category, radius_m=5000, limit=limit, road_distance=True)
    return provider.search_pois(query).pois
