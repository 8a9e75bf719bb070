"""Follow-ups are slot edits of the previous part's intent: "close it again", "switch it back off",
"turn it down a bit", "set it to 3", "make it 22", "and the passenger?", "what about the back", "a bit
more" after a value.

The fast tests route with the real vehicle-control grammar (the router's template stage over the
agent's parser) to a recording car agent double; the end-to-end tests run the in-process stack with
the real vehicle-control agent and the simulated car, and check the car's state.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import JsonValue

from agents.hosting import AgentSpec, SkillSpec, build_agent_app
from agents.vehicle_control.parser import shared_parser
from mcp_servers.vehicle.service import AppliedWrite
from orchestrator.dialogue import LastPart, moved_again, restored
from orchestrator.directory import AgentDirectory
from orchestrator.local import LocalStack
from orchestrator.routing import Router
from orchestrator.routing.grammars import ParserGrammar
from orchestrator.routing.templates import TemplateSet, TemplateStage
from orchestrator.turn import Orchestrator

from .doubles import CarExecutor, recorded

_AGENT = "vehicle-control"
_URL = "http://vehicle-control.test"


@pytest.fixture
async def with_grammar() -> tuple[Orchestrator, CarExecutor]:
    """An orchestrator whose router reads with the vehicle-control grammar, and a recording car agent
    double in the vehicle-control agent's place (the executor records every request it gets)."""
    car = CarExecutor()
    skill = SkillSpec(id="climate", name="climate", description="climate", tags=("climate",))
    app = build_agent_app(
        AgentSpec(name=_AGENT, description="car test agent", skills=(skill,)), car, base_url=_URL, token=None
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=_URL)
    agents = AgentDirectory.from_urls([_URL], http_clients={_URL: client})
    await agents.refresh()
    router = Router([TemplateStage(TemplateSet([ParserGrammar(_AGENT, shared_parser())]))])
    return Orchestrator(router, agents, budget_s=0.8, agent_timeout_s=1.0), car


def _sent(car: CarExecutor) -> tuple[str | None, dict[str, JsonValue] | None, str]:
    request = car.requests[-1]
    intent = request.intent
    return (
        intent.intent if intent is not None else None,
        dict(intent.slots) if intent is not None else None,
        request.text,
    )


@pytest.mark.parametrize(
    ("first", "then", "intent", "slots"),
    [
        ("open my window", "close it again", "set_window", {"window": "self", "action": "close"}),
        ("turn on the seat heating", "switch it back off", "set_seat_heating", {"seat": "self", "level": 0}),
        # Read as said of the fan, not as "turn it down" on its own (the volume).
        ("set the fan to 4", "turn it down a bit", "set_fan", {"delta": "small", "sign": -1, "zone": "self"}),
        ("turn on the AC", "turn it off again", "set_air_conditioning", {"on": False}),
        ("open the passenger's window", "close it", "set_window", {"window": "passenger", "action": "close"}),
        # An end of a range said alone is the end of the previous device's range.
        ("turn on the fan", "full blast", "set_fan", {"zone": "self", "percent": 100}),
        ("turn on my seat heating", "max please", "set_seat_heating", {"seat": "self", "level": 3}),
        (
            "turn on the passenger's seat heating",
            "the lowest",
            "set_seat_heating",
            {"seat": "passenger", "level": 1},
        ),
        ("set the volume to 30", "to the max", "set_media_volume", {"percent": 100}),
        # After several requests: undo, and "more" of a level.
        # The previous request's words turned, read by its grammar, the seat or zone kept.
        (["open my window"], "undo that", "set_window", {"window": "self", "action": "close"}),
        (
            ["open the passenger's window"],
            "put it back",
            "set_window",
            {"window": "passenger", "action": "close"},
        ),
        (["turn on my seat heating"], "change it back", "set_seat_heating", {"seat": "self", "level": 0}),
        # A relative change the other way.
        (
            ["turn the fan up"],
            "never mind, undo it",
            "set_fan",
            {"zone": "self", "delta": "medium", "sign": -1},
        ),
        (["set the fan to 3", "more"], "undo", "set_fan", {"zone": "self", "delta": "small", "sign": -1}),
        # An absolute value: the one an earlier request of the session set for the same zone.
        (
            ["set the temperature to 20", "set the temperature to 23"],
            "put it back",
            "set_cabin_temperature",
            {"celsius": 20, "zone": "self"},
        ),
        # Unlocking is a request like any other: the guardrails decide (below).
        (["lock the doors"], "undo that", "unlock_doors", {"doors": "all"}),
        # "More" of a device set by levels: one level further.
        (["turn on my seat heating"], "a bit more", "set_seat_heating", {"seat": "self", "level": 3}),
        (
            ["turn on the passenger's seat heating"],
            "less",
            "set_seat_heating",
            {"seat": "passenger", "level": 1},
        ),
        # One level further than the last "more": beyond the declared range, the agent says the range.
        (["turn on my seat heating", "more"], "more", "set_seat_heating", {"seat": "self", "level": 4}),
        # "Again" is the same request.
        (["turn on my seat heating"], "again", "set_seat_heating", {"seat": "self", "level": 2}),
        # A comparative alone: one step of the previous device that way.
        # (The recording double is slow to answer "slow": the wipers are switched on instead.)
        ("turn on the wipers", "faster", "set_wipers", {"mode": "fast", "rear": False}),
        ("turn on the fan", "faster", "set_fan", {"zone": "self", "delta": "medium"}),
        ("set the fan to 3", "lower", "set_fan", {"zone": "self", "delta": "medium", "sign": -1}),
        # A comparative of a device set by levels is one level from where it is (the agent reads it).
        ("turn on my seat heating", "warmer", "set_seat_heating", {"seat": "self", "delta": "small"}),
        (
            "turn on the passenger's seat heating",
            "a bit cooler",
            "set_seat_heating",
            {"seat": "passenger", "delta": "small", "sign": -1},
        ),
        ("set the volume to 30", "quieter please", "set_media_volume", {"delta": 10, "sign": -1}),
        ("set the temperature to 21", "higher", "set_cabin_temperature", {"zone": "self", "delta": "small"}),
        # Whose said with a plural or "both".
        ("open the windows", "and the back ones", "set_window", {"window": "rear", "action": "open"}),
        ("open my window", "the rear ones too", "set_window", {"window": "rear", "action": "open"}),
        (
            "close the back windows",
            "the front ones as well",
            "set_window",
            {"window": "front", "action": "close"},
        ),
        ("turn on my seat heating", "both sides", "set_seat_heating", {"seat": "row", "level": 2}),
        (
            "turn on the passenger's seat heating",
            "the back seats too",
            "set_seat_heating",
            {"seat": "rear", "level": 2},
        ),
    ],
)
async def test_it_is_a_slot_edit_of_the_previous_intent(
    with_grammar: tuple[Orchestrator, CarExecutor],
    first: str | list[str],
    then: str,
    intent: str,
    slots: dict[str, JsonValue],
) -> None:
    orchestrator, car = with_grammar
    calls = recorded(orchestrator, "agent_call")
    session = None
    for said in [first] if isinstance(first, str) else first:
        session = (await orchestrator.handle(said, session_id=session)).session_id
    result = await orchestrator.handle(then, session_id=session)
    # The person's own words go with the intent and slots; the agent does not read them again.
    assert _sent(car) == (intent, slots, then)
    assert car.requests[-1].intent is not None and car.requests[-1].intent.text == then
    assert [(r.agent, r.text, r.intent) for r in result.route] == [(_AGENT, then, intent)]
    assert (calls[-1]["intent"], calls[-1]["slots"], calls[-1]["text"]) == (intent, slots, then)


@pytest.mark.parametrize(
    ("first", "then", "intent", "slots"),
    [
        ("turn on the fan", "set it to 3", "set_fan", {"zone": "self", "percent": 30}),
        # The zone is the previous request's: the value words say nothing of where.
        (
            "set the passenger temperature to 21",
            "make it 22",
            "set_cabin_temperature",
            {"zone": "passenger", "celsius": 22},
        ),
        (
            "turn on the passenger's seat heating",
            "put it on high",
            "set_seat_heating",
            {"seat": "passenger", "level": 3},
        ),
        (
            "set the temperature to 21",
            "change it to 19 degrees please",
            "set_cabin_temperature",
            {"zone": "self", "celsius": 19},
        ),
        # A value of the previous device outside its range is still that device's (the agent says
        # its range), never a value of another device ("make it 8" alone is a temperature).
        ("turn on my seat heating", "make it 8", "set_seat_heating", {"seat": "self", "level": 8}),
        (
            "turn on the passenger's seat heating",
            "set it to 5",
            "set_seat_heating",
            {"seat": "passenger", "level": 5},
        ),
        ("turn on the fan", "make it 150", "set_fan", {"zone": "self", "percent": 150}),
        # An end of the previous device's range, said as a word.
        ("turn on my seat heating", "set it to the max", "set_seat_heating", {"seat": "self", "level": 3}),
        ("turn on the fan", "put it on the lowest", "set_fan", {"zone": "self", "percent": 20}),
        ("open my window", "put it at 30 percent", "set_window", {"window": "self", "percent": 30}),
    ],
)
async def test_a_value_said_of_it_is_a_slot_edit_of_the_previous_intent(
    with_grammar: tuple[Orchestrator, CarExecutor],
    first: str,
    then: str,
    intent: str,
    slots: dict[str, JsonValue],
) -> None:
    orchestrator, car = with_grammar
    calls = recorded(orchestrator, "agent_call")
    opened = await orchestrator.handle(first)
    result = await orchestrator.handle(then, session_id=opened.session_id)
    clause = then.removesuffix(" please")
    assert _sent(car) == (intent, slots, clause)
    assert [(r.agent, r.text, r.intent) for r in result.route] == [(_AGENT, clause, intent)]
    assert (calls[-1]["intent"], calls[-1]["slots"]) == (intent, slots)


async def test_a_value_of_it_beside_a_request_of_its_own(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("set the fan to 4")
    both = await orchestrator.handle("set it to 2 and open my window", session_id=first.session_id)
    assert [(r.text, r.intent) for r in both.route] == [
        ("set it to 2", "set_fan"),
        ("open my window", "set_window"),
    ]
    assert [_sent_of(r) for r in car.requests[-2:]] == [
        ("set_fan", {"zone": "self", "percent": 20}),
        ("set_window", {"action": "open", "window": "self"}),
    ]


@pytest.mark.parametrize(
    ("first", "then", "sent"),
    [
        # No previous request: the words are read as they stand ("make it 3" alone is asked about,
        # test_a_value_of_it_with_nothing_before_it_is_asked_about; "make it 22" is the temperature).
        (None, "turn it up", ("set_media_volume", {"delta": 10})),
        # A value said with whose: no edit of the previous request, read as said.
        (
            "turn on the fan",
            "set it to 21 for the passenger",
            ("set_cabin_temperature", {"celsius": 21, "zone": "passenger"}),
        ),
        # The previous request went without an intent (one for two seats): nothing to edit.
        (
            "turn on the driver and passenger seat heating",
            "make it 22",
            ("set_cabin_temperature", {"celsius": 22, "zone": "self"}),
        ),
    ],
)
async def test_a_value_of_it_without_an_intent_to_edit_is_read_as_said(
    with_grammar: tuple[Orchestrator, CarExecutor],
    first: str | None,
    then: str,
    sent: tuple[str, dict[str, JsonValue]],
) -> None:
    orchestrator, car = with_grammar
    session = None if first is None else (await orchestrator.handle(first)).session_id
    result = await orchestrator.handle(then, session_id=session)
    assert _sent_of(car.requests[-1]) == sent
    assert [(r.text, r.intent) for r in result.route] == [(then, sent[0])]


async def test_it_keeps_the_seat_of_an_edit_before_it(with_grammar: tuple[Orchestrator, CarExecutor]) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("open my window")
    await orchestrator.handle("the passenger's too", session_id=first.session_id)
    assert _sent(car) == ("set_window", {"window": "passenger", "action": "open"}, "the passenger's too")
    await orchestrator.handle("close it", session_id=first.session_id)
    assert _sent(car) == ("set_window", {"window": "passenger", "action": "close"}, "close it")


async def test_it_is_the_latest_part_whose_grammar_reads_it(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("turn on the seat heating and open my window")
    # A window is not switched off: "it" is the seat heating, the part before.
    await orchestrator.handle("switch it off", session_id=first.session_id)
    assert _sent(car) == ("set_seat_heating", {"seat": "self", "level": 0}, "switch it off")


async def test_the_reason_around_it_is_not_sent_and_a_request_of_its_own_is(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("turn on the seat heating")
    both = await orchestrator.handle(
        "switch it back off and set the temperature to 20", session_id=first.session_id
    )
    assert [(r.text, r.intent) for r in both.route] == [
        ("switch it back off", "set_seat_heating"),
        ("set the temperature to 20", "set_cabin_temperature"),
    ]
    assert [_sent_of(r) for r in car.requests[-2:]] == [
        ("set_seat_heating", {"seat": "self", "level": 0}),
        ("set_cabin_temperature", {"celsius": 20, "zone": "self"}),
    ]


def _sent_of(request: Any) -> tuple[str, dict[str, JsonValue]] | None:
    return None if request.intent is None else (request.intent.intent, dict(request.intent.slots))


@pytest.mark.parametrize(
    ("then", "zone"),
    [
        ("and the passenger?", "passenger"),
        ("what about the back", "rear"),
        ("same for the passenger", "passenger"),
        ("for the passenger as well", "passenger"),
        ("the rear left too", "rear_left"),
    ],
)
async def test_whose_alone_is_the_previous_intent_for_them(
    with_grammar: tuple[Orchestrator, CarExecutor], then: str, zone: str
) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("set the temperature to 20")
    result = await orchestrator.handle(then, session_id=first.session_id)
    assert _sent(car) == ("set_cabin_temperature", {"celsius": 20, "zone": zone}, then)
    assert [(r.text, r.intent) for r in result.route] == [(then, "set_cabin_temperature")]


async def test_more_after_a_value_is_a_step_from_it(with_grammar: tuple[Orchestrator, CarExecutor]) -> None:
    orchestrator, car = with_grammar
    calls = recorded(orchestrator, "agent_call")
    first = await orchestrator.handle("set the temperature to 21")
    more = await orchestrator.handle("a bit more", session_id=first.session_id)
    assert _sent(car) == ("set_cabin_temperature", {"zone": "self", "delta": "small"}, "a bit more")
    assert (more.route[0].intent, calls[-1]["slots"]) == (
        "set_cabin_temperature",
        {"zone": "self", "delta": "small"},
    )
    # Another "more" is one more step of that change.
    await orchestrator.handle("more", session_id=first.session_id)
    assert _sent(car) == ("set_cabin_temperature", {"zone": "self", "delta": "small"}, "more")


async def test_less_after_a_value_is_a_step_down_from_it(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("set the fan to 3")
    await orchestrator.handle("a little less", session_id=first.session_id)
    assert _sent(car) == ("set_fan", {"zone": "self", "delta": "small", "sign": -1}, "a little less")


async def test_mine_too_is_the_previous_intent_for_the_speaker(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("turn on the passenger's seat heating")
    await orchestrator.handle("mine too", session_id=first.session_id)
    # The agent resolves "self" from the seat of whoever said it.
    assert _sent(car) == ("set_seat_heating", {"seat": "self", "level": 2}, "mine too")
    assert car.requests[-1].seat == "driver"


# -- end to end: the real vehicle-control agent and the simulated car ----------------------------------

_DRIVER_WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
_PASSENGER_WINDOW = "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position"
_FAN = "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed"
_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
_PASSENGER_HEAT = "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling"
_DRIVER_HEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"
_PASSENGER_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature"


# `stack`: the in-process stack whose router reads with the agents' grammars alone (tests/conftest.py).


async def _say(stack: LocalStack, session: str | None, text: str) -> str:
    result = await stack.say(text, "driver", session)
    await stack.settle()
    return result.session_id


async def test_a_follow_up_edits_what_the_car_did(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    results = recorded(stack.orchestrator, "agent_result")
    session = await _say(stack, None, "open my window")
    await _say(stack, session, "the passenger's too")
    assert await stack.state([_DRIVER_WINDOW, _PASSENGER_WINDOW]) == {
        _DRIVER_WINDOW: 100,
        _PASSENGER_WINDOW: 100,
    }

    await _say(stack, session, "close it again")
    assert (calls[-1]["intent"], calls[-1]["slots"], calls[-1]["text"]) == (
        "set_window",
        {"window": "passenger", "action": "close"},
        "close it again",
    )
    # The agent acted on the intent it was sent, without reading the words again.
    assert results[-1]["data"]["via"] == "intent"
    assert await stack.state([_DRIVER_WINDOW, _PASSENGER_WINDOW]) == {
        _DRIVER_WINDOW: 100,
        _PASSENGER_WINDOW: 0,
    }


async def test_more_and_zone_follow_ups_change_the_car(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    session = await _say(stack, None, "set the fan to 3")
    await _say(stack, session, "more")
    assert calls[-1]["intent"] == "set_fan" and calls[-1]["slots"] == {"zone": "self", "delta": "small"}
    assert await stack.state([_FAN]) == {_FAN: 40}

    await _say(stack, session, "turn it down a bit")
    assert calls[-1]["intent"] == "set_fan"
    assert await stack.state([_FAN]) == {_FAN: 30}

    # "Less" after a value is a step down from it (after a change, a step against it).
    session = await _say(stack, None, "set the fan to 3")
    await _say(stack, session, "a little less")
    assert await stack.state([_FAN]) == {_FAN: 20}

    session = await _say(stack, None, "set the temperature to 21")
    await _say(stack, session, "a bit more")
    assert await stack.state([_TEMPERATURE]) == {_TEMPERATURE: 22}

    session = await _say(stack, None, "turn on my seat heating")
    await _say(stack, session, "what about the passenger")
    assert calls[-1]["slots"] == {"seat": "passenger", "level": 2}
    heat = await stack.state([_DRIVER_HEAT, _PASSENGER_HEAT])
    assert heat[_PASSENGER_HEAT] == heat[_DRIVER_HEAT] > 0
    await _say(stack, session, "switch it back off")
    assert calls[-1]["slots"] == {"seat": "passenger", "level": 0}
    heat = await stack.state([_DRIVER_HEAT, _PASSENGER_HEAT])
    assert heat[_PASSENGER_HEAT] == 0 < heat[_DRIVER_HEAT]


async def test_a_value_said_of_it_sets_the_previous_device(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    results = recorded(stack.orchestrator, "agent_result")
    session = await _say(stack, None, "turn on the fan")
    await _say(stack, session, "set it to 3")
    assert (calls[-1]["intent"], calls[-1]["slots"], calls[-1]["text"]) == (
        "set_fan",
        {"zone": "self", "percent": 30},
        "set it to 3",
    )
    assert results[-1]["data"]["via"] == "intent"
    assert await stack.state([_FAN]) == {_FAN: 30}

    session = await _say(stack, None, "set the passenger temperature to 21")
    await _say(stack, session, "make it 23")
    assert (calls[-1]["intent"], calls[-1]["slots"]) == (
        "set_cabin_temperature",
        {"zone": "passenger", "celsius": 23},
    )
    assert await stack.state([_PASSENGER_TEMPERATURE]) == {_PASSENGER_TEMPERATURE: 23}

    session = await _say(stack, None, "turn on my seat heating")
    medium = (await stack.state([_DRIVER_HEAT]))[_DRIVER_HEAT]
    await _say(stack, session, "put it on high")
    assert (calls[-1]["intent"], calls[-1]["slots"]) == ("set_seat_heating", {"seat": "self", "level": 3})
    # High is the seat heating's top level: all of its range.
    assert (await stack.state([_DRIVER_HEAT]))[_DRIVER_HEAT] == 100 > medium


async def test_a_value_beyond_the_previous_devices_range_is_said_plainly(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    session = await _say(stack, None, "turn on my seat heating")
    heat = await stack.state([_DRIVER_HEAT, _TEMPERATURE])
    result = await stack.say("make it 8", "driver", session)
    await stack.settle()
    assert (calls[-1]["intent"], calls[-1]["slots"]) == ("set_seat_heating", {"seat": "self", "level": 8})
    # The range is the seat heating tool's, as its schema declares it; nothing else changed.
    assert result.reply == "The seat heating goes from 0 to 3, so I can't set it to 8."
    assert result.actions == []
    assert await stack.state([_DRIVER_HEAT, _TEMPERATURE]) == heat


async def test_an_end_said_alone_with_nothing_before_it_is_no_request(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    result = await orchestrator.handle("full blast")
    assert car.requests == []
    assert [r.agent for r in result.route] == [None]


# -- a comparative alone, zones said with a plural -----------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "reply"),
    [
        ("turn on the wipers", "warmer", "I can't make the wipers warmer: say what you'd like warmer."),
        ("open my window", "louder", "I can't make your window louder: say what you'd like louder."),
        ("turn on my seat heating", "faster", "I can't make your seat heating faster"),
    ],
)
async def test_a_comparative_that_does_not_fit_the_previous_device_guesses_no_other(
    with_grammar: tuple[Orchestrator, CarExecutor], first: str, then: str, reply: str
) -> None:
    orchestrator, car = with_grammar
    opened = await orchestrator.handle(first)
    sent = len(car.requests)
    result = await orchestrator.handle(then, session_id=opened.session_id)
    # Nothing is sent to any agent: neither the previous device nor another one the word alone names.
    assert len(car.requests) == sent
    assert result.reply.startswith(reply)
    assert [r.agent for r in result.route] == [None]


async def test_a_comparative_with_nothing_before_it_is_read_as_said(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    result = await orchestrator.handle("warmer")
    assert [(r.agent, r.intent) for r in result.route] == [(_AGENT, "climate_warmer")]
    assert car.requests[-1].intent is not None and car.requests[-1].intent.intent == "climate_warmer"


_WIPERS = "Vehicle.Body.Windshield.Front.Wiping.Mode"
_REAR_LEFT_WINDOW = "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position"
_REAR_RIGHT_WINDOW = "Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position"


async def test_a_comparative_alone_changes_the_previous_device(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    session = await _say(stack, None, "set the wipers to slow")
    await _say(stack, session, "faster")
    assert (calls[-1]["intent"], calls[-1]["text"]) == ("set_wipers", "faster")
    assert await stack.state([_WIPERS]) == {_WIPERS: "FAST"}

    session = await _say(stack, None, "turn on my seat heating")
    before = await stack.state([_DRIVER_HEAT, _TEMPERATURE])
    await _say(stack, session, "warmer")
    after = await stack.state([_DRIVER_HEAT, _TEMPERATURE])
    # The seat heating went up a level; the cabin temperature, which "warmer" alone would be, did not.
    assert after[_DRIVER_HEAT] > before[_DRIVER_HEAT]
    assert after[_TEMPERATURE] == before[_TEMPERATURE]

    session = await _say(stack, None, "set the wipers to slow")
    result = await stack.say("warmer", "driver", session)
    await stack.settle()
    assert result.actions == [] and "wipers" in result.reply
    assert (await stack.state([_TEMPERATURE]))[_TEMPERATURE] == after[_TEMPERATURE]


async def test_zones_said_with_a_plural_change_the_car(stack: LocalStack) -> None:
    session = await _say(stack, None, "open my window")
    await _say(stack, session, "and the back ones")
    assert await stack.state([_DRIVER_WINDOW, _REAR_LEFT_WINDOW, _REAR_RIGHT_WINDOW, _PASSENGER_WINDOW]) == {
        _DRIVER_WINDOW: 100,
        _REAR_LEFT_WINDOW: 100,
        _REAR_RIGHT_WINDOW: 100,
        _PASSENGER_WINDOW: 0,
    }
    session = await _say(stack, None, "turn on my seat heating")
    await _say(stack, session, "both sides")
    heat = await stack.state([_DRIVER_HEAT, _PASSENGER_HEAT])
    assert heat[_PASSENGER_HEAT] == heat[_DRIVER_HEAT] > 0


# -- undo: what the previous turn changed, as it was before ---------------------------------------------


async def test_undo_of_a_turn_of_several_parts_restores_each(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("turn on the seat heating and open my window")
    result = await orchestrator.handle("undo that", session_id=first.session_id)
    assert [_sent_of(r) for r in car.requests[-2:]] == [
        ("set_seat_heating", {"seat": "self", "level": 0}),
        ("set_window", {"window": "self", "action": "close"}),
    ]
    assert [r.intent for r in result.route] == ["set_seat_heating", "set_window"]


async def test_undo_with_no_earlier_value_or_nothing_before_changes_nothing(
    with_grammar: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_grammar
    nothing = await orchestrator.handle("undo that")
    assert car.requests == [] and nothing.reply == "There's nothing to undo."
    first = await orchestrator.handle("set the temperature to 22")
    result = await orchestrator.handle("put it back", session_id=first.session_id)
    # What the temperature was before is not known: it is left, and the reply says so.
    assert len(car.requests) == 1
    assert result.reply == "I can't tell what the temperature was before, so I've left it as it is."


async def test_undo_restores_the_car(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    results = recorded(stack.orchestrator, "agent_result")
    session = await _say(stack, None, "set the temperature to 20")
    await _say(stack, session, "set the temperature to 24")
    assert await stack.state([_TEMPERATURE]) == {_TEMPERATURE: 24}
    result = await stack.say("put it back", "driver", session)
    await stack.settle()
    assert (calls[-1]["intent"], calls[-1]["slots"]) == (
        "set_cabin_temperature",
        {"celsius": 20, "zone": "self"},
    )
    assert results[-1]["data"]["via"] == "intent"
    assert await stack.state([_TEMPERATURE]) == {_TEMPERATURE: 20}
    assert "20" in result.reply

    session = await _say(stack, None, "open my window")
    assert await stack.state([_DRIVER_WINDOW]) == {_DRIVER_WINDOW: 100}
    await _say(stack, session, "undo that")
    assert await stack.state([_DRIVER_WINDOW]) == {_DRIVER_WINDOW: 0}

    session = await _say(stack, None, "turn on my seat heating")
    await _say(stack, session, "never mind, undo it")
    assert await stack.state([_DRIVER_HEAT]) == {_DRIVER_HEAT: 0}


_DRIVER_LOCK = "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked"


@pytest.mark.rule("GR-13")
async def test_undo_goes_through_the_guardrails(stack: LocalStack) -> None:
    session = await _say(stack, None, "lock the doors")
    assert await stack.state([_DRIVER_LOCK]) == {_DRIVER_LOCK: True}
    result = await stack.say("undo that", "driver", session)
    await stack.settle()
    # Undoing a lock is an unlock, and an unlock is asked first (GR-13): nothing is unlocked yet.
    assert [(a.tool, a.outcome, a.rule_id) for a in result.actions] == [
        ("unlock_doors", "needs_confirmation", "GR-13")
    ]
    assert result.pending_confirmation is not None
    assert await stack.state([_DRIVER_LOCK]) == {_DRIVER_LOCK: True}


# -- a request wrapped in courtesy with its verb's gerund ----------------------------------------------


@pytest.mark.parametrize(
    ("said", "intent", "slots"),
    [
        ("would you mind turning on my seat heater", "set_seat_heating", {"seat": "self", "level": 2}),
        ("do you mind opening the window", "set_window", {"window": "self", "action": "open"}),
        ("how about closing the sunroof", "set_sunroof", {"action": "close"}),
        ("would you mind shutting the trunk please", "set_trunk", {"open": False}),
    ],
)
async def test_a_courtesy_gerund_is_read_as_the_plain_request(
    with_grammar: tuple[Orchestrator, CarExecutor], said: str, intent: str, slots: dict[str, JsonValue]
) -> None:
    orchestrator, car = with_grammar
    result = await orchestrator.handle(said)
    assert _sent_of(car.requests[-1]) == (intent, slots)
    assert [(r.agent, r.intent) for r in result.route] == [(_AGENT, intent)]


async def test_a_courtesy_gerund_of_it_points_back(with_grammar: tuple[Orchestrator, CarExecutor]) -> None:
    orchestrator, car = with_grammar
    first = await orchestrator.handle("open the passenger's window")
    await orchestrator.handle("how about closing it again", session_id=first.session_id)
    assert _sent_of(car.requests[-1]) == ("set_window", {"window": "passenger", "action": "close"})


async def test_a_courtesy_gerund_changes_the_car(stack: LocalStack) -> None:
    await _say(stack, None, "would you mind turning on my seat heater")
    assert (await stack.state([_DRIVER_HEAT]))[_DRIVER_HEAT] > 0
    await _say(stack, None, "do you mind opening the window")
    assert await stack.state([_DRIVER_WINDOW]) == {_DRIVER_WINDOW: 100}


# -- "more" after a device set by levels ---------------------------------------------------------------


async def test_more_after_a_level_changes_the_car(stack: LocalStack) -> None:
    session = await _say(stack, None, "turn on my seat heating")
    medium = (await stack.state([_DRIVER_HEAT]))[_DRIVER_HEAT]
    await _say(stack, session, "a bit more")
    assert (await stack.state([_DRIVER_HEAT]))[_DRIVER_HEAT] == 100 > medium


# -- undo of a value set once: the value before, as the car read it before the write ---------------------


async def test_undo_of_a_value_set_once_restores_what_the_car_read_before(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    await stack.inject({_TEMPERATURE: 19.0, _DRIVER_WINDOW: 30})
    session = await _say(stack, None, "set the temperature to 22")
    assert await stack.state([_TEMPERATURE]) == {_TEMPERATURE: 22}
    result = await stack.say("put it back", "driver", session)
    await stack.settle()
    # The session knew no earlier value: the previous turn's read-back says 19 was there before, and
    # it is asked for as a new request of the vehicle-control agent (through its guardrails).
    assert (calls[-1]["intent"], calls[-1]["slots"]) == (
        "set_cabin_temperature",
        {"celsius": 19, "zone": "self"},
    )
    assert [(a.tool, a.outcome) for a in result.actions] == [("set_cabin_temperature", "applied")]
    assert await stack.state([_TEMPERATURE]) == {_TEMPERATURE: 19}
    assert "19" in result.reply and "can't tell" not in result.reply

    session = await _say(stack, None, "set my window to 60 percent")
    assert await stack.state([_DRIVER_WINDOW]) == {_DRIVER_WINDOW: 60}
    await _say(stack, session, "undo that")
    assert await stack.state([_DRIVER_WINDOW]) == {_DRIVER_WINDOW: 30}


_TEMPERATURES = {_TEMPERATURE: 23, _PASSENGER_TEMPERATURE: 23}


@pytest.mark.parametrize(
    ("arguments", "values", "before", "slots"),
    [
        # One value before for every signal written: that value, in the part's own slot.
        (
            {"zone": "all", "celsius": 23},
            _TEMPERATURES,
            {_TEMPERATURE: 20.0, _PASSENGER_TEMPERATURE: 20.0},
            20,
        ),
        # The signals differed before: no one value puts them back.
        (
            {"zone": "all", "celsius": 23},
            _TEMPERATURES,
            {_TEMPERATURE: 20.0, _PASSENGER_TEMPERATURE: 21.0},
            None,
        ),
        # Not known (a write read back from the audit file).
        ({"zone": "all", "celsius": 23}, _TEMPERATURES, None, None),
        # Written in other units than the slot says: not the slot's value before.
        ({"zone": "all", "celsius": 23}, {_TEMPERATURE: 73.4}, {_TEMPERATURE: 68.0}, None),
    ],
)
def test_restored_reads_the_value_before_from_the_turns_writes(
    arguments: dict[str, Any], values: dict[str, Any], before: dict[str, Any] | None, slots: int | None
) -> None:
    part = LastPart(
        text="set the temperature to 23 for everyone",
        agent=_AGENT,
        skill="climate",
        task_id=None,
        at=0.0,
        intent="set_cabin_temperature",
        slots={"zone": "all", "celsius": 23},
    )
    write = AppliedWrite(
        seq=1,
        tool="set_cabin_temperature",
        arguments=arguments,
        values=values,
        before=before,
        client=_AGENT,
        decision="applied",
    )
    other = write.model_copy(update={"client": "navigation"})
    expected = None if slots is None else {"zone": "all", "celsius": slots}
    assert restored(part, [write]) == expected
    assert restored(part, [other]) is None  # another agent's write is not this part's


# -- "a bit more" after a device moved by a word: the same change of position again ---------------------


async def test_more_after_a_window_opened_a_bit_moves_it_as_far_again(stack: LocalStack) -> None:
    calls = recorded(stack.orchestrator, "agent_call")
    session = await _say(stack, None, "open my window a bit")
    vented = (await stack.state([_DRIVER_WINDOW]))[_DRIVER_WINDOW]
    assert 0 < vented < 50
    result = await stack.say("a bit more", "driver", session)
    await stack.settle()
    # "a bit" is a step from where the window is: "more" is the same step again.
    assert (calls[-1]["intent"], calls[-1]["slots"]) == ("set_window", {"window": "self", "delta": "small"})
    assert [(a.tool, a.outcome) for a in result.actions] == [("set_window", "applied")]
    assert await stack.state([_DRIVER_WINDOW]) == {_DRIVER_WINDOW: 2 * vented}

    # From a window a little open, "a bit" moves it as far from there, and "a bit more" as far again.
    await stack.inject({_PASSENGER_WINDOW: vented // 2})
    session = await _say(stack, None, "open the passenger window a bit")
    assert await stack.state([_PASSENGER_WINDOW]) == {_PASSENGER_WINDOW: vented // 2 + vented}
    await _say(stack, session, "a bit more")
    assert await stack.state([_PASSENGER_WINDOW]) == {_PASSENGER_WINDOW: vented // 2 + 2 * vented}


@pytest.mark.parametrize(
    ("before", "after", "said", "slots"),
    [
        (0, 20, "a bit more", {"window": "self", "percent": 40}),
        # As far again is bounded to the range the tool declares (0-100).
        (80, 95, "more", {"window": "self", "percent": 100}),
        # Nothing moved: nothing to repeat (the request is said again, as before).
        (20, 20, "a bit more", None),
        # "Less" and "again" are not this edit (more_of says them).
        (0, 20, "a bit less", None),
        (0, 20, "again", None),
    ],
)
def test_moved_again_repeats_the_change_of_position(
    before: int, after: int, said: str, slots: dict[str, JsonValue] | None
) -> None:
    window = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
    part = LastPart(
        text="open my window a bit",
        agent=_AGENT,
        skill="windows",
        task_id=None,
        at=0.0,
        intent="set_window",
        slots={"window": "self", "action": "vent"},
    )
    write = AppliedWrite(
        seq=1,
        tool="set_window",
        arguments={"window": "driver", "action": "vent"},
        values={window: after},
        before={window: before},
        client=_AGENT,
        decision="applied",
    )
    assert moved_again(part, [write], said) == slots
