"""The vehicle-control agent's replies: one sentence for the changes made, what was not done and why
in plain words, no internal words (unit tests of `replies.summarize` over action reports)."""

from __future__ import annotations

import re

import pytest
from pydantic import JsonValue

from agents.vehicle_control import replies
from agents.vehicle_control.actions import ActionReport

_INTERNAL = re.compile(r"Vehicle\.|GR-\d|[A-Z]+_[A-Z]+|\bset_|'vehicle-control'|origin:")


def applied(tool: str, changes: dict[str, JsonValue] | None = None, **arguments: JsonValue) -> ActionReport:
    return ActionReport(tool=tool, arguments=arguments, outcome="applied", changes=changes or {"x": True})


def refused(tool: str, rule: str, message: str, **arguments: JsonValue) -> ActionReport:
    return ActionReport(tool=tool, arguments=arguments, outcome="refused", rule_id=rule, message=message)


TEMP = applied(
    "set_cabin_temperature", {"Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": 20}, zone="driver"
)
HEAT = applied("set_seat_heating", seat="driver", level=2)
TRUNK = refused(
    "set_trunk", "GR-06", "the trunk can only be opened when the car is parked and stopped", open=True
)


def test_two_changes_are_one_sentence() -> None:
    assert replies.summarize([TEMP, HEAT], speaker="driver", moving=False) == (
        "Your side's at 20 degrees and your seat heating is on medium."
    )


def test_what_was_not_done_follows_with_its_reason() -> None:
    reply = replies.summarize([TEMP, TRUNK], speaker="driver", moving=False)
    assert (
        reply
        == "Your side's at 20 degrees, but the trunk can only be opened when the car is parked and stopped."
    )


@pytest.mark.rule("GR-16")
def test_gr16_a_scope_refusal_is_said_without_the_client_id() -> None:
    report = refused(
        "set_window",
        "GR-16",
        "client 'vehicle-control' may not write this signal",
        window="all",
        action="close",
    )
    reply = replies.summarize([report], speaker="driver", moving=False)
    assert reply == "I didn't change the window: that isn't something I'm allowed to change."
    assert not _INTERNAL.search(reply)


@pytest.mark.rule("GR-18")
def test_gr18_a_refusal_for_a_remote_request_is_said_plainly() -> None:
    report = refused(
        "unlock_doors", "GR-18", "only a person in the car can ask for this (request origin: remote)"
    )
    reply = replies.summarize([HEAT, report], speaker="driver", moving=False)
    assert reply == (
        "Your seat heating is on medium, but I didn't change the door locks: only someone in the car can ask for that."
    )


@pytest.mark.rule("GR-04")
def test_gr04_a_driving_function_refusal_names_what_stays_with_the_driver() -> None:
    report = refused(
        "set_signals",
        "GR-04",
        "the gear cannot be changed by the assistant",
        values={"Vehicle.Powertrain.Transmission.SelectedGear": -1},
    )
    reply = replies.summarize([report], speaker="driver", moving=True)
    assert reply == "I can't change gear for you; that stays with the driver."


def test_no_reply_carries_an_internal_word() -> None:
    reports = [
        applied("set_window", window="all", action="close"),
        applied("set_sunroof", action="tilt"),
        applied("set_lights", light="fog_front", on=True),
        applied("set_wipers", mode="fast"),
        refused(
            "set_sunroof", "GR-07", "Vehicle.Cabin.Sunroof.Switch ONE_SHOT_OPEN is refused while raining"
        ),
    ]
    reply = replies.summarize(reports, speaker="driver", moving=False)
    assert not _INTERNAL.search(reply), reply
    assert reply == (
        "All windows are closing, the sunroof is tilting, the front fog lights are on and the wipers are on "
        "fast, but I didn't change the sunroof: the car's safety rules don't allow it right now."
    )


@pytest.mark.rule("GR-12")
def test_gr12_while_moving_two_changes_are_named_and_the_rest_counted() -> None:
    reports = [
        applied("set_lights", light="low_beam", on=True),
        applied("set_wipers", mode="slow"),
        TEMP,
        HEAT,
    ]
    assert replies.summarize(reports, speaker="driver", moving=True) == (
        "The headlights are on, the wipers are on slow and 2 more are done."
    )


def test_a_failure_and_a_part_not_understood_are_said() -> None:
    failed = ActionReport(
        tool="set_fan", arguments={"zone": "driver"}, outcome="failed", message="the car reported no change"
    )
    reply = replies.summarize([failed], speaker="driver", moving=False, not_understood=["make me a sandwich"])
    assert reply == (
        "I couldn't change the fan: the car reported no change. I can't do anything with “make me a sandwich” yet."
    )


@pytest.mark.parametrize(
    ("report", "said"),
    [
        (applied("set_window", window="all", action="open"), "all windows are opening"),
        (applied("set_window", window="driver", action="vent"), "your window is opening a little"),
        (applied("lock_doors", doors="all"), "the doors are locked"),
        (applied("set_door", door="passenger", open=True), "the passenger's door is opening"),
        (applied("set_lights", light="dome", on=False), "the interior light is off"),
        (applied("set_lights", light="hazard", on=True), "the hazard lights are on"),
        (applied("set_media_volume", {"v": 0}), "the sound is muted"),
        (applied("set_air_conditioning", on=True), "the A/C is on"),
        (applied("set_defrost", where="front", on=True), "the windshield defrost is on"),
        (applied("fold_mirrors", folded=True), "the mirrors are folded"),
        (applied("set_cabin_temperature", {"a": 21}, zone="all"), "every zone is at 21 degrees"),
        (
            applied("set_cabin_temperature", {"a": 21}, zone="passenger"),
            "the passenger side is at 21 degrees",
        ),
    ],
)
def test_each_change_is_a_clause_with_a_verb(report: ActionReport, said: str) -> None:
    assert replies.describe(report, "driver") == said
