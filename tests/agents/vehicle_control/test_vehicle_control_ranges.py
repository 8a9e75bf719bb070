"""Values read against the range each device's tool declares, for every device that takes one: an end
of the range said as a word ("volume to minimum", "heat my seat to the highest"), a value beyond the
range (said plainly, nothing called), and a position said after "to" with a verb of closing or
opening ("close the window to 30 percent": the value wins). The tables are the device table's and
the language layer's; a few requests go through the real agent and the simulated car."""

from __future__ import annotations

from typing import Any

import pytest

from agents.hosting import AgentClient
from agents.language.lexicon import ENDS
from agents.vehicle_control import TemplateParser
from agents.vehicle_control.actions import DECLARED_RANGES, ZONE_ARGUMENTS
from agents.vehicle_control.amounts import RANGES, end
from agents.vehicle_control.devices import DEVICES, LOWEST_ON, Device
from mcp_servers.vehicle.backends.simulator import SimulatorBackend

from .vehicle_control_doubles import OCCUPANT, actions, requested

_SAID: dict[str, str] = {
    "temperature_name": "temperature",
    "fan_name": "fan",
    "seat_heat": "seat heating",
    "seat_vent": "seat ventilation",
    "seat_massage": "massage",
    "volume": "volume",
    "window_name": "window",
    "windows_name": "windows",
    "shade": "sunshade",
    "rear_shade": "rear shade",
    "guidance_volume": "navigation voice volume",
}
"""How a person names each device of the table that is set to a value in a range."""

_RANGED = [device for device in DEVICES if "value" in device.slots and device.tool in RANGES]
_OPENING = [device for device in _RANGED if "open" in device.slots]


def _fixed(device: Device) -> dict[str, Any]:
    """The arguments every value request of `device` carries besides the value (the speaker's seat)."""
    fixed = {key: value for key, value in device.slots["value"].items()}
    where = ZONE_ARGUMENTS.get(device.tool)
    if where is not None:
        fixed[where] = "driver" if device.default == "self" else device.default
    return fixed


def _calls(parser: TemplateParser, text: str) -> list[tuple[str, dict[str, Any]]]:
    parse = parser.parse(text, seat="driver")
    assert parse.understood_all, (text, parse.unmatched)
    return [(action.tool, dict(action.arguments)) for action in parse.actions]


def test_every_device_with_a_range_is_named_here() -> None:
    assert {device.names for device in _RANGED} == set(_SAID)


@pytest.mark.parametrize("word", sorted(ENDS))
@pytest.mark.parametrize("device", _RANGED, ids=lambda device: device.names)
def test_a_word_of_an_end_sets_the_end_its_tool_declares(
    parser: TemplateParser, device: Device, word: str
) -> None:
    which = ENDS[word]
    expected = end(device.tool, which, lowest_on=device.tool in LOWEST_ON)
    assert expected is not None

    assert _calls(parser, f"set the {_SAID[device.names]} to {word}") == [
        (device.tool, {**_fixed(device), **expected})
    ]


def test_the_ends_are_the_declared_ranges() -> None:
    # The top of a range is what the schema declares; the bottom too, but for a device switched off
    # there, whose lowest setting is the lowest one that is on.
    assert end("set_seat_heating", "highest") == {"level": 3}
    assert end("set_seat_heating", "lowest", lowest_on=True) == {"level": 1}
    assert end("set_fan", "lowest", lowest_on=True) == {"percent": 20}
    assert end("set_window", "lowest") == {"percent": 0}
    assert end("set_cabin_temperature", "highest") == {"celsius": 30}
    assert {"set_seat_heating", "set_fan", "set_media_volume"} <= LOWEST_ON
    assert "set_window" not in LOWEST_ON and end("set_wipers", "highest") is None


@pytest.mark.parametrize("device", [d for d in _RANGED if d.tool in DECLARED_RANGES], ids=lambda d: d.names)
def test_a_number_beyond_the_range_is_read_as_the_devices(parser: TemplateParser, device: Device) -> None:
    argument, _, high = DECLARED_RANGES[device.tool]
    over = int(high) + 5

    assert _calls(parser, f"set the {_SAID[device.names]} to {over}") == [
        (device.tool, {**_fixed(device), argument: over})
    ]


@pytest.mark.parametrize(
    ("verb", "said", "percent"), [("close", "to 30 percent", 30), ("shut", "to a third", 33)]
)
@pytest.mark.parametrize("device", _OPENING, ids=lambda device: device.names)
def test_a_position_after_to_is_where_the_device_goes(
    parser: TemplateParser, device: Device, verb: str, said: str, percent: int
) -> None:
    assert _calls(parser, f"{verb} the {_SAID[device.names]} {said}") == [
        (device.tool, {**_fixed(device), "percent": percent})
    ]


WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
SHADE = "Vehicle.Cabin.Sunroof.Shade.Position"
VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"
FAN = "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed"
SEAT_HEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"


@pytest.mark.parametrize(
    ("initial_state", "said", "written"),
    [
        ({WINDOW: 100}, "close the window to 30 percent", {WINDOW: 30}),
        ({WINDOW: 0}, "lower the window to halfway", {WINDOW: 50}),
        ({WINDOW: 20}, "raise the window to 80 percent", {WINDOW: 80}),
        ({SHADE: 100}, "close the sunshade to 40%", {SHADE: 40}),
        ({VOLUME: 70}, "crank the volume up to max", {VOLUME: 100}),
        ({VOLUME: 40}, "volume to minimum", {VOLUME: 10}),
        ({FAN: 40}, "turn the fan all the way up", {FAN: 100}),
        ({FAN: 80}, "fan to the lowest", {FAN: 20}),
        ({}, "heat my seat to the highest", {SEAT_HEAT: 100}),
        ({}, "seat heating on full blast", {SEAT_HEAT: 100}),
    ],
    indirect=["initial_state"],
)
async def test_ends_and_positions_reach_the_car(
    agent: AgentClient, said: str, written: dict[str, Any]
) -> None:
    result = await agent.send_text(said, seat="driver", **OCCUPANT)

    assert [action["outcome"] for action in actions(result)] == ["applied"], result.text
    assert result.data is not None and result.data["stateChanges"] == written


@pytest.mark.rule("GR-03")
@pytest.mark.parametrize("initial_state", [{VOLUME: 30}], indirect=True)
async def test_gr03_the_top_of_the_volume_is_asked_and_too_large_a_rise_refused(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("crank the volume up to max", seat="driver", **OCCUPANT)

    assert [(a["arguments"], a["outcome"], a["ruleId"]) for a in actions(result)] == [
        ({"percent": 100}, "refused", "GR-03")
    ]
    assert await requested(backend, VOLUME) == 30


@pytest.mark.parametrize(
    ("said", "reply"),
    [
        ("set the seat heating to 8", "The seat heating goes from 0 to 3, so I can't set it to 8."),
        ("turn the volume to 150", "The volume goes from 0 to 100, so I can't set it to 150."),
        (
            "lights on and make the passenger seat heating 5",
            "The headlights are on, but the seat heating goes from 0 to 3, so I can't set it to 5.",
        ),
    ],
)
async def test_a_value_beyond_the_range_is_said_plainly_and_not_sent(
    agent: AgentClient, backend: SimulatorBackend, said: str, reply: str
) -> None:
    before = {SEAT_HEAT: await requested(backend, SEAT_HEAT), VOLUME: await requested(backend, VOLUME)}
    result = await agent.send_text(said, seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert result.text == reply
    assert all(action["tool"] == "set_lights" for action in actions(result))
    assert {
        SEAT_HEAT: await requested(backend, SEAT_HEAT),
        VOLUME: await requested(backend, VOLUME),
    } == before


async def test_a_value_beyond_the_range_sent_as_the_persons_intent_is_said_plainly(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    # What the orchestrator sends for "make it 8" after "turn on my seat heating".
    data = {"intent": "set_seat_heating", "slots": {"seat": "self", "level": 8}, "text": "make it 8"}
    result = await agent.send_text("make it 8", data=data, seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert result.text == "The seat heating goes from 0 to 3, so I can't set it to 8."
    assert actions(result) == []


async def test_the_sunroof_has_no_position_and_says_so(agent: AgentClient) -> None:
    result = await agent.send_text("open the sunroof to 40%", seat="driver", **OCCUPANT)

    assert actions(result) == []
    assert result.text.startswith("I can't stop the sunroof part of the way")
