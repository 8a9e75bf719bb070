"""The deterministic readings of a turn that need the conversation: a leading yes or no, and requests
that point back at the previous request's object."""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from orchestrator.dialogue import (
    for_zone,
    leading_answer,
    more_of,
    object_phrase,
    pointing_back,
    refer_back,
    where_kept,
)


@pytest.mark.parametrize(
    ("text", "kind", "said", "rest"),
    [
        ("yes, take me there, and unlock the doors", "yes", "yes", "take me there, and unlock the doors"),
        ("yes and unlock the doors", "yes", "yes", "unlock the doors"),
        ("Yes please, and heat my seat.", "yes", "Yes please", "heat my seat."),
        ("no but turn on my seat heating", "no", "no", "turn on my seat heating"),
        ("nope. find a charger instead", "no", "nope", "find a charger instead"),
    ],
)
def test_a_yes_or_no_before_a_request(text: str, kind: str, said: str, rest: str) -> None:
    answer = leading_answer(text)
    assert answer is not None
    assert (answer.kind, answer.said, answer.rest) == (kind, said, rest)


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "yes please",
        "no thanks",
        "yes, thank you",
        "no, no",
        "sure thing, heat my seat",
        "open the window",
    ],
)
def test_no_leading_answer(text: str) -> None:
    assert leading_answer(text) is None


@pytest.mark.parametrize(
    ("said", "thing"),
    [
        ("open my window", "my window"),
        ("turn on the seat heating", "the seat heating"),
        ("switch the seat heating off", "the seat heating"),
        ("set the temperature to 22 degrees please", "the temperature"),
        ("can you open the sunroof please", "the sunroof"),
        ("roll the windows down a bit", "the windows"),
        ("turn the volume up by 10", "the volume"),
        ("lock the doors", "the doors"),
        ("I'm cold", None),
        ("turn it up", None),
        ("find a charger", None),
    ],
)
def test_the_object_of_a_request(said: str, thing: str | None) -> None:
    assert object_phrase(said) == thing


@pytest.mark.parametrize(
    ("text", "previous", "clause", "resolved"),
    [
        ("actually, too noisy, close it again", "open my window", "close it again", "close my window"),
        (
            "actually never mind, switch it back off",
            "turn on the seat heating",
            "switch it back off",
            "switch the seat heating off",
        ),
        (
            "turn it back on please",
            "switch the seat heating off",
            "turn it back on",
            "turn the seat heating on",
        ),
        ("shut them", "open all the windows", "shut them", "shut all the windows"),
        ("put it back up", "roll my window down", "put it back up", "put my window up"),
        ("turn it down a bit", "set the fan to 4", "turn it down a bit", "turn the fan down a bit"),
        (
            "ok, turn it up a lot please",
            "set the temperature to 19",
            "turn it up a lot",
            "turn the temperature up a lot",
        ),
    ],
)
def test_a_request_that_points_back(text: str, previous: str, clause: str, resolved: str) -> None:
    reference = refer_back(text, previous)
    assert reference is not None
    assert (reference.clause, reference.resolved) == (clause, resolved)


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("close that window", "open my window"),
        ("is it safe to change lanes", "open my window"),
        ("it's cold in here", "open my window"),
        ("close it", "I'm cold"),
        ("take me to it", "find a charger"),
        ("navigate to the place called 'open it'", "close my window"),
        ("find the bar named Turn It Up", "turn on the seat heating"),
    ],
)
def test_nothing_to_point_back_at(text: str, previous: str) -> None:
    assert refer_back(text, previous) is None


@pytest.mark.parametrize(
    ("previous", "who", "said_for"),
    [
        ("turn on my seat heating", "passenger", "turn on the passenger's seat heating"),
        ("open my window", "rear left", "open the rear left window"),
        ("open my window", "rear", "open the rear window"),
        ("crack my window a bit", "everyone", "crack everyone's window a bit"),
        ("I'm cold", "passenger", "the passenger is cold"),
        ("I am too hot", "rear", "the people in the back are too hot"),
        ("set the temperature to 21", "passenger", "set the temperature to 21 for the passenger"),
        ("turn on the seat heating", "everyone", "turn on the seat heating for everyone"),
    ],
)
def test_the_previous_request_said_for_someone_else(previous: str, who: str, said_for: str) -> None:
    assert for_zone(previous, who) == said_for


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("never mind, switch it back off", "switch it back off"),
        ("close it again please", "close it again"),
        ("turn it down a bit", "turn it down a bit"),
        ("close that window", None),
        ("navigate to the place called 'open it'", None),
    ],
)
def test_the_clause_that_points_back(text: str, clause: str | None) -> None:
    assert pointing_back(text) == clause


@pytest.mark.parametrize(
    ("intent", "slots", "said", "sent"),
    [
        # An absolute value of a device changed by steps: a step up from it, as the grammar says one.
        (
            "set_cabin_temperature",
            {"celsius": 21, "zone": "self"},
            "a bit more",
            {"zone": "self", "delta": "small"},
        ),
        ("set_fan", {"percent": 30, "zone": "passenger"}, "more", {"zone": "passenger", "delta": "small"}),
        ("set_media_volume", {"percent": 20}, "even more", {"delta": "small"}),
        ("set_fan", {"percent": 30, "zone": "self"}, "some more", {"zone": "self", "delta": "medium"}),
        # A relative change goes again, in its own direction.
        (
            "set_fan",
            {"delta": "small", "sign": -1, "zone": "self"},
            "a bit more",
            {"delta": "small", "sign": -1, "zone": "self"},
        ),
        # "Again" repeats the request as it was.
        (
            "set_cabin_temperature",
            {"celsius": 21, "zone": "self"},
            "once more",
            {"celsius": 21, "zone": "self"},
        ),
        (
            "set_cabin_temperature",
            {"celsius": 21, "zone": "self"},
            "do that again",
            {"celsius": 21, "zone": "self"},
        ),
        (
            "set_cabin_temperature",
            {"celsius": 21, "zone": "self"},
            "a lot more",
            {"zone": "self", "delta": "large"},
        ),
        # "Less": the same step the other way, from a value or against the last change.
        (
            "set_fan",
            {"percent": 30, "zone": "self"},
            "a little less",
            {"zone": "self", "delta": "small", "sign": -1},
        ),
        (
            "set_fan",
            {"delta": "medium", "zone": "self"},
            "less",
            {"zone": "self", "delta": "small", "sign": -1},
        ),
        ("set_media_volume", {"delta": 10, "sign": -1}, "a bit less", {"delta": "small"}),
        # A device that is not changed by steps, or no value to step from: the same request.
        ("set_seat_heating", {"seat": "self", "level": 2}, "a bit more", {"seat": "self", "level": 2}),
        ("set_window", {"window": "self", "action": "open"}, "more", {"window": "self", "action": "open"}),
    ],
)
def test_more_after_a_request(
    intent: str, slots: dict[str, JsonValue], said: str, sent: dict[str, JsonValue]
) -> None:
    assert more_of(intent, slots, said) == sent


def test_a_request_that_points_back_keeps_the_previous_seat() -> None:
    read: dict[str, JsonValue] = {"window": "self", "action": "close"}
    assert where_kept(read, {"window": "passenger", "action": "open"}) == {
        "window": "passenger",
        "action": "close",
    }
    # Nothing of where in the previous request: the reading stands.
    assert where_kept({"on": False}, {"on": True}) == {"on": False}
    assert where_kept(read, {"on": True}) == read


@pytest.mark.parametrize(
    ("intent", "slots"),
    [
        ("set_seat_heating", {"seat": "self", "level": 2}),
        ("climate_warmer", {"delta": "small", "zone": "self"}),
        ("set_window", {"window": "self", "action": "open"}),
    ],
)
def test_less_of_what_is_not_changed_by_steps_is_no_edit(intent: str, slots: dict[str, JsonValue]) -> None:
    assert more_of(intent, slots, "a bit less") is None
