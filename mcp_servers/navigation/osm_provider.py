"""Map provider over an OpenStreetMap PBF extract: places by category and name, routes on the road graph.

Routing runs Dijkstra (:func:`graph.fastest_routes`, a heap in Python) on a directed graph whose
vertices are the road nodes and whose edge weights are travel times (see :mod:`roads`). The route is
the fastest one; its distance is the length of that route. Positions snap to the nearest road node of
the graph's largest strongly connected component, so that a route can always leave and come back;
fragments cut off at the edge of the extract are never snapped to.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from mcp_servers.navigation import config
from mcp_servers.navigation.categories import CATEGORIES, categories_of, resolve_category
from mcp_servers.navigation.errors import InvalidQuery, NoRoute, PoiNotFound, PositionOutsideMap
from mcp_servers.navigation.geo import chord_for_distance, haversine_m, unit_vectors
from mcp_servers.navigation.graph import (
    Adjacency,
    NearestPoints,
    fastest_routes,
    largest_component,
    strong_components,
)
from mcp_servers.navigation.models import (
    POI_ID_PATTERN,
    AvoidOptionInfo,
    AvoidOutcome,
    Bounds,
    CategoryInfo,
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
from mcp_servers.navigation.names import NAME_KEYS, MatchTier, match_rank, match_tier, name_words, words
from mcp_servers.navigation.osm_data import MapData, load_map
from mcp_servers.navigation.provider import MapProvider
from mcp_servers.navigation.roads import AVOID_OPTIONS, TRAFFIC_SIGNAL_DELAY_S, AvoidOption, resolve_avoid

ROAD_DISTANCE_CANDIDATES = 200
"""A search with road distances computes them for at most this many places, nearest first."""

_MAIN_ROADS = 5
_MAIN_ROAD_MIN_M = 50.0
_POI_ID = re.compile(POI_ID_PATTERN)
_OSM_TYPES = {"n": "node", "w": "way", "r": "relation"}
STREET_REACH_M = 80.0
"""A place counts as on a road it lies within this distance of (besides the street of its address)."""
_DETAIL_KEYS = frozenset(
    {
        "opening_hours",
        "phone",
        "contact:phone",
        "website",
        "contact:website",
        "email",
        "contact:email",
        "cuisine",
        "brand",
        "operator",
        "fee",
        "charge",
        "capacity",
        "capacity:disabled",
        "capacity:charging",
        "maxstay",
        "parking",
        "access",
        "wheelchair",
        "level",
        "description",
        "amperage",
        "voltage",
        "stars",
        "rooms",
        "dispensing",
        "emergency",
        "drive_through",
        "takeaway",
        "delivery",
        "outdoor_seating",
        "internet_access",
        "atm",
        "self_service",
        "covered",
        "supervised",
        "surface",
    }
)
_DETAIL_PREFIXES = ("socket:", "fuel:", "payment:", "diet:", "authentication:")


def _address(tags: Mapping[str, str]) -> str | None:
    street = " ".join(part for part in (tags.get("addr:street"), tags.get("addr:housenumber")) if part)
    place = " ".join(part for part in (tags.get("addr:postcode"), tags.get("addr:city")) if part)
    text = ", ".join(part for part in (street, place) if part)
    return text or None


@dataclass(frozen=True)
class _Graph:
    """The road graph with some kinds of road left out: travel times in compressed-row form and edge ids."""

    adjacency: Adjacency
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]
    edge_of_entry: npt.NDArray[np.int64]


@dataclass(frozen=True)
class _Snap:
    node: int
    distance_m: float


@dataclass(frozen=True)
class _Path:
    nodes: list[int]
    edges: npt.NDArray[np.int64]


class OsmMapProvider(MapProvider):
    """Map provider over an OSM PBF extract (the bundled Helsinki extract by default)."""

    def __init__(
        self,
        pbf: str | Path | None = None,
        *,
        cache_dir: Path | None = None,
        cache_after_s: float = 2.0,
        default_position: Position | None = None,
        max_snap_m: float = 1000.0,
    ) -> None:
        """Load the extract (``pbf``, else ``$CABIN_MAP_PBF``, else the bundled Helsinki extract).

        ``cache_after_s``: a parse slower than this writes the parsed form to ``cache_dir`` (default:
        see :func:`config.cache_dir`). ``max_snap_m``: a position farther than this from every road
        has no route.
        """
        if not max_snap_m > 0:
            raise InvalidQuery("max_snap_m", f"must be a positive distance in metres, got {max_snap_m!r}")
        started = time.perf_counter()
        self._path = config.map_pbf(pbf)
        loaded = load_map(self._path, cache_dir or config.cache_dir(), cache_after_s)
        self._data: MapData = loaded.data
        self._from_cache = loaded.from_cache
        self.cache_file = loaded.cache_file
        self._max_snap_m = max_snap_m
        data = self._data
        south, west, north, east = data.bounds
        self._bounds = Bounds(min_latitude=south, min_longitude=west, max_latitude=north, max_longitude=east)
        wanted = default_position or config.DEFAULT_POSITION
        self._default_position = (
            wanted
            if self._bounds.contains(wanted)
            else Position(latitude=(south + north) / 2, longitude=(west + east) / 2)
        )

        node_count = len(data.node_lat)
        speeds_ms = data.edge_speed_kmh / 3.6
        self._edge_time_s: npt.NDArray[np.float64] = data.edge_length_m / speeds_ms + np.where(
            data.node_signal[data.edge_v], TRAFFIC_SIGNAL_DELAY_S, 0.0
        )
        self._edge_flags: npt.NDArray[np.int64] = data.way_flags[data.edge_way]
        self._graphs: dict[int, _Graph] = {}
        self._graphs_lock = threading.Lock()
        full = self._graph(0)
        labels = strong_components(full.adjacency)
        self._snap_nodes = np.nonzero(labels == largest_component(labels))[0]
        self._snap_points = NearestPoints(
            unit_vectors(data.node_lat[self._snap_nodes], data.node_lon[self._snap_nodes])
        )

        self._poi_index = {poi_id: i for i, poi_id in enumerate(data.poi_id)}
        self._poi_categories = [categories_of(tags) for tags in data.poi_tags]
        self._poi_names = [name_words(tags) for tags in data.poi_tags]
        self._category_counts: dict[str, int] = {category.name: 0 for category in CATEGORIES}
        for names in self._poi_categories:
            for name in names:
                self._category_counts[name] += 1
        self._poi_points: NearestPoints | None = None
        self._poi_snap_node = np.zeros(0, dtype=np.int64)
        if len(data.poi_id):
            poi_points = unit_vectors(data.poi_lat, data.poi_lon)
            self._poi_points = NearestPoints(poi_points)
            self._poi_snap_node = self._snap_nodes[self._snap_points.nearest(poi_points)]
        self._poi_streets = self._streets_of_places()
        self._road_nodes = node_count
        self.load_seconds = time.perf_counter() - started

    @property
    def data(self) -> MapData:
        """The parsed extract the provider reads (immutable)."""
        return self._data

    # -- MapProvider -------------------------------------------------------------------------------

    def info(self) -> MapInfo:
        counts = self._category_counts
        return MapInfo(
            source=self._path.name,
            sha256=self._data.sha256,
            bounds=self._bounds,
            default_position=self._default_position,
            road_nodes=self._road_nodes,
            road_segments=len(self._data.edge_u),
            pois=len(self._data.poi_id),
            categories=[
                CategoryInfo(
                    name=category.name,
                    description=category.description,
                    osm_tags=category.osm_tags(),
                    aliases=list(category.aliases),
                    count=counts[category.name],
                )
                for category in CATEGORIES
            ],
            avoid_options=[
                AvoidOptionInfo(
                    name=option.name,
                    description=option.description,
                    osm_tags=list(option.osm_tags),
                    segments_in_map=self._segments_with(option.flag),
                )
                for option in AVOID_OPTIONS
            ],
            load_seconds=round(self.load_seconds, 3),
            from_cache=self._from_cache,
        )

    def search_pois(self, query: PoiQuery) -> PoiSearchResult:
        self._check_inside("near", query.near)
        category = resolve_category(query.category) if query.category is not None else None
        said = words(query.name) if query.name is not None else ()
        street = words(query.street) if query.street is not None else ()
        candidates = self._within(query.near, query.radius_m)
        # (match tier, name words left unsaid, distance, place): the best match first, then the nearest
        found: list[tuple[int, int, float, int]] = []
        for distance, index in candidates:
            if category is not None and category not in self._poi_categories[index]:
                continue
            rank = (MatchTier.EXACT, 0)
            if said:
                matched = match_rank(said, self._poi_names[index])
                if matched is None:
                    continue
                rank = matched
            if street and match_tier(street, self._poi_streets[index]) is None:
                continue
            found.append((int(rank[0]), rank[1], distance, index))
        if found and min(item[0] for item in found) < MatchTier.CLOSE:
            # A near spelling only counts when nothing is named as said.
            found = [item for item in found if item[0] < MatchTier.CLOSE]
        found.sort()
        road: dict[int, tuple[float, float]] = {}
        if query.road_distance and found:
            road = self._road_distances(query.near, [item[3] for item in found[:ROAD_DISTANCE_CANDIDATES]])
            unreachable = math.inf
            found.sort(key=lambda item: (item[0], item[1], road.get(item[3], (unreachable, 0.0))[0], item[2]))
        pois = [
            self._summary(index, distance, road.get(index), MatchTier(tier).name.lower() if said else None)
            for tier, _, distance, index in found[: query.limit]
        ]
        return PoiSearchResult(
            near=query.near,
            category=category,
            name=query.name,
            street=query.street,
            radius_m=query.radius_m,
            sorted_by="road_distance" if query.road_distance else "straight_line",
            total_found=len(found),
            pois=pois,
        )

    def describe_poi(self, poi_id: str) -> PoiDetails:
        index = self._poi(poi_id)
        tags = self._data.poi_tags[index]
        categories = self._poi_categories[index]
        node = int(self._poi_snap_node[index])
        position = self._poi_position(index)
        return PoiDetails(
            poi_id=poi_id,
            name=tags.get("name"),
            names={
                key: value
                for key, value in sorted(tags.items())
                if key != "name" and key.partition(":")[0] in NAME_KEYS
            },
            category=categories[0] if categories else None,
            categories=categories,
            position=position,
            address=_address(tags),
            nearest_road=self._snapped_point(position, node),
            tags={
                key: value
                for key, value in sorted(tags.items())
                if key in _DETAIL_KEYS or key.startswith(_DETAIL_PREFIXES)
            },
            osm_url=f"https://www.openstreetmap.org/{_OSM_TYPES[poi_id[0]]}/{poi_id[1:]}",
        )

    def route(self, request: RouteRequest) -> Route:
        self._check_inside("origin", request.origin)
        options = resolve_avoid(request.avoid)
        start = self._snap("origin", request.origin)
        poi_index: int | None = None
        if request.poi_id is not None:
            poi_index = self._poi(request.poi_id)
            target = self._poi_position(poi_index)
            end = _Snap(
                int(self._poi_snap_node[poi_index]),
                self._node_distance(target, int(self._poi_snap_node[poi_index])),
            )
            if end.distance_m > self._max_snap_m:
                raise NoRoute(
                    f"poi_id: no drivable road within {self._max_snap_m:.0f} m of {request.poi_id} "
                    f"(nearest is {end.distance_m:.0f} m away)"
                )
        elif request.destination is not None:
            target = request.destination
            self._check_inside("destination", target)
            end = self._snap("destination", target)
        else:
            raise InvalidQuery("destination", "give a destination position or a poi_id")

        mask = 0
        for option in options:
            mask |= option.flag
        path = self._shortest_path(start.node, end.node, mask)
        if path is None:
            names = ", ".join(option.name for option in options)
            if mask and self._shortest_path(start.node, end.node, 0) is not None:
                raise NoRoute(
                    f"avoid: no route avoids {names}; the destination can only be reached on such roads"
                )
            raise NoRoute("no drivable route connects the origin and the destination in the loaded map")
        baseline = path if mask == 0 else self._shortest_path(start.node, end.node, 0)
        data = self._data
        lengths = data.edge_length_m[path.edges]
        times = self._edge_time_s[path.edges]
        roads = self._stretches(path.edges)
        distance = float(lengths.sum())
        duration = float(times.sum())
        return Route(
            origin=self._snapped_point(request.origin, start.node),
            destination=self._snapped_point(target, end.node),
            poi_id=request.poi_id,
            poi_name=data.poi_tags[poi_index].get("name") if poi_index is not None else None,
            distance_m=round(distance, 1),
            duration_s=round(duration, 1),
            duration_min=round(duration / 60.0, 1),
            straight_line_m=round(
                haversine_m(
                    float(data.node_lat[start.node]),
                    float(data.node_lon[start.node]),
                    float(data.node_lat[end.node]),
                    float(data.node_lon[end.node]),
                ),
                1,
            ),
            main_roads=self._main_roads(roads),
            roads=roads,
            avoid=[self._avoid_outcome(option, baseline) for option in options],
            geometry=[self._node_position(node) for node in path.nodes] if request.include_geometry else None,
        )

    # -- places ------------------------------------------------------------------------------------

    def _poi(self, poi_id: str) -> int:
        if not _POI_ID.match(poi_id):
            raise InvalidQuery(
                "poi_id",
                f"{poi_id!r} is not a POI id: expected n<digits>, w<digits> or r<digits> (e.g. n123)",
            )
        index = self._poi_index.get(poi_id)
        if index is None:
            raise PoiNotFound(poi_id)
        return index

    def _poi_position(self, index: int) -> Position:
        return Position(
            latitude=round(float(self._data.poi_lat[index]), 7),
            longitude=round(float(self._data.poi_lon[index]), 7),
        )

    def _within(self, near: Position, radius_m: float) -> list[tuple[float, int]]:
        if self._poi_points is None:
            return []
        center = unit_vectors(np.asarray([near.latitude]), np.asarray([near.longitude]))[0]
        # The chord bound (with a margin for rounding) picks candidates; the great-circle distance decides.
        indices = self._poi_points.within(center, chord_for_distance(radius_m) * (1 + 1e-9))
        result: list[tuple[float, int]] = []
        for index in indices.tolist():
            distance = haversine_m(
                near.latitude,
                near.longitude,
                float(self._data.poi_lat[index]),
                float(self._data.poi_lon[index]),
            )
            if distance <= radius_m:
                result.append((distance, index))
        return result

    def _streets_of_places(self) -> list[tuple[tuple[str, ...], ...]]:
        """Per place, the folded names of the streets it is on: its address's street, and the named
        roads that meet at the road node it snaps to when that lies within `STREET_REACH_M`."""
        data = self._data
        labels_at: dict[int, set[str]] = {}
        for u, v, way in zip(data.edge_u.tolist(), data.edge_v.tolist(), data.edge_way.tolist(), strict=True):
            label = data.way_label[way]
            if label:
                labels_at.setdefault(u, set()).add(label)
                labels_at.setdefault(v, set()).add(label)
        streets: list[tuple[tuple[str, ...], ...]] = []
        for index, tags in enumerate(data.poi_tags):
            names: list[str] = []
            if tags.get("addr:street"):
                names.append(tags["addr:street"])
            node = int(self._poi_snap_node[index]) if len(self._poi_snap_node) else -1
            if node >= 0 and self._node_distance(self._poi_position(index), node) <= STREET_REACH_M:
                names.extend(sorted(labels_at.get(node, ())))
            streets.append(tuple(dict.fromkeys(words(name) for name in names if words(name))))
        return streets

    def _summary(
        self, index: int, distance: float, road: tuple[float, float] | None, match: str | None = None
    ) -> PoiSummary:
        tags = self._data.poi_tags[index]
        categories = self._poi_categories[index]
        return PoiSummary(
            poi_id=self._data.poi_id[index],
            name=tags.get("name"),
            category=categories[0] if categories else None,
            categories=categories,
            position=self._poi_position(index),
            address=_address(tags),
            straight_line_m=round(distance, 1),
            road_distance_m=round(road[0], 1) if road is not None else None,
            eta_s=round(road[1], 1) if road is not None else None,
            eta_min=round(road[1] / 60.0, 1) if road is not None else None,
            name_match=match,
        )

    def _road_distances(self, near: Position, indices: Sequence[int]) -> dict[int, tuple[float, float]]:
        """Driving (distance, time) from ``near`` to each place that a route reaches."""
        start = self._snap("near", near)
        graph = self._graph(0)
        times, predecessors = self._dijkstra(graph, start.node)
        result: dict[int, tuple[float, float]] = {}
        for index in indices:
            node = int(self._poi_snap_node[index])
            if not math.isfinite(float(times[node])):
                continue
            path = self._walk(graph, predecessors, start.node, node)
            result[index] = (float(self._data.edge_length_m[path.edges].sum()), float(times[node]))
        return result

    # -- roads -------------------------------------------------------------------------------------

    def _graph(self, mask: int) -> _Graph:
        with self._graphs_lock:
            cached = self._graphs.get(mask)
            if cached is not None:
                return cached
            data = self._data
            active = np.nonzero((self._edge_flags & mask) == 0)[0]
            order = np.lexsort((self._edge_time_s[active], data.edge_v[active], data.edge_u[active]))
            chosen = active[order]
            u, v = data.edge_u[chosen], data.edge_v[chosen]
            # Parallel edges (two ways joining the same nodes) keep only the fastest.
            first = np.ones(len(chosen), dtype=np.bool_)
            first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
            chosen = chosen[first]
            node_count = len(data.node_lat)
            indptr = np.zeros(node_count + 1, dtype=np.int64)
            indptr[1:] = np.cumsum(np.bincount(data.edge_u[chosen], minlength=node_count))
            indices = data.edge_v[chosen].astype(np.int64)
            adjacency = Adjacency.from_arrays(indptr, indices, self._edge_time_s[chosen])
            graph = _Graph(adjacency=adjacency, indptr=indptr, indices=indices, edge_of_entry=chosen)
            self._graphs[mask] = graph
            return graph

    def _segments_with(self, flag: int) -> int:
        return int(np.count_nonzero(self._edge_flags & flag))

    def _check_inside(self, argument: str, position: Position) -> None:
        if not self._bounds.contains(position):
            raise PositionOutsideMap(argument, position.latitude, position.longitude, self._bounds.describe())

    def _node_position(self, node: int) -> Position:
        return Position(
            latitude=round(float(self._data.node_lat[node]), 7),
            longitude=round(float(self._data.node_lon[node]), 7),
        )

    def _node_distance(self, position: Position, node: int) -> float:
        return haversine_m(
            position.latitude,
            position.longitude,
            float(self._data.node_lat[node]),
            float(self._data.node_lon[node]),
        )

    def _snap(self, argument: str, position: Position) -> _Snap:
        point = unit_vectors(np.asarray([position.latitude]), np.asarray([position.longitude]))
        node = int(self._snap_nodes[int(self._snap_points.nearest(point)[0])])
        distance = self._node_distance(position, node)
        if distance > self._max_snap_m:
            raise NoRoute(
                f"{argument}: no drivable road within {self._max_snap_m:.0f} m of "
                f"({position.latitude:.6f}, {position.longitude:.6f}) (nearest is {distance:.0f} m away)"
            )
        return _Snap(node, distance)

    def _snapped_point(self, requested: Position, node: int) -> SnappedPoint:
        return SnappedPoint(
            requested=requested,
            road_position=self._node_position(node),
            snap_distance_m=round(self._node_distance(requested, node), 1),
        )

    def _shortest_path(self, start: int, end: int, mask: int) -> _Path | None:
        graph = self._graph(mask)
        if start == end:
            return _Path(nodes=[start], edges=np.zeros(0, dtype=np.int64))
        times, predecessors = self._dijkstra(graph, start, end)
        if not math.isfinite(float(times[end])):
            return None
        return self._walk(graph, predecessors, start, end)

    @staticmethod
    def _dijkstra(
        graph: _Graph, start: int, stop_at: int | None = None
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
        """Travel times from ``start`` to every node (to ``stop_at`` and the nodes settled before it, when
        given), and each node's predecessor on its fastest route."""
        return fastest_routes(graph.adjacency, start, stop_at)

    @staticmethod
    def _walk(graph: _Graph, predecessors: npt.NDArray[np.int32], start: int, end: int) -> _Path:
        nodes = [end]
        while nodes[-1] != start:
            nodes.append(int(predecessors[nodes[-1]]))
        nodes.reverse()
        edges = np.empty(len(nodes) - 1, dtype=np.int64)
        for position, (a, b) in enumerate(itertools.pairwise(nodes)):
            row = slice(int(graph.indptr[a]), int(graph.indptr[a + 1]))
            entry = int(np.searchsorted(graph.indices[row], b)) + row.start
            edges[position] = graph.edge_of_entry[entry]
        return _Path(nodes=nodes, edges=edges)

    def _stretches(self, edges: npt.NDArray[np.int64]) -> list[RoadStretch]:
        data = self._data
        stretches: list[RoadStretch] = []
        current_label: str | None = None
        current_highway = ""
        distance = 0.0
        duration = 0.0
        for position, edge in enumerate(edges.tolist()):
            way = int(data.edge_way[edge])
            label = data.way_label[way]
            if position > 0 and label != current_label:
                stretches.append(
                    RoadStretch(
                        name=current_label,
                        highway=current_highway,
                        distance_m=round(distance, 1),
                        duration_s=round(duration, 1),
                    )
                )
                distance = duration = 0.0
            if position == 0 or label != current_label:
                current_label = label
                current_highway = data.way_highway[way]
            distance += float(data.edge_length_m[edge])
            duration += float(self._edge_time_s[edge])
        if len(edges):
            stretches.append(
                RoadStretch(
                    name=current_label,
                    highway=current_highway,
                    distance_m=round(distance, 1),
                    duration_s=round(duration, 1),
                )
            )
        return stretches

    @staticmethod
    def _main_roads(stretches: Sequence[RoadStretch]) -> list[str]:
        totals: dict[str, float] = {}
        for stretch in stretches:
            if stretch.name is not None:
                totals[stretch.name] = totals.get(stretch.name, 0.0) + stretch.distance_m
        longest = sorted(totals, key=lambda name: -totals[name])[:_MAIN_ROADS]
        keep = {name for name in longest if totals[name] >= _MAIN_ROAD_MIN_M} or set(longest[:1])
        return [name for name in totals if name in keep]

    def _avoid_outcome(self, option: AvoidOption, baseline: _Path | None) -> AvoidOutcome:
        segments = self._segments_with(option.flag)
        if segments == 0:
            return AvoidOutcome(
                option=option.name,
                segments_in_map=0,
                effect="no_such_roads_in_map",
                message=f"the loaded map has no {option.label}: there is nothing to avoid",
            )
        used = 0.0
        if baseline is not None and len(baseline.edges):
            flagged = (self._edge_flags[baseline.edges] & option.flag) != 0
            used = float(self._data.edge_length_m[baseline.edges][flagged].sum())
        if used > 0:
            return AvoidOutcome(
                option=option.name,
                segments_in_map=segments,
                effect="changed_route",
                message=(f"the route avoids {used:.0f} m of {option.label} that the fastest route would use"),
            )
        return AvoidOutcome(
            option=option.name,
            segments_in_map=segments,
            effect="route_unaffected",
            message=f"the fastest route uses no {option.label} anyway",
        )
