"""Requests for what this car cannot do are read, answered in plain words, and nothing is called for them;
the volume can be asked about."""

from __future__ import annotations

import pytest
import yaml

from agents.hosting import AgentClient
from agents.spoken import plain
from agents.vehicle_control import TemplateParser
from agents.vehicle_control.lacking import FEATURES
from agents.vehicle_control.parser import SENTENCES
from mcp_servers.vehicle.backends.simulator import SimulatorBackend

from .vehicle_control_doubles import OCCUPANT, actions, requested

_VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"


def _features_in_grammar() -> set[str]:
    data = yaml.safe_load(SENTENCES.read_text(encoding="utf-8"))
    return {
        str(block["metadata"]["lacking"])
        for intent in data["intents"].values()
        for block in intent["data"]
        if "lacking" in (block.get("metadata") or {})
    }


def test_every_lacking_feature_is_read_by_the_grammar_and_each_is_said_plainly() -> None:
    # A copy of a setting that names no device ("same as mine") is said by the parser itself.
    assert _features_in_grammar() | {"copy_what"} == set(FEATURES)
    for text in FEATURES.values():
        assert plain(text) == text
        assert "_" not in text


@pytest.mark.parametrize(
    ("said", "feature"),
    [
        ("child locks on", "child_locks"),
        ("turn off the child locks for the rear left", "child_locks"),
        ("open the frunk", "front_trunk"),
        ("pop the front trunk", "front_trunk"),
        ("wash the windscreen", "washer"),
        ("squirt the rear window", "washer"),
        ("make the ambient lighting blue", "light_colour"),
        ("move the driver's seat forward", "seat_position"),
        ("seat back a bit", "seat_position"),
        ("more lumbar support", "lumbar"),
        ("unmute", "unmute"),
    ],
)
def test_a_request_for_what_the_car_lacks_calls_nothing(
    parser: TemplateParser, said: str, feature: str
) -> None:
    parse = parser.parse(said, seat="driver")

    assert parse.lacking == (feature,)
    assert parse.actions == ()
    assert parse.understood_all


def test_the_front_trunk_is_never_read_as_the_trunk(parser: TemplateParser) -> None:
    for said in ("open the frunk", "open the front trunk", "pop the frunk please"):
        assert all(action.tool != "set_trunk" for action in parser.parse(said, seat="driver").actions), said


async def test_the_agent_says_what_it_cannot_do_and_why(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("open the frunk", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert actions(result) == []
    assert result.text == FEATURES["front_trunk"]
    assert await requested(backend, "Vehicle.Body.Trunk.Rear.IsOpen") is False


async def test_a_lacking_feature_beside_a_change_is_one_reply(agent: AgentClient) -> None:
    result = await agent.send_text("turn on my seat heating and child locks on", seat="driver", **OCCUPANT)

    assert [a["tool"] for a in actions(result)] == ["set_seat_heating"]
    assert result.text.count(".") == 1  # one sentence for both
    assert ", but i can't work the child locks" in result.text.lower()


@pytest.mark.parametrize("said", ["what's the volume", "is the audio muted?", "how loud is the music"])
def test_the_volume_is_a_question_about_the_car(parser: TemplateParser, said: str) -> None:
    parse = parser.parse(said, seat="driver")

    assert parse.queries == ("volume",)
    assert parse.actions == ()


@pytest.mark.parametrize("initial_state", [{_VOLUME: 35}], indirect=True)
async def test_the_agent_answers_the_volume_from_the_car(agent: AgentClient) -> None:
    result = await agent.send_text("what's the volume", seat="driver", **OCCUPANT)

    assert actions(result) == []
    assert result.text == "The volume is at 35."
