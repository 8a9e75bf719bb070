"""A quantifier over the devices a verb names ("close everything", "turn it all off"): what it covers per
verb, that the grammar writes it for every device of the table, that it acts only on the devices not
already in the asked state and says only what changed, and that every call it makes still passes the
guardrails one by one (the agent in memory, the in-process vehicle server, the simulator)."""

from __future__ import annotations

from typing import Any

import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import TemplateParser, devices, queries
from agents.vehicle_control.actions import SEATS, ActionReport
from agents.vehicle_control.replies import already, summarize
from mcp_servers.vehicle.backends.simulator import SimulatorBackend

from .vehicle_control_doubles import OCCUPANT, actions, requested

WINDOWS = {
    "driver": "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position",
    "passenger": "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position",
    "rear_left": "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position",
    "rear_right": "Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position",
}
SUNROOF = "Vehicle.Cabin.Sunroof.Switch"
SUNROOF_POSITION = "Vehicle.Cabin.Sunroof.Position"
SHADE = "Vehicle.Cabin.Sunroof.Shade.Position"
FAST = {"Vehicle.Speed": 120.0, "Vehicle.Powertrain.Transmission.SelectedGear": 6}
OPEN = {
    WINDOWS["driver"]: 60,
    WINDOWS["rear_left"]: 100,
    WINDOWS["rear_right"]: 30,
    SUNROOF_POSITION: 50,
    SHADE: 100,
}
CLOSED_BY_ANYONE = ("lock_doors", "unlock_doors", "set_door", "set_trunk", "set_lights", "set_wipers")


# -- what "everything" covers ------------------------------------------------------------------------


def test_opening_everything_opens_the_windows_and_the_roof_never_a_door_or_the_trunk() -> None:
    calls = devices.every_actions("open")

    assert {tool for tool, _ in calls} == {"set_window", "set_sunroof", "set_sunshade"}
    assert not {tool for tool, _ in calls} & set(CLOSED_BY_ANYONE)
    # GR-09: the shade is open before the sunroof opens.
    assert [tool for tool, _ in calls][:2] == ["set_sunshade", "set_sunroof"]
    assert [arguments["window"] for tool, arguments in calls if tool == "set_window"] == list(SEATS)


def test_closing_everything_is_a_comfort_close_one_call_per_window() -> None:
    calls = devices.every_actions("close")

    assert calls == (
        *(("set_window", {"window": seat, "action": "close"}) for seat in SEATS),
        ("set_sunroof", {"action": "close"}),
        ("set_sunshade", {"action": "close", "rear": False}),
    )


def test_switching_everything_off_touches_only_comfort_functions() -> None:
    tools = {tool for tool, _ in devices.every_actions("off")}

    assert tools == {
        "set_seat_heating",
        "set_seat_ventilation",
        "set_seat_massage",
        "set_steering_wheel_heating",
    }
    massage = [
        arguments["seat"] for tool, arguments in devices.every_actions("off") if tool == "set_seat_massage"
    ]
    assert massage == ["driver", "passenger"]


def test_a_grammar_without_every_device_a_quantifier_covers_gets_no_such_intent() -> None:
    intents = {"set_window": {"data": [{"sentences": ["window please"], "slots": {"window": "self"}}]}}
    rules = {"window_name": "window", "windows_name": "windows"}

    written = devices.grammar_intents(intents, rules, {})

    assert not set(devices.EVERY.values()) & set(written)


def test_every_quantifier_word_is_read_for_each_verb(parser: TemplateParser) -> None:
    from agents.language.lexicon import QUANTIFIERS

    for word in QUANTIFIERS:
        closing = parser.understand(f"close {word}")
        switching = parser.understand(f"turn {word} off")
        assert closing is not None and closing.intent == "close_everything", word
        assert switching is not None and switching.intent == "switch_everything_off", word


@pytest.mark.parametrize(
    "sentence",
    [
        "stop everything",
        "forget everything",
        "remove everything from the calendar",
        "tell me everything about this car",
        "is everything closed",
        "everything is fine",
    ],
)
def test_other_sentences_with_everything_act_on_nothing(parser: TemplateParser, sentence: str) -> None:
    assert parser.parse(sentence, seat="driver").actions == ()


def test_the_intent_and_the_words_give_the_same_calls(parser: TemplateParser) -> None:
    understood = parser.understand("close it all up")
    assert understood is not None and dict(understood.slots) == {}

    by_intent = parser.parse_intent(understood.intent, understood.slots, seat="passenger")

    assert by_intent is not None
    assert by_intent.actions == parser.parse("close it all up", seat="passenger").actions


# -- the reply -------------------------------------------------------------------------------------


def _report(tool: str, outcome: Any = "applied", **arguments: Any) -> ActionReport:
    refused = outcome == "refused"
    return ActionReport(
        tool=tool,
        arguments=arguments,
        outcome=outcome,
        rule_id="GR-15" if refused else None,
        message="only the driver can change another seat's settings" if refused else None,
    )


def test_the_same_change_of_every_seat_is_said_once() -> None:
    reports = [_report("set_window", window=seat, action="close") for seat in SEATS]
    reports += [_report("set_sunroof", action="close"), _report("set_sunshade", action="close", rear=False)]

    assert (
        summarize(reports, speaker="driver", moving=True)
        == "All windows, the sunroof and the sunshade are closing."
    )


def test_a_change_asked_for_twice_is_said_once() -> None:
    reports = [_report("set_window", window="all", action="close")]
    reports += [_report("set_window", window=seat, action="close") for seat in SEATS]

    assert summarize(reports, speaker="driver", moving=False) == "All windows are closing."


def test_what_was_refused_of_several_seats_is_named_with_its_reason() -> None:
    reports = [
        _report("set_window", "refused", window="driver", action="open"),
        _report("set_window", window="passenger", action="open"),
        _report("set_window", "refused", window="rear_left", action="open"),
        _report("set_window", "refused", window="rear_right", action="open"),
    ]

    assert summarize(reports, speaker="passenger", moving=False) == (
        "Your window is opening, but the driver's window, the rear left window and the rear right "
        "window stay as they are: only the driver can change another seat's settings."
    )


# -- through the agent ---------------------------------------------------------------------------------


@pytest.mark.parametrize("initial_state", [OPEN], indirect=True)
async def test_close_everything_closes_every_window_the_sunroof_and_its_shade(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("close everything", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert all(action["outcome"] == "applied" for action in actions(result))
    for path in WINDOWS.values():
        assert await requested(backend, path) == 0
    assert await requested(backend, SUNROOF) == "CLOSE"
    assert await requested(backend, SHADE) == 0
    # The passenger window was closed: it is not closed again, and the reply does not say it closes.
    assert [action["arguments"].get("window", action["tool"]) for action in actions(result)] == [
        "driver",
        "rear_left",
        "rear_right",
        "set_sunroof",
        "set_sunshade",
    ]
    assert result.data is not None and result.data["unchanged"] == [
        {"tool": "set_window", "arguments": {"window": "passenger", "action": "close"}}
    ]
    assert result.text == (
        "Your window, the rear left window, the rear right window, the sunroof and the sunshade are "
        "closing and everything else was already closed."
    )


@pytest.mark.parametrize("initial_state", [OPEN], indirect=True)
async def test_the_routers_intent_closes_everything_without_reading_the_words(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text(
        "shut it all",
        data={"intent": "close_everything", "slots": {}, "text": "shut it all"},
        seat="driver",
        **OCCUPANT,
    )

    assert result.data is not None and result.data["via"] == "intent"
    assert [await requested(backend, path) for path in WINDOWS.values()] == [0, 0, 0, 0]
    assert await requested(backend, SUNROOF) == "CLOSE"


@pytest.mark.parametrize(
    "initial_state",
    [
        {
            "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling": 100,
            "Vehicle.Cabin.Seat.Row2.PassengerSide.HeatingCooling": -33,
            "Vehicle.Cabin.Seat.Row1.PassengerSide.Massage.Level": 60,
            "Vehicle.Chassis.SteeringWheel.HeatingCooling": 100,
            "Vehicle.Body.Lights.Beam.Low.IsOn": True,
        }
    ],
    indirect=True,
)
async def test_turn_everything_off_switches_off_the_comfort_functions_and_leaves_the_lights(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("turn everything off", seat="driver", **OCCUPANT)

    assert all(action["outcome"] == "applied" for action in actions(result))
    assert await requested(backend, "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling") == 0
    assert await requested(backend, "Vehicle.Cabin.Seat.Row2.PassengerSide.HeatingCooling") == 0
    assert await requested(backend, "Vehicle.Cabin.Seat.Row1.PassengerSide.Massage.Level") == 0
    assert await requested(backend, "Vehicle.Chassis.SteeringWheel.HeatingCooling") == 0
    assert await requested(backend, "Vehicle.Body.Lights.Beam.Low.IsOn") is True
    # Only what was on is switched off: the rear right seat was ventilated, not heated.
    assert [(a["tool"], a["arguments"].get("seat")) for a in actions(result)] == [
        ("set_seat_heating", "driver"),
        ("set_seat_ventilation", "rear_right"),
        ("set_seat_massage", "passenger"),
        ("set_steering_wheel_heating", None),
    ]
    assert result.text == (
        "Your seat heating, the rear right seat ventilation, the passenger's massage and the steering "
        "wheel heating are off and nothing else was on."
    )
    assert "light" not in result.text


# -- guardrails: each call is judged on its own ----------------------------------------------------------


@pytest.mark.rule("GR-15")
@pytest.mark.rule("GR-21")
@pytest.mark.parametrize(
    "initial_state", [{**FAST, "Vehicle.Cabin.IsWindowChildLockEngaged": True}], indirect=True
)
async def test_gr15_gr21_open_everything_at_speed_from_the_back_opens_only_what_is_allowed(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("open everything", seat="rear_left", **OCCUPANT)

    outcomes = {
        (action["tool"], action["arguments"].get("window")): (action["outcome"], action["ruleId"])
        for action in actions(result)
    }
    assert outcomes[("set_window", "driver")] == ("refused", "GR-15")
    assert outcomes[("set_window", "passenger")] == ("refused", "GR-15")
    assert outcomes[("set_window", "rear_left")] == ("refused", "GR-21")
    assert outcomes[("set_window", "rear_right")][0] == "refused"
    assert outcomes[("set_sunshade", None)] == ("applied", None)
    assert outcomes[("set_sunroof", None)] == ("applied", None)
    assert [await requested(backend, path) for path in WINDOWS.values()] == [0, 0, 0, 0]
    assert await requested(backend, SUNROOF) == "OPEN"
    # What was not done and why, in plain words (one reason while moving: GR-12).
    assert result.text.startswith("The sunshade and the sunroof are opening, but ")
    assert "stay as they are" in result.text
    assert "GR-" not in result.text and "Vehicle." not in result.text


@pytest.mark.rule("GR-08")
@pytest.mark.parametrize("initial_state", [{**OPEN, "Vehicle.LowVoltageSystemState": "OFF"}], indirect=True)
async def test_gr08_close_everything_with_the_ignition_off_closes_nothing_it_must_not(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("close everything", seat="driver", **OCCUPANT)

    refused = {
        action["arguments"].get("window", action["tool"])
        for action in actions(result)
        if action["outcome"] == "refused"
    }
    assert refused == {"driver", "rear_left", "rear_right", "set_sunroof"}
    assert {action["ruleId"] for action in actions(result) if action["outcome"] == "refused"} == {"GR-08"}
    assert await requested(backend, WINDOWS["rear_left"]) == 100
    assert await requested(backend, SUNROOF) != "CLOSE"
    assert result.text.endswith(
        "your window, the rear left window, the rear right window and the sunroof stay as they are: "
        "windows and the sunroof can only be closed with the ignition on."
    )


@pytest.mark.rule("GR-07")
@pytest.mark.parametrize("initial_state", [FAST], indirect=True)
async def test_gr07_unlock_everything_while_moving_is_refused(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("unlock it all", seat="driver", **OCCUPANT)

    assert [(a["tool"], a["outcome"], a["ruleId"]) for a in actions(result)] == [
        ("unlock_doors", "refused", "GR-07")
    ]
    assert await requested(backend, "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked") is True
    assert result.text == "Doors stay locked while the car is moving."


# -- only what is not already so -------------------------------------------------------------------------


HEATING = {
    seat: f"Vehicle.Cabin.Seat.{row}.HeatingCooling"
    for seat, row in zip(
        SEATS, ("Row1.DriverSide", "Row1.PassengerSide", "Row2.DriverSide", "Row2.PassengerSide"), strict=True
    )
}


@pytest.mark.parametrize(
    ("tool", "arguments", "values", "holds"),
    [
        ("set_window", {"window": "driver", "action": "close"}, {WINDOWS["driver"]: 0}, True),
        ("set_window", {"window": "driver", "action": "close"}, {WINDOWS["driver"]: 5}, False),
        ("set_window", {"window": "driver", "action": "open"}, {WINDOWS["driver"]: 100}, True),
        ("set_window", {"window": "driver", "action": "close"}, {WINDOWS["driver"]: None}, False),
        ("set_window", {"window": "driver", "action": "vent"}, {WINDOWS["driver"]: 20}, False),
        ("set_sunroof", {"action": "close"}, {SUNROOF_POSITION: 0, SUNROOF: "INACTIVE"}, True),
        # At its end but already moving away from it: the call is still made.
        ("set_sunroof", {"action": "close"}, {SUNROOF_POSITION: 0, SUNROOF: "OPEN"}, False),
        ("set_sunshade", {"action": "open", "rear": False}, {SHADE: 100}, True),
        ("set_seat_heating", {"seat": "driver", "level": 0}, {HEATING["driver"]: -33}, True),
        ("set_seat_heating", {"seat": "driver", "level": 0}, {HEATING["driver"]: 33}, False),
        ("set_seat_ventilation", {"seat": "driver", "level": 0}, {HEATING["driver"]: -33}, False),
        ("set_seat_ventilation", {"seat": "driver", "level": 0}, {HEATING["driver"]: 66}, True),
        ("set_seat_heating", {"seat": "driver", "level": 2}, {HEATING["driver"]: 66}, False),
        (
            "set_steering_wheel_heating",
            {"on": False},
            {"Vehicle.Chassis.SteeringWheel.HeatingCooling": 0},
            True,
        ),
    ],
)
def test_whether_a_calls_target_already_holds_is_read_from_the_values(
    tool: str, arguments: dict[str, Any], values: dict[str, Any], holds: bool
) -> None:
    assert set(values) <= set(queries.settled_paths([(tool, arguments)])) or not holds
    assert queries.settled(tool, arguments, values) is holds


def test_the_rest_already_so_is_said_in_plain_words() -> None:
    assert already("close", others=True) == "everything else was already closed"
    assert already("off", others=False) == "nothing was on"
    with pytest.raises(ValueError, match="unknown kind"):
        already("ajar", others=False)


async def test_close_everything_when_everything_is_closed_calls_nothing(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("close everything", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert actions(result) == []
    assert result.data is not None and len(result.data["unchanged"]) == len(devices.every_actions("close"))
    assert await backend.get_target([*WINDOWS.values(), SUNROOF, SHADE]) == dict.fromkeys(
        [*WINDOWS.values(), SUNROOF, SHADE]
    )
    assert result.text == "Everything is already closed."


async def test_turn_everything_off_when_nothing_is_on_calls_nothing(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("switch it all off", seat="passenger", **OCCUPANT)

    assert actions(result) == []
    assert await backend.get_target(list(HEATING.values())) == dict.fromkeys(HEATING.values())
    assert result.text == "Nothing was on."


@pytest.mark.parametrize(
    "initial_state", [{WINDOWS["driver"]: 100, SHADE: 100, SUNROOF_POSITION: 100}], indirect=True
)
async def test_open_everything_opens_only_what_is_closed(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("open everything up", seat="driver", **OCCUPANT)

    assert [(a["tool"], a["arguments"].get("window"), a["outcome"]) for a in actions(result)] == [
        ("set_window", seat, "applied") for seat in ("passenger", "rear_left", "rear_right")
    ]
    assert [await requested(backend, path) for path in WINDOWS.values()] == [100, 100, 100, 100]
    assert await backend.get_target([SUNROOF]) == {SUNROOF: None}
    assert result.text == (
        "The passenger window, the rear left window and the rear right window are opening and "
        "everything else was already open."
    )


async def test_what_else_was_asked_is_still_answered_when_nothing_needed_changing(
    agent: AgentClient,
) -> None:
    result = await agent.send_text("close everything and put the child locks on", seat="driver", **OCCUPANT)

    assert actions(result) == []
    assert result.text.startswith("Everything is already closed. ")
    assert "child lock" in result.text
