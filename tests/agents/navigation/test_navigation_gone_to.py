"""A place-asking frame that ends in "go to" ("where can I go to the bathroom"): the words after it are
where one goes, a category searched for; a place by its name ("where can I go to Kamppi") is a
destination; what to do there ("where can I go to eat") is read as before."""

from __future__ import annotations

import pytest

from agents.navigation.activities import place_gone_to, starts_with_activity
from agents.navigation.grammar import read_navigation
from agents.navigation.understanding import understand_text


@pytest.mark.parametrize(
    ("said", "category"),
    [
        ("where can I go to the bathroom", "toilets"),
        ("somewhere to go to the toilet", "toilets"),
        ("is there anywhere I can go to the loo", "toilets"),
        ("where can we go to a restroom around here", "toilets"),
        ("where can I go to the pharmacy", "pharmacy"),
        ("where could we go to a supermarket", "supermarket"),
        ("is there somewhere we can go to a petrol station", "fuel"),
        ("where can I go to the nearest charger", "charging"),
    ],
)
def test_a_category_after_go_to_is_searched_for(said: str, category: str) -> None:
    read = understand_text(said)

    assert read.kind == "find"
    assert read.place is not None
    assert read.place.indefinite
    assert read.place.phrase == category.replace("_", " ")
    reading = read_navigation(said)
    assert reading is not None
    assert reading.intent == "find_poi"


def test_a_category_after_go_to_keeps_the_landmark_it_is_near() -> None:
    read = understand_text("where could we go to a supermarket near the station")

    assert read.kind == "find"
    assert read.place is not None
    assert read.place.phrase == "supermarket"
    assert read.place.near is not None
    assert read.place.near.phrase == "station"


def test_take_me_somewhere_i_can_go_to_the_toilet_is_taken_there() -> None:
    read = understand_text("take me somewhere I can go to the toilet")

    assert read.kind == "navigate"
    assert read.place is not None
    assert read.place.phrase == "toilets"


@pytest.mark.parametrize(
    ("said", "name"),
    [
        ("where can I go to Kamppi", "kamppi"),
        ("where can we go to the Stockmann department store", "stockmann department store"),
    ],
)
def test_a_named_place_after_go_to_is_a_destination_not_a_category_search(said: str, name: str) -> None:
    read = understand_text(said)

    assert read.kind == "navigate"
    assert read.place is not None
    assert read.place.phrase == name
    assert not read.place.indefinite


@pytest.mark.parametrize(
    ("said", "category"),
    [("where can I go to eat", "food"), ("where can I go to get coffee", "cafe")],
)
def test_what_to_do_after_go_to_is_still_the_activity(said: str, category: str) -> None:
    read = understand_text(said)

    assert read.kind == "find"
    assert read.place is not None
    assert read.place.phrase == category


@pytest.mark.parametrize(
    "said", ["i don't know where i can go to the toilet", "where can I go to eat healthier"]
)
def test_a_denied_frame_or_an_activity_with_words_left_is_no_search(said: str) -> None:
    read = understand_text(said)

    assert read.activity is None
    assert read.kind != "navigate"


def test_place_gone_to_takes_only_a_whole_category() -> None:
    found = place_gone_to("the bathroom")

    assert found is not None
    assert found.category == "toilets"
    assert place_gone_to("kamppi") is None
    assert place_gone_to("the bathroom upstairs") is None


def test_starts_with_activity_reads_the_verbs_of_the_table() -> None:
    assert starts_with_activity("eat healthier")
    assert starts_with_activity("fill up")
    assert not starts_with_activity("the bathroom")
    assert not starts_with_activity("kamppi")
