"""Finding a place by what people call it: every name the map records, matched whole words first,
accents and small misspellings forgiven, a street to tell branches apart (toy town, `names.py`)."""

from __future__ import annotations

import pytest

from mcp_servers.navigation import OsmMapProvider, PoiQuery, Position
from mcp_servers.navigation.names import MatchTier, fold, match_tier, name_words, names_of, words
from tests.navigation.osm_toy_town import TOY_NODES, toy_position


def at(name: str) -> Position:
    _, row, column = TOY_NODES[name]
    lat, lon = toy_position(row, column)
    return Position(latitude=lat, longitude=lon)


def search(toy_town: OsmMapProvider, name: str, street: str | None = None) -> list[tuple[str, str | None]]:
    result = toy_town.search_pois(PoiQuery(near=at("A"), name=name, street=street, radius_m=2000, limit=10))
    return [(poi.poi_id, poi.name_match) for poi in result.pois]


def test_folding_ignores_case_accents_and_punctuation() -> None:
    assert fold("Hôtel  Kämp!") == "hotel kamp"
    assert fold("K-Market") == "k market"
    assert fold("Straße") == "strasse"
    assert words("Joe & The Juice") == ("joe", "the", "juice")


def test_every_name_of_a_place_counts_but_not_other_name_keys() -> None:
    tags = {
        "name": "Lelumuseo",
        "name:en": "Toy Museum",
        "alt_name": "Museum of Toys;Toy House",
        "old_name": "Vanha Lelutalo",
        "brand": "Toys",
        "operator": "Toy Foundation",
        "name:etymology:wikidata": "Q1",
        "description": "a museum",
    }
    assert names_of(tags) == [
        "Lelumuseo",
        "Museum of Toys",
        "Toy House",
        "Toys",
        "Toy Museum",
        "Vanha Lelutalo",
        "Toy Foundation",
    ]
    assert ("pizza",) in name_words({"name": "Napoli", "cuisine": "pizza;italian"})


@pytest.mark.parametrize(
    ("query", "name", "tier"),
    [
        ("Kauppatori", "Kauppatori", MatchTier.EXACT),
        ("kauppa tori", "Kauppatori", MatchTier.WORDS),
        ("zoo", "Zoo Bar", MatchTier.WORDS),
        ("bar zoo", "Zoo Bar", MatchTier.WORDS),
        ("Atenuem", "Ateneum", MatchTier.CLOSE),
        ("Stockman", "Stockmann", MatchTier.CLOSE),
        ("Mannerheimin", "Mannerheimintie", MatchTier.CLOSE),
        ("Kämp", "Hotel Kamp", MatchTier.WORDS),
        ("zoo", "Zoomi", None),
        ("lidk", "Lidl", None),
        ("Btockmann", "Stockmann", None),
        ("Lidl Kamppi", "Lidl", None),
    ],
)
def test_match_tiers(query: str, name: str, tier: MatchTier | None) -> None:
    assert match_tier(words(query), [words(name)]) == tier


def test_zoo_finds_the_zoo_bar_and_never_zoomi(toy_town: OsmMapProvider) -> None:
    assert search(toy_town, "zoo") == [("n24", "words")]
    assert search(toy_town, "zoomi") == [("n23", "exact")]


@pytest.mark.parametrize(
    "name", ["Lelumuseo", "Toy Museum", "toy museum", "Leksaksmuseet", "Museum of Toys", "Vanha Lelutalo"]
)
def test_a_place_is_found_by_each_of_its_names(toy_town: OsmMapProvider, name: str) -> None:
    assert search(toy_town, name) == [("n25", "exact")]


def test_an_operator_and_part_of_a_name_find_the_place(toy_town: OsmMapProvider) -> None:
    assert search(toy_town, "toy foundation") == [("n25", "exact")]
    assert ("n25", "words") in search(toy_town, "toys")


def test_a_misspelling_is_forgiven_only_when_nothing_matches_as_said(toy_town: OsmMapProvider) -> None:
    assert search(toy_town, "Lelumusoe") == [("n25", "close")]
    assert search(toy_town, "Napolli") == [("n26", "close")]
    assert search(toy_town, "jouet") == [("r300", "words")]


def test_the_exact_name_comes_before_a_nearer_place_that_only_holds_the_word(
    toy_town: OsmMapProvider,
) -> None:
    result = toy_town.search_pois(PoiQuery(near=at("A"), name="lidl", radius_m=2000, road_distance=True))
    assert [poi.poi_id for poi in result.pois] == ["n21", "n22"]
    assert {poi.name_match for poi in result.pois} == {"exact"}


def test_a_cuisine_finds_the_places_that_serve_it(toy_town: OsmMapProvider) -> None:
    result = toy_town.search_pois(PoiQuery(near=at("A"), category="food", name="pizza", radius_m=2000))
    assert [poi.poi_id for poi in result.pois] == ["n26"]


@pytest.mark.parametrize(
    ("street", "expected"),
    [
        ("Tollway", ["n21"]),
        ("tollway", ["n21"]),
        ("Eastgate", ["n22"]),
        ("Southstreet", ["n22"]),
        ("Loop", []),
    ],
)
def test_a_street_tells_branches_apart(toy_town: OsmMapProvider, street: str, expected: list[str]) -> None:
    # n21 by its address; n22 by the roads meeting at the crossing it lies beside
    assert [poi_id for poi_id, _ in search(toy_town, "Lidl", street)] == expected


def test_a_blank_street_or_name_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="street must hold a letter or a digit"):
        PoiQuery(near=at("A"), name="Lidl", street=" - ")
    with pytest.raises(ValueError, match="name must hold a letter or a digit"):
        PoiQuery(near=at("A"), name="!!")
