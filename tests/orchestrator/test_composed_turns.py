"""End to end through the in-process stack (the real agents, router and model, the simulated car): a
turn of several clauses is answered as one. Requests for the same agent are one call, acted on
together (a later request replaces what an earlier one asked of the same device), and answered in
one sentence that never says the opposite of itself."""

from __future__ import annotations

import pytest

from orchestrator.local import open_local_stack
from orchestrator.replay.runner import REPLAY_AGENT_TIMEOUT_S, REPLAY_BUDGET_S

from .doubles import recorded

pytestmark = pytest.mark.model


_WINDOWS = {
    "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": 60,
    "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position": 60,
}
_SUNROOF = "Vehicle.Cabin.Sunroof.Position"


async def test_a_need_and_a_request_for_the_same_agent_are_one_call_and_one_answer() -> None:
    stack = await open_local_stack(
        {**_WINDOWS, _SUNROOF: 50}, budget_s=REPLAY_BUDGET_S, agent_timeout_s=REPLAY_AGENT_TIMEOUT_S
    )
    try:
        calls = recorded(stack.orchestrator, "agent_call")
        turn = await stack.say("it's raining, close everything", "driver", None)
        await stack.settle()
        reply = turn.reply.lower()
        assert len(calls) == 1, calls
        assert [i["intent"] for i in calls[0]["slots"]["intents"]] == ["raining", "close_everything"]
        assert [step.text for step in turn.route] == ["it's raining", "close everything"]
        assert "closing" in reply and "already closed." not in reply.replace("else was already closed", ""), (
            reply
        )
        assert await stack.state([*_WINDOWS, _SUNROOF]) == {path: 0 for path in [*_WINDOWS, _SUNROOF]}
        # Each device is changed once and said once.
        assert sorted(a.tool for a in turn.actions).count("set_sunroof") == 1, turn.actions

        cold = await stack.say("I'm cold, warm up my seat", "driver", None)
        assert [a.tool for a in cold.actions].count("set_seat_heating") == 1, cold.actions
        assert cold.reply.lower().count("seat heating") == 1, cold.reply

        stuffy = await stack.say("it's stuffy, open the windows", "driver", None)
        windows = [a for a in stuffy.actions if a.tool == "set_window"]
        assert [a.arguments.get("window") for a in windows] == ["all"], stuffy.actions
        assert "window" in stuffy.reply.lower() and stuffy.reply.count(".") == 1, stuffy.reply
    finally:
        await stack.aclose()


async def test_a_follow_up_after_requests_said_together_edits_the_latest() -> None:
    stack = await open_local_stack(budget_s=REPLAY_BUDGET_S, agent_timeout_s=REPLAY_AGENT_TIMEOUT_S)
    try:
        session = (await stack.say("hello", "driver", None)).session_id
        turn = await stack.say("turn on the reading light and set the temperature to 20", "driver", session)
        assert len(turn.route) == 2 and all(step.agent == "vehicle-control" for step in turn.route)
        too = await stack.say("the passenger's too", "driver", session)
        temperatures = [a for a in too.actions if a.tool == "set_cabin_temperature"]
        assert temperatures and temperatures[0].arguments.get("zone") == "passenger", too.actions

        # Parts for one agent around another's are one call, and the route keeps the order said.
        mixed = await stack.say(
            "turn on the reading light, find a charger and set the temperature to 20", "driver", None
        )
        assert [step.agent for step in mixed.route] == ["vehicle-control", "navigation", "vehicle-control"]
        assert sorted(a.tool for a in mixed.actions) == ["set_cabin_temperature", "set_lights"]
    finally:
        await stack.aclose()


async def test_a_statement_beside_a_request_is_its_context_and_not_answered() -> None:
    stack = await open_local_stack(budget_s=REPLAY_BUDGET_S, agent_timeout_s=REPLAY_AGENT_TIMEOUT_S)
    try:
        said = "I dropped my phone, turn on the reading light"
        turn = await stack.say(said, "driver", None)
        assert "can't" not in turn.reply.lower() and "sorry" not in turn.reply.lower(), turn.reply
        assert [step.text for step in turn.route] == ["turn on the reading light"]
        assert (await stack.orchestrator.router.route(said)).context == ["I dropped my phone"]
        assert [a.tool for a in turn.actions] == ["set_lights"]

        # A request nobody serves is still answered as such, in one sentence with what was done.
        joke = await stack.say("open the window and tell me a joke", "driver", None)
        assert joke.reply.count(".") == 1 and ", but I can't" in joke.reply, joke.reply
        assert "tell me a joke" in joke.reply

        # Alone, what cannot be done is said with what can, from the agents' cards.
        alone = await stack.say("tell me a joke", "driver", None)
        assert alone.reply.startswith("Sorry, I can't do that yet. I can help with"), alone.reply
        assert "climate" in alone.reply and "traffic signs" in alone.reply
    finally:
        await stack.aclose()


@pytest.mark.rule("GR-18")
@pytest.mark.parametrize(
    "said",
    [
        "the song says turn up the heat",
        "my friend told me to open the sunroof",
        "the sign said slow down",
        "she asked me to open the window",
        "he keeps telling me to turn the volume up, and the kids are asking to lower the windows",
        "ok cool",
        "nice 👍",
        "great",
    ],
)
async def test_what_someone_else_said_and_acknowledgements_never_change_the_car(said: str) -> None:
    stack = await open_local_stack(budget_s=REPLAY_BUDGET_S, agent_timeout_s=REPLAY_AGENT_TIMEOUT_S)
    try:
        calls = recorded(stack.orchestrator, "agent_call")
        turn = await stack.say(said, "driver", None)
        await stack.settle()
        assert turn.actions == [] and turn.state_changes == {}, turn
        assert calls == [], calls
        assert turn.reply and "can't" not in turn.reply.lower(), turn.reply
    finally:
        await stack.aclose()
