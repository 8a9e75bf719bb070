"""Places said relative to the speaker ("back here", "up here", "where I'm sitting", "behind me", "next
to me", "in front of me", "across from me"), resolved from the speaker's seat
(`agents/vehicle_control/seats.py` over the lexicon's ``SPEAKER_ZONES``), for every device alike."""

from __future__ import annotations

import pytest

from agents.hosting import Seat
from agents.vehicle_control.parser import TemplateParser
from agents.vehicle_control.seats import postposed, resolve


def _calls(parser: TemplateParser, said: str, seat: Seat) -> list[tuple[str, dict[str, object]]]:
    return [(a.tool, dict(a.arguments)) for a in parser.parse(said, seat=seat).actions]


@pytest.mark.parametrize(
    ("said", "seat", "tool", "where"),
    [
        # "back here" from the rear is the speaker's own seat
        ("warmer back here", "rear_left", "set_cabin_temperature", {"zone": "rear_left"}),
        ("make it warmer back here", "rear_right", "set_cabin_temperature", {"zone": "rear_right"}),
        ("turn up the heat back here", "rear_left", "set_cabin_temperature", {"zone": "rear_left"}),
        ("open the window back here", "rear_right", "set_window", {"window": "rear_right"}),
        ("turn on the seat heating back here", "rear_left", "set_seat_heating", {"seat": "rear_left"}),
        ("open the window here in the back", "rear_left", "set_window", {"window": "rear_left"}),
        # "up here" from the front
        ("warmer up here", "passenger", "set_cabin_temperature", {"zone": "passenger"}),
        ("turn on the seat heating up here", "driver", "set_seat_heating", {"seat": "driver"}),
        # where the speaker sits
        ("open the window where I'm sitting", "passenger", "set_window", {"window": "passenger"}),
        ("turn on the seat heating where I sit", "rear_right", "set_seat_heating", {"seat": "rear_right"}),
        ("turn up the fan on my side", "passenger", "set_fan", {"zone": "passenger"}),
        # the seats around the speaker
        ("open the window behind me", "driver", "set_window", {"window": "rear_left"}),
        ("open the window behind me", "passenger", "set_window", {"window": "rear_right"}),
        ("turn on the seat heating behind me", "driver", "set_seat_heating", {"seat": "rear_left"}),
        ("turn on the seat heating next to me", "driver", "set_seat_heating", {"seat": "passenger"}),
        ("turn on the massage next to me please", "rear_left", "set_seat_massage", {"seat": "rear_right"}),
        ("open the window across from me", "driver", "set_window", {"window": "passenger"}),
        ("open the window in front of me", "rear_right", "set_window", {"window": "passenger"}),
        ("turn the fan up in front of me", "rear_left", "set_fan", {"zone": "driver"}),
    ],
)
def test_a_place_relative_to_the_speaker_is_resolved_from_their_seat(
    parser: TemplateParser, said: str, seat: Seat, tool: str, where: dict[str, object]
) -> None:
    calls = _calls(parser, said, seat)

    assert len(calls) == 1
    assert calls[0][0] == tool
    assert where.items() <= calls[0][1].items()


@pytest.mark.parametrize(
    ("said", "seat"),
    [
        ("it's cold back here", "rear_left"),
        ("it's cold here in the back", "rear_right"),
        ("it's freezing where I'm sitting", "passenger"),
    ],
)
def test_a_need_said_of_where_the_speaker_sits_is_theirs(
    parser: TemplateParser, said: str, seat: Seat
) -> None:
    calls = _calls(parser, said, seat)

    assert calls
    assert all(seat in args.values() for _, args in calls)


@pytest.mark.parametrize(
    ("said", "seat", "where"),
    [
        ("warmer back here", "driver", "back_here"),  # nobody's seat is "back here" from the front
        ("turn on the seat heating up here", "rear_left", "up_here"),
        ("open the window in front of me", "driver", "ahead"),
        ("open the window behind me", "rear_right", "behind"),
    ],
)
def test_a_place_the_speakers_seat_has_not_is_no_call(
    parser: TemplateParser, said: str, seat: Seat, where: str
) -> None:
    parse = parser.parse(said, seat=seat)

    assert parse.actions == ()
    assert parse.lacking == (f"nowhere:{where}",)


def test_the_relative_places_resolve_from_one_table() -> None:
    assert resolve("back_here", "rear_left") == ("rear_left",)
    assert resolve("back_here", "driver") is None
    assert resolve("up_here", "passenger") == ("passenger",)
    assert resolve("up_here", "rear_right") is None


@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("open the window behind me", "open the behind me window"),
        ("turn on the seat heating next to me", "turn on the seat heating for next to me"),
        ("warmer back here please", "warmer for back here please"),
        ("it's cold where i'm sitting", "it's cold in here"),
        ("set the temperature to 22 for the passenger", "set the temperature to 22 for the passenger"),
        ("turn up the fan on my side", "turn up the fan on my side"),
    ],
)
def test_where_a_place_said_after_its_object_is_written(said: str, written: str) -> None:
    assert postposed(said) == written
