"""Values and positions said in everyday ways, for every device that takes them: a target said with a
direction ("turn the fan up to 6"), with no word before it ("make the volume 8"), a position said as a
fraction of the way ("close the windows halfway", "a third of the way down"). Each request goes
through the real agent and the simulated car, and the test checks what the car was asked to write;
the frames themselves are run for every device by test_vehicle_control_devices.py."""

from __future__ import annotations

from typing import Any

import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import TemplateParser
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from orchestrator.dialogue import more_of
from orchestrator.local import LocalStack
from orchestrator.routing.grammars import ParserGrammar, stepped_intents

from .vehicle_control_doubles import OCCUPANT, actions

FAN = "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed"
TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
PASSENGER_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature"
VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"
SEAT_HEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"
WIPERS = "Vehicle.Body.Windshield.Front.Wiping.Mode"
SHADE = "Vehicle.Cabin.Sunroof.Shade.Position"
SUNROOF = "Vehicle.Cabin.Sunroof.Switch"
WINDOW = {
    "driver": "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position",
    "passenger": "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position",
    "rear_left": "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position",
    "rear_right": "Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position",
}
ALL_OPEN = dict.fromkeys(WINDOW.values(), 100)


def _every(value: int) -> dict[str, Any]:
    return dict.fromkeys(WINDOW.values(), value)


@pytest.mark.parametrize(
    ("said", "written"),
    [
        # a target said with a direction, for any device with a value
        ("turn the fan up to 6", {FAN: 60}),
        ("turn up the fan to 6", {FAN: 60}),
        ("bring the volume down to 3", {VOLUME: 3}),
        ("turn the temperature down to 19", {TEMPERATURE: 19}),
        ("crank the fan up to max", {FAN: 100}),
        ("put the wipers up to fast", {WIPERS: "FAST"}),
        # a target said with no word before it, or with "on" / "at"
        ("make the volume 8", {VOLUME: 8}),
        ("make the fan 4", {FAN: 40}),
        ("put the fan on 3", {FAN: 30}),
        ("volume at 7", {VOLUME: 7}),
        ("make the passenger temperature 21", {PASSENGER_TEMPERATURE: 21}),
        ("set the volume to a third", {VOLUME: 33}),
        # positions of the windows and shades, as fractions, percentages and words
        ("put the window a third of the way down", {WINDOW["driver"]: 33}),
        ("open the rear left window two thirds of the way", {WINDOW["rear_left"]: 67}),
        ("open the windows 25%", _every(25)),
        ("open the passenger window a quarter", {WINDOW["passenger"]: 25}),
        ("open the sunshade a quarter", {SHADE: 25}),
        ("crack the window", {WINDOW["driver"]: 20}),
    ],
)
async def test_a_value_said_in_everyday_words_is_written(
    agent: AgentClient, backend: SimulatorBackend, said: str, written: dict[str, Any]
) -> None:
    result = await agent.send_text(said, seat="driver", **OCCUPANT)

    assert result.state == "completed", result.text
    assert [action["outcome"] for action in actions(result)] == ["applied"] * len(actions(result))
    assert result.data is not None and result.data["stateChanges"] == written


@pytest.mark.parametrize("initial_state", [ALL_OPEN], indirect=True)
@pytest.mark.parametrize(
    ("said", "written"),
    [
        ("close the windows halfway", _every(50)),
        ("close the passenger window a third", {WINDOW["passenger"]: 67}),
        ("roll the windows up three quarters of the way", _every(25)),
        ("put the rear windows up a quarter", {WINDOW["rear_left"]: 75, WINDOW["rear_right"]: 75}),
    ],
)
async def test_closing_part_of_the_way_leaves_the_rest_open(
    agent: AgentClient, backend: SimulatorBackend, said: str, written: dict[str, Any]
) -> None:
    result = await agent.send_text(said, seat="driver", **OCCUPANT)

    assert result.data is not None and result.data["stateChanges"] == written


@pytest.mark.rule("GR-08")
@pytest.mark.parametrize(
    "initial_state", [{**ALL_OPEN, "Vehicle.LowVoltageSystemState": "OFF"}], indirect=True
)
async def test_gr08_closing_halfway_with_the_ignition_off_is_refused(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("close the windows halfway", seat="driver", **OCCUPANT)

    assert {action["ruleId"] for action in actions(result)} == {"GR-08"}
    assert {action["outcome"] for action in actions(result)} == {"refused"}
    assert result.data is not None and result.data["stateChanges"] == {}


@pytest.mark.rule("GR-03")
async def test_gr03_a_target_outside_the_comfort_range_is_refused(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("turn the temperature up to 35", seat="driver", **OCCUPANT)

    assert [(action["outcome"], action["ruleId"]) for action in actions(result)] == [("refused", "GR-03")]
    assert result.data is not None and result.data["stateChanges"] == {}


async def test_the_sunroof_is_not_stopped_part_of_the_way(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    before = (await backend.get_current([SUNROOF]))[SUNROOF]
    result = await agent.send_text("open the sunroof a quarter", seat="driver", **OCCUPANT)

    assert actions(result) == []
    assert "sunroof" in result.text and "sunshade" in result.text
    assert (await backend.get_current([SUNROOF]))[SUNROOF] == before


def test_a_sentence_that_names_a_device_works_only_that_device(parser: TemplateParser) -> None:
    """A value said with the device named is that device's, never another's (a temperature of 6 °C
    for "the fan up to 6"); test_vehicle_control_devices.py runs every frame of every device so."""
    for said, tool in [
        ("turn the fan up to 6", "set_fan"),
        ("make the volume 8", "set_media_volume"),
        ("bring the seat heating down to 1", "set_seat_heating"),
        ("put the wipers on fast", "set_wipers"),
        ("close the windows halfway", "set_window"),
    ]:
        parse = parser.parse(said, seat="driver")
        assert [action.tool for action in parse.actions] == [tool], said


# -- follow-ups: "it" and "them" read with the previous device in their place ------------------------


# `stack`: the in-process stack whose router reads with the agents' grammars alone (tests/conftest.py).


async def _turns(stack: LocalStack, *said: str) -> dict[str, Any]:
    """Say each of `said` in one conversation; the state changes of the last turn."""
    session: str | None = None
    changes: dict[str, Any] = {}
    for text in said:
        result = await stack.say(text, "driver", session)
        await stack.settle()
        session, changes = result.session_id, dict(result.state_changes)
    return changes


@pytest.mark.parametrize(
    ("said", "written"),
    [
        (("set the fan to 4", "turn the fan up to 6"), {FAN: 60}),
        (("set the fan to 4", "turn it up to 6"), {FAN: 60}),
        (("set the volume to 5", "make the volume 8"), {VOLUME: 8}),
        (("set the volume to 5", "make it 8"), {VOLUME: 8}),
        (("open the windows", "close them halfway"), _every(50)),
        (("open the windows", "close them a third"), _every(67)),
        (("open the windows", "bring them down to a quarter"), _every(25)),
        (("open the sunshade", "close it halfway"), {SHADE: 50}),
        (("open the windows a bit", "open them all the way"), _every(100)),
    ],
)
async def test_after_a_device_a_value_is_that_devices(
    stack: LocalStack, said: tuple[str, ...], written: dict[str, Any]
) -> None:
    assert await _turns(stack, *said) == written


def test_the_grammar_says_which_devices_change_by_steps(parser: TemplateParser) -> None:
    """The orchestrator asks the grammar (``AgentGrammar.stepped``) whether "a bit more" after a value
    is a step of its device, not the agent's tables."""
    grammar = ParserGrammar("vehicle-control", parser)
    value = {"zone": "self", "percent": 40}

    assert grammar.stepped == {"set_cabin_temperature", "set_fan", "set_media_volume"}
    assert stepped_intents() == grammar.stepped
    assert more_of("set_fan", value, "a bit more", grammars=[grammar]) == {"zone": "self", "delta": "small"}
    # Of a grammar that changes nothing by steps, "more" asks for the same again.
    assert more_of("set_fan", value, "a bit more", grammars=[]) == value
