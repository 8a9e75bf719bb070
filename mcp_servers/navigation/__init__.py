"""Navigation map service: offline OpenStreetMap places and driving routes, served over MCP.

Map data © OpenStreetMap contributors, ODbL. The service only reads the map; it never acts on the car.
"""

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
