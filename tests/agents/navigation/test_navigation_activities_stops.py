"""Places asked for by a short stop on the road: a drink, a quick bite or a snack, a break, the toilets,
cash (`agents/navigation/activities.py`), each said in several ways, and only in a frame that asks for
a place."""

from __future__ import annotations

import pytest

from agents.navigation.understanding import understand_text
from mcp_servers.navigation.categories import CATEGORY_NAMES

STOPS = [
    # drinks: the bar
    ("where can I grab a beer", "bar"),
    ("somewhere to get a drink", "bar"),
    ("where can we go for a pint", "bar"),
    ("somewhere to have a glass of wine", "bar"),
    ("I want to grab a beer", "bar"),
    # a quick bite: a place to eat
    ("where can we stop for a quick bite", "food"),
    ("somewhere to grab a quick bite", "food"),
    ("where can I get something quick to eat", "food"),
    ("where can we stop for a snack", "food"),
    ("I want to stop for a snack", "food"),
    # a snack to take along: the convenience store, as before
    ("where can I get snacks", "convenience"),
    # a break: the rest area
    ("somewhere to stretch my legs", "rest area"),
    ("where can we take a break", "rest area"),
    ("where can we pull over and rest", "rest area"),
    ("somewhere to pull over", "rest area"),
    ("somewhere to stop and rest", "rest area"),
    ("where can I stop for a rest", "rest area"),
    ("where can we stop at a rest stop", "rest area"),
    # the toilets
    ("somewhere to pee", "toilets"),
    ("where can I use the restroom", "toilets"),
    ("I need to use the bathroom", "toilets"),
    ("I need to go to the loo", "toilets"),
    # cash: the atm
    ("where can I get cash", "atm"),
    ("I need to get cash", "atm"),
    ("somewhere to get some cash", "atm"),
]


@pytest.mark.parametrize(("text", "phrase"), STOPS)
def test_a_short_stop_names_the_place(text: str, phrase: str) -> None:
    understood = understand_text(text)

    assert understood.kind == "find"
    assert understood.place is not None and understood.place.phrase == phrase
    assert understood.place.indefinite
    assert phrase.replace(" ", "_") in CATEGORY_NAMES


@pytest.mark.parametrize(
    "text",
    [
        "let's take a break",  # a wish that is no errand: not a search
        "I need to pull over",
        "I want to use the radio",
        "pull over and rest",  # no frame that asks for a place
    ],
)
def test_a_stop_said_outside_a_frame_for_a_place_is_no_search(text: str) -> None:
    understood = understand_text(text)

    assert understood.kind != "find" or understood.place is None or not understood.place.indefinite
