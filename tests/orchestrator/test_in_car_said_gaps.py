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


# -- "make it N" after a device that is not the temperature ------------------------------------------------


@pytest.mark.parametrize(
    ("first", "then", "tool", "arguments"),
    [
        ("set the fan to 60", "make it 40", "set_fan", {"zone": "driver", "percent": 40}),
        ("set the fan to 60", "make it 22", "set_fan", {"zone": "driver", "percent": 22}),
        ("set the fan to 60", "could you make it 45 please", "set_fan", {"zone": "driver", "percent": 45}),
        ("set the passenger's fan to 60", "make it 35", "set_fan", {"zone": "passenger", "percent": 35}),
        ("open my window", "make it 30", "set_window", {"window": "driver", "percent": 30}),
        ("set the volume to 30", "make it 50", "set_media_volume", {"percent": 50}),
    ],
)
async def test_make_it_n_after_a_device_edits_that_devices_value(
    stack: LocalStack, first: str, then: str, tool: str, arguments: dict[str, object]
) -> None:
    opened = await stack.say(first, "driver", None)
    await stack.settle()
    result = await stack.say(then, "driver", opened.session_id)
    await stack.settle()

    assert [(a.tool, a.arguments, a.outcome) for a in result.actions] == [(tool, arguments, "applied")]


async def test_make_it_n_out_of_the_previous_devices_range_is_the_range_reply(stack: LocalStack) -> None:
    opened = await stack.say("set the fan to 60", "driver", None)
    await stack.settle()
    result = await stack.say("make it 150", "driver", opened.session_id)
    await stack.settle()

    assert result.actions == []
    assert "fan goes from 0 to 100" in result.reply.lower()


@pytest.mark.rule("GR-03")
async def test_make_it_n_first_thing_is_the_temperature_and_after_the_temperature_its_range_holds(
    stack: LocalStack,
) -> None:
    first = await stack.say("make it 22", "driver", None)
    await stack.settle()
    assert [(a.tool, a.arguments["celsius"]) for a in first.actions] == [("set_cabin_temperature", 22)]

    result = await stack.say("make it 40", "driver", first.session_id)
    await stack.settle()
    assert [(a.tool, a.outcome, a.rule_id) for a in result.actions] == [
        ("set_cabin_temperature", "refused", "GR-03")
    ]
