"""End to end through the in-process stack (the real agents, router and model, the simulated car): a
reason said beside a request is the request's context. The request acts and nothing is answered
for the reason; said alone, the statement is answered as any request nothing reads."""

from __future__ import annotations

import pytest

from orchestrator.local import open_local_stack
from orchestrator.replay.runner import REPLAY_AGENT_TIMEOUT_S, REPLAY_BUDGET_S

pytestmark = pytest.mark.model

_WINDOWS = [
    "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position",
    "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position",
]


async def test_a_reason_beside_a_request_is_not_answered_as_a_request() -> None:
    stack = await open_local_stack(
        {path: 100 for path in _WINDOWS}, budget_s=REPLAY_BUDGET_S, agent_timeout_s=REPLAY_AGENT_TIMEOUT_S
    )
    try:
        turn = await stack.say("close everything, we're going through the car wash", "driver", None)
        await stack.settle()
        assert "can't" not in turn.reply.lower() and "sorry" not in turn.reply.lower(), turn.reply
        assert [step.text for step in turn.route] == ["close everything"]
        assert await stack.state(_WINDOWS) == {path: 0 for path in _WINDOWS}

        alone = await stack.say("we're going through the car wash", "driver", None)
        assert "can't" in alone.reply.lower(), alone.reply
    finally:
        await stack.aclose()
