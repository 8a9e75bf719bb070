"""A statement about the situation or a stated reason, told from a request by its form alone
(:func:`agents.language.clauses.is_situation`)."""

from __future__ import annotations

import pytest

from agents.language.clauses import is_situation


@pytest.mark.parametrize(
    "said",
    [
        "we're going through the car wash",
        "We are about to go through a tunnel",
        "because the kids are asleep",
        "'cause my hands are full",
        "since it's getting late",
        "as we're nearly there",
        "there's a lot of dust out here",
        "I'm on a call",
        "oh, it's the car wash",
        "they’re asleep in the back.",
        # A need is still a statement by its form: whether it is read as one is the grammars' call.
        "it's cold in here",
        "I'm hot",
    ],
)
def test_a_statement_of_the_situation_or_a_reason(said: str) -> None:
    assert is_situation(said)


@pytest.mark.parametrize(
    "said",
    [
        "close everything",
        "turn on the seat heating",
        "I'm going to need the heating on",
        "we'd like some fresh air",
        "it's too warm, can you fix that",
        "we have to close the sunroof",
        "is it raining?",
        "it's raining?",
        "as well",
        "for the passenger",
        "so the rear ones",
        "the wipers",
        "",
    ],
)
def test_a_request_or_a_fragment_is_not_one(said: str) -> None:
    assert not is_situation(said)
