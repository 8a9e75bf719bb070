"""Fastest routes, strongly connected components and nearest points, with the standard library and NumPy.

The road graphs of an offline extract are small (the bundled Helsinki map: 1,886 road nodes, 2,882
segments, 1,631 places), so a heap-based Dijkstra in Python, an iterative Tarjan pass and a NumPy
distance over every point answer in milliseconds, without SciPy's 45 MiB in the process.

The answers are those SciPy's ``scipy.sparse.csgraph`` and ``scipy.spatial.KDTree`` gave before:

- :func:`fastest_routes` replaces a node's predecessor only on a strictly faster arrival, as
  SciPy's Dijkstra does. Where two routes to a node take exactly the same time, the one through the
  node settled first is kept, and nodes settled at the same time are taken in node order (the heap
  orders ``(time, node)``); SciPy's Fibonacci heap may take such nodes in another order, so only
  routes of exactly equal time can differ.
- :func:`strong_components` finds the components SciPy's ``connected_components(...,
  connection="strong")`` finds; it numbers them in the order its search completes them, which need
  not be SciPy's numbering (:func:`largest_component` does not depend on it).
- :class:`NearestPoints` gives the point at the smallest straight (chord) distance, the lowest
  index among points at exactly the same distance (a k-d tree gives one of them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from heapq import heappop, heappush

import numpy as np
import numpy.typing as npt

NO_PREDECESSOR = -9999
"""The predecessor of the start node and of every node not reached (SciPy's csgraph uses the same)."""

_QUERY_BLOCK = 64
"""Nearest-point queries answered per NumPy pass: 64 queries by 1,640 points is 0.8 MiB of distances."""


@dataclass(frozen=True)
class Adjacency:
    """A directed graph in compressed-row form, as Python lists for the heap loop.

    The edges leaving node ``n`` are entries ``offsets[n]`` to ``offsets[n + 1] - 1``: each reaches
    ``targets[entry]`` at cost ``weights[entry]``.
    """

    offsets: list[int]
    targets: list[int]
    weights: list[float]

    @classmethod
    def from_arrays(
        cls,
        offsets: npt.NDArray[np.int64],
        targets: npt.NDArray[np.int64],
        weights: npt.NDArray[np.float64],
    ) -> Adjacency:
        """Check and copy compressed-row arrays; a cost must be finite and not negative."""
        if offsets.ndim != 1 or len(offsets) < 1 or int(offsets[0]) != 0:
            raise ValueError("offsets: expected a 1-D array starting at 0, one entry per node and one more")
        if len(targets) != len(weights) or int(offsets[-1]) != len(targets):
            raise ValueError(
                f"targets/weights: expected {int(offsets[-1])} edges as offsets say, "
                f"got {len(targets)} targets and {len(weights)} weights"
            )
        if len(offsets) > 1 and bool(np.any(np.diff(offsets) < 0)):
            raise ValueError("offsets: must not decrease")
        node_count = len(offsets) - 1
        if len(targets) and (int(targets.min()) < 0 or int(targets.max()) >= node_count):
            raise ValueError(f"targets: every target must be a node from 0 to {node_count - 1}")
        if len(weights) and not bool(np.all(np.isfinite(weights) & (weights >= 0))):
            raise ValueError("weights: every cost must be finite and not negative")
        return cls(offsets=offsets.tolist(), targets=targets.tolist(), weights=weights.tolist())

    @property
    def node_count(self) -> int:
        return len(self.offsets) - 1


def fastest_routes(
    graph: Adjacency, start: int, stop_at: int | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int32]]:
    """Dijkstra from ``start``: each node's least cost (``inf`` if not reached) and its predecessor.

    With ``stop_at`` the search ends once that node is settled; the nodes not settled by then read
    as not reached, and the route to ``stop_at`` is the one a full search gives.
    """
    count = graph.node_count
    for name, node in (("start", start), ("stop_at", stop_at)):
        if node is not None and not 0 <= node < count:
            raise ValueError(f"{name}: {node} is not a node of a graph of {count} nodes")
    offsets, targets, weights = graph.offsets, graph.targets, graph.weights
    best = [math.inf] * count
    via = [NO_PREDECESSOR] * count
    settled = [False] * count
    best[start] = 0.0
    heap: list[tuple[float, int]] = [(0.0, start)]
    while heap:
        cost, node = heappop(heap)
        if settled[node]:
            continue
        settled[node] = True
        if node == stop_at:
            break
        for entry in range(offsets[node], offsets[node + 1]):
            target = targets[entry]
            if settled[target]:
                continue
            reach = cost + weights[entry]
            if reach < best[target]:
                best[target] = reach
                via[target] = node
                heappush(heap, (reach, target))
    costs = np.asarray(best, dtype=np.float64)
    predecessors = np.asarray(via, dtype=np.int32)
    if stop_at is not None:
        open_nodes = ~np.asarray(settled, dtype=np.bool_)
        costs[open_nodes] = math.inf
        predecessors[open_nodes] = NO_PREDECESSOR
    return costs, predecessors


def strong_components(graph: Adjacency) -> npt.NDArray[np.int32]:
    """Each node's strongly connected component, numbered in the order Tarjan's search completes them."""
    offsets, targets = graph.offsets, graph.targets
    count = graph.node_count
    order = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    stack: list[int] = []
    labels = [-1] * count
    visited = 0
    label = 0
    for root in range(count):
        if order[root] >= 0:
            continue
        order[root] = low[root] = visited
        visited += 1
        stack.append(root)
        on_stack[root] = True
        # (node, next entry to follow): the depth-first path, without recursion
        path = [(root, offsets[root])]
        while path:
            node, entry = path[-1]
            end = offsets[node + 1]
            descended = False
            while entry < end:
                target = targets[entry]
                entry += 1
                if order[target] < 0:
                    path[-1] = (node, entry)
                    order[target] = low[target] = visited
                    visited += 1
                    stack.append(target)
                    on_stack[target] = True
                    path.append((target, offsets[target]))
                    descended = True
                    break
                if on_stack[target] and order[target] < low[node]:
                    low[node] = order[target]
            if descended:
                continue
            path.pop()
            if low[node] == order[node]:
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    labels[member] = label
                    if member == node:
                        break
                label += 1
            if path:
                parent = path[-1][0]
                if low[node] < low[parent]:
                    low[parent] = low[node]
    return np.asarray(labels, dtype=np.int32)


def largest_component(labels: npt.NDArray[np.int32]) -> int:
    """The label of the component with the most nodes; among equally large ones, that of the lowest node."""
    if not len(labels):
        raise ValueError("labels: the graph has no nodes")
    sizes = np.bincount(labels)
    return int(labels[int(np.flatnonzero(sizes[labels] == sizes.max())[0])])


class NearestPoints:
    """The nearest of a fixed set of points (rows of an ``(n, 3)`` array: unit vectors on the sphere)."""

    def __init__(self, points: npt.NDArray[np.float64]) -> None:
        if points.ndim != 2 or points.shape[1] != 3 or not len(points):
            raise ValueError(f"points: expected an (n, 3) array with n > 0, got shape {points.shape}")
        # One contiguous column per coordinate: each pass reads them whole.
        self._columns = [np.ascontiguousarray(points[:, axis], dtype=np.float64) for axis in range(3)]

    def __len__(self) -> int:
        return len(self._columns[0])

    def _squared(self, queries: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Squared chord distances, shape (queries, points), summed x, y, z in that order."""
        x, y, z = self._columns
        total = x[np.newaxis, :] - queries[:, 0, np.newaxis]
        total *= total
        for axis, column in ((1, y), (2, z)):
            difference = column[np.newaxis, :] - queries[:, axis, np.newaxis]
            difference *= difference
            total += difference
        return total

    def nearest(self, queries: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """Index of the nearest point for each row of ``queries`` (an ``(m, 3)`` array)."""
        if queries.ndim != 2 or queries.shape[1] != 3:
            raise ValueError(f"queries: expected an (m, 3) array, got shape {queries.shape}")
        found = np.empty(len(queries), dtype=np.int64)
        for first in range(0, len(queries), _QUERY_BLOCK):
            block = queries[first : first + _QUERY_BLOCK]
            found[first : first + len(block)] = np.argmin(self._squared(block), axis=1)
        return found

    def within(
        self, query: Sequence[float] | npt.NDArray[np.float64], radius: float
    ) -> npt.NDArray[np.int64]:
        """Indices, ascending, of the points at a chord distance of at most ``radius`` from ``query``."""
        point = np.asarray(query, dtype=np.float64).reshape(1, 3)
        inside: npt.NDArray[np.int64] = np.nonzero(self._squared(point)[0] <= radius * radius)[0]
        return inside
