"""Finding places: real Helsinki places, spoken answers with distance and time, honest gaps."""

from __future__ import annotations

import pytest

from agents.hosting import AgentClient
from mcp_servers.navigation import DEFAULT_POSITION, OsmMapProvider, PoiQuery
from mcp_servers.vehicle.backends.simulator import SimulatorBackend

from .navigation_agent_support import MOVING, ask, nearest, payload, poi_ids, sentences


async def test_a_charger_is_offered_with_distance_and_driving_time(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    expected = nearest(helsinki_map, "charging")

    result = await ask(agent, "find me a charger")

    assert result.state == "input_required"
    assert result.text.startswith("The nearest charger is ")
    assert "metres" in result.text and "minute" in result.text
    assert result.text.endswith("Shall I take you there?")
    assert poi_ids(result) == [poi.poi_id for poi in expected]
    data = payload(result)
    route = data["route"]
    assert isinstance(route, dict) and route["poi_id"] == expected[0].poi_id
    assert data["actions"] == [] and data["stateChanges"] == {}
    assert data["attribution"] == "© OpenStreetMap contributors, ODbL"


async def test_is_there_a_pharmacy_nearby_answers_yes_with_the_nearest(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    first = nearest(helsinki_map, "pharmacy")[0]

    result = await ask(agent, "Is there a pharmacy nearby?")

    assert result.state == "input_required"
    assert first.name is not None
    assert result.text.startswith(f"Yes, the nearest pharmacy is {first.name}, ")
    assert poi_ids(result)[0] == first.poi_id


@pytest.mark.parametrize(("words", "category"), [("chemist", "pharmacy"), ("car park", "parking")])
async def test_british_and_american_words_find_the_same_places(
    agent: AgentClient, helsinki_map: OsmMapProvider, words: str, category: str
) -> None:
    result = await ask(agent, f"where is the nearest {words}")

    assert result.state == "input_required"
    assert f"nearest {words}" in result.text
    assert poi_ids(result)[0] == nearest(helsinki_map, category)[0].poi_id


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("battery's getting really low, where can I charge around here?", "The nearest charger is "),
        ("ugh, I, like, really really need a coffee right now", "The nearest café is "),
        ("I need a cash machine", "The nearest cash machine is "),
        ("show me toilets", "The nearest public toilet is "),
    ],
)
async def test_a_search_said_in_passing_is_understood(agent: AgentClient, text: str, start: str) -> None:
    result = await ask(agent, text)

    assert result.state == "input_required"
    assert result.text.startswith(start)


async def test_a_request_that_names_no_place_is_not_ours(agent: AgentClient) -> None:
    result = await ask(agent, "I need the windows closed")

    assert result.state == "rejected"
    assert result.text.startswith("I can only help with places and routes")


async def test_a_named_place_with_its_kind(agent: AgentClient) -> None:
    result = await ask(agent, "how far is the Ateneum art museum and how long will it take to drive there?")

    assert result.state == "input_required"
    assert result.text.startswith("Ateneum is ") and "minute" in result.text


async def test_a_kind_of_place_the_map_has_none_of_is_said_plainly(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    assert nearest(helsinki_map, "hospital") == []

    result = await ask(agent, "how far is the nearest hospital")

    assert result.state == "completed"
    assert result.text == "I couldn't find a hospital within 5 kilometres."
    assert payload(result)["pois"] == []


async def test_an_unknown_kind_of_place_is_refused_politely(agent: AgentClient) -> None:
    result = await ask(agent, "find me a zoo")

    assert result.state == "rejected"
    assert result.text.startswith("I can't look for a zoo on the map.")
    assert "charger" in result.text and "car park" in result.text


async def test_an_unknown_category_slot_is_refused(agent: AgentClient) -> None:
    result = await ask(agent, "", data={"intent": "find_poi", "slots": {"category": "spaceport"}})

    assert result.state == "rejected"
    assert "spaceport" in result.text


async def test_cheapest_is_not_in_the_map_and_the_answer_says_so(agent: AgentClient) -> None:
    result = await ask(agent, "find the cheapest parking lot")

    assert result.state == "input_required"
    assert result.text.startswith("I don't have prices, but the nearest parking lot is ")


async def test_a_place_by_name(agent: AgentClient) -> None:
    result = await ask(agent, "how far away is Hotel Kämp")

    assert result.state == "input_required"
    assert result.text.startswith("Hotel Kämp is ")
    assert "minute" in result.text


async def test_a_name_that_is_nowhere_on_the_map(agent: AgentClient) -> None:
    result = await ask(agent, "where is Zzyzx Plaza")

    assert result.state == "rejected"
    assert "couldn't find zzyzx plaza" in result.text.lower()


async def test_the_second_one_is_remembered_within_the_task(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    expected = nearest(helsinki_map, "pharmacy")

    offered = await ask(agent, "find a pharmacy")
    second = await ask(agent, "the second one", task_id=offered.task_id)
    last = await ask(agent, "what about the last one", task_id=offered.task_id)

    assert second.state == "input_required" and last.state == "input_required"
    assert expected[1].name is not None and expected[-1].name is not None
    assert second.text.startswith(f"The second one is {expected[1].name}, ")
    assert poi_ids(second) == [expected[1].poi_id]
    assert last.text.startswith(f"The last one is {expected[-1].name}, ")


async def test_asking_for_more_places_than_were_found_keeps_the_question_open(agent: AgentClient) -> None:
    offered = await ask(agent, "find me a charger")
    result = await ask(agent, "the fifth one", task_id=offered.task_id)

    assert result.state == "input_required"
    assert result.text == "I only found 4 places. Which one do you mean?"


async def test_a_parsed_intent_finds_places_too(agent: AgentClient, helsinki_map: OsmMapProvider) -> None:
    result = await ask(agent, "", data={"intent": "find_poi", "slots": {"category": "pharmacy"}})

    assert result.state == "input_required"
    assert poi_ids(result)[0] == nearest(helsinki_map, "pharmacy")[0].poi_id


@pytest.mark.rule("GR-12")
async def test_gr12_while_moving_answers_stay_short_with_at_most_three_places(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    await backend.inject(MOVING)

    result = await ask(agent, "find a bar")
    cheap = await ask(agent, "is there a cheap cafe nearby")

    assert result.state == "input_required"
    assert 1 <= len(poi_ids(result)) <= 3
    assert len(sentences(result.text)) <= 2
    assert len(sentences(cheap.text)) <= 2
    assert "Also near" not in result.text


@pytest.mark.rule("GR-12")
async def test_gr12_parked_answers_may_name_alternatives(agent: AgentClient) -> None:
    result = await ask(agent, "find a bar")

    assert len(poi_ids(result)) == 5
    assert "Also near: " in result.text


def _around_landmark(provider: OsmMapProvider, landmark: str, category: str) -> tuple[str, list[str]]:
    """The landmark the map names `landmark` nearest the car, and the places of `category` nearest it."""
    found = provider.search_pois(
        PoiQuery(near=DEFAULT_POSITION, name=landmark, radius_m=5000, limit=5, road_distance=True)
    ).pois
    exact = [poi for poi in found if (poi.name or "").casefold() == landmark.casefold()]
    place = (exact or [poi for poi in found if poi.category is not None])[0]
    assert place.name is not None
    around = provider.search_pois(
        PoiQuery(near=place.position, category=category, radius_m=1500, limit=5, road_distance=True)
    ).pois
    return place.name, [poi.poi_id for poi in around]


async def test_a_search_near_a_landmark_looks_around_the_landmark(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    landmark, expected = _around_landmark(helsinki_map, "cathedral", "cafe")

    result = await ask(agent, "find a cafe near the cathedral")

    assert result.state == "input_required"
    assert result.text.startswith(f"The nearest cafe to {landmark} is ")
    assert poi_ids(result) == expected
    assert expected[0] not in [poi.poi_id for poi in nearest(helsinki_map, "cafe")]


async def test_a_named_landmark_is_the_place_of_that_name_not_a_namesake(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    landmark, expected = _around_landmark(helsinki_map, "Kiasma", "pharmacy")

    result = await ask(agent, "is there a pharmacy near Kiasma?")

    assert landmark == "Kiasma"
    assert result.text.startswith("Yes, the nearest pharmacy to Kiasma is ")
    assert poi_ids(result) == expected


@pytest.mark.parametrize("text", ["take me to the airport", "find a charger near the airport"])
async def test_a_place_the_map_lacks_is_named_as_it_was_said(agent: AgentClient, text: str) -> None:
    result = await ask(agent, text)

    assert result.state == "rejected"
    assert result.text == "I couldn't find the airport on the map near here."
