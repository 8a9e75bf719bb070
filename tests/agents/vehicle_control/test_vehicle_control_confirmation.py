"""Confirmations over A2A: a guardrail that asks first makes the task input-required; the person's answer
on the same task decides, and the vehicle server checks every rule again when the answer is yes."""

from __future__ import annotations

import httpx
import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import PendingConfirmation, classify_answer
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.service import VehicleService

from .vehicle_control_doubles import BASE_URL, MOVING, OCCUPANT, TOKEN, ManualClock, actions, requested

DOOR_LOCKS = [
    "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked",
    "Vehicle.Cabin.Door.Row1.PassengerSide.IsLocked",
    "Vehicle.Cabin.Door.Row2.DriverSide.IsLocked",
    "Vehicle.Cabin.Door.Row2.PassengerSide.IsLocked",
]
AC = "Vehicle.Cabin.HVAC.IsAirConditioningActive"
DRIVER_WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"


async def locks(backend: SimulatorBackend) -> list[object]:
    return [await requested(backend, path) for path in DOOR_LOCKS]


@pytest.mark.rule("GR-13")
@pytest.mark.parametrize("answer", ["yes", "do it", "sure", "ok", "Yes please!", "go ahead"])
async def test_gr13_unlock_asks_then_yes_on_the_same_task_unlocks(
    agent: AgentClient, backend: SimulatorBackend, answer: str
) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)

    assert asked.state == "input_required"
    assert asked.text == "Unlock the doors?"
    assert actions(asked) == [
        {
            "tool": "unlock_doors",
            "arguments": {"doors": "all"},
            "outcome": "needs_confirmation",
            "ruleId": "GR-13",
            "message": "Unlock the doors?",
        }
    ]
    assert await locks(backend) == [True, True, True, True]

    done = await agent.send_text(answer, task_id=asked.task_id, seat="driver", **OCCUPANT)

    assert done.state == "completed"
    assert done.text == "The doors are unlocked."
    assert [a["outcome"] for a in actions(done)] == ["applied"]
    assert await locks(backend) == [False, False, False, False]


@pytest.mark.rule("GR-13")
@pytest.mark.parametrize("answer", ["no", "cancel", "never mind", "No, don't."])
async def test_gr13_no_leaves_the_doors_locked(
    agent: AgentClient, backend: SimulatorBackend, answer: str
) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)
    done = await agent.send_text(answer, task_id=asked.task_id, seat="driver", **OCCUPANT)

    assert done.state == "completed"
    assert done.text == "Okay, I won't."
    assert done.data == {
        "actions": [],
        "stateChanges": {},
        "via": "fallback",
        "declined": [{"tool": "unlock_doors", "arguments": {"doors": "all"}}],
    }
    assert await locks(backend) == [True, True, True, True]


@pytest.mark.rule("GR-13")
async def test_an_unclear_answer_is_asked_again_once_then_given_up(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)
    again = await agent.send_text("what time is it", task_id=asked.task_id, seat="driver", **OCCUPANT)
    gave_up = await agent.send_text("hmm, banana", task_id=asked.task_id, seat="driver", **OCCUPANT)

    assert again.state == "input_required"
    assert again.text == "Sorry, was that a yes or a no? Unlock the doors?"
    assert gave_up.state == "completed"
    assert gave_up.text == "I didn't catch a yes or a no, so I'll leave it as it is."
    assert await locks(backend) == [True, True, True, True]


@pytest.mark.rule("GR-13")
async def test_yes_after_being_asked_again_still_unlocks(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)
    await agent.send_text("pardon?", task_id=asked.task_id, seat="driver", **OCCUPANT)
    done = await agent.send_text("yes", task_id=asked.task_id, seat="driver", **OCCUPANT)

    assert done.state == "completed"
    assert await locks(backend) == [False, False, False, False]


@pytest.mark.rule("GR-07")
@pytest.mark.rule("GR-13")
async def test_gr07_the_car_starting_to_move_before_the_yes_refuses_the_unlock(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)
    await backend.inject(MOVING)
    done = await agent.send_text("yes", task_id=asked.task_id, seat="driver", **OCCUPANT)

    assert done.state == "completed"
    assert [(a["outcome"], a["ruleId"]) for a in actions(done)] == [("refused", "GR-07")]
    assert done.text == "Doors stay locked while the car is moving."
    assert await locks(backend) == [True, True, True, True]


@pytest.mark.rule("GR-13")
async def test_a_yes_after_the_confirmation_expired_does_nothing(
    agent: AgentClient, backend: SimulatorBackend, clock: ManualClock
) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)
    clock.advance(31)
    done = await agent.send_text("yes", task_id=asked.task_id, seat="driver", **OCCUPANT)

    assert done.state == "completed"
    assert done.text == "That took too long, so I didn't do it. Please ask again."
    assert [a["outcome"] for a in actions(done)] == ["failed"]
    assert await locks(backend) == [True, True, True, True]


@pytest.mark.rule("GR-13")
async def test_another_seat_cannot_confirm(agent: AgentClient, backend: SimulatorBackend) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)
    done = await agent.send_text("yes", task_id=asked.task_id, seat="rear_left", **OCCUPANT)

    assert [a["outcome"] for a in actions(done)] == ["failed"]
    assert "another client or seat" in done.text
    assert await locks(backend) == [True, True, True, True]


@pytest.mark.rule("GR-11")
@pytest.mark.parametrize("initial_state", [{DRIVER_WINDOW: 100}], indirect=True)
async def test_gr11_ac_with_a_window_open_asks_while_the_rest_is_done(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    asked = await agent.send_text("lights on and turn on the a/c", seat="driver", **OCCUPANT)

    assert asked.state == "input_required"
    assert asked.text.startswith("The headlights are on. ")
    assert [(a["tool"], a["outcome"]) for a in actions(asked)] == [
        ("set_lights", "applied"),
        ("set_air_conditioning", "needs_confirmation"),
    ]
    assert await requested(backend, AC) is False

    done = await agent.send_text("yes", task_id=asked.task_id, seat="driver", **OCCUPANT)

    assert done.text == "The A/C is on."
    assert await requested(backend, AC) is True


async def test_the_question_state_is_saved_with_the_task(agent: AgentClient, service: VehicleService) -> None:
    asked = await agent.send_text("unlock the doors", seat="driver", **OCCUPANT)
    pending = asked.metadata["cabin/pending"]

    assert isinstance(pending, dict)
    saved = PendingConfirmation.model_validate(pending["state"])
    assert [(call.tool, call.arguments, call.rule_id) for call in saved.calls] == [
        ("unlock_doors", {"doors": "all"}, "GR-13")
    ]
    assert saved.calls[0].token.startswith("cf-")
    assert saved.asked == 1


async def test_streaming_shows_the_question_then_the_answer(http: httpx.AsyncClient) -> None:
    async with AgentClient(BASE_URL, token=TOKEN, http_client=http, streaming=True) as client:
        asked = [update async for update in client.stream_text("unlock the doors", seat="driver", **OCCUPANT)]
        task_id = asked[-1].task_id
        answered = [
            update async for update in client.stream_text("no", task_id=task_id, seat="driver", **OCCUPANT)
        ]

    assert [update.state for update in asked] == ["submitted", "working", "input_required"]
    assert answered[-1].state == "completed"
    assert answered[-1].text == "Okay, I won't."


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", "yes"),
        ("Yeah, do it.", "yes"),
        ("sure", "yes"),
        ("OK", "yes"),
        ("go ahead", "yes"),
        ("no", "no"),
        ("nope", "no"),
        ("cancel", "no"),
        ("never mind", "no"),
        ("don't do it", "no"),
        ("yes, no, wait", "no"),
        ("not sure", "unclear"),
        ("what?", "unclear"),
        ("", "unclear"),
        ("the weather is nice", "unclear"),
    ],
)
def test_classify_answer(text: str, answer: str) -> None:
    assert classify_answer(text) == answer
