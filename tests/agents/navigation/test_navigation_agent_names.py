"""What people name: directions and addresses asked for in any words, route wishes beside a place,
categories in everyday words, landmarks by their English and local names, shops by their street."""

from __future__ import annotations

import pytest

from agents.hosting import AgentClient
from agents.navigation import understand_text
from agents.navigation.vocabulary import CategoryVocabulary
from mcp_servers.navigation import OsmMapProvider
from mcp_servers.vehicle.backends.simulator import SimulatorBackend

from .navigation_agent_support import DEST_LAT, DEST_LON, ask, payload, poi_ids


@pytest.mark.parametrize(
    ("text", "kind", "phrase"),
    [
        ("where's the nearest gas station", "find", "gas station"),
        ("give me directions to the closest parking garage", "navigate", "parking garage"),
        ("find me a route to Stanford Express Care", "navigate", "stanford express care"),
        ("take me to a coffee shop with no traffic", "navigate", "coffee shop"),
        ("show me the fastest way to a pharmacy avoiding all heavy traffic", "navigate", "pharmacy"),
        ("please send me the address and the quickest route to a hotel near me", "navigate", "hotel"),
        ("what's the address of the closest supermarket", "find", "supermarket"),
        ("get me the address to a sushi place within 3 miles of here", "find", "sushi place"),
        ("how do we get to the mall", "navigate", "mall"),
        ("I need to get to a rest stop, pick a quick one", "navigate", "rest stop"),
        ("which cafes are around here", "find", "cafes"),
        ("what are some nearby hotels", "find", "hotels"),
        ("find a car park that I can reach fastest", "find", "car park"),
        ("I'm starving, locate a burger joint", "find", "burger joint"),
        ("car, I'm in pain, navigate me to the nearest hospital asap", "navigate", "hospital"),
    ],
)
def test_directions_addresses_and_searches_in_any_words(text: str, kind: str, phrase: str) -> None:
    read = understand_text(text)

    assert read.kind == kind
    assert read.place is not None and read.place.phrase == phrase


@pytest.mark.parametrize(
    ("text", "saved"),
    [
        ("what's my home address", "home"),
        ("where do I live", "home"),
        ("fastest route home", "home"),
        ("where does my sister live", "contact"),
        ("give me directions to my friend's house", "contact"),
        ("what is the address of my mum's place", "contact"),
    ],
)
def test_homes_are_kept_places(text: str, saved: str) -> None:
    read = understand_text(text)

    assert read.kind in ("find", "navigate")
    assert read.place is not None and read.place.saved == saved


@pytest.mark.parametrize(
    ("text", "phrase", "street"),
    [
        ("take me to the Lidl on Mannerheimintie", "lidl", "mannerheimintie"),
        ("find the Alepa at Kaivokatu", "alepa", "kaivokatu"),
        ("is there a cafe on Queen Street", "cafe", "queen street"),
    ],
)
def test_a_place_may_be_named_with_its_street(text: str, phrase: str, street: str) -> None:
    read = understand_text(text)

    assert read.place is not None
    assert (read.place.phrase, read.place.street) == (phrase, street)


@pytest.mark.parametrize("text", ["find parking on my way", "a cafe in the area", "find a hotel near me"])
def test_words_about_the_way_or_the_car_are_no_street(text: str) -> None:
    read = understand_text(text)

    assert read.place is not None and read.place.street is None


@pytest.mark.parametrize(
    ("words", "category", "hint"),
    [
        ("somewhere to eat", "food", None),
        ("groceries", "supermarket", None),
        ("a place to sleep", "hotel", None),
        ("a rest stop", "rest_area", None),
        ("the mall", "mall", None),
        ("shopping centre", "mall", None),
        ("get coffee", "cafe", None),
        ("a cup of tea", "cafe", None),
        ("fill up", "fuel", None),
        ("charge the car", "charging", None),
        ("a pharmacy", "pharmacy", None),
        ("a cash machine", "atm", None),
        ("some pizza", "food", "pizza"),
        ("chinese food", "food", "chinese"),
        ("a thai restaurant", "food", "thai"),
    ],
)
def test_categories_asked_in_everyday_words(
    helsinki_map: OsmMapProvider, words: str, category: str, hint: str | None
) -> None:
    vocabulary = CategoryVocabulary((c.name, c.aliases) for c in helsinki_map.info().categories)

    match = vocabulary.find(words)

    assert match is not None
    assert (match.category, match.name_hint) == (category, hint)


# -- the agent on the Helsinki map ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "poi_id"),
    [
        ("take me to Helsinki Cathedral", "w419479428"),
        ("navigate to Helsingin tuomiokirkko", "w419479428"),
        ("take me to the Old Church", None),
        ("take me to Gamla kyrkan", "w123525345"),
        ("drive to Senate Square", "r2919121"),
        ("take me to the Ateneum", "w8033120"),
        ("navigate to the Atenuem", "w8033120"),
        ("directions to Kiasma", "w8042215"),
        ("take me to Stokka", "w122595241"),
    ],
)
async def test_landmarks_by_their_english_and_local_names(
    agent: AgentClient, backend: SimulatorBackend, text: str, poi_id: str | None
) -> None:
    result = await ask(agent, text)

    if poi_id is None:
        # the map gives Vanha kirkko no English name: the agent says what it could not find
        assert result.state == "rejected"
        assert result.text == "I couldn't find the old church on the map near here."
        return
    assert result.state == "completed", result.text
    assert result.text.startswith("Taking you to ")
    assert poi_ids(result) == [poi_id]
    values = await backend.get_current([DEST_LAT, DEST_LON])
    route = payload(result)["route"]
    assert isinstance(route, dict)
    assert (values[DEST_LAT], values[DEST_LON]) == (route["latitude"], route["longitude"])


async def test_a_shop_named_with_its_street_is_that_branch(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    result = await ask(agent, "where is the Alepa on Mannerheimintie")

    assert result.state == "input_required", result.text
    pois = payload(result)["pois"]
    assert isinstance(pois, list) and pois
    first = pois[0]
    assert isinstance(first, dict) and first["name"] == "Alepa"
    assert str(first["address"]).startswith("Mannerheimintie ")


async def test_a_street_without_that_shop_is_said_plainly(agent: AgentClient) -> None:
    result = await ask(agent, "take me to the Lidl on Mannerheimintie")

    assert result.state == "rejected"
    assert result.text == "I couldn't find the lidl on Mannerheimintie on the map near here."


async def test_everyday_words_find_the_right_kind_of_place(agent: AgentClient) -> None:
    mall = await ask(agent, "where's the closest shopping centre")
    pizza = await ask(agent, "I want pizza")

    assert mall.state == "input_required" and mall.text.startswith("The nearest shopping centre is ")
    assert pizza.state == "input_required", pizza.text
    pois = payload(pizza)["pois"]
    assert isinstance(pois, list) and pois
    first = pois[0]
    assert isinstance(first, dict) and first["category"] in ("restaurant", "fast_food", "cafe")


async def test_a_home_the_car_does_not_keep_is_said_so(agent: AgentClient) -> None:
    home = await ask(agent, "what is my home address")
    friend = await ask(agent, "give me directions to my friend's house")

    assert home.state == friend.state == "rejected"
    assert home.text == "No home address is saved in the car, so I can't find it."
    assert friend.text == "No address of your contacts is saved in the car, so I can't take you there."
