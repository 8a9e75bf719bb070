"""Composing answers from facts: wording, the GR-12/GR-14 policy, and properties over random frames."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from agents.perception import (
    Ask,
    DriverState,
    Facts,
    Gap,
    ObjectsView,
    SeenObject,
    SignsView,
    SummarySettings,
    compose,
    grounding_problems,
    policy_of,
)
from mcp_servers.perception import PerceivedObject, analyse

CLASSES = (
    "car",
    "truck",
    "bus",
    "van",
    "motorcycle",
    "cyclist",
    "scooter",
    "pedestrian",
    "animal",
    "unknown",
)
CLASS_WORDS = {
    "car": "car",
    "truck": "truck",
    "bus": "bus",
    "van": "van",
    "motorcycle": "motorcycle",
    "cyclist": "cyclist",
    "scooter": "scooter",
    "pedestrian": "pedestrian",
    "animal": "animal",
    "unknown": "unidentified",
}
LANES = {
    "left": ("left", "far_left", "shoulder", "bike_lane", "sidewalk"),
    "right": ("right", "far_right", "shoulder", "bike_lane", "sidewalk"),
    "ahead": ("ego", "left", "right", "oncoming", "far_left", "far_right"),
    "behind": ("ego", "left", "right", "bike_lane", "far_left", "far_right"),
}
PARKED = DriverState(speed_kmh=0.0, gear=126, fatigue_level=10.0, attentive_probability=95.0)
MOVING = DriverState(speed_kmh=70.0, gear=127, fatigue_level=10.0, attentive_probability=95.0)


def seen(**fields: Any) -> SeenObject:
    """A frame object with the perception server's own derived facts (blind spot, closing, approaching)."""
    report = analyse([PerceivedObject.model_validate(fields)])[0]
    return SeenObject.model_validate(report.model_dump(by_alias=True))


def facts_with(objects: list[SeenObject], driver: DriverState = PARKED, age_s: float = 0.1) -> Facts:
    return Facts(objects=ObjectsView(timestamp=100.0, age_s=age_s, objects=tuple(objects)), driver=driver)


@st.composite
def frame_objects(draw: st.DrawFn) -> list[SeenObject]:
    count = draw(st.integers(min_value=0, max_value=9))
    objects: list[SeenObject] = []
    for index in range(count):
        side = draw(st.sampled_from(sorted(LANES)))
        fields = {
            "id": f"obj-{index}",
            "class": draw(st.sampled_from(CLASSES)),
            "side": side,
            "distance_m": draw(st.floats(min_value=0.5, max_value=120.0)),
            "lane": draw(st.sampled_from(LANES[side])),
            "rel_speed_kmh": draw(st.floats(min_value=-60.0, max_value=60.0)),
        }
        objects.append(seen(**fields))
    return objects


drivers = st.builds(
    DriverState,
    speed_kmh=st.one_of(st.none(), st.just(0.0), st.floats(min_value=0.1, max_value=180.0)),
    gear=st.sampled_from([126, 127, 1]),
    fatigue_level=st.one_of(st.none(), st.floats(min_value=0.0, max_value=100.0)),
    attentive_probability=st.one_of(st.none(), st.floats(min_value=0.0, max_value=100.0)),
    eyes_on_road=st.one_of(st.none(), st.booleans()),
)
object_asks = st.one_of(
    st.builds(
        Ask, kind=st.just("surroundings"), region=st.sampled_from(["all", "ahead", "behind", "left", "right"])
    ),
    st.builds(
        Ask,
        kind=st.sampled_from(["blind_spot", "lane_change"]),
        side=st.sampled_from([None, "left", "right"]),
    ),
)


def named(text: str) -> set[str]:
    lowered = text.lower()
    return {cls for cls, word in CLASS_WORDS.items() if re.search(rf"\b{word}s?\b", lowered)}


# --- properties ------------------------------------------------------------------------------------------

_PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(objects=frame_objects(), driver=drivers, ask=object_asks)
def test_answers_name_only_objects_in_the_frame_and_pass_their_own_grounding_check(
    objects: list[SeenObject], driver: DriverState, ask: Ask
) -> None:
    answer = compose(ask, facts_with(objects, driver))

    assert named(answer.text) <= {obj.object_class for obj in objects}
    assert {obj.id for obj in answer.mentioned} <= {obj.id for obj in objects}
    assert {f"object:{obj.id}" for obj in answer.mentioned} <= set(answer.facts_used)
    assert grounding_problems(answer.text, reference=answer.text, mentioned=answer.mentioned) == []
    assert "safe" not in answer.text.lower()


@pytest.mark.rule("GR-12")
@_PROPERTY
@given(objects=frame_objects(), driver=drivers, ask=object_asks)
def test_short_answers_are_one_sentence_of_at_most_20_words_urgent_first(
    objects: list[SeenObject], driver: DriverState, ask: Ask
) -> None:
    policy = policy_of(driver)
    answer = compose(ask, facts_with(objects, driver))

    if policy.short:
        assert len(re.findall(r"[.!?](?:\s|$)", answer.text)) == 1, answer.text
        assert len(answer.text.split()) <= 20, answer.text
    if ask.kind == "surroundings" and answer.mentioned:
        in_question = [obj for obj in objects if obj in answer.objects]
        if any(obj.approaching_fast for obj in in_question):
            assert answer.mentioned[0].approaching_fast
            assert answer.text.startswith("Careful:")


@pytest.mark.rule("GR-19")
@_PROPERTY
@given(objects=frame_objects(), side=st.sampled_from([None, "left", "right"]), driver=drivers)
def test_a_blind_spot_is_called_empty_exactly_when_no_object_is_in_it(
    objects: list[SeenObject], side: str | None, driver: DriverState
) -> None:
    answer = compose(Ask(kind="blind_spot", side=side), facts_with(objects, driver))
    sides = {side} if side else {"left", "right"}
    occupied = [obj for obj in objects if obj.blind_spot in sides]

    assert answer.text.startswith("I don't see anything") == (not occupied)
    assert {obj.id for obj in answer.objects} == {obj.id for obj in occupied}


def test_the_driving_state_sets_the_policy() -> None:
    assert policy_of(PARKED).short is False
    assert policy_of(MOVING).rules == ("GR-12",)
    assert policy_of(DriverState(speed_kmh=0.0, gear=127)).rules == ("GR-12",)
    assert policy_of(DriverState(speed_kmh=None, gear=126)).driving_state == "moving"
    assert policy_of(DriverState(speed_kmh=0.0, gear=126, fatigue_level=75.0)).rules == ("GR-14",)
    assert policy_of(DriverState(speed_kmh=0.0, gear=126, distraction_level=80.0)).strained is True
    assert policy_of(DriverState(speed_kmh=0.0, gear=126, fatigue_level=40.0)).strained is False


# --- wording ---------------------------------------------------------------------------------------------


def test_objects_are_described_with_distance_side_blind_spot_and_closing() -> None:
    closing = seen(
        id="m", **{"class": "motorcycle"}, side="behind", distance_m=12, lane="ego", rel_speed_kmh=30
    )
    ahead = seen(id="c", **{"class": "car"}, side="ahead", distance_m=1.0)
    unknown = seen(id="u", **{"class": "unknown"}, side="left", distance_m=8.25, lane="sidewalk")
    answer = compose(Ask(kind="surroundings"), facts_with([ahead, unknown, closing]))

    assert answer.text == (
        "Careful: a motorcycle closing fast 12 metres behind, a car 1 metre ahead "
        "and an unidentified object 8.2 metres to your left."
    )
    assert answer.facts_used == ("object:m", "object:c", "object:u")


def test_a_parked_answer_names_at_most_the_list_limit_and_counts_the_rest() -> None:
    cars = [seen(id=f"car-{i}", **{"class": "car"}, side="ahead", distance_m=20 + i) for i in range(6)]
    answer = compose(Ask(kind="surroundings"), facts_with(cars), SummarySettings(list_limit=2))

    assert answer.text == "I see a car 20 metres ahead, a car 21 metres ahead and 4 more."
    assert answer.facts_used == ("object:car-0", "object:car-1", "perception.objects")


@pytest.mark.rule("GR-19")
def test_a_stale_frame_is_not_used_to_describe_the_road() -> None:
    cyclist = seen(id="b", **{"class": "cyclist"}, side="right", distance_m=2.5)
    answer = compose(Ask(kind="lane_change", side="right"), facts_with([cyclist], age_s=25.0))
    fresh = compose(
        Ask(kind="lane_change", side="right"),
        facts_with([cyclist], age_s=25.0),
        SummarySettings(stale_after_s=None),
    )

    assert (
        answer.text == "My view of the road is 25 seconds old, so check your mirror before you change lanes."
    )
    assert fresh.text == "Not now: a cyclist in your right blind spot."


@pytest.mark.rule("GR-19")
@pytest.mark.parametrize(
    ("gap", "failed", "text"),
    [
        ("no_frame", False, "I haven't had a view of the road yet, so I can't tell what's around you."),
        (
            "unreachable",
            True,
            "I can't reach the car's perception right now, so I can't tell what's around you.",
        ),
        ("error", True, "I can't reach the car's perception right now, so I can't tell what's around you."),
    ],
)
def test_missing_objects_are_said_to_be_missing(gap: str, failed: bool, text: str) -> None:
    facts = Facts.model_validate({"gaps": [{"source": "objects", "reason": gap}]})

    answer = compose(Ask(kind="surroundings"), facts)

    assert (answer.text, answer.failed, answer.mentioned) == (text, failed, ())


@pytest.mark.parametrize(
    ("signs", "text"),
    [
        (
            [{"kind": "speed_limit", "value": 80}, {"kind": "no_overtaking"}],
            "I see a 80 km/h speed limit sign and a no overtaking sign.",
        ),
        ([{"kind": "parking", "value": "2h"}], "I see a parking sign showing 2h."),
        ([{"kind": "end_speed_limit", "value": 50}], "I see an end of 50 km/h limit sign."),
        ([{"kind": "text", "text": "Main  Street"}], 'I see a sign saying "Main Street".'),
        ([], "I haven't seen a sign yet."),
    ],
)
def test_signs_are_listed_from_the_recognised_signs(signs: list[dict[str, Any]], text: str) -> None:
    facts = Facts(
        signs=SignsView.model_validate({"timestamp": 1.0, "age_s": 0.0, "signs": signs}), driver=PARKED
    )

    assert compose(Ask(kind="signs"), facts).text == text


def test_the_end_of_a_limit_is_not_taken_for_a_limit() -> None:
    view = SignsView.model_validate(
        {"timestamp": 1.0, "age_s": 0.0, "signs": [{"kind": "end_speed_limit", "value": 60}]}
    )

    answer = compose(Ask(kind="speed_limit"), Facts(signs=view, driver=PARKED))

    assert answer.text == "I saw the end of the 60 km/h limit, but no new limit sign yet."


@pytest.mark.rule("GR-14")
@pytest.mark.parametrize(
    ("driver", "state", "advice"),
    [
        ({"fatigue_level": 70.0}, "You seem tired; please take a break soon.", "Yes, you seem tired"),
        (
            {"fatigue_level": 40.0},
            "You seem a little tired; a break soon would help.",
            "A break soon would be",
        ),
        (
            {"fatigue_level": 10.0, "attentive_probability": 30.0},
            "Your attention seems low; keep your eyes on the road.",
            "Yes: your attention seems low",
        ),
        (
            {"distraction_level": 10.0},
            "I can't tell how tired you are, but you don't seem distracted.",
            "You seem alert",
        ),
        (
            {"hands_on_wheel": True},
            "I can't tell: driver monitoring isn't reporting right now.",
            "I can't tell how",
        ),
    ],
)
def test_driver_answers_follow_the_monitoring_signals(
    driver: dict[str, Any], state: str, advice: str
) -> None:
    facts = Facts(driver=DriverState.model_validate(driver))

    assert compose(Ask(kind="driver_state"), facts).text == state
    assert compose(Ask(kind="take_break"), facts).text.startswith(advice)


def test_the_vehicle_server_out_of_reach_fails_a_driver_question() -> None:
    facts = Facts(gaps=(Gap(source="vehicle", reason="unreachable"),))

    answer = compose(Ask(kind="driver_state"), facts)

    assert answer.failed and answer.text == "I can't read the driver monitoring right now."


def test_settings_refuse_inconsistent_thresholds() -> None:
    with pytest.raises(ValidationError, match="fatigue_moderate"):
        SummarySettings(fatigue_moderate=80.0, fatigue_high=60.0)


@pytest.mark.parametrize(
    ("signs", "text"),
    [
        (
            [{"kind": "speed_limit", "value": 50}, {"kind": "no_parking"}],
            "No, parking isn't allowed here: I saw a no parking sign.",
        ),
        ([{"kind": "no_stopping"}], "No, stopping isn't allowed here: I saw a no stopping sign."),
        (
            [{"kind": "parking", "value": "2h"}],
            "It looks allowed: I saw a parking sign showing 2h, but check its times and the road markings.",
        ),
        (
            [{"kind": "speed_limit", "value": 50}],
            "I haven't seen a parking sign here, so I can't tell; check the signs and markings.",
        ),
    ],
)
def test_can_i_park_here_is_answered_from_the_parking_signs_only(
    signs: list[dict[str, Any]], text: str
) -> None:
    facts = Facts(
        signs=SignsView.model_validate({"timestamp": 1.0, "age_s": 0.0, "signs": signs}), driver=PARKED
    )

    assert compose(Ask(kind="parking"), facts).text == text


def test_a_driver_who_feels_unwell_is_told_to_pull_over() -> None:
    answer = compose(Ask(kind="take_break", self_reported=True, unwell=True), Facts(driver=PARKED))

    assert answer.text.startswith("Please pull over somewhere safe as soon as you can")
