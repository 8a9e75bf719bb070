"""The route, component and nearest-point searches of the map server (graph.py), on graphs small enough
to work out by hand; and the map server routes and snaps without SciPy in the process."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from mcp_servers.navigation.graph import (
    NO_PREDECESSOR,
    Adjacency,
    NearestPoints,
    fastest_routes,
    largest_component,
    strong_components,
)


def graph(node_count: int, edges: list[tuple[int, int, float]]) -> Adjacency:
    """Compressed rows from (from, to, cost) triples, each row sorted by target as the provider builds it."""
    ordered = sorted(edges)
    offsets = np.zeros(node_count + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount([u for u, _, _ in ordered], minlength=node_count))
    return Adjacency.from_arrays(
        offsets,
        np.asarray([v for _, v, _ in ordered], dtype=np.int64),
        np.asarray([w for _, _, w in ordered], dtype=np.float64),
    )


def route(predecessors: npt.NDArray[np.int32], start: int, end: int) -> list[int]:
    nodes = [end]
    while nodes[-1] != start:
        nodes.append(int(predecessors[nodes[-1]]))
    return nodes[::-1]


# 0 -> 1 -> 3 costs 1 + 5; 0 -> 2 -> 3 costs 2 + 1; 3 -> 4 one way; 5 is not reached.
DIAMOND = [(0, 1, 1.0), (1, 3, 5.0), (0, 2, 2.0), (2, 3, 1.0), (3, 4, 0.5), (1, 0, 1.0)]


def test_the_fastest_route_is_the_cheaper_of_two() -> None:
    costs, predecessors = fastest_routes(graph(6, DIAMOND), 0)
    assert costs.tolist() == [0.0, 1.0, 2.0, 3.0, 3.5, math.inf]
    assert route(predecessors, 0, 4) == [0, 2, 3, 4]
    assert predecessors[0] == NO_PREDECESSOR and predecessors[5] == NO_PREDECESSOR


def test_one_way_edges_are_followed_forwards_only() -> None:
    costs, predecessors = fastest_routes(graph(6, DIAMOND), 4)
    assert costs[4] == 0.0
    assert np.isinf(costs[[0, 1, 2, 3, 5]]).all()
    assert (predecessors == NO_PREDECESSOR).all()


def test_stopping_at_the_destination_gives_the_same_route_and_leaves_the_rest_unsettled() -> None:
    full_costs, full_predecessors = fastest_routes(graph(6, DIAMOND), 0)
    costs, predecessors = fastest_routes(graph(6, DIAMOND), 0, stop_at=2)
    assert costs[2] == full_costs[2] and route(predecessors, 0, 2) == route(full_predecessors, 0, 2)
    # 3 was reached (through 1 and 2) but not settled before 2: it reads as not reached.
    assert costs[3] == math.inf and predecessors[3] == NO_PREDECESSOR


def test_of_two_equally_fast_routes_the_one_through_the_lower_node_is_kept() -> None:
    # 0 -> 1 -> 3 and 0 -> 2 -> 3 both cost 2: 1 and 2 are settled at the same cost, 1 first.
    square = graph(4, [(0, 1, 1.0), (0, 2, 1.0), (1, 3, 1.0), (2, 3, 1.0)])
    _, predecessors = fastest_routes(square, 0)
    assert route(predecessors, 0, 3) == [0, 1, 3]
    # A later route of the same cost does not replace the first one found.
    later = graph(4, [(0, 1, 1.0), (0, 2, 1.5), (1, 3, 1.0), (2, 3, 0.5)])
    _, predecessors = fastest_routes(later, 0)
    assert route(predecessors, 0, 3) == [0, 1, 3]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((np.asarray([0, 1]), np.asarray([0]), np.asarray([-1.0])), "weights"),
        ((np.asarray([0, 1]), np.asarray([0]), np.asarray([math.nan])), "weights"),
        ((np.asarray([0, 1]), np.asarray([3]), np.asarray([1.0])), "targets"),
        ((np.asarray([0, 2]), np.asarray([0]), np.asarray([1.0])), "targets/weights"),
        ((np.asarray([1, 1]), np.asarray([0]), np.asarray([1.0])), "offsets"),
        ((np.asarray([0, 2, 1]), np.asarray([0]), np.asarray([1.0])), "offsets"),
    ],
)
def test_a_malformed_graph_is_refused_naming_what_is_wrong(
    arguments: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]], message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{message}:"):
        Adjacency.from_arrays(*arguments)


def test_a_start_outside_the_graph_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^start: 6 is not a node"):
        fastest_routes(graph(6, DIAMOND), 6)
    with pytest.raises(ValueError, match=r"^stop_at: -1 is not a node"):
        fastest_routes(graph(6, DIAMOND), 0, stop_at=-1)


def components(labels: npt.NDArray[np.int32]) -> set[frozenset[int]]:
    return {frozenset(np.flatnonzero(labels == label).tolist()) for label in set(labels.tolist())}


def test_strong_components_of_a_graph_with_cycles_and_a_dead_end() -> None:
    # 0 <-> 1 -> 2 -> 3 -> 4 -> 2 (cycle 2, 3, 4), 4 -> 5 (dead end), 6 alone, 7 <-> 8.
    edges = [(0, 1, 1.0), (1, 0, 1.0), (1, 2, 1.0), (2, 3, 1.0), (3, 4, 1.0), (4, 2, 1.0), (4, 5, 1.0)]
    edges += [(7, 8, 1.0), (8, 7, 1.0)]
    labels = strong_components(graph(9, edges))
    assert components(labels) == {
        frozenset({0, 1}),
        frozenset({2, 3, 4}),
        frozenset({5}),
        frozenset({6}),
        frozenset({7, 8}),
    }
    assert set(np.flatnonzero(labels == largest_component(labels)).tolist()) == {2, 3, 4}


def test_a_long_cycle_is_one_component_without_recursion() -> None:
    count = 20_000
    labels = strong_components(graph(count, [(n, (n + 1) % count, 1.0) for n in range(count)]))
    assert len(set(labels.tolist())) == 1


def test_of_two_equally_large_components_the_one_with_the_lowest_node_is_the_largest() -> None:
    labels = strong_components(graph(5, [(3, 4, 1.0), (4, 3, 1.0), (1, 2, 1.0), (2, 1, 1.0)]))
    assert set(np.flatnonzero(labels == largest_component(labels)).tolist()) == {1, 2}


def test_the_nearest_point_and_the_lowest_index_among_equally_near_ones() -> None:
    points = np.asarray([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    nearest = NearestPoints(points)
    queries = np.asarray([[0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.0, 0.2, 0.8], [0.6, 0.6, 0.0]])
    # The last query is as near to 0 as to 1 and 2: the lowest index wins.
    assert nearest.nearest(queries).tolist() == [0, 1, 3, 0]
    assert nearest.within([0.0, 1.0, 0.0], 0.0).tolist() == [1, 2]
    assert nearest.within([0.0, 1.0, 0.0], math.sqrt(2.0)).tolist() == [0, 1, 2, 3]


def test_many_queries_are_answered_as_one_at_a_time() -> None:
    generator = np.random.default_rng(3)
    points = generator.normal(size=(300, 3))
    queries = generator.normal(size=(200, 3))
    one_by_one = [int(np.argmin(((points - query) ** 2).sum(axis=1))) for query in queries]
    assert NearestPoints(points).nearest(queries).tolist() == one_by_one


def test_point_sets_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^points: expected an \(n, 3\) array"):
        NearestPoints(np.zeros((0, 3)))
    with pytest.raises(ValueError, match=r"^queries: expected an \(m, 3\) array"):
        NearestPoints(np.zeros((2, 3))).nearest(np.zeros(3))


def test_the_map_server_routes_and_searches_without_scipy(tmp_path: Path) -> None:
    probe = (
        "import json, sys\n"
        "from mcp_servers.navigation import DEFAULT_POSITION, OsmMapProvider, PoiQuery, Position, RouteRequest\n"
        "from pathlib import Path\n"
        "provider = OsmMapProvider(cache_dir=Path(sys.argv[1]))\n"
        "route = provider.route(RouteRequest(origin=DEFAULT_POSITION,"
        " destination=Position(latitude=60.1675, longitude=24.9520)))\n"
        "found = provider.search_pois(PoiQuery(near=DEFAULT_POSITION, category='cafe', road_distance=True))\n"
        "print(json.dumps([route.distance_m > 0, bool(found.pois),"
        " sorted(m for m in sys.modules if m.split('.')[0] == 'scipy')]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, timeout=300, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [True, True, []]
