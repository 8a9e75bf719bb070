"""Navigation's grammar, as the router reads it: which whole sentences are navigation requests,
with the intent and slots the agent accepts, and which that merely mention a place are not."""

from __future__ import annotations

import pytest

from agents.hosting import ParsedIntent
from agents.navigation.grammar import NavigationGrammar, read_navigation
from agents.navigation.understanding import understand_intent


@pytest.mark.parametrize(
    ("text", "skill", "intent", "place"),
    [
        ("where's the nearest gas station", "poi", "find_poi", "gas station"),
        ("give me directions to the closest parking garage", "route", "navigate", "parking garage"),
        ("take me to a coffee shop with no traffic", "route", "navigate", "coffee shop"),
        ("show me directions for the nearest supermarket", "route", "navigate", "supermarket"),
        ("what's the address of the closest pharmacy", "poi", "find_poi", "pharmacy"),
        ("which hotels are around here", "poi", "find_poi", "hotels"),
        ("I need a cash machine", "poi", "find_poi", "cash machine"),
        ("I want pizza", "poi", "find_poi", "pizza"),
        ("find somewhere to eat near the cathedral", "poi", "find_poi", "food"),
        ("I'm exhausted, find me a place to sleep", "poi", "find_poi", "hotel"),
        ("is there a rest stop within 10 miles", "poi", "find_poi", "rest stop"),
        ("I'm desiring a cup of tea", "poi", "find_poi", "cup of tea"),
        ("where can I buy groceries", "poi", "find_poi", "supermarket"),
        ("navigate to the nearest fast food restaurant", "route", "navigate", "fast food restaurant"),
        ("give me directions to the nearest Starbucks", "route", "navigate", "starbucks"),
    ],
)
def test_requests_for_a_kind_of_place_are_read_whole(text: str, skill: str, intent: str, place: str) -> None:
    reading = NavigationGrammar().read(text)

    assert reading is not None
    assert (reading.agent, reading.skill, reading.intent) == ("navigation", skill, intent)
    assert reading.slots["place"] == place


def test_kept_places_are_read_without_a_place_slot() -> None:
    reading = read_navigation("where does my friend live")

    assert reading is not None and reading.intent == "find_poi" and "place" not in reading.slots


def test_slots_carry_street_landmark_and_existence_and_the_agent_accepts_them() -> None:
    on_street = read_navigation("is there a cafe on Kaivokatu")
    near = read_navigation("find parking near Kiasma")

    assert on_street is not None and dict(on_street.slots) == {
        "place": "cafe",
        "street": "kaivokatu",
        "existence": True,
    }
    assert near is not None and dict(near.slots) == {"place": "parking", "near": "kiasma"}
    understood = understand_intent(ParsedIntent(intent=on_street.intent, slots=dict(on_street.slots)))
    assert understood.kind == "find" and understood.place is not None
    assert understood.place.street == "kaivokatu" and understood.asks_existence


@pytest.mark.parametrize(
    "text",
    [
        "take me to Stanford Express Care",  # a name alone: the router's other stages judge it
        "take me to the huffington post website",
        "email Jane the address of the restaurant",
        "tell my wife I'm ten minutes away",
        "what stations are playing good music this morning",
        "what movies are being shown at the cinema",
        "find my food",
        "close the garage",
        "park the car for me",
        "can I park here?",
        "order me chinese food",
        "does the nearby chinese restaurant do delivery",
        "open the window",
        "how long will it take",
        "avoid motorways",
        "",
    ],
)
def test_sentences_that_only_mention_a_place_are_not_read(text: str) -> None:
    assert read_navigation(text) is None
