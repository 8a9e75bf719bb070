"""Three small gaps in what people say in a car, by mechanism, through the whole in-process stack (the
router reading with the agents' grammars, the real agents, the simulated car and its guardrails): a
place asked for after "go to", a relative place the speaker's seat has none of, and "make it N" after
a device that is not the temperature."""

from __future__ import annotations

import pytest

from orchestrator.local import LocalStack

# -- "where can I go to the bathroom" ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("where can I go to the bathroom", "toilet"),
        ("is there anywhere I can go to the loo", "toilet"),
        ("somewhere to go to the toilet", "toilet"),
        ("where could we go to a supermarket", "supermarket"),
    ],
)
async def test_a_category_after_go_to_is_a_search_for_it(stack: LocalStack, said: str, found: str) -> None:
    result = await stack.say(said, "driver", None)
    await stack.settle()

    assert [step.agent for step in result.route] == ["navigation"]
    assert result.actions == []
    assert found in result.reply.lower()


# -- a relative place the speaker's seat has none of -------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "seat", "reply"),
    [
        ("warmer back here", "driver", "sitting in the front"),
        ("open the window in front of me", "driver", "no seat in front of you"),
        ("open the window behind me", "rear_left", "no seat behind you"),
        ("make it cooler up here", "rear_right", "sitting in the back"),
    ],
)
async def test_a_place_the_seat_has_none_of_is_said_plainly_and_nothing_changes(
    stack: LocalStack, said: str, seat: str, reply: str
) -> None:
    result = await stack.say(said, seat, None)
    await stack.settle()

    assert [step.agent for step in result.route] == ["vehicle-control"]
    assert result.actions == []
    assert reply in result.reply.lower()
    assert "can't do that yet" not in result.reply.lower()
