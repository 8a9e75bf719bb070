"""Navigation map service: offline OpenStreetMap places and driving routes, served over MCP.

Map data © OpenStreetMap contributors, ODbL. The service only reads the map; it never acts on the car.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp_servers.navigation.categories import CATEGORIES, CATEGORY_NAMES, Category, resolve_category
    from mcp_servers.navigation.config import DEFAULT_PORT, DEFAULT_POSITION, bundled_pbf
    from mcp_servers.navigation.errors import (
        InvalidQuery,
        MapDataError,
        NavigationError,
        NoRoute,
        PoiNotFound,
        PositionOutsideMap,
        UnknownAvoidOption,
        UnknownCategory,
    )
    from mcp_servers.navigation.models import (
        ATTRIBUTION,
        AvoidOptionInfo,
        AvoidOutcome,
        Bounds,
        CategoryInfo,
        CategoryList,
        MapInfo,
        PoiDetails,
        PoiQuery,
        PoiSearchResult,
        PoiSummary,
        Position,
        RoadStretch,
        Route,
        RouteRequest,
        SnappedPoint,
    )
    from mcp_servers.navigation.osm_provider import OsmMapProvider
    from mcp_servers.navigation.provider import MapProvider
    from mcp_servers.navigation.roads import AVOID_NAMES
    from mcp_servers.navigation.server import BearerTokenMiddleware, create_http_app, create_server

# Loaded on first use (PEP 562), so importing one light submodule does not import them all.
_EXPORTS: dict[str, str] = {
    "CATEGORIES": "mcp_servers.navigation.categories",
    "CATEGORY_NAMES": "mcp_servers.navigation.categories",
    "Category": "mcp_servers.navigation.categories",
    "resolve_category": "mcp_servers.navigation.categories",
    "DEFAULT_PORT": "mcp_servers.navigation.config",
    "DEFAULT_POSITION": "mcp_servers.navigation.config",
    "bundled_pbf": "mcp_servers.navigation.config",
    "InvalidQuery": "mcp_servers.navigation.errors",
    "MapDataError": "mcp_servers.navigation.errors",
    "NavigationError": "mcp_servers.navigation.errors",
    "NoRoute": "mcp_servers.navigation.errors",
    "PoiNotFound": "mcp_servers.navigation.errors",
    "PositionOutsideMap": "mcp_servers.navigation.errors",
    "UnknownAvoidOption": "mcp_servers.navigation.errors",
    "UnknownCategory": "mcp_servers.navigation.errors",
    "ATTRIBUTION": "mcp_servers.navigation.models",
    "AvoidOptionInfo": "mcp_servers.navigation.models",
    "AvoidOutcome": "mcp_servers.navigation.models",
    "Bounds": "mcp_servers.navigation.models",
    "CategoryInfo": "mcp_servers.navigation.models",
    "CategoryList": "mcp_servers.navigation.models",
    "MapInfo": "mcp_servers.navigation.models",
    "PoiDetails": "mcp_servers.navigation.models",
    "PoiQuery": "mcp_servers.navigation.models",
    "PoiSearchResult": "mcp_servers.navigation.models",
    "PoiSummary": "mcp_servers.navigation.models",
    "Position": "mcp_servers.navigation.models",
    "RoadStretch": "mcp_servers.navigation.models",
    "Route": "mcp_servers.navigation.models",
    "RouteRequest": "mcp_servers.navigation.models",
    "SnappedPoint": "mcp_servers.navigation.models",
    "OsmMapProvider": "mcp_servers.navigation.osm_provider",
    "MapProvider": "mcp_servers.navigation.provider",
    "AVOID_NAMES": "mcp_servers.navigation.roads",
    "BearerTokenMiddleware": "mcp_servers.navigation.server",
    "create_http_app": "mcp_servers.navigation.server",
    "create_server": "mcp_servers.navigation.server",
}

__all__ = [
    "ATTRIBUTION",
    "AVOID_NAMES",
    "CATEGORIES",
    "CATEGORY_NAMES",
    "DEFAULT_PORT",
    "DEFAULT_POSITION",
    "AvoidOptionInfo",
    "AvoidOutcome",
    "BearerTokenMiddleware",
    "Bounds",
    "Category",
    "CategoryInfo",
    "CategoryList",
    "InvalidQuery",
    "MapDataError",
    "MapInfo",
    "MapProvider",
    "NavigationError",
    "NoRoute",
    "OsmMapProvider",
    "PoiDetails",
    "PoiNotFound",
    "PoiQuery",
    "PoiSearchResult",
    "PoiSummary",
    "Position",
    "PositionOutsideMap",
    "RoadStretch",
    "Route",
    "RouteRequest",
    "SnappedPoint",
    "UnknownAvoidOption",
    "UnknownCategory",
    "bundled_pbf",
    "create_http_app",
    "create_server",
    "resolve_category",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
