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
