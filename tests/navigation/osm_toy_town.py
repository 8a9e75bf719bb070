"""A small OSM PBF written by the tests, where every expected figure can be worked out by hand."""

from __future__ import annotations

from pathlib import Path

LAT0 = 60.0
LON0 = 25.0
STEP_LAT = 0.001
STEP_LON = 0.002

TOY_NODES: dict[str, tuple[int, float, float]] = {
    "A": (1, 0, 0),
    "B": (2, 0, 1),
    "C": (3, 0, 2),
    "D": (4, -1, 0),
    "E": (5, -1, 2),
    "F": (6, 0, 3),
    "H": (7, 1, 3),
    "I": (8, 1, 2),
}
"""Toy town crossings: name -> (OSM id, row, column) on a grid of about 111 m."""


def toy_position(row: float, column: float) -> tuple[float, float]:
    """Latitude and longitude of a toy town grid point."""
    return LAT0 + row * STEP_LAT, LON0 + column * STEP_LON


def write_toy_town(path: Path) -> None:
    """A small OSM PBF with a toll road, a detour, a one-way street, a signal, and places.

    Roads: A-B-C "Tollway" (primary, toll, 72 km/h); A-D "Westgate", D-E "Southstreet" (gravel),
    E-C "Eastgate" (residential, 36 km/h); C->F "Oneway" (one-way east); F-H-I-C "Loop" (two-way,
    traffic signals at I). Not drivable: a footway A-C and a private service road D-E.
    Places: a fuel station node near C, a parking lot (closed way), a hotel (multipolygon relation),
    and a bench and an unnamed clothes shop that are not places. For finding places by name: a Lidl
    on Tollway by its address (beside B) and a Lidl beside E on no address (Southstreet and Eastgate
    meet there), "Zoomi" and "Zoo Bar", a museum with names in three languages, alternative, old and
    operator names ("Lelumuseo"), and a pizzeria known by its cuisine ("Napoli").
    """
    from osmium import SimpleWriter
    from osmium.osm.mutable import Node, Relation, Way

    def node(osm_id: int, row: float, column: float, tags: dict[str, str] | None = None) -> Node:
        lat, lon = toy_position(row, column)
        return Node(id=osm_id, location=(lon, lat), tags=tags or {}, version=1)

    nodes = [node(osm_id, row, column) for osm_id, row, column in TOY_NODES.values()]
    nodes[TOY_NODES["I"][0] - 1] = node(*TOY_NODES["I"], {"highway": "traffic_signals"})
    nodes += [
        node(
            10,
            0.3,
            2.1,
            {"amenity": "fuel", "name": "Toy Fuel", "addr:street": "Tollway", "addr:housenumber": "3"},
        ),
        node(11, 0.4, 0.8),
        node(12, 0.4, 1.2),
        node(13, 0.8, 1.2),
        node(14, 0.8, 0.8),
        node(15, -0.8, 0.8),
        node(16, -0.8, 1.2),
        node(17, -0.4, 1.2),
        node(18, -0.4, 0.8),
        node(19, 0.1, 0.1, {"amenity": "bench"}),
        node(20, 0.1, 0.2, {"shop": "clothes"}),
        node(
            21, 0.1, 1.0, {"shop": "supermarket", "name": "Lidl", "brand": "Lidl", "addr:street": "Tollway"}
        ),
        node(22, -0.9, 2.0, {"shop": "supermarket", "name": "Lidl"}),
        node(23, 0.5, 2.4, {"shop": "gift", "name": "Zoomi"}),
        node(24, 0.6, 2.6, {"amenity": "bar", "name": "Zoo Bar"}),
        node(
            25,
            0.9,
            3.0,
            {
                "tourism": "museum",
                "name": "Lelumuseo",
                "name:en": "Toy Museum",
                "name:sv": "Leksaksmuseet",
                "alt_name": "Museum of Toys;Toy House",
                "old_name": "Vanha Lelutalo",
                "operator": "Toy Foundation",
                "name:etymology:wikidata": "Q1",
            },
        ),
        node(26, -0.5, 0.2, {"amenity": "restaurant", "name": "Napoli", "cuisine": "pizza;italian"}),
    ]
    ids = {name: value[0] for name, value in TOY_NODES.items()}

    def way(osm_id: int, refs: list[int], tags: dict[str, str]) -> Way:
        return Way(id=osm_id, nodes=refs, tags=tags, version=1)

    ways = [
        way(
            100,
            [ids["A"], ids["B"], ids["C"]],
            {"highway": "primary", "name": "Tollway", "toll": "yes", "maxspeed": "72"},
        ),
        way(101, [ids["A"], ids["D"]], {"highway": "residential", "name": "Westgate", "maxspeed": "36"}),
        way(
            102,
            [ids["D"], ids["E"]],
            {"highway": "residential", "name": "Southstreet", "maxspeed": "36", "surface": "gravel"},
        ),
        way(103, [ids["E"], ids["C"]], {"highway": "residential", "name": "Eastgate", "maxspeed": "36"}),
        way(
            104,
            [ids["C"], ids["F"]],
            {"highway": "residential", "name": "Oneway", "oneway": "yes", "maxspeed": "36"},
        ),
        way(
            105,
            [ids["F"], ids["H"], ids["I"], ids["C"]],
            {"highway": "residential", "name": "Loop", "maxspeed": "36"},
        ),
        way(106, [ids["A"], ids["C"]], {"highway": "footway", "name": "Footpath"}),
        way(107, [ids["D"], ids["E"]], {"highway": "service", "access": "private"}),
        way(200, [11, 12, 13, 14, 11], {"amenity": "parking", "name": "Toy Park"}),
        way(201, [15, 16, 17, 18, 15], {}),
    ]
    relation = Relation(
        id=300,
        members=[("w", 201, "outer")],
        tags={"type": "multipolygon", "tourism": "hotel", "name": "Hôtel Jouet"},
        version=1,
    )
    with SimpleWriter(str(path)) as writer:
        for point in nodes:
            writer.add_node(point)
        for line in ways:
            writer.add_way(line)
        writer.add_relation(relation)
