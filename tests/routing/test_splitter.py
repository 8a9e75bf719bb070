"""Candidate cuts of an utterance (the router decides which cuts it keeps: see test_router)."""

from __future__ import annotations

import pytest

from orchestrator.routing import ask_of, split_candidates
from orchestrator.routing.splitter import is_filler


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("open my window and turn on the seat heating", ["open my window", "turn on the seat heating"]),
        ("lights on, wipers slow and set it to 19", ["lights on", "wipers slow", "set it to 19"]),
        ("find a charger and then take me home", ["find a charger", "take me home"]),
        ("open the window. Then close the sunroof!", ["open the window", "close the sunroof"]),
        ("close the boot; lock the car", ["close the boot", "lock the car"]),
        ("open the sunroof but close the shade", ["open the sunroof", "close the shade"]),
        ("turn on the lights and the wipers", ["turn on the lights", "the wipers"]),
        ("set it to 19.5 please", ["set it to 19.5 please"]),
        ("what's the ETA?", ["what's the ETA"]),
        ("oh, uh, and lock the doors too", ["oh", "uh", "lock the doors too"]),
        ("  ", []),
        ("and", ["and"]),
    ],
)
def test_candidate_pieces(text: str, pieces: list[str]) -> None:
    assert [chunk.text for chunk in split_candidates(text)] == pieces


def test_pieces_point_back_into_the_text() -> None:
    text = "lights on, wipers slow and set it to 19"
    for chunk in split_candidates(text):
        assert text[chunk.start : chunk.end] == chunk.text


def test_words_that_merely_contain_a_conjunction_are_not_cut() -> None:
    assert [c.text for c in split_candidates("find a sandwich shop then brandy")] == [
        "find a sandwich shop",
        "brandy",
    ]
    assert len(split_candidates("the band played standards")) == 1


@pytest.mark.parametrize(
    ("text", "filler"),
    [("please", True), ("oh, uh", True), ("thank you", True), ("the wipers", False), ("call mum", False)],
)
def test_filler(text: str, filler: bool) -> None:
    assert is_filler(text) is filler


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        (
            "the kids are asleep, anyway, what I actually wanted to ask is whether you could set my side "
            "to 22 degrees, because the heater's been blasting",
            "set my side to 22 degrees",
        ),
        ("could you open the window please, it's hot", "open the window please"),
        (
            "I was wondering if you could heat my seat and set it to 22. Thanks",
            "heat my seat and set it to 22",
        ),
        ("I'd like you to lock the car since we're leaving", "lock the car"),
        ("can you believe the traffic, and can you turn the music down", "turn the music down"),
        ("we've been driving for hours and it's getting late", None),
    ],
)
def test_the_ask_of_a_ramble(text: str, ask: str | None) -> None:
    found = ask_of(text)
    assert (found.text if found else None) == ask
    if found is not None:
        assert text[found.start : found.end] == found.text
