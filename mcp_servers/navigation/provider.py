"""The map provider: the one extension point behind the navigation service."""

from __future__ import annotations

from abc import ABC, abstractmethod

from mcp_servers.navigation.models import MapInfo, PoiDetails, PoiQuery, PoiSearchResult, Route, RouteRequest


class MapProvider(ABC):
    """Offline map data: places to find and roads to drive.

    Contract:

    * Lifecycle: construction loads everything the provider needs (and fails with ``MapDataError``
      when it cannot); afterwards the provider only reads immutable data. There is nothing to close.
    * Concurrency: every method is synchronous and CPU-bound, and safe to call from several threads at
      once. Async callers run the methods in a worker thread so that a long route search never blocks
      the event loop.
    * Units: positions are WGS84 degrees, distances metres, durations seconds.
    * Errors: only the navigation exception tree. ``InvalidQuery`` and its subclasses for arguments
      that are malformed or do not fit the loaded map (the message names the argument and, for a
      category or avoid option, lists the known ones; for a position outside the map, gives the
      bounds); ``PoiNotFound`` for an id the map does not hold; ``NoRoute`` when no drivable road is
      near a position or the roads do not connect (with the avoid options given). Anything else is a
      defect.
    * Honesty: results are deterministic for the same data and arguments; an avoid option that the
      data cannot honour says so in the route instead of being silently ignored; every result
      carries the data's attribution.
    * Read-only: a provider never acts on the vehicle. Setting the car's destination is a vehicle
      write that goes through the vehicle server and its guardrails.
    """

    @abstractmethod
    def info(self) -> MapInfo:
        """What the loaded map covers: bounds, default position, categories and avoid options with counts."""

    @abstractmethod
    def search_pois(self, query: PoiQuery) -> PoiSearchResult:
        """Places within ``query.radius_m`` of ``query.near`` matching category and/or name, nearest first."""

    @abstractmethod
    def describe_poi(self, poi_id: str) -> PoiDetails:
        """Everything the map says about one place."""

    @abstractmethod
    def route(self, request: RouteRequest) -> Route:
        """The fastest drivable route from ``request.origin`` to a position or a place."""
