"""Exceptions of the navigation map service.

    NavigationError
    ├── MapDataError            the map file is missing, unreadable or holds no drivable road
    ├── InvalidQuery            an argument is malformed or out of range (names the argument)
    │   ├── UnknownCategory     a POI category that is not known (lists the known ones)
    │   ├── UnknownAvoidOption  an avoid option that is not known (lists the known ones)
    │   └── PositionOutsideMap  a position outside the loaded map's bounds (gives the bounds)
    ├── PoiNotFound             a POI id that the loaded map does not hold
    └── NoRoute                 no drivable road near a position, or no route between two positions
                                (with the avoid options given)

At the MCP edge every one of these becomes a tool error whose text names the argument and the reason;
the server keeps serving.
"""

from __future__ import annotations

from collections.abc import Iterable


class NavigationError(Exception):
    """Root of the navigation service's exception tree."""


class MapDataError(NavigationError):
    """The map file cannot be used: missing, unreadable, not OSM PBF, or without drivable roads."""


class InvalidQuery(NavigationError):
    """An argument is malformed or out of range; the message names the argument."""

    def __init__(self, argument: str, reason: str) -> None:
        self.argument = argument
        self.reason = reason
        super().__init__(f"{argument}: {reason}")


class UnknownCategory(InvalidQuery):
    """The category is not one the service knows."""

    def __init__(self, category: str, known: Iterable[str]) -> None:
        self.category = category
        self.known = sorted(known)
        super().__init__(
            "category", f"unknown category {category!r}; known categories: {', '.join(self.known)}"
        )


class UnknownAvoidOption(InvalidQuery):
    """The avoid option is not one the service knows."""

    def __init__(self, option: str, known: Iterable[str]) -> None:
        self.option = option
        self.known = sorted(known)
        super().__init__("avoid", f"unknown avoid option {option!r}; known options: {', '.join(self.known)}")


class PositionOutsideMap(InvalidQuery):
    """The position lies outside the bounds of the loaded map."""

    def __init__(self, argument: str, latitude: float, longitude: float, bounds: str) -> None:
        self.latitude = latitude
        self.longitude = longitude
        super().__init__(
            argument,
            f"position ({latitude:.6f}, {longitude:.6f}) is outside the loaded map, which covers {bounds}",
        )


class PoiNotFound(NavigationError):
    """The POI id is well formed but the loaded map holds no such POI."""

    def __init__(self, poi_id: str) -> None:
        self.poi_id = poi_id
        super().__init__(f"poi_id: no POI {poi_id!r} in the loaded map")


class NoRoute(NavigationError):
    """No drivable road near a position, or no route between the two positions."""
