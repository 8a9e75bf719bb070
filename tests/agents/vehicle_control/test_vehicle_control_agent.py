"""The agent in memory: A2A requests through `httpx.ASGITransport`, the in-process vehicle server, and the
car's state checked after every request."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import VEHICLE_CONTROL_SPEC, TemplateParser, build_vehicle_control_app
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.service import VehicleService

from .vehicle_control_doubles import (
    BASE_URL,
    DRIVER_TEMP,
    MOVING,
    OCCUPANT,
    PASSENGER_TEMP,
    TOKEN,
    actions,
    requested,
)

PASSENGER_SEAT_HEAT = "Vehicle.Cabin.Seat.Row1.PassengerSide.HeatingCooling"
DRIVER_SEAT_HEAT = "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling"
LOW_BEAM = "Vehicle.Body.Lights.Beam.Low.IsOn"
WIPERS = "Vehicle.Body.Windshield.Front.Wiping.Mode"
TRUNK = "Vehicle.Body.Trunk.Rear.IsOpen"
VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"
SUNROOF = "Vehicle.Cabin.Sunroof.Switch"
WINDOWS = [
    "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position",
    "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position",
    "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position",
    "Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position",
]


# -- card and endpoints ----------------------------------------------------------------------------


async def test_card_declares_the_six_skills(agent: AgentClient) -> None:
    card = await agent.get_card()

    assert card.name == "vehicle-control"
    assert [skill.id for skill in card.skills] == ["climate", "seats", "windows", "doors", "lights", "media"]
    assert all(len(skill.examples) >= 5 and skill.tags and skill.description for skill in card.skills)
    assert card.security_schemes["bearer"].http_auth_security_scheme.scheme == "Bearer"


async def test_healthz_answers_without_a_token_and_a2a_needs_one(http: httpx.AsyncClient) -> None:
    health = await http.get("/healthz")
    head = await http.head("/healthz")
    post = await http.post("/healthz")
    unauthenticated = await http.post(
        "/",
        json={"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {}},
        headers={"A2A-Version": "1.0"},
    )

    assert health.status_code == 200
    assert health.json() == {
        "status": "ok",
        "agent": "vehicle-control",
        "vehicle": "in-process",
        "model": False,
    }
    assert head.status_code == 200 and head.content == b""
    assert post.status_code == 405
    assert unauthenticated.status_code == 401


# -- acting ----------------------------------------------------------------------------------------


async def test_absolute_temperature_changes_the_set_point(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("set the driver temperature to 23 degrees", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert await requested(backend, DRIVER_TEMP) == 23
    assert result.text == "Your side's at 23 degrees."
    assert result.data == {
        "actions": [
            {
                "tool": "set_cabin_temperature",
                "arguments": {"zone": "driver", "celsius": 23},
                "outcome": "applied",
                "ruleId": None,
                "message": None,
            }
        ],
        "stateChanges": {DRIVER_TEMP: 23},
        "via": "template",
    }


async def test_my_seat_means_the_speakers_seat(agent: AgentClient, backend: SimulatorBackend) -> None:
    result = await agent.send_text("turn on my seat heating", seat="passenger", **OCCUPANT)

    assert result.state == "completed"
    assert await requested(backend, PASSENGER_SEAT_HEAT) == 66
    assert await requested(backend, DRIVER_SEAT_HEAT) == 0
    assert result.text == "Your seat heating is on medium."


async def test_several_actions_in_one_request(agent: AgentClient, backend: SimulatorBackend) -> None:
    result = await agent.send_text("lights on, wipers slow and set it to 19", seat="driver", **OCCUPANT)

    assert [a["tool"] for a in actions(result)] == ["set_lights", "set_wipers", "set_cabin_temperature"]
    assert all(a["outcome"] == "applied" for a in actions(result))
    assert await requested(backend, LOW_BEAM) is True
    assert await requested(backend, WIPERS) == "SLOW"
    assert await requested(backend, DRIVER_TEMP) == 19
    assert result.text == "The headlights are on, the wipers are on slow and your side's at 19 degrees."


async def test_im_cold_warms_the_speakers_zone_and_seat(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("I'm cold", seat="passenger", **OCCUPANT)

    assert result.state == "completed"
    assert await requested(backend, PASSENGER_TEMP) == 23
    assert await requested(backend, PASSENGER_SEAT_HEAT) == 66
    assert await requested(backend, DRIVER_TEMP) == 21


@pytest.mark.parametrize("initial_state", [{path: 100 for path in WINDOWS}], indirect=True)
async def test_its_pouring_closes_up_and_starts_the_wipers(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("it's pouring", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert [await requested(backend, path) for path in WINDOWS] == [0, 0, 0, 0]
    assert await requested(backend, SUNROOF) == "CLOSE"
    assert await requested(backend, WIPERS) == "FAST"
    await backend.settle()
    assert [(await backend.get_current([path]))[path] for path in WINDOWS] == [0, 0, 0, 0]


async def test_relative_change_then_a_follow_up_in_the_same_conversation(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    first = await agent.send_text("a bit warmer", seat="driver", **OCCUPANT)
    again = await agent.send_text("a bit more", seat="driver", context_id=first.context_id, **OCCUPANT)
    elsewhere = await agent.send_text("a bit more", seat="driver", **OCCUPANT)

    assert await requested(backend, DRIVER_TEMP) == 23
    assert again.text == "Your side's at 23 degrees."
    assert elsewhere.text == "More of what? Say, for example, “warmer” or “louder”."
    assert actions(elsewhere) == []


async def test_relative_volume_is_clamped_by_the_car_and_reported_as_applied(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    await agent.send_text("volume 70", seat="driver", **OCCUPANT)
    await agent.send_text("much louder", seat="driver", **OCCUPANT)
    result = await agent.send_text("much louder", seat="driver", **OCCUPANT)

    assert await requested(backend, VOLUME) == 100
    assert result.text == "The volume is at 100."


async def test_a_request_nothing_understands_is_answered_honestly(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    before = backend.snapshot()
    result = await agent.send_text("tell me a joke", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert result.text.startswith("Sorry, I can't do that yet. I can help with climate")
    assert result.data == {"actions": [], "stateChanges": {}, "via": "fallback"}
    assert backend.snapshot() == before


async def test_the_part_not_understood_is_named(agent: AgentClient, backend: SimulatorBackend) -> None:
    result = await agent.send_text("lights on and make me a sandwich", seat="driver", **OCCUPANT)

    assert await requested(backend, LOW_BEAM) is True
    assert result.text == "The headlights are on, but I can't do anything with “make me a sandwich” yet."


async def test_a_long_request_acts_on_the_one_clear_ask_and_sums_up_the_rest(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text(
        "okay so the kids finally fell asleep in the back, my husband keeps saying the window should be "
        "open but it's November, anyway, what I wanted to ask is whether you could set the temperature "
        "on my side to 22 degrees, because I'm getting a bit drowsy",
        seat="driver",
        **OCCUPANT,
    )

    assert await requested(backend, DRIVER_TEMP) == 22
    assert await requested(backend, WINDOWS[0]) == 0
    assert result.text == "Your side's at 22 degrees, but I didn't act on the rest."


# -- questions about the car -----------------------------------------------------------------------

LOCKS = [path.replace("Window.Position", "IsLocked") for path in WINDOWS]


async def test_did_i_lock_the_car_is_answered_from_the_cars_signals(agent: AgentClient) -> None:
    result = await agent.send_text("wait, did I lock the car?", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert result.text == "Yes, the car is locked."
    assert result.data is not None
    assert result.data["actions"] == []
    assert result.data["readings"] == dict.fromkeys(LOCKS, True)


@pytest.mark.parametrize("initial_state", [{LOCKS[2]: False, WINDOWS[1]: 40}], indirect=True)
async def test_answers_name_what_is_unlocked_or_open(agent: AgentClient) -> None:
    locks = await agent.send_text("are the doors locked?", seat="driver", **OCCUPANT)
    windows = await agent.send_text("are all the windows closed?", seat="driver", **OCCUPANT)
    temperature = await agent.send_text("what's the temperature set to", seat="passenger", **OCCUPANT)

    assert locks.text == "Not quite: the rear left door is unlocked."
    assert windows.text == "The passenger window is open."
    assert temperature.text.startswith("Your side is set to 21 degrees")


async def test_a_request_and_a_question_in_one_sentence(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("close all windows and did I lock the car", seat="driver", **OCCUPANT)

    assert [await requested(backend, path) for path in WINDOWS] == [0, 0, 0, 0]
    assert result.text == "All windows are closing. Yes, the car is locked."


# -- guardrails ------------------------------------------------------------------------------------


@pytest.mark.rule("GR-06")
@pytest.mark.parametrize("initial_state", [MOVING], indirect=True)
async def test_gr06_trunk_refused_while_moving_is_reported_with_its_reason(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("open the trunk", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert actions(result) == [
        {
            "tool": "set_trunk",
            "arguments": {"open": True},
            "outcome": "refused",
            "ruleId": "GR-06",
            "message": "the trunk can only be opened when the car is parked and stopped",
        }
    ]
    assert result.text == "The trunk can only be opened when the car is parked and stopped."
    assert await requested(backend, TRUNK) is False
    assert result.data is not None and result.data["stateChanges"] == {}


@pytest.mark.rule("GR-15")
async def test_gr15_a_passenger_cannot_change_the_drivers_zone(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("set the driver temperature to 27", seat="passenger", **OCCUPANT)

    assert [(a["outcome"], a["ruleId"]) for a in actions(result)] == [("refused", "GR-15")]
    assert await requested(backend, DRIVER_TEMP) == 21


@pytest.mark.rule("GR-18")
@pytest.mark.parametrize("origin", [None, "external", "agent"])
async def test_gr18_only_an_occupants_request_actuates(
    agent: AgentClient, backend: SimulatorBackend, origin: Any
) -> None:
    result = await agent.send_text("open the trunk", seat="driver", origin=origin)

    assert [(a["outcome"], a["ruleId"]) for a in actions(result)] == [("refused", "GR-18")]
    assert await requested(backend, TRUNK) is False


@pytest.mark.rule("GR-03")
async def test_gr03_out_of_bounds_temperature_is_refused(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("set the temperature to 35", seat="driver", **OCCUPANT)

    assert [(a["outcome"], a["ruleId"]) for a in actions(result)] == [("refused", "GR-03")]
    assert await requested(backend, DRIVER_TEMP) == 21
    assert "Okay" not in result.text


@pytest.mark.rule("GR-12")
@pytest.mark.parametrize("initial_state", [MOVING], indirect=True)
async def test_gr12_replies_stay_short_while_moving(agent: AgentClient) -> None:
    many = await agent.send_text(
        "lights on, wipers fast, set it to 20 and turn on my seat heating", seat="driver", **OCCUPANT
    )
    unknown = await agent.send_text("tell me a joke", seat="driver", **OCCUPANT)

    assert many.text == "The headlights are on, the wipers are on fast and 2 more are done."
    assert len(actions(many)) == 4
    # What can be done, in three skill areas at most (the full list is said only when parked).
    assert (
        unknown.text
        == "Sorry, I can't do that yet. I can help with climate, seats and windows, among others."
    )


async def test_call_meta_carries_seat_origin_and_turn(agent: AgentClient, service: VehicleService) -> None:
    await agent.send_text("close my window", seat="rear_left", **OCCUPANT, metadata={"cabin/turn_id": "t-42"})

    record = service.audit.records[-1]
    assert record["decision"] == "applied"
    assert (record["client"], record["seat"], record["origin"], record["turn_id"]) == (
        "vehicle-control",
        "rear_left",
        "occupant",
        "t-42",
    )


# -- pre-parsed intents ----------------------------------------------------------------------------


async def test_a_parsed_intent_is_used_without_parsing_the_text(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text(
        "this text is not parsed",
        data={"intent": "set_window", "slots": {"window": "rear_left", "percent": 40}},
        seat="driver",
        **OCCUPANT,
    )

    assert result.state == "completed"
    assert result.data is not None and result.data["via"] == "intent"
    assert await requested(backend, WINDOWS[2]) == 40


async def test_a_parsed_intent_without_zone_means_the_speakers_seat(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    await agent.send_text(
        "", data={"intent": "set_seat_heating", "slots": {"level": 3}}, seat="passenger", **OCCUPANT
    )

    assert await requested(backend, PASSENGER_SEAT_HEAT) == 100


async def test_an_intent_of_the_agents_grammar_is_acted_on_without_reading_the_text(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    # What the orchestrator understood with the agent's own grammar ("heat my seat to high"): "self" is
    # the speaker, which only the grammar's resolution knows; the words are not read again.
    result = await agent.send_text(
        "the words are not read",
        data={"intent": "set_seat_heating", "slots": {"seat": "self", "level": 3}, "text": "heat my seat"},
        seat="passenger",
        **OCCUPANT,
    )

    assert result.state == "completed"
    assert result.data is not None and result.data["via"] == "intent"
    assert await requested(backend, PASSENGER_SEAT_HEAT) == 100


async def test_an_intent_without_slots_is_a_routing_decision_and_the_text_is_understood(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text(
        "set it to 24", data={"intent": "set_cabin_temperature", "slots": {}}, seat="driver", **OCCUPANT
    )

    assert result.data is not None and result.data["via"] == "template"
    assert await requested(backend, DRIVER_TEMP) == 24


async def test_follow_ups_follow_the_front_ends_session(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    session = {"cabin/session_id": "s-1"}
    await agent.send_text("a bit cooler", seat="driver", metadata=session, **OCCUPANT)
    await agent.send_text("more", seat="driver", metadata=session, **OCCUPANT)

    assert await requested(backend, DRIVER_TEMP) == 19


async def test_several_parsed_actions(agent: AgentClient, backend: SimulatorBackend) -> None:
    result = await agent.send_text(
        "",
        data={
            "intent": "actions",
            "slots": {
                "actions": [
                    {"tool": "set_lights", "arguments": {"light": "hazard", "on": True}},
                    {"tool": "set_media_volume", "arguments": {"percent": 10}},
                ]
            },
        },
        seat="driver",
        **OCCUPANT,
    )

    assert [a["outcome"] for a in actions(result)] == ["applied", "applied"]
    assert await requested(backend, "Vehicle.Body.Lights.Hazard.IsSignaling") is True
    assert await requested(backend, VOLUME) == 10


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            {
                "intent": "set_signals",
                "slots": {"values": {"Vehicle.Cabin.Door.Row1.DriverSide.IsOpen": True}},
            },
            "this agent sends only driving functions, not Vehicle.Cabin.Door.Row1.DriverSide.IsOpen",
        ),
        ({"intent": "set_window", "slots": {"percent": 150}}, "set_window: percent: 150 is not valid"),
        (
            {"intent": "set_window", "slots": {"percent": 10, "action": "open"}},
            "give exactly one of percent or action",
        ),
        (
            {"intent": "set_lights", "slots": {"light": "laser", "on": True}},
            "set_lights: light: 'laser' is not one of",
        ),
        (
            {"intent": "set_trunk", "slots": {"open": True, "confirm_token": "cf-x"}},
            "confirm_token is set only",
        ),
        ({"intent": "set_trunk", "slots": {"open": True, "speed": 3}}, "unknown argument(s) speed"),
        ({"intent": "actions", "slots": {}}, '"actions" needs slots'),
        ({"intent": "actions", "slots": {"actions": [3]}}, "action 0 is not {tool, arguments}"),
    ],
)
async def test_an_invalid_parsed_intent_is_rejected_and_nothing_moves(
    agent: AgentClient, backend: SimulatorBackend, data: dict[str, Any], problem: str
) -> None:
    before = backend.snapshot()
    result = await agent.send_text("", data=data, seat="driver", **OCCUPANT)

    assert result.state == "rejected"
    assert problem in result.text
    assert backend.snapshot() == before


# -- the vehicle server out of reach ---------------------------------------------------------------


async def test_an_unreachable_vehicle_server_fails_the_task_honestly(parser: TemplateParser) -> None:
    app = build_vehicle_control_app("http://127.0.0.1:9/mcp", token=TOKEN, base_url=BASE_URL, parser=parser)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as agent,
        ):
            result = await agent.send_text("lights on", seat="driver", **OCCUPANT)
    finally:
        await app.aclose()

    assert result.state == "failed"
    assert result.text == "I can't reach the car's controls right now."


def test_the_spec_is_the_card_source() -> None:
    assert VEHICLE_CONTROL_SPEC.name == "vehicle-control"
    assert VEHICLE_CONTROL_SPEC.streaming is True


@pytest.mark.parametrize("initial_state", [{"Vehicle.Body.Trunk.Rear.IsOpen": True}], indirect=True)
async def test_is_the_trunk_open_is_answered_and_moves_nothing(agent: AgentClient) -> None:
    result = await agent.send_text("is the trunk open?", seat="driver", **OCCUPANT)

    assert result.text == "The trunk is open."
    assert result.data is not None and result.data["actions"] == []
    assert result.data["readings"] == {"Vehicle.Body.Trunk.Rear.IsOpen": True}


@pytest.mark.rule("GR-10")
async def test_gr10_fog_lights_come_on_with_their_precondition_met_and_said(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("turn on the fog lights", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert [a["outcome"] for a in actions(result)] == ["applied"]
    assert result.text == (
        "The front fog lights are on, with the headlights on, as the front fog lights need."
    )
    assert await requested(backend, "Vehicle.Body.Lights.Fog.Front.IsOn") is True
    assert await requested(backend, LOW_BEAM) is True
