"""More of what people say in a car, by mechanism, through the whole in-process stack (the router
reading with the agents' grammars, the real agents, the simulated car and its guardrails): places
asked for by a short stop on the road."""

from __future__ import annotations

import pytest

from orchestrator.local import LocalStack


async def _say(stack: LocalStack, session: str | None, text: str, seat: str = "driver") -> tuple[str, str]:
    result = await stack.say(text, seat, session)
    await stack.settle()
    return result.session_id, result.reply


# -- places asked for by a short stop ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("is there somewhere to pee around here", "toilet"),
        ("where can I use the restroom", "toilet"),
        ("where can I get some cash", "atm"),
        ("um, where can we grab a beer", "bar"),
        ("where can we stop for a quick bite", "place to eat"),
    ],
)
async def test_a_short_stop_is_a_search_for_the_place_that_serves_it(
    stack: LocalStack, said: str, found: str
) -> None:
    result = await stack.say(said, "driver", None)
    await stack.settle()

    assert [step.agent for step in result.route] == ["navigation"]
    assert result.actions == []
    assert found.lower() in result.reply.lower()


# -- the lead-ins of a correction --------------------------------------------------------------------------

_FAN = "Vehicle.Cabin.HVAC.Station.Row1.Driver.FanSpeed"
_TEMPERATURE = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"


@pytest.mark.parametrize(
    "correction",
    [
        "sorry, 40 instead",
        "oops, set it to 40",
        "my bad, I meant 40 instead",
        "sorry. set it to 40",
        "I meant 40 instead",
    ],
)
async def test_a_correction_after_its_lead_in_gives_the_previous_device_another_value(
    stack: LocalStack, correction: str
) -> None:
    session, _ = await _say(stack, None, "set the fan to 60")
    assert await stack.state([_FAN]) == {_FAN: 60}

    await _say(stack, session, correction)

    assert await stack.state([_FAN]) == {_FAN: 40}


@pytest.mark.parametrize(
    "correction", ["sorry, 23 instead", "oops, make it 23", "my mistake, I meant 23 instead"]
)
async def test_a_corrected_temperature_is_the_set_point(stack: LocalStack, correction: str) -> None:
    session, _ = await _say(stack, None, "set my temperature to 20")

    await _say(stack, session, correction)

    assert await stack.state([_TEMPERATURE]) == {_TEMPERATURE: 23}
