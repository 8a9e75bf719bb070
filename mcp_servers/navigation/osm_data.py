"""Reading an OSM PBF extract into flat arrays, and the on-disk cache of that parsed form.

One pass with pyosmium (node locations kept for ways, multipolygon relations assembled into areas)
yields the drivable road segments (see :mod:`roads`) and the places (see :mod:`categories`): nodes at
their location, ways and multipolygons at the mean of their (outer) vertices.

The cache is a NumPy ``.npz`` written without pickled objects (strings travel as one UTF-8 blob and
offsets), named by the extract's SHA-256 and the cache format version, so a changed file or a changed
parser never reads a stale cache.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import osmium
from osmium.filter import KeyFilter

from mcp_servers.navigation.categories import POI_KEYS, is_place
from mcp_servers.navigation.errors import MapDataError
from mcp_servers.navigation.geo import haversine_array_m
from mcp_servers.navigation.roads import road_profile

logger = logging.getLogger(__name__)

CACHE_FORMAT_VERSION = 2
_MIN_SEGMENT_M = 0.01
_READ_KEYS = (*POI_KEYS, "highway", "name")


@dataclass(frozen=True)
class MapData:
    """The parsed form of an extract: road graph arrays and places. Immutable once built."""

    sha256: str
    bounds: tuple[float, float, float, float]
    """min latitude, min longitude, max latitude, max longitude"""
    node_lat: npt.NDArray[np.float64]
    node_lon: npt.NDArray[np.float64]
    node_signal: npt.NDArray[np.bool_]
    edge_u: npt.NDArray[np.int64]
    edge_v: npt.NDArray[np.int64]
    edge_way: npt.NDArray[np.int64]
    edge_length_m: npt.NDArray[np.float64]
    edge_speed_kmh: npt.NDArray[np.float64]
    way_label: tuple[str | None, ...]
    way_highway: tuple[str, ...]
    way_flags: npt.NDArray[np.int64]
    poi_id: tuple[str, ...]
    poi_lat: npt.NDArray[np.float64]
    poi_lon: npt.NDArray[np.float64]
    poi_tags: tuple[dict[str, str], ...]


class _Collector:
    """Accumulates roads and places while the file streams past."""

    def __init__(self) -> None:
        self.node_index: dict[int, int] = {}
        self.node_lat: list[float] = []
        self.node_lon: list[float] = []
        self.signal_ids: set[int] = set()
        self.edge_u: list[int] = []
        self.edge_v: list[int] = []
        self.edge_way: list[int] = []
        self.edge_speed: list[float] = []
        self.way_label: list[str | None] = []
        self.way_highway: list[str] = []
        self.way_flags: list[int] = []
        self.poi_id: list[str] = []
        self.poi_lat: list[float] = []
        self.poi_lon: list[float] = []
        self.poi_tags: list[dict[str, str]] = []
        self.min_lat = 90.0
        self.min_lon = 180.0
        self.max_lat = -90.0
        self.max_lon = -180.0

    def _extend_bounds(self, lat: float, lon: float) -> None:
        self.min_lat = min(self.min_lat, lat)
        self.max_lat = max(self.max_lat, lat)
        self.min_lon = min(self.min_lon, lon)
        self.max_lon = max(self.max_lon, lon)

    def _node(self, ref: int, lat: float, lon: float) -> int:
        index = self.node_index.get(ref)
        if index is None:
            index = len(self.node_lat)
            self.node_index[ref] = index
            self.node_lat.append(lat)
            self.node_lon.append(lon)
            self._extend_bounds(lat, lon)
        return index

    def add_place(self, poi_id: str, points: Sequence[tuple[float, float]], tags: dict[str, str]) -> None:
        if not points:
            return
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
        self.poi_id.append(poi_id)
        self.poi_lat.append(lat)
        self.poi_lon.append(lon)
        self.poi_tags.append(tags)
        self._extend_bounds(lat, lon)

    def add_road(self, tags: dict[str, str], refs: Sequence[tuple[int, float, float] | None]) -> None:
        profile = road_profile(tags)
        if profile is None:
            return
        way = len(self.way_label)
        self.way_label.append(profile.label)
        self.way_highway.append(profile.highway)
        self.way_flags.append(profile.flags)
        previous: int | None = None
        for ref in refs:
            if ref is None:
                previous = None
                continue
            current = self._node(*ref)
            if previous is not None and previous != current:
                if profile.forward:
                    self._edge(previous, current, way, profile.forward_kmh)
                if profile.backward:
                    self._edge(current, previous, way, profile.backward_kmh)
            previous = current

    def _edge(self, u: int, v: int, way: int, speed_kmh: float) -> None:
        self.edge_u.append(u)
        self.edge_v.append(v)
        self.edge_way.append(way)
        self.edge_speed.append(speed_kmh)


def _vertices(refs: Iterable[osmium.osm.NodeRef]) -> list[tuple[float, float]]:
    points = [(r.location.lat, r.location.lon) for r in refs if r.location.valid()]
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    return points


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, hex encoded."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_pbf(path: Path, sha256: str | None = None) -> MapData:
    """Parse an OSM PBF extract; raises MapDataError when it is missing, unreadable or has no road."""
    if not path.is_file():
        raise MapDataError(f"map file {str(path)!r} does not exist")
    digest = sha256 or file_sha256(path)
    collector = _Collector()
    try:
        processor = (
            osmium.FileProcessor(str(path))
            .with_areas(KeyFilter(*POI_KEYS))
            .with_filter(KeyFilter(*_READ_KEYS))
        )
        for obj in processor:
            if isinstance(obj, osmium.osm.Node):
                tags = dict(obj.tags)
                if tags.get("highway") == "traffic_signals":
                    collector.signal_ids.add(obj.id)
                if is_place(tags) and obj.location.valid():
                    collector.add_place(f"n{obj.id}", [(obj.location.lat, obj.location.lon)], tags)
            elif isinstance(obj, osmium.osm.Way):
                tags = dict(obj.tags)
                if "highway" in tags:
                    collector.add_road(
                        tags,
                        [
                            (n.ref, n.location.lat, n.location.lon) if n.location.valid() else None
                            for n in obj.nodes
                        ],
                    )
                if is_place(tags):
                    collector.add_place(f"w{obj.id}", _vertices(obj.nodes), tags)
            elif isinstance(obj, osmium.osm.Area) and not obj.from_way():
                tags = dict(obj.tags)
                if is_place(tags):
                    points = [point for ring in obj.outer_rings() for point in _vertices(ring)]
                    collector.add_place(f"r{obj.orig_id()}", points, tags)
        box = osmium.io.Reader(str(path), osmium.osm.NOTHING).header().box()
    except RuntimeError as exc:
        raise MapDataError(f"map file {str(path)!r} cannot be read as OSM PBF: {exc}") from exc
    if not collector.edge_u:
        raise MapDataError(f"map file {str(path)!r} holds no road a car may drive")
    if box.valid():
        bounds = (box.bottom_left.lat, box.bottom_left.lon, box.top_right.lat, box.top_right.lon)
    else:
        bounds = (collector.min_lat, collector.min_lon, collector.max_lat, collector.max_lon)
    node_lat = np.asarray(collector.node_lat, dtype=np.float64)
    node_lon = np.asarray(collector.node_lon, dtype=np.float64)
    node_signal = np.zeros(len(node_lat), dtype=np.bool_)
    for ref in collector.signal_ids:
        index = collector.node_index.get(ref)
        if index is not None:
            node_signal[index] = True
    edge_u = np.asarray(collector.edge_u, dtype=np.int64)
    edge_v = np.asarray(collector.edge_v, dtype=np.int64)
    lengths = haversine_array_m(node_lat[edge_u], node_lon[edge_u], node_lat[edge_v], node_lon[edge_v])
    return MapData(
        sha256=digest,
        bounds=bounds,
        node_lat=node_lat,
        node_lon=node_lon,
        node_signal=node_signal,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_way=np.asarray(collector.edge_way, dtype=np.int64),
        edge_length_m=np.maximum(lengths, _MIN_SEGMENT_M),
        edge_speed_kmh=np.asarray(collector.edge_speed, dtype=np.float64),
        way_label=tuple(collector.way_label),
        way_highway=tuple(collector.way_highway),
        way_flags=np.asarray(collector.way_flags, dtype=np.int64),
        poi_id=tuple(collector.poi_id),
        poi_lat=np.asarray(collector.poi_lat, dtype=np.float64),
        poi_lon=np.asarray(collector.poi_lon, dtype=np.float64),
        poi_tags=tuple(collector.poi_tags),
    )


def _pack(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(chunk) for chunk in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _unpack(blob: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> list[str]:
    raw = blob.tobytes()
    bounds = offsets.tolist()
    return [raw[start:end].decode("utf-8") for start, end in itertools.pairwise(bounds)]


def cache_path(cache_dir: Path, sha256: str) -> Path:
    """Where the parsed form of the extract with that SHA-256 is cached."""
    return cache_dir / f"{sha256}-v{CACHE_FORMAT_VERSION}.npz"


def write_cache(data: MapData, cache_dir: Path) -> Path:
    """Write the parsed form atomically (temporary file, then rename); returns the cache file."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    labels_blob, labels_offsets = _pack([label or "" for label in data.way_label])
    highway_blob, highway_offsets = _pack(data.way_highway)
    ids_blob, ids_offsets = _pack(data.poi_id)
    tags_blob, tags_offsets = _pack([json.dumps(tags, ensure_ascii=False) for tags in data.poi_tags])
    target = cache_path(cache_dir, data.sha256)
    handle, temporary = tempfile.mkstemp(dir=cache_dir, suffix=".npz.tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(
                stream,
                version=np.asarray(CACHE_FORMAT_VERSION),
                sha256=np.frombuffer(data.sha256.encode("ascii"), dtype=np.uint8),
                bounds=np.asarray(data.bounds, dtype=np.float64),
                node_lat=data.node_lat,
                node_lon=data.node_lon,
                node_signal=data.node_signal,
                edge_u=data.edge_u,
                edge_v=data.edge_v,
                edge_way=data.edge_way,
                edge_length_m=data.edge_length_m,
                edge_speed_kmh=data.edge_speed_kmh,
                way_flags=data.way_flags,
                poi_lat=data.poi_lat,
                poi_lon=data.poi_lon,
                labels_blob=labels_blob,
                labels_offsets=labels_offsets,
                highway_blob=highway_blob,
                highway_offsets=highway_offsets,
                ids_blob=ids_blob,
                ids_offsets=ids_offsets,
                tags_blob=tags_blob,
                tags_offsets=tags_offsets,
            )
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def read_cache(cache_dir: Path, sha256: str) -> MapData | None:
    """The cached parsed form for that SHA-256, or None when there is none or it cannot be used."""
    path = cache_path(cache_dir, sha256)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            if (
                int(archive["version"]) != CACHE_FORMAT_VERSION
                or archive["sha256"].tobytes().decode() != sha256
            ):
                logger.warning("map cache %s does not match its name; ignoring it", path)
                return None
            bounds = [float(value) for value in archive["bounds"]]
            tags = [json.loads(text) for text in _unpack(archive["tags_blob"], archive["tags_offsets"])]
            return MapData(
                sha256=sha256,
                bounds=(bounds[0], bounds[1], bounds[2], bounds[3]),
                node_lat=archive["node_lat"],
                node_lon=archive["node_lon"],
                node_signal=archive["node_signal"],
                edge_u=archive["edge_u"],
                edge_v=archive["edge_v"],
                edge_way=archive["edge_way"],
                edge_length_m=archive["edge_length_m"],
                edge_speed_kmh=archive["edge_speed_kmh"],
                way_label=tuple(
                    label or None for label in _unpack(archive["labels_blob"], archive["labels_offsets"])
                ),
                way_highway=tuple(_unpack(archive["highway_blob"], archive["highway_offsets"])),
                way_flags=archive["way_flags"],
                poi_id=tuple(_unpack(archive["ids_blob"], archive["ids_offsets"])),
                poi_lat=archive["poi_lat"],
                poi_lon=archive["poi_lon"],
                poi_tags=tuple({str(k): str(v) for k, v in entry.items()} for entry in tags),
            )
    except (OSError, ValueError, KeyError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        logger.warning("map cache %s cannot be read (%s); parsing the extract again", path, exc)
        return None


@dataclass(frozen=True)
class LoadedMap:
    """A parsed extract and how it was obtained."""

    data: MapData
    seconds: float
    from_cache: bool
    cache_file: Path | None


def load_map(path: Path, cache_dir: Path, cache_after_s: float = 2.0) -> LoadedMap:
    """The parsed extract: from the cache when there is one, else parsed (and cached if that was slow).

    ``cache_after_s``: parsing that takes longer than this many seconds writes the cache; 0 always
    writes it.
    """
    started = time.perf_counter()
    if not path.is_file():
        raise MapDataError(f"map file {str(path)!r} does not exist")
    digest = file_sha256(path)
    cached = read_cache(cache_dir, digest)
    if cached is not None:
        return LoadedMap(cached, time.perf_counter() - started, True, cache_path(cache_dir, digest))
    data = parse_pbf(path, digest)
    elapsed = time.perf_counter() - started
    written: Path | None = None
    if elapsed > cache_after_s:
        try:
            written = write_cache(data, cache_dir)
        except OSError as exc:
            logger.warning("cannot write the map cache under %s: %s", cache_dir, exc)
    return LoadedMap(data, time.perf_counter() - started, False, written)
