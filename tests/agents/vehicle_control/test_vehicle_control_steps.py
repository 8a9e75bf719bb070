"""Requests said from where a device is, and one seat's setting copied to others: how the grammar
reads them (the tool's argument ``by`` or ``like``) and how they are resolved against the values the
car reports (agents/vehicle_control/relative.py), for every device they apply to."""

from __future__ import annotations

import pytest
from pydantic import JsonValue

from agents.hosting import Seat
from agents.vehicle_control import Action, TemplateParser
from agents.vehicle_control.amounts import BY, LEVEL_STEPS, POSITION_STEPS
from agents.vehicle_control.parser import shared_parser
from agents.vehicle_control.relative import COPIES, LIKE, needs_state, paths, resolved

_HEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"
_PASSENGER_HEAT = "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling"
_MASSAGE = "Vehicle.Cabin.Seat.Row1.DriverSide.Massage.Level"
_WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
_SHADE = "Vehicle.Cabin.Sunroof.Shade.Position"
_STATION = "Vehicle.Cabin.HVAC.Station.{}.Temperature"


@pytest.fixture(scope="module")
def parser() -> TemplateParser:
    return shared_parser()


def _calls(
    parser: TemplateParser, said: str, seat: Seat = "driver"
) -> list[tuple[str, dict[str, JsonValue]]]:
    return [(action.tool, dict(action.arguments)) for action in parser.parse(said, seat=seat).actions]


# -- 1. steps on devices set by levels, and a notch of a device changed by steps ---------------------


@pytest.mark.parametrize(
    ("said", "call"),
    [
        ("turn my seat heating up a notch", ("set_seat_heating", {"seat": "driver", BY: 1})),
        ("seat heating up one", ("set_seat_heating", {"seat": "driver", BY: 1})),
        ("make my seat a step warmer", ("set_seat_heating", {"seat": "driver", BY: 1})),
        ("make the passenger seat hotter", ("set_seat_heating", {"seat": "passenger", BY: 1})),
        ("turn down the seat heating one setting", ("set_seat_heating", {"seat": "driver", BY: -1})),
        ("make my seat less hot", ("set_seat_heating", {"seat": "driver", BY: -1})),
        ("my seat is too hot", ("set_seat_heating", {"seat": "driver", BY: -1})),
        ("turn the seat ventilation up a level", ("set_seat_ventilation", {"seat": "driver", BY: 1})),
        ("seat cooling down a click", ("set_seat_ventilation", {"seat": "driver", BY: -1})),
        ("turn the massage up a notch", ("set_seat_massage", {"seat": "driver", BY: 1})),
        ("seat heating one level lower", ("set_seat_heating", {"seat": "driver", BY: -1})),
        ("make the seat heating a step hotter", ("set_seat_heating", {"seat": "driver", BY: 1})),
        # A grade that says more than one step moves further, an end goes to the end.
        ("turn the seat heating up a lot", ("set_seat_heating", {"seat": "driver", BY: 2})),
        ("turn the seat heating all the way up", ("set_seat_heating", {"seat": "driver", "level": 3})),
        # A device changed by steps: a notch is its small step, as the tool takes it.
        ("turn the fan up a notch", ("set_fan", {"zone": "driver", "delta": 10})),
        ("fan down one", ("set_fan", {"zone": "driver", "delta": -10})),
        ("volume up a step", ("set_media_volume", {"delta": 5})),
        ("turn the temperature up one notch", ("set_cabin_temperature", {"zone": "driver", "delta": 1})),
    ],
)
def test_a_step_is_read_for_every_device(
    parser: TemplateParser, said: str, call: tuple[str, dict[str, JsonValue]]
) -> None:
    assert _calls(parser, said) == [call]


def test_every_levelled_device_has_its_levels() -> None:
    assert LEVEL_STEPS["set_seat_heating"] == (0, 1, 2, 3)
    assert LEVEL_STEPS["set_seat_ventilation"] == (0, 1, 2, 3)
    assert LEVEL_STEPS["set_seat_massage"] == (0, 33, 66, 100)


@pytest.mark.parametrize(
    ("heat", "by", "level"),
    [(0, 1, 1), (33, 1, 2), (66, 1, 3), (100, -1, 2), (33, -1, 0), (0, 2, 2), (66, 2, 3)],
)
def test_a_step_moves_one_level_from_where_the_seat_heating_is(heat: int, by: int, level: int) -> None:
    action = Action(tool="set_seat_heating", arguments={"seat": "driver", BY: by})
    assert paths([action]) == [_HEAT]
    done = resolved([action], {_HEAT: heat}, "driver")
    assert done.actions == (Action(tool="set_seat_heating", arguments={"seat": "driver", "level": level}),)
    assert done.said == ()


def test_ventilation_is_read_from_the_cooling_side_and_massage_by_its_levels() -> None:
    vent = Action(tool="set_seat_ventilation", arguments={"seat": "driver", BY: 1})
    # Heating on (positive) is ventilation off: one step up is level 1.
    assert resolved([vent], {_HEAT: 66}, "driver").actions[0].arguments["level"] == 1
    assert resolved([vent], {_HEAT: -66}, "driver").actions[0].arguments["level"] == 3
    massage = Action(tool="set_seat_massage", arguments={"seat": "driver", BY: 1})
    assert resolved([massage], {_MASSAGE: 50}, "driver").actions[0].arguments["level"] == 66
    down = Action(tool="set_seat_massage", arguments={"seat": "driver", BY: -1})
    assert resolved([down], {_MASSAGE: 50}, "driver").actions[0].arguments["level"] == 33


@pytest.mark.parametrize(
    ("heat", "by", "said"),
    [
        (100, 1, "your seat heating is already as high as it goes"),
        (0, -1, "your seat heating is already off"),
    ],
)
def test_at_the_end_of_the_range_nothing_is_sent_and_it_is_said(heat: int, by: int, said: str) -> None:
    action = Action(tool="set_seat_heating", arguments={"seat": "driver", BY: by})
    done = resolved([action], {_HEAT: heat}, "driver")
    assert done.actions == () and done.said == (said,)


def test_a_seat_of_someone_else_and_a_zone_of_seats_set_apart() -> None:
    action = Action(tool="set_seat_heating", arguments={"seat": "front", BY: 1})
    assert sorted(paths([action])) == sorted([_HEAT, _PASSENGER_HEAT])
    # Alike, one call for the zone; apart, one call per seat from its own level.
    alike = resolved([action], {_HEAT: 33, _PASSENGER_HEAT: 33}, "driver")
    assert alike.actions == (Action(tool="set_seat_heating", arguments={"seat": "front", "level": 2}),)
    apart = resolved([action], {_HEAT: 0, _PASSENGER_HEAT: 66}, "driver")
    assert apart.actions == (
        Action(tool="set_seat_heating", arguments={"seat": "driver", "level": 1}),
        Action(tool="set_seat_heating", arguments={"seat": "passenger", "level": 3}),
    )
    other = resolved([Action(tool="set_seat_heating", arguments={"seat": "passenger", BY: 1})], {}, "driver")
    assert other.actions == () and other.said == (
        "I can't tell where the passenger's seat heating is, so I've left it",
    )


# -- 2. small amounts of a window or a shade, from where it is ----------------------------------------


@pytest.mark.parametrize(
    ("said", "call"),
    [
        ("open the window a little", ("set_window", {"window": "driver", BY: 20})),
        ("open the window a bit", ("set_window", {"window": "driver", BY: 20})),
        ("open the window a crack", ("set_window", {"window": "driver", BY: 20})),
        ("open the window a notch", ("set_window", {"window": "driver", BY: 20})),
        ("open the window one step", ("set_window", {"window": "driver", BY: 20})),
        ("open the window a little bit", ("set_window", {"window": "driver", BY: 20})),
        ("put my window down a little bit", ("set_window", {"window": "driver", BY: 20})),
        ("close the window a bit", ("set_window", {"window": "driver", BY: -20})),
        ("roll the passenger window up a little", ("set_window", {"window": "passenger", BY: -20})),
        ("open the rear windows a bit", ("set_window", {"window": "rear", BY: 20})),
        ("open the sunshade a bit", ("set_sunshade", {"rear": False, BY: 20})),
        ("close the rear shade a little", ("set_sunshade", {"rear": True, BY: -20})),
    ],
)
def test_a_small_amount_is_read_for_every_device_with_a_position(
    parser: TemplateParser, said: str, call: tuple[str, dict[str, JsonValue]]
) -> None:
    assert _calls(parser, said) == [call]
    assert POSITION_STEPS[call[0]]["small"] == abs(call[1][BY])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "said", ["open the sunroof a little", "open the sunroof a bit", "close the sunroof a bit"]
)
def test_the_sunroof_takes_no_position_and_says_so(parser: TemplateParser, said: str) -> None:
    parse = parser.parse(said, seat="driver")
    assert parse.actions == () and parse.lacking == ("sunroof_position",)


@pytest.mark.parametrize(
    ("position", "by", "percent", "said"),
    [
        (0, 20, 20, None),
        (50, 20, 70, None),
        (50, -20, 30, None),
        (90, 20, 100, None),
        (10, -20, 0, None),
        (100, 20, None, "your window is already fully open"),
        (0, -20, None, "your window is already closed"),
    ],
)
def test_a_window_moves_from_where_it_is_within_its_range(
    position: int, by: int, percent: int | None, said: str | None
) -> None:
    action = Action(tool="set_window", arguments={"window": "driver", BY: by})
    done = resolved([action], {_WINDOW: position}, "driver")
    if percent is None:
        assert done.actions == () and done.said == (said,)
    else:
        assert done.actions == (
            Action(tool="set_window", arguments={"window": "driver", "percent": percent}),
        )


def test_the_sunshade_moves_from_where_it_is() -> None:
    action = Action(tool="set_sunshade", arguments={"rear": False, BY: -20})
    assert paths([action]) == [_SHADE]
    done = resolved([action], {_SHADE: 60}, "driver")
    assert done.actions == (Action(tool="set_sunshade", arguments={"rear": False, "percent": 40}),)


# -- 4. one seat's setting copied to others -------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "call"),
    [
        ("match my temperature", ("set_cabin_temperature", {"zone": "all", LIKE: "driver"})),
        ("sync the temperature", ("set_cabin_temperature", {"zone": "all", LIKE: "driver"})),
        ("sync", ("set_cabin_temperature", {"zone": "all", LIKE: "driver"})),
        ("sync the fan with the passenger", ("set_fan", {"zone": "all", LIKE: "passenger"})),
        (
            "give the passenger the same temperature as me",
            ("set_cabin_temperature", {"zone": "passenger", LIKE: "driver"}),
        ),
        (
            "make the rear temperature the same as the front",
            ("set_cabin_temperature", {"zone": "rear", LIKE: "front"}),
        ),
        (
            "copy my seat heating to the passenger",
            ("set_seat_heating", {"seat": "passenger", LIKE: "driver"}),
        ),
    ],
)
def test_a_copy_names_the_device_and_whose_setting(
    parser: TemplateParser, said: str, call: tuple[str, dict[str, JsonValue]]
) -> None:
    assert _calls(parser, said) == [call]


def test_whose_setting_is_the_speakers_own() -> None:
    parse = shared_parser().parse("match my temperature", seat="rear_left")
    assert parse.actions == (
        Action(tool="set_cabin_temperature", arguments={"zone": "all", LIKE: "rear_left"}),
    )


@pytest.mark.parametrize(
    "said", ["same as mine", "give the passenger what I have", "set the back to the same as the front"]
)
def test_a_copy_with_no_device_named_is_asked_about(parser: TemplateParser, said: str) -> None:
    parse = parser.parse(said, seat="driver")
    assert parse.actions == () and parse.lacking == ("copy_what",)


def test_a_copy_sends_the_value_the_car_has_for_the_source() -> None:
    action = Action(tool="set_cabin_temperature", arguments={"zone": "all", LIKE: "driver"})
    assert needs_state(action)
    assert paths([action]) == [_STATION.format("Row1.Driver")]
    done = resolved([action], {_STATION.format("Row1.Driver"): 23.5}, "driver")
    assert done.actions == (Action(tool="set_cabin_temperature", arguments={"zone": "all", "celsius": 23.5}),)
    heat = Action(tool="set_seat_heating", arguments={"seat": "passenger", LIKE: "driver"})
    assert resolved([heat], {_HEAT: 66}, "driver").actions[0].arguments == {"seat": "passenger", "level": 2}


def test_a_copy_from_seats_set_apart_or_unknown_sends_nothing_and_says_why() -> None:
    action = Action(tool="set_cabin_temperature", arguments={"zone": "rear", LIKE: "front"})
    front = {_STATION.format("Row1.Driver"): 20.0, _STATION.format("Row1.Passenger"): 24.0}
    done = resolved([action], front, "driver")
    assert done.actions == () and "say whose to copy" in done.said[0]
    unknown = resolved([action], {}, "driver")
    assert unknown.actions == () and "can't tell" in unknown.said[0]


def test_every_copied_device_is_read_from_one_signal_per_seat() -> None:
    for tool in COPIES:
        where = "window" if tool == "set_window" else "seat" if tool.startswith("set_seat") else "zone"
        assert len(paths([Action(tool=tool, arguments={where: "all", LIKE: "passenger"})])) == 1, tool
