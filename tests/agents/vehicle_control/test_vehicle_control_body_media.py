"""Media playback, the navigation voice, mirror heating, the window child lock and the hood through the
agent (in memory, the in-process vehicle server, the simulator): what is said reaches its own actuator,
the reply says what was done in one short sentence, and the guardrails still judge each call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import Action, SetupError, TemplateParser, devices
from agents.vehicle_control.actions import ActionReport
from agents.vehicle_control.parser import GRAMMAR
from agents.vehicle_control.replies import summarize
from mcp_servers.vehicle.backends.simulator import SimulatorBackend

from .vehicle_control_doubles import OCCUPANT, actions, requested

MEDIA_ACTION = "Vehicle.Cabin.Infotainment.Media.Action"
MEDIA_VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"
NAV_VOLUME = "Vehicle.Cabin.Infotainment.Navigation.Volume"
NAV_MUTE = "Vehicle.Cabin.Infotainment.Navigation.Mute"
MIRROR = "Vehicle.Body.Mirrors.DriverSide.IsHeatingOn"
CHILD_LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged"
HOOD = "Vehicle.Body.Hood.IsOpen"
MOVING = {"Vehicle.Speed": 50.0, "Vehicle.Powertrain.Transmission.SelectedGear": 4}
NEW_TOOLS = {
    "set_media_playback",
    "set_navigation_volume",
    "set_navigation_guidance",
    "set_mirror_heating",
    "set_window_child_lock",
    "set_hood",
}


@pytest.mark.parametrize(
    ("text", "path", "value", "reply"),
    [
        ("pause the music", MEDIA_ACTION, "STOP", "The music is paused."),
        ("next song", MEDIA_ACTION, "SKIP_FORWARD", "On to the next track."),
        ("go back a song", MEDIA_ACTION, "SKIP_BACKWARD", "Back to the previous track."),
        ("mute the navigation voice", NAV_MUTE, "MUTED", "The navigation voice is muted."),
        ("only alerts from the navigation", NAV_MUTE, "ALERT_ONLY", "The navigation gives alerts only."),
        ("make the directions quieter", NAV_VOLUME, 40, "The navigation voice is at 40."),
        ("the mirrors are icy", MIRROR, True, "The mirror heating is on."),
        ("lock the rear windows", CHILD_LOCK, True, "The rear windows are locked; only you can move them."),
        ("open the hood", HOOD, True, "The hood is opening."),
    ],
)
async def test_each_device_is_worked_and_said_in_one_sentence(
    agent: AgentClient, backend: SimulatorBackend, text: str, path: str, value: Any, reply: str
) -> None:
    result = await agent.send_text(text, seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert [action["outcome"] for action in actions(result)] == ["applied"]
    assert await requested(backend, path) == value
    assert result.text == reply


async def test_muting_the_navigation_voice_leaves_the_media_volume(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    await agent.send_text("mute the navigation voice", seat="driver", **OCCUPANT)
    await agent.send_text("make the directions quieter", seat="driver", **OCCUPANT)

    assert await requested(backend, MEDIA_VOLUME) == 30
    assert await requested(backend, NAV_MUTE) == "MUTED"


async def test_a_follow_up_after_the_navigation_volume_steps_it_again(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    first = await agent.send_text("navigation voice louder", seat="driver", **OCCUPANT)
    result = await agent.send_text("a bit more", seat="driver", context_id=first.context_id, **OCCUPANT)

    assert [action["tool"] for action in actions(result)] == ["set_navigation_volume"]
    assert await requested(backend, NAV_VOLUME) == 70
    assert await requested(backend, MEDIA_VOLUME) == 30


@pytest.mark.rule("GR-15")
@pytest.mark.parametrize("initial_state", [{CHILD_LOCK: True}], indirect=True)
async def test_gr15_a_rear_passenger_cannot_unlock_the_rear_windows(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("unlock the rear windows", seat="rear_left", **OCCUPANT)

    assert [(a["outcome"], a["ruleId"]) for a in actions(result)] == [("refused", "GR-15")]
    assert await requested(backend, CHILD_LOCK) is True
    assert "driver" in (result.text or "")


@pytest.mark.rule("GR-06")
@pytest.mark.parametrize("initial_state", [MOVING], indirect=True)
async def test_gr06_the_hood_is_refused_while_driving_with_its_reason(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("pop the bonnet", seat="driver", **OCCUPANT)

    assert [(a["outcome"], a["ruleId"]) for a in actions(result)] == [("refused", "GR-06")]
    assert await requested(backend, HOOD) is False
    assert result.text == "The hood can only be opened when the car is parked and stopped."


async def test_a_door_child_lock_is_still_answered_as_something_this_car_cannot_set(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("child locks on", seat="driver", **OCCUPANT)

    assert actions(result) == []
    assert await requested(backend, "Vehicle.Cabin.Door.Row2.DriverSide.IsChildLockActive") is False
    assert await requested(backend, CHILD_LOCK) is False


def test_no_quantifier_covers_the_new_devices() -> None:
    for kind in devices.EVERY:
        assert not {tool for tool, _ in devices.every_actions(kind)} & NEW_TOOLS, kind


@pytest.mark.parametrize(
    "initial_state",
    [{MIRROR: True, "Vehicle.Body.Mirrors.PassengerSide.IsHeatingOn": True, MEDIA_ACTION: "PLAY"}],
    indirect=True,
)
async def test_turning_everything_off_leaves_the_music_and_the_mirror_heating(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    await agent.send_text("turn everything off", seat="driver", **OCCUPANT)

    assert await requested(backend, MEDIA_ACTION) == "PLAY"
    assert await requested(backend, MIRROR) is True
    assert await requested(backend, NAV_MUTE) == "UNMUTED"


def test_the_replies_name_no_internal_value() -> None:
    reports = [
        ActionReport(tool="set_media_playback", arguments={"action": "fast_forward"}, outcome="applied"),
        ActionReport(tool="set_navigation_guidance", arguments={"mode": "voice"}, outcome="applied"),
        ActionReport(tool="set_mirror_heating", arguments={"on": False}, outcome="applied"),
        ActionReport(tool="set_hood", arguments={"open": False}, outcome="applied"),
    ]
    said = summarize(reports, speaker="driver", moving=False)
    assert said == (
        "Fast-forwarding, the navigation voice is on, the mirror heating is off and the hood is closing."
    )
    assert not any(word in said for word in ("FAST_FORWARD", "UNMUTED", "set_", "_"))


# -- the grammar is every file of its folder ------------------------------------------------------------

_MAIN = """language: en
skills:
  climate: [set_air_conditioning]
intents:
  set_air_conditioning:
    data:
      - sentences: ["<aircon> on"]
        slots: {"on": true}
expansion_rules:
  aircon: "(ac|a/c)"
"""
_OTHER = """language: en
skills:
  climate: [set_recirculation]
intents:
  set_recirculation:
    data:
      - sentences: ["recirculate [the air] with the <aircon> off"]
        slots: {"on": true}
"""


def test_a_grammar_folder_is_read_as_one_grammar(tmp_path: Path) -> None:
    (tmp_path / "sentences.yaml").write_text(_MAIN, encoding="utf-8")
    (tmp_path / "air.yaml").write_text(_OTHER, encoding="utf-8")

    parser = TemplateParser(tmp_path)

    # The second file uses the first file's rule and joins its skill.
    assert parser.parse("recirculate the air with the ac off", seat="driver").actions == (
        Action(tool="set_recirculation", arguments={"on": True}),
    )
    assert parser.skill_of("set_recirculation") == "climate"
    assert parser.parse("a/c on", seat="driver").actions == (
        Action(tool="set_air_conditioning", arguments={"on": True}),
    )


def test_an_intent_written_in_two_files_is_refused_naming_both(tmp_path: Path) -> None:
    (tmp_path / "sentences.yaml").write_text(_MAIN, encoding="utf-8")
    (tmp_path / "again.yaml").write_text(_MAIN.replace("aircon: ", "other_aircon: "), encoding="utf-8")

    with pytest.raises(
        SetupError, match=r"again.yaml: intents set_air_conditioning is written in .*sentences.yaml"
    ):
        TemplateParser(tmp_path)


def test_the_shipped_grammar_is_its_folder() -> None:
    assert {path.name for path in GRAMMAR.glob("*.yaml")} >= {"sentences.yaml", "media.yaml", "body.yaml"}
    assert TemplateParser(GRAMMAR).skill_of("set_media_playback") == "media"
