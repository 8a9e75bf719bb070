"""The perception server's sign memory: the signs the car passed and the speed limit still in force."""

from __future__ import annotations

from typing import Any

import pytest

from mcp_servers.client import mcp_client
from mcp_servers.perception import InjectedSource, PerceptionFrame, SignMemory, build_server


def frame(*signs: dict[str, Any], road_type: str | None = None) -> PerceptionFrame:
    data: dict[str, Any] = {"signs": list(signs)}
    if road_type is not None:
        data["road_type"] = road_type
    return PerceptionFrame.model_validate(data)


LIMIT_50 = {"kind": "speed_limit", "value": 50}
LIMIT_80 = {"kind": "speed_limit", "value": 80}
KESKUSTA = {"kind": "text", "text": "Keskusta"}


def test_a_sign_that_left_the_view_is_remembered_with_its_age() -> None:
    memory = SignMemory()
    memory.observe(frame(KESKUSTA), 100.0)
    memory.observe(frame(KESKUSTA), 101.0)
    memory.observe(frame(), 102.0)

    view = memory.view(141.0)

    assert [entry.sign.text for entry in view.recent] == ["Keskusta"]
    entry = view.recent[0]
    assert (entry.first_seen, entry.last_seen, entry.age_s) == (100.0, 101.0, 40.0)


def test_the_newest_sign_comes_first_and_the_memory_is_bounded() -> None:
    memory = SignMemory(capacity=3)
    for index, name in enumerate(["A", "B", "C", "D", "E"]):
        memory.observe(frame({"kind": "text", "text": name}), 10.0 * index)
        memory.observe(frame(), 10.0 * index + 1)

    assert [entry.sign.text for entry in memory.view(100.0).recent] == ["E", "D", "C"]


def test_the_same_sign_seen_again_later_is_a_new_entry() -> None:
    memory = SignMemory()
    memory.observe(frame(LIMIT_50), 1.0)
    memory.observe(frame(), 2.0)
    memory.observe(frame(LIMIT_50), 30.0)

    assert [entry.first_seen for entry in memory.view(31.0).recent] == [30.0, 1.0]


def test_an_old_or_repeated_frame_is_ignored() -> None:
    memory = SignMemory()
    memory.observe(frame(LIMIT_50), 10.0)
    memory.observe(frame(LIMIT_80), 5.0)
    memory.observe(frame(LIMIT_80), 10.0)

    view = memory.view(12.0)
    assert [entry.sign.value for entry in view.recent] == [50]
    assert view.limit is not None and view.limit.value_kmh == 50


def test_a_limit_stays_in_force_until_another_replaces_it() -> None:
    memory = SignMemory()
    memory.observe(frame(LIMIT_50), 0.0)
    for second in range(1, 120):
        memory.observe(frame(), float(second))

    held = memory.view(120.0).limit
    assert held is not None
    assert (held.value_kmh, held.age_s, held.ended) == (50.0, 120.0, None)

    memory.observe(frame(LIMIT_80), 130.0)
    replaced = memory.view(131.0).limit
    assert replaced is not None and (replaced.value_kmh, replaced.age_s) == (80.0, 1.0)


def test_the_nearest_limit_sign_of_a_frame_sets_the_limit() -> None:
    memory = SignMemory()
    memory.observe(frame({**LIMIT_80, "distance_m": 90}, {**LIMIT_50, "distance_m": 20}), 0.0)

    limit = memory.view(1.0).limit
    assert limit is not None and limit.value_kmh == 50


@pytest.mark.parametrize("end", [{"kind": "end_speed_limit"}, {"kind": "end_speed_limit", "value": 50}])
def test_an_end_of_limit_sign_ends_the_limit(end: dict[str, Any]) -> None:
    memory = SignMemory()
    memory.observe(frame(LIMIT_50), 0.0)
    memory.observe(frame(end), 60.0)

    limit = memory.view(90.0).limit
    assert limit is not None
    assert (limit.value_kmh, limit.ended, limit.ended_age_s) == (50.0, "end_sign", 30.0)


def test_the_end_of_another_limit_leaves_the_limit_in_force() -> None:
    memory = SignMemory()
    memory.observe(frame(LIMIT_50), 0.0)
    memory.observe(frame({"kind": "end_speed_limit", "value": 30}), 10.0)

    limit = memory.view(20.0).limit
    assert limit is not None and limit.ended is None


def test_a_change_of_road_type_ends_the_limit_unless_a_new_limit_comes_with_it() -> None:
    memory = SignMemory()
    memory.observe(frame(LIMIT_50, road_type="urban"), 0.0)
    memory.observe(frame(road_type="urban"), 30.0)
    memory.observe(frame(road_type="motorway"), 60.0)

    ended = memory.view(70.0).limit
    assert ended is not None and (ended.ended, ended.ended_age_s) == ("road_type", 10.0)

    memory.observe(frame(LIMIT_80, road_type="rural"), 80.0)
    memory.observe(frame(LIMIT_80, road_type="motorway"), 81.0)
    new = memory.view(82.0).limit
    assert new is not None and (new.value_kmh, new.ended) == (80.0, None)


def test_text_read_by_ocr_is_remembered() -> None:
    memory = SignMemory()
    memory.observe(frame(), 5.0)
    memory.observe_reading("Airport\nExit 12", 5.0)
    memory.observe_reading("   ", 5.0)

    view = memory.view(25.0)
    assert [(entry.source, entry.sign.text, entry.age_s) for entry in view.recent] == [
        ("ocr", "Airport Exit 12", 20.0)
    ]


def test_a_memory_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one sign"):
        SignMemory(capacity=0)


async def test_get_signs_reports_the_memory_on_the_source_clock() -> None:
    now = [500.0]
    source = InjectedSource(clock=lambda: now[0])
    server = build_server(source, inject=True)
    async with mcp_client(server) as client:
        pushed = await client.call_tool("push_frame", {"frame": {"signs": [LIMIT_50, KESKUSTA]}})
        assert not pushed.is_error
        now[0] += 1.0
        await client.call_tool("push_frame", {"frame": {"signs": []}})
        now[0] += 44.0
        result = await client.call_tool("get_signs", {})

    content = result.structured_content
    assert content is not None
    assert content["signs"] == [] and content["speed_limit_kmh"] is None
    assert [(entry["sign"]["kind"], entry["age_s"]) for entry in content["recent"]] == [
        ("speed_limit", 45.0),
        ("text", 45.0),
    ]
    assert content["limit"] == {
        "value_kmh": 50.0,
        "seen_at": 500.0,
        "age_s": 45.0,
        "ended": None,
        "ended_at": None,
        "ended_age_s": None,
    }
