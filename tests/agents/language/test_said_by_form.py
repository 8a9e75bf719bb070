"""What a clause is, told by its form alone: what someone else said (reported speech), a statement of
what happened, and an acknowledgement. None of them is a request of the person
(:func:`agents.language.clauses.reported`, :func:`~agents.language.clauses.is_situation`,
:func:`agents.language.dialogue.small_talk`)."""

from __future__ import annotations

import pytest

from agents.language.clauses import is_situation, reported
from agents.language.dialogue import small_talk


@pytest.mark.parametrize(
    ("said", "words"),
    [
        ("the song says turn up the heat", "turn up the heat"),
        ("my friend told me to open the sunroof", "open the sunroof"),
        ("the sign said slow down", "slow down"),
        ("she asked me to open the window", "open the window"),
        ("he keeps telling me to turn it down", "turn it down"),
        ("mom said open the window", "open the window"),
        ("the navigation said turn left", "turn left"),
        ('my wife says "open the sunroof"', '"open the sunroof"'),
        ("the guy at the gas station told us to take the highway", "take the highway"),
        ("oh, the radio host just shouted close your windows", "close your windows"),
        ("the kids are asking to put the cartoons on", "put the cartoons on"),
    ],
)
def test_what_someone_else_said_is_reported_speech(said: str, words: str) -> None:
    found = reported(said)
    assert found is not None and found.text == words
    assert said[found.start : found.end] == words
    # Reported speech is no request: beside one it is context, alone it is small talk.
    assert is_situation(said)
    assert small_talk(said) == "reported"


@pytest.mark.parametrize(
    "said",
    [
        "I said open the window",  # the person's own words, said again
        "I told you to open the window",
        "we said close everything",
        "what did the sign say",
        "what does the sign say",
        "can you tell me what the sign says",
        "tell me what it says",
        "read me the sign",
        "turn on what he says",
        "open the window",
        "say hello to my friend",
    ],
)
def test_a_request_or_a_question_is_not_reported_speech(said: str) -> None:
    assert reported(said) is None


@pytest.mark.parametrize(
    "said",
    [
        "I dropped my phone",
        "I just dropped my phone",
        "she fell asleep",
        "we forgot the bags",
        "he spilled coffee on the seat",
        "the kids are asleep",
        "my phone fell under the seat",
        "my phone's dead",
        "the baby's sleeping",
        "I love this song",
    ],
)
def test_a_statement_of_what_happened_is_told_by_its_form(said: str) -> None:
    assert is_situation(said)


@pytest.mark.parametrize(
    "said",
    [
        "tell me a joke",
        "order me a pizza",
        "I want a pizza",
        "you turn on the lights",
        "turn on the reading light",
        "the passenger side",
        "the heated seats",
        "the wipers",
        "did I drop my phone?",
    ],
)
def test_a_request_or_a_fragment_is_no_statement(said: str) -> None:
    assert not is_situation(said)


@pytest.mark.parametrize(
    "said", ["ok cool", "nice 👍", "great", "👍", "got it, nice", "that's great", "okay, perfect"]
)
def test_an_acknowledgement_is_small_talk(said: str) -> None:
    assert small_talk(said) == "acknowledgement"


@pytest.mark.parametrize(
    "said", ["cool it down", "make it cool", "not cool", "nice and warm", "great, now open the window"]
)
def test_a_request_with_such_words_is_no_acknowledgement(said: str) -> None:
    assert small_talk(said) is None
