"""A place relative to the speaker that the speaker's seat has none of ("warmer back here" said by the
driver, "open the window in front of me" from the front): nothing is called, and the reply says why in
plain words (`replies.no_such_place`), alone or beside what else was done."""

from __future__ import annotations

import pytest

from agents.hosting import Seat
from agents.vehicle_control import replies
from agents.vehicle_control.parser import TemplateParser
from agents.vehicle_control.seats import NOWHERE, nowhere


@pytest.mark.parametrize(
    ("said", "seat", "where"),
    [
        ("warmer back here", "driver", "back_here"),
        ("turn up the heat back here", "passenger", "back_here"),
        ("open the window back here", "driver", "back_here"),
        ("make it cooler up here", "rear_left", "up_here"),
        ("open the window in front of me", "driver", "ahead"),
        ("heat the seat in front of me", "passenger", "ahead"),
        ("open the window behind me", "rear_left", "behind"),
        ("close the door behind me", "rear_right", "behind"),
    ],
)
def test_the_missing_place_is_what_the_request_lacks(
    parser: TemplateParser, said: str, seat: Seat, where: str
) -> None:
    parse = parser.parse(said, seat=seat)

    assert parse.actions == ()
    assert parse.unmatched == ()
    assert parse.lacking == (f"{NOWHERE}{where}",)


def test_what_the_seat_has_is_done_and_the_missing_place_is_said_beside_it(parser: TemplateParser) -> None:
    parse = parser.parse("open my window and the window in front of me", seat="driver")

    assert [(a.tool, dict(a.arguments)) for a in parse.actions] == [
        ("set_window", {"window": "driver", "action": "open"})
    ]
    assert parse.lacking == (f"{NOWHERE}ahead",)


@pytest.mark.parametrize(
    ("value", "seat", "missing"),
    [
        ("behind", "rear_left", "behind"),
        ("behind", "driver", None),
        ("ahead", "passenger", "ahead"),
        ("back_here", "driver", "back_here"),
        ("up_here", "rear_right", "up_here"),
        ("driver", "rear_left", None),
    ],
)
def test_nowhere_names_the_relative_place_a_seat_has_none_of(
    value: str, seat: Seat, missing: str | None
) -> None:
    assert nowhere(value, seat) == missing


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("behind", "no seat behind you"),
        ("ahead", "no seat in front of you"),
        ("back_here", "you're sitting in the front"),
        ("up_here", "you're sitting in the back"),
    ],
)
def test_the_reply_says_why_in_one_sentence(where: str, words: str) -> None:
    said = replies.lacking([f"{NOWHERE}{where}"])

    assert words in said.lower()
    assert said.count(". ") == 0
    assert "can't do that yet" not in said.lower()
