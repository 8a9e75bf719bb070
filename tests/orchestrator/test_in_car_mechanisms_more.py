"""More of what people say in a car, by mechanism, through the whole in-process stack (the router
reading with the agents' grammars, the real agents, the simulated car and its guardrails): places
asked for by a short stop on the road."""

from __future__ import annotations

import pytest

from orchestrator.local import LocalStack
from tests.orchestrator.test_in_car_mechanisms import _LOCKS


async def _say(stack: LocalStack, session: str | None, text: str, seat: str = "driver") -> tuple[str, str]:
    result = await stack.say(text, seat, session)
    await stack.settle()
    return result.session_id, result.reply


# -- places asked for by a short stop ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("is there somewhere to pee around here", "toilet"),
        ("where can I use the restroom", "toilet"),
        ("where can I get some cash", "atm"),
        ("um, where can we grab a beer", "bar"),
        ("where can we stop for a quick bite", "place to eat"),
    ],
)
async def test_a_short_stop_is_a_search_for_the_place_that_serves_it(
    stack: LocalStack, said: str, found: str
) -> None:
    result = await stack.say(said, "driver", None)
    await stack.settle()

    assert [step.agent for step in result.route] == ["navigation"]
    assert result.actions == []
    assert found.lower() in result.reply.lower()


# -- the lead-ins of a correction --------------------------------------------------------------------------

_FAN = "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed"
_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"


@pytest.mark.parametrize(
    "correction",
    [
        "sorry, 40 instead",
        "oops, set it to 40",
        "my bad, I meant 40 instead",
        "sorry. set it to 40",
        "I meant 40 instead",
    ],
)
async def test_a_correction_after_its_lead_in_gives_the_previous_device_another_value(
    stack: LocalStack, correction: str
) -> None:
    session, _ = await _say(stack, None, "set the fan to 60")
    assert await stack.state([_FAN]) == {_FAN: 60}

    await _say(stack, session, correction)

    assert await stack.state([_FAN]) == {_FAN: 40}


@pytest.mark.parametrize(
    "correction", ["sorry, 23 instead", "oops, make it 23", "my mistake, I meant 23 instead"]
)
async def test_a_corrected_temperature_is_the_set_point(stack: LocalStack, correction: str) -> None:
    session, _ = await _say(stack, None, "set my temperature to 20")

    await _say(stack, session, correction)

    assert await stack.state([_TEMPERATURE]) == {_TEMPERATURE: 23}


# -- places relative to the speaker ------------------------------------------------------------------------

_REAR_LEFT_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row2.Driver.Temperature"
_REAR_RIGHT_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row2.Passenger.Temperature"
_WINDOWS = {seat: path.replace("IsLocked", "Window.Position") for seat, path in _LOCKS.items()}


@pytest.mark.parametrize(
    "said", ["warmer back here", "it's cold back here", "turn up the heat here in the back"]
)
async def test_back_here_from_the_rear_is_the_speakers_own_zone(stack: LocalStack, said: str) -> None:
    await _say(stack, None, said, seat="rear_left")

    state = await stack.state([_REAR_LEFT_TEMPERATURE, _REAR_RIGHT_TEMPERATURE, _TEMPERATURE])
    assert state[_REAR_LEFT_TEMPERATURE] > 21
    assert state[_REAR_RIGHT_TEMPERATURE] == 21 and state[_TEMPERATURE] == 21


async def test_the_window_behind_the_driver_is_the_rear_left(stack: LocalStack) -> None:
    await _say(stack, None, "open the window behind me")

    state = await stack.state(list(_WINDOWS.values()))
    assert state[_WINDOWS["rear_left"]] > 0
    assert [state[_WINDOWS[seat]] for seat in ("driver", "passenger", "rear_right")] == [0, 0, 0]


@pytest.mark.rule("GR-15")
@pytest.mark.parametrize(
    ("said", "seat"),
    [
        ("open the window in front of me", "rear_left"),
        ("turn up the heat in front of me", "rear_left"),
        ("turn on the seat heating next to me", "passenger"),
    ],
)
async def test_a_passenger_naming_the_drivers_seat_by_where_it_is_is_refused(
    stack: LocalStack, said: str, seat: str
) -> None:
    result = await stack.say(said, seat, None)
    await stack.settle()

    assert [action.outcome for action in result.actions] == ["refused"]
    state = await stack.state([_WINDOWS["driver"], _TEMPERATURE])
    assert state == {_WINDOWS["driver"]: 0, _TEMPERATURE: 21}


# -- two things with one verb ------------------------------------------------------------------------------

_SEAT_HEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"
_SUNROOF = "Vehicle.Cabin.Sunroof.Position"


async def test_one_verb_said_of_two_things_acts_on_both(stack: LocalStack) -> None:
    await stack.inject({_FAN: 50, _SEAT_HEAT: 66})
    await _say(stack, None, "turn off the fan and the seat heating")
    assert await stack.state([_FAN, _SEAT_HEAT]) == {_FAN: 0, _SEAT_HEAT: 0}

    await _say(stack, None, "open the sunroof and the windows")
    state = await stack.state([_SUNROOF, *_WINDOWS.values()])
    assert state[_SUNROOF] > 0 and all(state[path] > 0 for path in _WINDOWS.values())

    await _say(stack, None, "close the windows and the sunroof please")
    state = await stack.state([_SUNROOF, *_WINDOWS.values()])
    assert state[_SUNROOF] == 0 and all(state[path] == 0 for path in _WINDOWS.values())


async def test_two_verbs_each_act_on_their_own_thing(stack: LocalStack) -> None:
    await stack.inject({_WINDOWS["driver"]: 100})
    result = await stack.say("turn on the AC and close the windows", "driver", None)
    await stack.settle()

    assert {action.tool for action in result.actions} == {"set_air_conditioning", "set_window"}
    assert (await stack.state([_WINDOWS["driver"]]))[_WINDOWS["driver"]] == 0


# -- answering "What would you like me to set to 3?" -------------------------------------------------------

_VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"


@pytest.mark.parametrize(
    ("answer", "path", "value"),
    [
        ("the fan", _FAN, 30),
        ("the fan please", _FAN, 30),
        ("my seat heating", _SEAT_HEAT, 100),
        ("oh, the seat heating", _SEAT_HEAT, 100),
        ("volume", _VOLUME, 3),
    ],
)
async def test_a_device_named_after_the_question_is_set_to_the_value(
    stack: LocalStack, answer: str, path: str, value: int
) -> None:
    session, reply = await _say(stack, None, "make it 3")
    assert reply == "What would you like me to set to 3?"

    await _say(stack, session, answer)

    assert (await stack.state([path]))[path] == value


async def test_anything_else_drops_the_question(stack: LocalStack) -> None:
    session, _ = await _say(stack, None, "make it 3")
    await _say(stack, session, "open the window")  # a request of its own, read as it stands
    assert (await stack.state([_WINDOWS["driver"]]))[_WINDOWS["driver"]] > 0

    session, _ = await _say(stack, None, "set it to 3")
    await _say(stack, session, "never mind")
    await _say(stack, session, "the fan")  # the question is gone: no value for the fan
    assert (await stack.state([_FAN]))[_FAN] == 0


@pytest.mark.rule("GR-15")
async def test_the_answer_goes_through_the_guardrails(stack: LocalStack) -> None:
    session, _ = await _say(stack, None, "make it 3", seat="passenger")

    result = await stack.say("the driver's seat heating", "passenger", session)
    await stack.settle()

    assert [action.outcome for action in result.actions] == ["refused"]
    assert await stack.state([_SEAT_HEAT]) == {_SEAT_HEAT: 0}
