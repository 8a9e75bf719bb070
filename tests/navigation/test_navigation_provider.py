"""The OSM map provider on real OpenStreetMap data: central Helsinki (default) and Karhula, Kotka."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from mcp_servers.navigation import (
    ATTRIBUTION,
    CATEGORY_NAMES,
    DEFAULT_POSITION,
    InvalidQuery,
    NoRoute,
    OsmMapProvider,
    PoiNotFound,
    PoiQuery,
    Position,
    PositionOutsideMap,
    Route,
    RouteRequest,
    UnknownAvoidOption,
    UnknownCategory,
    bundled_pbf,
)
from mcp_servers.navigation.geo import haversine_m
from mcp_servers.navigation.roads import FLAG_MOTORWAY, FLAG_UNPAVED

COMMON_NEAR_DEFAULT = (
    "parking",
    "charging",
    "food",
    "restaurant",
    "cafe",
    "fast_food",
    "bar",
    "pharmacy",
    "supermarket",
    "atm",
    "bank",
    "toilets",
    "hotel",
    "station",
)


def _node_position(provider: OsmMapProvider, node: int) -> Position:
    return Position(
        latitude=float(provider.data.node_lat[node]), longitude=float(provider.data.node_lon[node])
    )


def _directed_edges(provider: OsmMapProvider) -> set[tuple[tuple[float, float], tuple[float, float]]]:
    data = provider.data
    lat = np.round(data.node_lat, 7)
    lon = np.round(data.node_lon, 7)
    return {
        ((float(lat[u]), float(lon[u])), (float(lat[v]), float(lon[v])))
        for u, v in zip(data.edge_u.tolist(), data.edge_v.tolist(), strict=True)
    }


def _steps(route: Route) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    assert route.geometry is not None
    points = [(p.latitude, p.longitude) for p in route.geometry]
    return list(itertools.pairwise(points))


def test_default_position_lies_in_the_default_map(helsinki: OsmMapProvider) -> None:
    info = helsinki.info()
    assert info.source == "Helsinki.osm.pbf"
    assert info.bounds.contains(DEFAULT_POSITION)
    assert info.default_position == DEFAULT_POSITION
    assert info.attribution == ATTRIBUTION
    assert info.road_nodes > 1000
    assert info.pois > 1000
    assert [c.name for c in info.categories] == list(CATEGORY_NAMES)


@pytest.mark.parametrize("category", COMMON_NEAR_DEFAULT)
def test_common_categories_exist_within_a_kilometre_of_the_default_position(
    helsinki: OsmMapProvider, category: str
) -> None:
    result = helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, category=category, radius_m=1000, limit=3))
    assert result.total_found >= 1
    assert all(category in poi.categories for poi in result.pois)
    assert all(poi.straight_line_m <= 1000 for poi in result.pois)


def test_categories_absent_from_the_extract_give_an_empty_result_not_an_error(
    helsinki: OsmMapProvider,
) -> None:
    counts = {c.name: c.count for c in helsinki.info().categories}
    assert counts["fuel"] == 0
    result = helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, category="fuel", radius_m=50_000))
    assert result.total_found == 0
    assert result.pois == []


def test_category_counts_agree_with_a_search_over_the_whole_map(helsinki: OsmMapProvider) -> None:
    info = helsinki.info()
    for category in info.categories:
        if category.count == 0:
            continue
        result = helsinki.search_pois(
            PoiQuery(near=DEFAULT_POSITION, category=category.name, radius_m=50_000)
        )
        assert result.total_found == category.count, category.name


def test_results_are_nearest_first_within_the_radius(helsinki: OsmMapProvider) -> None:
    result = helsinki.search_pois(
        PoiQuery(near=DEFAULT_POSITION, category="restaurant", radius_m=600, limit=50)
    )
    distances = [poi.straight_line_m for poi in result.pois]
    assert len(distances) == 50
    assert distances == sorted(distances)
    assert result.total_found > 50
    assert result.sorted_by == "straight_line"
    for poi in result.pois:
        measured = haversine_m(
            DEFAULT_POSITION.latitude,
            DEFAULT_POSITION.longitude,
            poi.position.latitude,
            poi.position.longitude,
        )
        assert measured == pytest.approx(poi.straight_line_m, abs=0.2)
        assert poi.road_distance_m is None


def test_aliases_and_plurals_resolve_to_categories(helsinki: OsmMapProvider) -> None:
    chargers = helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, category="EV chargers"))
    assert chargers.category == "charging"
    assert chargers.total_found >= 1
    assert helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, category="Pharmacies")).category == "pharmacy"
    assert helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, category="petrol")).category == "fuel"


def test_unknown_category_names_the_known_ones(helsinki: OsmMapProvider) -> None:
    with pytest.raises(UnknownCategory) as caught:
        helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, category="spaceport"))
    assert caught.value.argument == "category"
    assert "spaceport" in str(caught.value)
    assert "charging" in str(caught.value)
    assert "pharmacy" in str(caught.value)


def test_name_search_ignores_case_and_accents_and_reads_other_languages(helsinki: OsmMapProvider) -> None:
    kamp = helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, name="hotel kamp"))
    assert [poi.name for poi in kamp.pois] == ["Hotel Kämp"]
    station = helsinki.search_pois(
        PoiQuery(near=DEFAULT_POSITION, name="central station", category="station")
    )
    assert station.total_found >= 1
    assert "Helsingin päärautatieasema" in [poi.name for poi in station.pois]


def test_category_and_name_together_narrow_the_search(helsinki: OsmMapProvider) -> None:
    result = helsinki.search_pois(PoiQuery(near=DEFAULT_POSITION, category="parking", name="stockmann"))
    assert result.total_found >= 1
    assert all("parking" in poi.categories for poi in result.pois)
    assert all(poi.name is not None and "stockmann" in poi.name.casefold() for poi in result.pois)


def test_road_distance_sorts_by_driving_and_gives_an_eta(helsinki: OsmMapProvider) -> None:
    result = helsinki.search_pois(
        PoiQuery(near=DEFAULT_POSITION, category="pharmacy", radius_m=2000, limit=6, road_distance=True)
    )
    assert result.sorted_by == "road_distance"
    assert len(result.pois) >= 3
    road = [poi.road_distance_m for poi in result.pois]
    assert all(value is not None for value in road)
    assert road == sorted(value for value in road if value is not None)
    for poi in result.pois:
        assert poi.eta_s is not None
        assert poi.eta_min is not None
        assert poi.eta_min == pytest.approx(poi.eta_s / 60, abs=0.05)
    first = result.pois[0]
    route = helsinki.route(RouteRequest(origin=DEFAULT_POSITION, poi_id=first.poi_id))
    assert route.distance_m == pytest.approx(first.road_distance_m, abs=0.2)
    assert route.duration_s == pytest.approx(first.eta_s, abs=0.2)


def test_route_across_the_centre_is_plausible(helsinki: OsmMapProvider) -> None:
    destination = Position(latitude=60.1675, longitude=24.9520)
    route = helsinki.route(RouteRequest(origin=DEFAULT_POSITION, destination=destination))
    assert route.origin.snap_distance_m < 50
    assert route.destination.snap_distance_m < 50
    assert route.straight_line_m < route.distance_m < 3 * route.straight_line_m
    speed_kmh = route.distance_m / route.duration_s * 3.6
    assert 10 < speed_kmh < 50
    assert route.duration_min == pytest.approx(route.duration_s / 60, abs=0.05)
    assert sum(stretch.distance_m for stretch in route.roads) == pytest.approx(route.distance_m, abs=1.0)
    assert sum(stretch.duration_s for stretch in route.roads) == pytest.approx(route.duration_s, abs=1.0)
    assert route.main_roads
    assert set(route.main_roads) <= {stretch.name for stretch in route.roads}
    assert route.avoid == []
    assert route.geometry is None
    assert route.attribution == ATTRIBUTION


def test_route_to_a_poi_ends_at_the_road_nearest_it(helsinki: OsmMapProvider) -> None:
    parking = helsinki.search_pois(
        PoiQuery(near=DEFAULT_POSITION, category="parking", name="stockmann")
    ).pois[0]
    route = helsinki.route(RouteRequest(origin=DEFAULT_POSITION, poi_id=parking.poi_id))
    assert route.poi_id == parking.poi_id
    assert route.poi_name == parking.name
    assert route.destination.requested == parking.position
    assert route.destination == helsinki.describe_poi(parking.poi_id).nearest_road
    assert route.distance_m > 0


def test_route_geometry_follows_directed_road_segments(helsinki: OsmMapProvider) -> None:
    route = helsinki.route(
        RouteRequest(
            origin=DEFAULT_POSITION,
            destination=Position(latitude=60.1760, longitude=24.9480),
            include_geometry=True,
        )
    )
    assert route.geometry is not None
    assert route.geometry[0] == route.origin.road_position
    assert route.geometry[-1] == route.destination.road_position
    edges = _directed_edges(helsinki)
    assert all(step in edges for step in _steps(route))


def test_oneway_streets_are_driven_only_in_their_direction(helsinki: OsmMapProvider) -> None:
    data = helsinki.data
    pairs = set(zip(data.edge_u.tolist(), data.edge_v.tolist(), strict=True))
    edges = _directed_edges(helsinki)
    checked = 0
    for edge in np.argsort(-data.edge_length_m).tolist():
        u, v = int(data.edge_u[edge]), int(data.edge_v[edge])
        if (v, u) in pairs or data.edge_length_m[edge] < 40:
            continue
        forward = helsinki.route(
            RouteRequest(origin=_node_position(helsinki, u), destination=_node_position(helsinki, v))
        )
        if forward.origin.snap_distance_m > 0.01 or forward.destination.snap_distance_m > 0.01:
            continue  # a fragment cut off at the edge of the extract: never snapped to
        backward = helsinki.route(
            RouteRequest(
                origin=_node_position(helsinki, v),
                destination=_node_position(helsinki, u),
                include_geometry=True,
            )
        )
        assert forward.distance_m == pytest.approx(float(data.edge_length_m[edge]), abs=0.5)
        assert backward.distance_m > forward.distance_m + 20
        steps = _steps(backward)
        assert all(step in edges for step in steps)
        u_point = (round(float(data.node_lat[u]), 7), round(float(data.node_lon[u]), 7))
        v_point = (round(float(data.node_lat[v]), 7), round(float(data.node_lon[v]), 7))
        assert (v_point, u_point) not in steps
        checked += 1
        if checked == 3:
            break
    assert checked == 3


def test_avoid_motorways_changes_the_route_where_the_data_has_them(kotka: OsmMapProvider) -> None:
    data = kotka.data
    info = {option.name: option.segments_in_map for option in kotka.info().avoid_options}
    assert info["motorways"] > 0
    touching = set(data.edge_u[(data.way_flags[data.edge_way] & FLAG_MOTORWAY) != 0].tolist())
    candidates = [node for node in range(len(data.node_lat)) if node not in touching]
    rng = np.random.default_rng(7)
    for _ in range(500):
        a, b = (int(node) for node in rng.choice(candidates, size=2, replace=False))
        request = RouteRequest(origin=_node_position(kotka, a), destination=_node_position(kotka, b))
        try:
            avoiding = kotka.route(
                request.model_copy(update={"avoid": ["motorways"], "include_geometry": True})
            )
        except NoRoute:
            continue
        if avoiding.avoid[0].effect == "changed_route":
            fastest = kotka.route(request)
            assert {stretch.highway for stretch in fastest.roads} & {"motorway", "motorway_link"}
            assert not {stretch.highway for stretch in avoiding.roads} & {"motorway", "motorway_link"}
            assert avoiding.duration_s > fastest.duration_s
            assert "avoids" in avoiding.avoid[0].message
            return
    pytest.fail("no pair of positions whose fastest route uses the motorway")


def test_avoiding_the_only_way_in_says_so(kotka: OsmMapProvider) -> None:
    data = kotka.data
    motorway = np.nonzero((data.way_flags[data.edge_way] & FLAG_MOTORWAY) != 0)[0]
    for edge in motorway[np.argsort(-data.edge_length_m[motorway])].tolist():
        request = RouteRequest(
            origin=_node_position(kotka, int(data.edge_u[edge])),
            destination=_node_position(kotka, int(data.edge_v[edge])),
            avoid=["motorway"],
        )
        if kotka.route(request.model_copy(update={"avoid": []})).origin.snap_distance_m > 0.01:
            continue
        with pytest.raises(NoRoute, match="avoid: no route avoids motorways"):
            kotka.route(request)
        return
    pytest.fail("no motorway segment in the routable part of the map")


def test_avoid_options_the_data_cannot_honour_say_so(helsinki: OsmMapProvider) -> None:
    destination = Position(latitude=60.1675, longitude=24.9520)
    plain = helsinki.route(RouteRequest(origin=DEFAULT_POSITION, destination=destination))
    route = helsinki.route(
        RouteRequest(
            origin=DEFAULT_POSITION, destination=destination, avoid=["motorways", "tolls", "trunk_roads"]
        )
    )
    assert [(outcome.option, outcome.effect) for outcome in route.avoid] == [
        ("motorways", "no_such_roads_in_map"),
        ("trunk_roads", "no_such_roads_in_map"),
        ("tolls", "no_such_roads_in_map"),
    ]
    assert all("nothing to avoid" in outcome.message for outcome in route.avoid)
    assert route.distance_m == plain.distance_m


def test_avoid_unpaved_is_unaffected_or_refuses_when_the_road_is_the_only_access(
    helsinki: OsmMapProvider,
) -> None:
    data = helsinki.data
    unpaved = np.nonzero((data.way_flags[data.edge_way] & FLAG_UNPAVED) != 0)[0]
    assert len(unpaved) > 0
    unaffected = helsinki.route(
        RouteRequest(
            origin=DEFAULT_POSITION,
            destination=Position(latitude=60.1675, longitude=24.9520),
            avoid=["unpaved"],
        )
    )
    assert unaffected.avoid[0].effect == "route_unaffected"
    outcomes: list[str] = []
    for edge in unpaved.tolist():
        destination = _node_position(helsinki, int(data.edge_v[edge]))
        plain = helsinki.route(RouteRequest(origin=DEFAULT_POSITION, destination=destination))
        if plain.destination.snap_distance_m > 0.01:
            continue  # not in the routable part of the map
        try:
            avoiding = helsinki.route(
                RouteRequest(origin=DEFAULT_POSITION, destination=destination, avoid=["unpaved"])
            )
        except NoRoute as exc:
            outcomes.append(str(exc))
            continue
        outcomes.append(avoiding.avoid[0].effect)
    refusal = "avoid: no route avoids unpaved; the destination can only be reached on such roads"
    assert refusal in outcomes
    assert set(outcomes) <= {refusal, "changed_route", "route_unaffected"}


def test_unknown_avoid_option_lists_the_known_ones(helsinki: OsmMapProvider) -> None:
    with pytest.raises(UnknownAvoidOption, match="known options: motorways, tolls, trunk_roads, unpaved"):
        helsinki.route(RouteRequest(origin=DEFAULT_POSITION, destination=DEFAULT_POSITION, avoid=["ferries"]))


def test_route_to_the_same_place_is_empty(helsinki: OsmMapProvider) -> None:
    route = helsinki.route(RouteRequest(origin=DEFAULT_POSITION, destination=DEFAULT_POSITION))
    assert route.distance_m == 0
    assert route.duration_s == 0
    assert route.roads == []
    assert route.main_roads == []


@pytest.mark.parametrize(
    ("argument", "request_"),
    [
        (
            "origin",
            RouteRequest(origin=Position(latitude=60.30, longitude=24.94), destination=DEFAULT_POSITION),
        ),
        (
            "destination",
            RouteRequest(origin=DEFAULT_POSITION, destination=Position(latitude=48.85, longitude=2.35)),
        ),
    ],
)
def test_positions_outside_the_map_are_refused_with_the_bounds(
    helsinki: OsmMapProvider, argument: str, request_: RouteRequest
) -> None:
    with pytest.raises(PositionOutsideMap) as caught:
        helsinki.route(request_)
    assert caught.value.argument == argument
    assert "outside the loaded map" in str(caught.value)
    assert "latitude 60.16416..60.17911" in str(caught.value)


def test_search_outside_the_map_is_refused(helsinki: OsmMapProvider) -> None:
    with pytest.raises(PositionOutsideMap, match="near: position"):
        helsinki.search_pois(PoiQuery(near=Position(latitude=0, longitude=0), category="cafe"))


def test_position_far_from_any_road_has_no_route(helsinki_cache: Path) -> None:
    strict = OsmMapProvider(bundled_pbf(), cache_dir=helsinki_cache, max_snap_m=1.0)
    with pytest.raises(NoRoute, match="origin: no drivable road within 1 m"):
        strict.route(
            RouteRequest(origin=Position(latitude=60.1690, longitude=24.9500), destination=DEFAULT_POSITION)
        )


def test_describe_poi_gives_address_tags_and_the_osm_link(kotka: OsmMapProvider) -> None:
    fuel = kotka.search_pois(PoiQuery(near=kotka.info().default_position, category="fuel")).pois[0]
    details = kotka.describe_poi(fuel.poi_id)
    assert details.name == fuel.name
    assert details.category == "fuel"
    assert details.address is not None
    assert "Kotka" in details.address
    assert "operator" in details.tags
    assert details.osm_url == f"https://www.openstreetmap.org/node/{fuel.poi_id[1:]}"
    assert details.nearest_road.snap_distance_m < 100
    assert details.attribution == ATTRIBUTION


def test_places_mapped_as_areas_and_multipolygons_are_found(helsinki: OsmMapProvider) -> None:
    kinds = {poi_id[0] for poi_id in helsinki.data.poi_id}
    assert kinds == {"n", "w", "r"}
    relation = next(poi_id for poi_id in helsinki.data.poi_id if poi_id.startswith("r"))
    details = helsinki.describe_poi(relation)
    assert helsinki.info().bounds.contains(details.position)
    assert details.osm_url.startswith("https://www.openstreetmap.org/relation/")


def test_unknown_and_malformed_poi_ids_are_refused(helsinki: OsmMapProvider) -> None:
    with pytest.raises(PoiNotFound, match="poi_id: no POI 'n1'"):
        helsinki.describe_poi("n1")
    with pytest.raises(InvalidQuery, match="poi_id: 'cafe' is not a POI id"):
        helsinki.describe_poi("cafe")
    with pytest.raises(PoiNotFound):
        helsinki.route(RouteRequest(origin=DEFAULT_POSITION, poi_id="w1"))


def test_request_models_refuse_incomplete_requests() -> None:
    with pytest.raises(ValueError, match="give a category, a name, or both"):
        PoiQuery(near=DEFAULT_POSITION)
    with pytest.raises(ValueError, match="exactly one of a destination position or a poi_id"):
        RouteRequest(origin=DEFAULT_POSITION)
    with pytest.raises(ValueError, match="exactly one of a destination position or a poi_id"):
        RouteRequest(origin=DEFAULT_POSITION, destination=DEFAULT_POSITION, poi_id="n5")
    with pytest.raises(ValueError, match="less than or equal to 90"):
        Position(latitude=91, longitude=0)
    with pytest.raises(ValueError, match="radius_m"):
        PoiQuery(near=DEFAULT_POSITION, category="cafe", radius_m=-5)


def test_results_are_deterministic(helsinki: OsmMapProvider) -> None:
    query = PoiQuery(near=DEFAULT_POSITION, category="food", limit=10, road_distance=True)
    assert helsinki.search_pois(query) == helsinki.search_pois(query)
    request = RouteRequest(origin=DEFAULT_POSITION, destination=Position(latitude=60.1760, longitude=24.9480))
    assert helsinki.route(request) == helsinki.route(request)
    assert math.isfinite(helsinki.route(request).duration_s)
