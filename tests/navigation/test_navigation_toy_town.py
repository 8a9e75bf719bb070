"""Routing and places on the toy town extract (osm_toy_town), checked against figures worked out by hand."""

from __future__ import annotations

import itertools

import pytest

from mcp_servers.navigation import (
    DEFAULT_POSITION,
    NoRoute,
    OsmMapProvider,
    PoiQuery,
    Position,
    RouteRequest,
)
from mcp_servers.navigation.geo import haversine_m
from mcp_servers.navigation.roads import SPEED_FACTOR, TRAFFIC_SIGNAL_DELAY_S
from tests.navigation.osm_toy_town import TOY_NODES, toy_position


def at(name: str) -> Position:
    _, row, column = TOY_NODES[name]
    lat, lon = toy_position(row, column)
    return Position(latitude=lat, longitude=lon)


def length(*names: str) -> float:
    points = [at(name) for name in names]
    return sum(
        haversine_m(a.latitude, a.longitude, b.latitude, b.longitude) for a, b in itertools.pairwise(points)
    )


def seconds(metres: float, kmh: float) -> float:
    return metres / (kmh * SPEED_FACTOR / 3.6)


def test_bounds_come_from_the_data_when_the_file_has_no_box(toy_town: OsmMapProvider) -> None:
    info = toy_town.info()
    assert info.bounds.min_latitude == pytest.approx(59.999)
    assert info.bounds.max_latitude == pytest.approx(60.001)
    assert info.bounds.min_longitude == pytest.approx(25.0)
    assert info.bounds.max_longitude == pytest.approx(25.006)
    assert not info.bounds.contains(DEFAULT_POSITION)
    assert info.bounds.contains(info.default_position)
    assert info.road_nodes == 8
    assert info.road_segments == 17


def test_fastest_route_takes_the_faster_toll_road(toy_town: OsmMapProvider) -> None:
    route = toy_town.route(RouteRequest(origin=at("A"), destination=at("C")))
    assert route.distance_m == pytest.approx(length("A", "B", "C"), abs=0.1)
    assert route.duration_s == pytest.approx(seconds(length("A", "B", "C"), 72), abs=0.1)
    assert [stretch.name for stretch in route.roads] == ["Tollway"]
    assert route.main_roads == ["Tollway"]


def test_avoiding_tolls_takes_the_detour_and_says_what_it_avoided(toy_town: OsmMapProvider) -> None:
    route = toy_town.route(RouteRequest(origin=at("A"), destination=at("C"), avoid=["tolls"]))
    assert [stretch.name for stretch in route.roads] == ["Westgate", "Southstreet", "Eastgate"]
    detour = length("A", "D", "E", "C")
    assert route.distance_m == pytest.approx(detour, abs=0.1)
    assert route.duration_s == pytest.approx(seconds(detour, 36), abs=0.1)
    (outcome,) = route.avoid
    assert outcome.option == "tolls"
    assert outcome.effect == "changed_route"
    assert outcome.segments_in_map == 4
    assert f"avoids {length('A', 'B', 'C'):.0f} m of toll roads" in outcome.message


def test_avoiding_every_way_there_is_refused(toy_town: OsmMapProvider) -> None:
    with pytest.raises(NoRoute, match="avoid: no route avoids tolls, unpaved"):
        toy_town.route(RouteRequest(origin=at("A"), destination=at("C"), avoid=["unpaved", "tolls"]))


def test_footways_and_private_roads_are_not_driven(toy_town: OsmMapProvider) -> None:
    route = toy_town.route(RouteRequest(origin=at("D"), destination=at("E"), include_geometry=True))
    assert route.geometry == [at("D"), at("E")]
    assert [stretch.name for stretch in route.roads] == ["Southstreet"]


def test_a_oneway_street_is_driven_forwards_only_and_signals_cost_time(toy_town: OsmMapProvider) -> None:
    forward = toy_town.route(RouteRequest(origin=at("C"), destination=at("F")))
    assert forward.distance_m == pytest.approx(length("C", "F"), abs=0.1)
    assert [stretch.name for stretch in forward.roads] == ["Oneway"]
    backward = toy_town.route(RouteRequest(origin=at("F"), destination=at("C"), include_geometry=True))
    assert backward.geometry == [at("F"), at("H"), at("I"), at("C")]
    loop = length("F", "H", "I", "C")
    assert backward.distance_m == pytest.approx(loop, abs=0.1)
    assert backward.duration_s == pytest.approx(seconds(loop, 36) + TRAFFIC_SIGNAL_DELAY_S, abs=0.1)


def test_positions_snap_to_the_nearest_road_node(toy_town: OsmMapProvider) -> None:
    near_b = Position(latitude=at("B").latitude + 0.0001, longitude=at("B").longitude)
    route = toy_town.route(RouteRequest(origin=near_b, destination=at("C")))
    assert route.origin.road_position == at("B")
    assert route.origin.snap_distance_m == pytest.approx(11.1, abs=0.1)
    assert route.distance_m == pytest.approx(length("B", "C"), abs=0.1)


def test_places_from_nodes_closed_ways_and_multipolygons(toy_town: OsmMapProvider) -> None:
    assert toy_town.data.poi_id == ("n10", "n21", "n22", "n23", "n24", "n25", "n26", "w200", "r300")
    parking = toy_town.describe_poi("w200")
    lat, lon = toy_position(0.6, 1.0)
    assert parking.position.latitude == pytest.approx(lat, abs=1e-7)
    assert parking.position.longitude == pytest.approx(lon, abs=1e-7)
    hotel = toy_town.search_pois(PoiQuery(near=at("A"), name="hotel jouet")).pois
    assert [(poi.poi_id, poi.name, poi.category) for poi in hotel] == [("r300", "Hôtel Jouet", "hotel")]
    fuel = toy_town.describe_poi("n10")
    assert fuel.address == "Tollway 3"
    assert fuel.nearest_road.road_position == at("C")


def test_route_to_a_place_starts_where_the_car_is_and_ends_at_the_road_beside_it(
    toy_town: OsmMapProvider,
) -> None:
    route = toy_town.route(RouteRequest(origin=at("A"), poi_id="n10"))
    assert route.poi_name == "Toy Fuel"
    assert route.destination.road_position == at("C")
    assert route.distance_m == pytest.approx(length("A", "B", "C"), abs=0.1)


def test_road_distance_in_a_search_follows_the_one_way_street(toy_town: OsmMapProvider) -> None:
    result = toy_town.search_pois(PoiQuery(near=at("F"), category="fuel", road_distance=True))
    (fuel,) = result.pois
    assert fuel.road_distance_m == pytest.approx(length("F", "H", "I", "C"), abs=0.1)
    assert fuel.eta_s == pytest.approx(
        seconds(length("F", "H", "I", "C"), 36) + TRAFFIC_SIGNAL_DELAY_S, abs=0.1
    )
