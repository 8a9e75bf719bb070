"""The cockpit: the in-car screen served by the orchestrator (static files in this package, no build
step, nothing fetched from outside) and the data only it asks for: the map sketch, the route to the
destination, and the latest perception frame (see docs/cockpit.md)."""

from __future__ import annotations

from .mapsketch import MapLayer, MapSketch, RouteLine, default_map_provider, route_line, sketch_map
from .perception import McpFeed, PerceptionFeed, PerceptionSnapshot, SourceFeed

__all__ = [
    "MapLayer",
    "MapSketch",
    "McpFeed",
    "PerceptionFeed",
    "PerceptionSnapshot",
    "RouteLine",
    "SourceFeed",
    "default_map_provider",
    "route_line",
    "sketch_map",
]
