"""What people say in a car, by mechanism, through the whole in-process stack (the router reading with
the agents' grammars, the real vehicle-control agent, the simulated car and its guardrails): a step
from where a device is, a small amount of a window, doors as a whole and by zone, a setting copied
from one seat to others, and a value said of "it" with and without a request before it."""

from __future__ import annotations

import pytest

from agents.language.dialogue import instead
from orchestrator.dialogue import asked_what, step_alone, value_alone
from orchestrator.local import LocalStack

from .doubles import recorded

_HEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"
_PASSENGER_HEAT = "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling"
_VENT = _HEAT
_MASSAGE = "Vehicle.Cabin.Seat.Row1.DriverSide.Massage.Level"
_FAN = "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed"
_WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
_PASSENGER_WINDOW = "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position"
_SHADE = "Vehicle.Cabin.Sunroof.Shade.Position"
_SUNROOF = "Vehicle.Cabin.Sunroof.Position"
_LOCKS = {
    seat: f"Vehicle.Cabin.Door.{side}.IsLocked"
    for seat, side in (
        ("driver", "Row1.DriverSide"),
        ("passenger", "Row1.PassengerSide"),
        ("rear_left", "Row2.DriverSide"),
        ("rear_right", "Row2.PassengerSide"),
    )
}
_OPEN = {seat: path.replace("IsLocked", "IsOpen") for seat, path in _LOCKS.items()}
_TEMPERATURE = {
    seat: f"Vehicle.Cabin.HVAC.Station.{station}.Temperature"
    for seat, station in (
        ("driver", "Row1.Driver"),
        ("passenger", "Row1.Passenger"),
        ("rear_left", "Row2.Driver"),
        ("rear_right", "Row2.Passenger"),
    )
}
_MOVING = {"Vehicle.Speed": 50, "Vehicle.Powertrain.Transmission.SelectedGear": 127}


async def _say(stack: LocalStack, session: str | None, text: str, seat: str = "driver") -> tuple[str, str]:
    result = await stack.say(text, seat, session)
    await stack.settle()
    return result.session_id, result.reply


# -- 1. steps on devices set by levels ------------------------------------------------------------------


async def test_a_notch_moves_a_levelled_device_one_level_from_where_it_is(stack: LocalStack) -> None:
    await stack.inject({_HEAT: 33})
    session, _ = await _say(stack, None, "turn my seat heating up a notch")
    assert await stack.state([_HEAT]) == {_HEAT: 66}  # level 2, not the top
    await _say(stack, session, "down a notch")  # a step said alone, of the previous device
    assert await stack.state([_HEAT]) == {_HEAT: 33}
    await _say(stack, None, "make my seat warmer")
    await _say(stack, None, "make my seat hotter")
    assert await stack.state([_HEAT]) == {_HEAT: 100}
    _, reply = await _say(stack, None, "make my seat warmer")
    assert reply == "Your seat heating is already as high as it goes."
    assert await stack.state([_HEAT]) == {_HEAT: 100}
    await _say(stack, None, "my seat is too hot")
    assert await stack.state([_HEAT]) == {_HEAT: 66}


async def test_a_step_works_the_ventilation_the_massage_and_the_fan(stack: LocalStack) -> None:
    await _say(stack, None, "turn the seat ventilation up one setting")
    assert await stack.state([_VENT]) == {_VENT: -33}
    await stack.inject({_MASSAGE: 50})
    await _say(stack, None, "turn the massage up a step")
    assert await stack.state([_MASSAGE]) == {_MASSAGE: 66}
    await stack.inject({_FAN: 50})
    session, _ = await _say(stack, None, "turn the fan up a notch")
    assert await stack.state([_FAN]) == {_FAN: 60}  # a percent device: its small step
    await _say(stack, session, "down one")
    assert await stack.state([_FAN]) == {_FAN: 50}


# -- 2. small amounts of a window, from where it is --------------------------------------------------------


async def test_a_little_moves_the_window_from_where_it_is_and_never_fully(stack: LocalStack) -> None:
    await stack.inject({_WINDOW: 50})
    session, _ = await _say(stack, None, "open the window a little")
    opened = (await stack.state([_WINDOW]))[_WINDOW]
    assert 50 < opened < 100
    await _say(stack, session, "close it a bit")
    assert await stack.state([_WINDOW, _PASSENGER_WINDOW]) == {_WINDOW: 50, _PASSENGER_WINDOW: 0}
    await _say(stack, None, "put the window down a little bit")
    await _say(stack, None, "open the window a crack")
    await _say(stack, None, "open the window a bit")
    assert await stack.state([_WINDOW]) == {_WINDOW: 100}
    _, reply = await _say(stack, None, "open the window a bit")
    assert "already fully open" in reply


async def test_the_sunshade_moves_a_little_and_the_sunroof_says_it_cannot(stack: LocalStack) -> None:
    await stack.inject({_SHADE: 40})
    await _say(stack, None, "open the sunshade a bit")
    assert await stack.state([_SHADE]) == {_SHADE: 60}
    calls = recorded(stack.orchestrator, "agent_result")
    _, reply = await _say(stack, None, "open the sunroof a little")
    assert "sunroof" in reply and "part of the way" in reply
    assert calls[-1]["data"]["actions"] == []
    assert await stack.state([_SUNROOF]) == {_SUNROOF: 0}


# -- 3. doors as a whole and by zone ---------------------------------------------------------------------


@pytest.mark.parametrize("said", ["lock up", "lock up the car", "lock everything", "lock all the doors"])
async def test_the_whole_car_is_every_door(stack: LocalStack, said: str) -> None:
    await stack.inject(dict.fromkeys(_LOCKS.values(), False))
    result = await stack.say(said, "driver", None)
    await stack.settle()
    assert result.pending_confirmation is None
    assert await stack.state(list(_LOCKS.values())) == dict.fromkeys(_LOCKS.values(), True)


@pytest.mark.rule("GR-13")
@pytest.mark.parametrize(
    ("said", "unlocked"), [("unlock my door", "driver"), ("unlock the passenger side", "passenger")]
)
async def test_an_unlock_by_zone_is_asked_first_and_unlocks_that_door(
    stack: LocalStack, said: str, unlocked: str
) -> None:
    asked = await stack.say(said, "driver", None)
    assert asked.pending_confirmation is not None
    assert [(a.tool, a.rule_id) for a in asked.actions] == [("unlock_doors", "GR-13")]
    await stack.say("yes", "driver", asked.session_id)
    await stack.settle()
    expected = {path: seat != unlocked for seat, path in _LOCKS.items()}
    assert await stack.state(list(_LOCKS.values())) == expected


@pytest.mark.rule("GR-15")
async def test_a_passenger_may_not_unlock_their_own_door(stack: LocalStack) -> None:
    await stack.inject({"Vehicle.Cabin.Seat.Row1.PassengerSide.OccupancyStatus": "OCCUPIED"})
    result = await stack.say("unlock my door", "passenger", None)
    assert [(a.tool, a.arguments.get("doors"), a.rule_id) for a in result.actions] == [
        ("unlock_doors", "passenger", "GR-15")
    ]
    assert (await stack.state([_LOCKS["passenger"]]))[_LOCKS["passenger"]] is True


@pytest.mark.rule("GR-07")
async def test_the_back_doors_do_not_open_while_moving(stack: LocalStack) -> None:
    await stack.inject(_MOVING)
    result = await stack.say("open the back doors", "driver", None)
    await stack.settle()
    assert {(a.tool, a.arguments.get("door"), a.outcome, a.rule_id) for a in result.actions} == {
        ("set_door", "rear", "refused", "GR-07")
    }
    assert await stack.state([_OPEN["rear_left"], _OPEN["rear_right"]]) == {
        _OPEN["rear_left"]: False,
        _OPEN["rear_right"]: False,
    }


# -- 4. a setting copied from one seat to others ------------------------------------------------------------


async def test_match_and_sync_copy_the_speakers_temperature(stack: LocalStack) -> None:
    await stack.inject({_TEMPERATURE["driver"]: 23.5})
    await _say(stack, None, "match my temperature")
    assert await stack.state(list(_TEMPERATURE.values())) == dict.fromkeys(_TEMPERATURE.values(), 23.5)
    await stack.inject({_TEMPERATURE["passenger"]: 19.0})
    await _say(stack, None, "sync the temperature with the passenger")
    assert await stack.state(list(_TEMPERATURE.values())) == dict.fromkeys(_TEMPERATURE.values(), 19.0)


async def test_the_back_set_like_the_front_and_a_copy_of_the_previous_device(stack: LocalStack) -> None:
    await stack.inject({_TEMPERATURE["driver"]: 22.0, _TEMPERATURE["passenger"]: 22.0})
    await _say(stack, None, "set the back temperature to the same as the front")
    assert await stack.state([_TEMPERATURE["rear_left"], _TEMPERATURE["rear_right"]]) == {
        _TEMPERATURE["rear_left"]: 22.0,
        _TEMPERATURE["rear_right"]: 22.0,
    }
    calls = recorded(stack.orchestrator, "agent_call")
    session, _ = await _say(stack, None, "turn on my seat heating")
    await _say(stack, session, "give the passenger what I have")
    assert calls[-1]["intent"] == "copy_setting" and calls[-1]["slots"]["device"] == "set_seat_heating"
    assert await stack.state([_HEAT, _PASSENGER_HEAT]) == {_HEAT: 66, _PASSENGER_HEAT: 66}


async def test_a_copy_with_nothing_to_copy_asks_which_setting(stack: LocalStack) -> None:
    before = await stack.state(list(_TEMPERATURE.values()))
    _, reply = await _say(stack, None, "same as mine")
    assert "which setting" in reply
    assert await stack.state(list(_TEMPERATURE.values())) == before


# -- 5. "make it N", "N instead", "set it to N" ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "path", "value"),
    [
        ("set the temperature to 20", "22 instead", _TEMPERATURE["driver"], 22),
        ("set the temperature to 20", "actually, make it 23 instead", _TEMPERATURE["driver"], 23),
        ("set the fan to 5", "make it 3", _FAN, 30),
        ("turn on my seat heating", "set it to 1", _HEAT, 33),
        ("set the passenger temperature to 24", "25 instead", _TEMPERATURE["passenger"], 25),
    ],
)
async def test_a_value_of_it_edits_the_previous_request(
    stack: LocalStack, first: str, then: str, path: str, value: float
) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    session, _ = await _say(stack, None, first)
    await _say(stack, session, then)
    assert calls[-1]["text"] in then and calls[-1]["intent"] is not None
    assert (await stack.state([path]))[path] == value


@pytest.mark.parametrize("said", ["make it 3", "set it to 80", "22 instead", "please set it to the max"])
async def test_a_value_of_it_with_nothing_before_it_is_asked_about(stack: LocalStack, said: str) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    before = await stack.state([*_TEMPERATURE.values(), _FAN, _HEAT])
    result = await stack.say(said, "driver", None)
    await stack.settle()
    assert result.reply.startswith("What would you like me to set to ") and result.reply.endswith("?")
    assert result.actions == [] and calls == []
    assert await stack.state([*_TEMPERATURE.values(), _FAN, _HEAT]) == before


def test_the_words_of_a_value_said_alone_and_of_a_step_said_alone() -> None:
    assert instead("no, medium instead please") == "medium"
    assert instead("the passenger instead") is None
    assert value_alone("make it 3") == "3"
    assert value_alone("22 instead") == "22"
    assert value_alone("set it to the max") == "max"
    assert value_alone("make it 22 degrees") is None  # the unit names the temperature
    assert value_alone("make it 22 for the passenger") is None
    assert asked_what("22") == "What would you like me to set to 22?"
    # A number inside the cabin's comfort range (GR-03) said of "it" first thing is the temperature,
    # as the router's templates read "set it to 19".
    for said in ("make it 22", "make it 21.5", "set it to twenty", "please make it 19"):
        assert value_alone(said) is None, said
    assert step_alone("down a notch") == "turn it down a notch"
    assert step_alone("a step higher") == "turn it up a step"
    assert step_alone("down") is None


@pytest.mark.parametrize(
    ("said", "celsius"), [("make it 22", 22), ("make it 21.5", 21.5), ("set it to twenty", 20)]
)
async def test_a_set_point_of_it_with_nothing_before_it_is_the_temperature(
    stack: LocalStack, said: str, celsius: float
) -> None:
    await stack.say(said, "driver", None)
    await stack.settle()
    assert (await stack.state([_TEMPERATURE["driver"]]))[_TEMPERATURE["driver"]] == celsius


@pytest.mark.parametrize(
    "said", ["make it warmer", "make it a bit cooler", "make it quieter please", "put it in park"]
)
def test_a_comparative_of_it_is_no_value_to_ask_about(said: str) -> None:
    assert value_alone(said) is None
