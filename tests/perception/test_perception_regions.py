"""Region, blind-spot and closing logic: worked examples first, then properties over random objects."""

from __future__ import annotations

import math
from typing import Any, get_args

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mcp_servers.perception import DEFAULT_THRESHOLDS, PerceivedObject, RegionThresholds, analyse
from mcp_servers.perception.models import Lane, ObjectClass, Side
from mcp_servers.perception.regions import (
    blind_spot,
    closing_speed_kmh,
    in_region,
    lateral_side,
    position,
    report,
    summarize,
    time_to_contact_s,
)


def obj(**fields: Any) -> PerceivedObject:
    fields.setdefault("class", "car")
    fields.setdefault("id", "o")
    return PerceivedObject.model_validate(fields)


# --- worked examples ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"class": "cyclist", "side": "right", "distance_m": 2.5, "lane": "right", "rel_speed_kmh": -3},
            "right",
        ),
        ({"side": "left", "distance_m": 3.0, "lane": "left"}, "left"),
        ({"side": "behind", "distance_m": 4.0, "lane": "left"}, "left"),
        ({"side": "behind", "distance_m": 5.5, "lane": "right"}, "right"),
        ({"side": "behind", "distance_m": 5.0, "lane": "left", "bearing_deg": -140}, "left"),
        ({"side": "left", "distance_m": 2.0, "lane": "left", "bearing_deg": -60}, "left"),
        ({"class": "cyclist", "side": "right", "distance_m": 2.0, "lane": "bike_lane"}, "right"),
        ({"class": "motorcycle", "side": "left", "distance_m": 2.0, "lane": "shoulder"}, "left"),
        # Too far away, too far behind, too far ahead, or not in the adjacent lane: not in a blind spot.
        ({"side": "left", "distance_m": 7.0, "lane": "left"}, None),
        ({"side": "behind", "distance_m": 6.5, "lane": "left"}, None),
        ({"side": "left", "distance_m": 4.0, "lane": "left", "bearing_deg": -50}, None),
        ({"side": "ahead", "distance_m": 3.0, "lane": "left"}, None),
        ({"side": "behind", "distance_m": 3.0, "lane": "ego"}, None),
        ({"side": "left", "distance_m": 3.0, "lane": "far_left"}, None),
        ({"side": "left", "distance_m": 3.0, "lane": "oncoming"}, None),
        ({"class": "pedestrian", "side": "right", "distance_m": 3.0, "lane": "sidewalk"}, None),
        # Behind in a bike lane without a bearing: left or right cannot be told, so no blind spot is claimed.
        ({"class": "cyclist", "side": "behind", "distance_m": 3.0, "lane": "bike_lane"}, None),
        (
            {
                "class": "cyclist",
                "side": "behind",
                "distance_m": 3.0,
                "lane": "bike_lane",
                "bearing_deg": 150,
            },
            "right",
        ),
    ],
)
def test_blind_spot_examples(fields: dict[str, Any], expected: str | None) -> None:
    assert blind_spot(obj(**fields)) == expected


def test_positions_follow_side_or_bearing() -> None:
    assert position(obj(side="ahead", distance_m=10)) == (10.0, 0.0)
    assert position(obj(side="behind", distance_m=10)) == (-10.0, 0.0)
    assert position(obj(side="left", distance_m=3)) == (0.0, -3.0)
    assert position(obj(side="right", distance_m=3)) == (0.0, 3.0)
    x, y = position(obj(side="right", distance_m=10, bearing_deg=60))
    assert (x, y) == pytest.approx((5.0, 8.660254))
    assert position(obj(side="behind", distance_m=4, bearing_deg=180)) == pytest.approx((-4.0, 0.0))


def test_lateral_side_prefers_bearing_then_side_then_lane() -> None:
    assert lateral_side(obj(side="behind", distance_m=5, lane="ego", bearing_deg=-170)) == "left"
    assert lateral_side(obj(side="right", distance_m=5, lane="bike_lane")) == "right"
    assert lateral_side(obj(side="behind", distance_m=5, lane="far_right")) == "right"
    assert lateral_side(obj(side="ahead", distance_m=5, lane="ego")) is None


def test_closing_and_time_to_contact() -> None:
    braking_lead = obj(side="ahead", distance_m=20, rel_speed_kmh=-36)  # 10 m/s closing
    assert closing_speed_kmh(braking_lead) == 36
    assert time_to_contact_s(braking_lead) == pytest.approx(2.0)
    pulling_away = obj(side="ahead", distance_m=20, rel_speed_kmh=10)
    assert closing_speed_kmh(pulling_away) == -10
    assert time_to_contact_s(pulling_away) is None
    fast_from_behind = obj(side="behind", distance_m=15, lane="left", rel_speed_kmh=27)  # 7.5 m/s
    assert time_to_contact_s(fast_from_behind) == pytest.approx(2.0)
    alongside = obj(side="left", distance_m=3, rel_speed_kmh=50)
    assert closing_speed_kmh(alongside) is None
    assert time_to_contact_s(alongside) is None


def test_approaching_fast_needs_speed_time_and_a_lane_the_car_can_meet() -> None:
    assert report(obj(side="ahead", distance_m=20, rel_speed_kmh=-36)).approaching_fast
    assert not report(obj(side="ahead", distance_m=40, rel_speed_kmh=-36)).approaching_fast  # 4 s away
    assert not report(obj(side="ahead", distance_m=1, rel_speed_kmh=-4)).approaching_fast  # creeping
    assert report(obj(side="behind", distance_m=15, lane="left", rel_speed_kmh=27)).approaching_fast
    passing_pedestrian = obj(
        **{"class": "pedestrian"}, side="ahead", distance_m=8, lane="sidewalk", rel_speed_kmh=-30
    )
    assert not report(passing_pedestrian).approaching_fast
    oncoming = obj(side="ahead", distance_m=30, lane="oncoming", rel_speed_kmh=-100)
    assert not report(oncoming).approaching_fast


def test_thresholds_are_tunable_and_validated() -> None:
    strict = RegionThresholds(approach_ttc_s=1.5, blind_spot_range_m=3.0)
    lead = obj(side="ahead", distance_m=20, rel_speed_kmh=-36)
    assert report(lead).approaching_fast
    assert not report(lead, strict).approaching_fast
    assert blind_spot(obj(side="left", distance_m=4, lane="left"), strict) is None
    with pytest.raises(ValidationError):
        RegionThresholds(blind_spot_rear_m=-1)
    with pytest.raises(ValidationError):
        RegionThresholds(surprise=1)  # type: ignore[call-arg]


def test_regions_select_and_order_nearest_first() -> None:
    objects = [
        obj(id="lead", side="ahead", distance_m=25),
        obj(id="bs-left", side="behind", distance_m=4, lane="left"),
        obj(id="tail", side="behind", distance_m=12),
        obj(id="cyclist", **{"class": "cyclist"}, side="right", distance_m=2.5, lane="right"),
        obj(id="parked", side="left", distance_m=9, lane="far_left"),
    ]

    def ids(region: Any) -> list[str]:
        return [item.id for item in analyse(objects, region)]

    assert ids("all") == ["cyclist", "bs-left", "parked", "tail", "lead"]
    assert ids("ahead") == ["lead"]
    assert ids("behind") == ["bs-left", "tail"]
    assert ids("left") == ["bs-left", "parked"]
    assert ids("right") == ["cyclist"]
    assert ids("blind_spot") == ["cyclist", "bs-left"]


def test_summary_is_one_plain_sentence() -> None:
    items = analyse(
        [
            obj(id="c", **{"class": "cyclist"}, side="right", distance_m=2.5, lane="right"),
            obj(id="l", side="ahead", distance_m=20, rel_speed_kmh=-36),
        ]
    )
    text = summarize(items, "all")
    assert text == (
        "2 objects around the car: cyclist on the right, 2.5 m, in the right blind spot; "
        "car ahead, 20 m, closing at 36 km/h, about 2.0 s away."
    )
    assert summarize([], "left") == "Nothing detected on the left."
    many = analyse([obj(id=f"p{i}", side="ahead", distance_m=10 + i) for i in range(6)])
    assert summarize(many, "ahead").endswith("; and 2 more.")


# --- properties -------------------------------------------------------------------------------------------

SIDES: tuple[Side, ...] = get_args(Side)
LANES: tuple[Lane, ...] = get_args(Lane)
CLASSES: tuple[ObjectClass, ...] = get_args(ObjectClass)
SECTORS: dict[str, tuple[float, float]] = {
    "ahead": (-45.0, 45.0),
    "right": (45.0, 135.0),
    "left": (-135.0, -45.0),
    "behind": (135.0, 225.0),
}


@st.composite
def objects(
    draw: st.DrawFn,
    sides: tuple[Side, ...] = SIDES,
    lanes: tuple[Lane, ...] = LANES,
    max_distance_m: float = 80.0,
) -> PerceivedObject:
    side = draw(st.sampled_from(sides))
    lane = draw(st.sampled_from(lanes))
    bearing: float | None = None
    if draw(st.booleans()):
        low, high = SECTORS[side]
        raw = draw(st.floats(low, high, allow_nan=False))
        bearing = raw - 360.0 if raw > 180.0 else raw
    data = {
        "id": "o",
        "class": draw(st.sampled_from(CLASSES)),
        "side": side,
        "lane": lane,
        "distance_m": draw(st.floats(0.0, max_distance_m, allow_nan=False)),
        "rel_speed_kmh": draw(st.floats(-150.0, 150.0, allow_nan=False)),
        "bearing_deg": bearing,
    }
    try:
        return PerceivedObject.model_validate(data)
    except ValidationError:
        assume(False)
        raise


def mirrored(item: PerceivedObject) -> PerceivedObject:
    swap = {"left": "right", "right": "left", "far_left": "far_right", "far_right": "far_left"}
    data = item.model_dump(by_alias=True)
    data["side"] = swap.get(data["side"], data["side"])
    data["lane"] = swap.get(data["lane"], data["lane"])
    if data["bearing_deg"] is not None and abs(data["bearing_deg"]) != 180.0:
        data["bearing_deg"] = -data["bearing_deg"]
    return PerceivedObject.model_validate(data)


@given(objects())
def test_blind_spot_only_beside_or_slightly_behind_in_the_adjacent_lane(item: PerceivedObject) -> None:
    spot = blind_spot(item)
    if spot is None:
        return
    x, y = position(item)
    assert item.side != "ahead"
    assert item.distance_m <= DEFAULT_THRESHOLDS.blind_spot_range_m
    assert -DEFAULT_THRESHOLDS.blind_spot_rear_m <= x <= DEFAULT_THRESHOLDS.blind_spot_front_m
    assert item.lane in ({spot} | {"shoulder", "bike_lane"})
    assert lateral_side(item) == spot
    assert y == 0.0 or (y < 0) == (spot == "left")


NEAR_ADJACENT = objects(
    sides=("left", "right", "behind"), lanes=("left", "right", "shoulder", "bike_lane"), max_distance_m=8.0
)


@given(NEAR_ADJACENT, st.floats(0.0, 1.0))
def test_coming_closer_never_leaves_the_blind_spot(item: PerceivedObject, factor: float) -> None:
    assume(blind_spot(item) is not None)
    closer = item.model_copy(update={"distance_m": item.distance_m * factor})
    assert blind_spot(closer) == blind_spot(item)


@given(objects())
def test_mirroring_swaps_left_and_right(item: PerceivedObject) -> None:
    image = mirrored(item)
    swap = {"left": "right", "right": "left", None: None}
    assert blind_spot(image) == swap[blind_spot(item)]
    assert closing_speed_kmh(image) == closing_speed_kmh(item)
    assert time_to_contact_s(image) == time_to_contact_s(item)
    assert report(image).approaching_fast == report(item).approaching_fast


@given(objects())
def test_time_to_contact_is_gap_over_closing_speed(item: PerceivedObject) -> None:
    facts = report(item)
    ttc = time_to_contact_s(item)
    if ttc is None:
        assert not facts.approaching_fast
        return
    closing = closing_speed_kmh(item)
    assert closing is not None
    assert closing > 0
    x, _ = position(item)
    assert math.isclose(ttc * closing / 3.6, abs(x), rel_tol=1e-9, abs_tol=1e-9)
    if facts.approaching_fast:
        assert ttc <= DEFAULT_THRESHOLDS.approach_ttc_s
        assert closing >= DEFAULT_THRESHOLDS.approach_min_closing_kmh


@given(objects(sides=("ahead", "behind")), st.floats(0.0, 100.0))
def test_closing_faster_never_gives_more_time(item: PerceivedObject, extra_kmh: float) -> None:
    ttc = time_to_contact_s(item)
    assume(ttc is not None)
    assert ttc is not None
    delta = -extra_kmh if item.side == "ahead" else extra_kmh
    faster = item.model_copy(update={"rel_speed_kmh": item.rel_speed_kmh + delta})
    faster_ttc = time_to_contact_s(faster)
    assert faster_ttc is not None
    assert faster_ttc <= ttc


@settings(max_examples=60)
@given(st.lists(objects(), max_size=12), st.randoms(use_true_random=False))
def test_regions_cover_every_object_and_ignore_input_order(items: list[PerceivedObject], rnd: Any) -> None:
    items = [item.model_copy(update={"id": f"o{i}"}) for i, item in enumerate(items)]
    shuffled = list(items)
    rnd.shuffle(shuffled)
    everything = analyse(items)
    assert everything == analyse(shuffled)
    assert [i.distance_m for i in everything] == sorted(i.distance_m for i in everything)
    by_side = set()
    for region in ("ahead", "behind", "left", "right"):
        by_side |= {i.id for i in analyse(items, region)}
    assert by_side == {i.id for i in items}
    spots = {i.id for i in analyse(items, "blind_spot")}
    assert spots <= {i.id for i in analyse(items, "left")} | {i.id for i in analyse(items, "right")}
    for facts in everything:
        assert in_region(facts, "all")
        assert in_region(facts, facts.side)
