"""The road model and the category mapping: pure functions over OSM tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mcp_servers.navigation as navigation
from mcp_servers.navigation import (
    CATEGORIES,
    CATEGORY_NAMES,
    UnknownAvoidOption,
    UnknownCategory,
    resolve_category,
)
from mcp_servers.navigation.categories import categories_of, is_place
from mcp_servers.navigation.geo import chord_for_distance, haversine_m, unit_vectors
from mcp_servers.navigation.roads import (
    AVOID_NAMES,
    FLAG_MOTORWAY,
    FLAG_TOLL,
    FLAG_TRUNK,
    FLAG_UNPAVED,
    HIGHWAY_SPEEDS_KMH,
    SPEED_FACTOR,
    parse_maxspeed,
    resolve_avoid,
    road_profile,
)


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("30", 30.0),
        (" 50 ", 50.0),
        ("60 km/h", 60.0),
        ("20 mph", 32.18688),
        ("FI:urban", 50.0),
        ("FI:rural", 80.0),
        ("DE:motorway", 120.0),
        ("DE:zone30", 30.0),
        ("DE:zone:30", 30.0),
        ("walk", 7.0),
        ("30;50", 30.0),
    ],
)
def test_maxspeed_values_are_read_in_kmh(value: str, kmh: float) -> None:
    assert parse_maxspeed(value) == pytest.approx(kmh)


@pytest.mark.parametrize("value", ["none", "signals", "variable", "", "0", "XX:nowhere"])
def test_maxspeed_without_a_number_falls_back(value: str) -> None:
    assert parse_maxspeed(value) is None


@pytest.mark.parametrize(
    "tags",
    [
        {"highway": "footway"},
        {"highway": "cycleway"},
        {"highway": "pedestrian"},
        {"highway": "steps"},
        {"highway": "construction"},
        {"highway": "residential", "access": "private"},
        {"highway": "residential", "motor_vehicle": "no"},
        {"highway": "service", "service": "emergency_access"},
        {"highway": "service", "area": "yes"},
        {"highway": "residential", "oneway": "reversible"},
        {"name": "Mannerheimintie"},
    ],
)
def test_ways_a_car_may_not_drive(tags: dict[str, str]) -> None:
    assert road_profile(tags) is None


def test_specific_access_overrides_general_access() -> None:
    assert road_profile({"highway": "service", "access": "no", "motorcar": "yes"}) is not None
    assert road_profile({"highway": "service", "access": "destination"}) is not None


@pytest.mark.parametrize(
    ("tags", "forward", "backward"),
    [
        ({"highway": "residential"}, True, True),
        ({"highway": "residential", "oneway": "yes"}, True, False),
        ({"highway": "residential", "oneway": "-1"}, False, True),
        ({"highway": "primary", "junction": "roundabout"}, True, False),
        ({"highway": "motorway"}, True, False),
        ({"highway": "motorway", "oneway": "no"}, True, True),
        ({"highway": "residential", "oneway": "yes", "oneway:motorcar": "no"}, True, True),
    ],
)
def test_oneway_directions(tags: dict[str, str], forward: bool, backward: bool) -> None:
    profile = road_profile(tags)
    assert profile is not None
    assert (profile.forward, profile.backward) == (forward, backward)


def test_speeds_come_from_maxspeed_or_the_class_default() -> None:
    tagged = road_profile({"highway": "primary", "maxspeed": "40", "maxspeed:backward": "30"})
    assert tagged is not None
    assert tagged.forward_kmh == pytest.approx(40 * SPEED_FACTOR)
    assert tagged.backward_kmh == pytest.approx(30 * SPEED_FACTOR)
    untagged = road_profile({"highway": "residential"})
    assert untagged is not None
    assert untagged.forward_kmh == pytest.approx(HIGHWAY_SPEEDS_KMH["residential"] * SPEED_FACTOR)


def test_road_flags_and_labels() -> None:
    motorway = road_profile({"highway": "motorway_link", "ref": "E18"})
    assert motorway is not None
    assert motorway.flags == FLAG_MOTORWAY
    assert motorway.label == "E18"
    trunk = road_profile({"highway": "trunk", "toll": "yes", "name": "Turunväylä", "ref": "1"})
    assert trunk is not None
    assert trunk.flags == FLAG_TRUNK | FLAG_TOLL
    assert trunk.label == "Turunväylä"
    gravel = road_profile({"highway": "unclassified", "surface": "gravel"})
    assert gravel is not None
    assert gravel.flags == FLAG_UNPAVED
    cobbles = road_profile({"highway": "residential", "surface": "sett"})
    assert cobbles is not None
    assert cobbles.flags == 0


def test_avoid_options_accept_aliases_and_refuse_unknown_words() -> None:
    assert [o.name for o in resolve_avoid(["Highways", "toll roads", "gravel", "motorways"])] == [
        "motorways",
        "tolls",
        "unpaved",
    ]
    assert resolve_avoid([]) == []
    with pytest.raises(UnknownAvoidOption) as caught:
        resolve_avoid(["ferries"])
    assert caught.value.argument == "avoid"
    assert caught.value.known == sorted(AVOID_NAMES)


def test_category_tags() -> None:
    assert categories_of({"amenity": "restaurant"}) == ["restaurant", "food"]
    assert categories_of({"amenity": "charging_station"}) == ["charging"]
    assert categories_of({"amenity": "bank", "atm": "yes"}) == ["atm", "bank"]
    assert categories_of({"healthcare": "pharmacy"}) == ["pharmacy"]
    assert categories_of({"tourism": "guest_house"}) == ["hotel"]
    assert categories_of({"amenity": "bench"}) == []


def test_places_need_a_category_or_a_name() -> None:
    assert is_place({"amenity": "fuel"})
    assert is_place({"shop": "clothes", "name": "Marimekko"})
    assert not is_place({"shop": "clothes"})
    assert not is_place({"amenity": "bench"})
    assert is_place({"place": "square", "name": "Senaatintori"})
    assert not is_place({"place": "suburb", "name": "Kluuvi"})
    assert not is_place({"highway": "residential", "name": "Aleksanterinkatu"})


@pytest.mark.parametrize(
    ("word", "name"),
    [
        ("charger", "charging"),
        ("EV-charging", "charging"),
        ("Gas station", "fuel"),
        ("pharmacies", "pharmacy"),
        ("cafes", "cafe"),
        ("Restroom", "toilets"),
        ("parking", "parking"),
    ],
)
def test_category_words_resolve(word: str, name: str) -> None:
    assert resolve_category(word) == name


def test_every_category_resolves_to_itself_and_aliases_are_unambiguous() -> None:
    assert len(set(CATEGORY_NAMES)) == len(CATEGORIES)
    for category in CATEGORIES:
        assert resolve_category(category.name) == category.name
        for alias in category.aliases:
            assert resolve_category(alias) == category.name


def test_unknown_category_word() -> None:
    with pytest.raises(UnknownCategory) as caught:
        resolve_category("unicorn")
    assert caught.value.known == sorted(CATEGORY_NAMES)


@given(
    st.floats(min_value=-89.0, max_value=89.0),
    st.floats(min_value=-179.0, max_value=179.0),
    st.floats(min_value=-0.5, max_value=0.5),
    st.floats(min_value=-0.5, max_value=0.5),
)
def test_unit_vector_chords_match_great_circle_distances(
    lat: float, lon: float, dlat: float, dlon: float
) -> None:
    """Nearest-neighbour search on unit vectors is exact only if chord length follows distance."""
    lat2 = max(-90.0, min(90.0, lat + dlat))
    points = unit_vectors(np.asarray([lat, lat2]), np.asarray([lon, lon + dlon]))
    chord = float(np.linalg.norm(points[0] - points[1]))
    assert chord == pytest.approx(chord_for_distance(haversine_m(lat, lon, lat2, lon + dlon)), abs=1e-9)


def test_public_surface_is_pinned() -> None:
    assert sorted(navigation.__all__) == sorted(
        [
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
    )
    for name in navigation.__all__:
        assert getattr(navigation, name) is not None


def test_the_data_document_lists_every_category_and_avoid_option() -> None:
    document = (Path(__file__).resolve().parents[2] / "docs" / "navigation-data.md").read_text(
        encoding="utf-8"
    )
    for category in CATEGORIES:
        row = f"| `{category.name}` | "
        assert row in document, category.name
        line = document[document.index(row) :].splitlines()[0]
        for tag in category.osm_tags():
            assert f"`{tag}`" in line, (category.name, tag)
    for option in AVOID_NAMES:
        assert f"| `{option}` (" in document, option
