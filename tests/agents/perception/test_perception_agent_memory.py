"""The perception agent answers from the signs the car passed: the last sign, the limit still in force,
and how long ago each was seen (the perception server's sign memory, on a test clock)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agents.hosting import AgentClient
from agents.perception import build_perception_app
from agents.perception.summary import how_long_ago
from mcp_servers.vehicle.catalog import Catalog

from .perception_agent_support import (
    BASE_URL,
    MOVING,
    PARKED,
    TOKEN,
    ManualClock,
    Servers,
    data_of,
    make_servers,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def servers(catalog: Catalog, clock: ManualClock) -> Servers:
    return make_servers(catalog, PARKED, clock=clock)


@pytest.fixture
async def agent(servers: Servers) -> AsyncIterator[AgentClient]:
    app = build_perception_app(servers.vehicle, servers.perception, base_url=BASE_URL, token=TOKEN)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            yield client
    finally:
        await app.aclose()


async def test_the_last_sign_is_quoted_with_how_long_ago_it_was_seen(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "text", "text": "Keskusta"}]})
    clock.advance(2)
    await servers.push({"objects": [{"class": "car", "side": "ahead", "distance_m": 30}]})
    clock.advance(40)

    result = await agent.send_text("what did that sign say")

    assert result.text == 'The last sign, about 40 seconds ago, said "Keskusta".'
    assert data_of(result)["facts_used"] == ["sign_memory:0"]


async def test_a_sign_in_view_is_read_as_now(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "text", "text": "Keskusta"}]})
    clock.advance(1)

    result = await agent.send_text("what did that sign say")

    assert result.text == 'The sign says "Keskusta".'


async def test_a_passed_sign_without_text_is_named(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "no_overtaking"}]})
    clock.advance(1)
    await servers.push({"signs": []})
    clock.advance(125)

    result = await agent.send_text("what did that sign say")

    assert result.text == "The last sign, about 2 minutes ago, was a no overtaking sign."


async def test_asked_for_signs_with_none_in_view_the_last_one_is_named(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "text", "text": "Keskusta"}]})
    clock.advance(1)
    await servers.push({"signs": []})
    clock.advance(30)

    result = await agent.send_text("any signs?")

    assert result.text == 'None right now; the last one, about 30 seconds ago, was a sign saying "Keskusta".'


async def test_the_speed_limit_stays_in_force_after_its_sign_has_passed(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "speed_limit", "value": 50}]})
    clock.advance(1)
    await servers.push({"signs": [{"kind": "text", "text": "Keskusta"}]})
    clock.advance(1)
    await servers.push({"signs": []})
    clock.advance(118)

    limit = await agent.send_text("what's the speed limit")
    await servers.set_signals({**MOVING, "Vehicle.Speed": 62.0})
    speeding = await agent.send_text("am I speeding?")

    assert limit.text == "The speed limit is 50 km/h, from a sign about 2 minutes ago."
    assert (
        speeding.text == "The speed limit is 50 km/h, from a sign about 2 minutes ago, and you're doing 62."
    )
    assert data_of(speeding)["facts_used"] == ["sign_memory:limit", "Vehicle.Speed"]


async def test_a_new_limit_replaces_the_old_one(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "speed_limit", "value": 50}]})
    clock.advance(60)
    await servers.push({"signs": [{"kind": "speed_limit", "value": 80}]})
    clock.advance(1)
    await servers.push({"signs": []})
    clock.advance(30)

    result = await agent.send_text("what's the speed limit")

    assert result.text == "The speed limit is 80 km/h, from a sign about 30 seconds ago."


async def test_an_end_of_limit_sign_ends_the_limit(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "speed_limit", "value": 50}]})
    clock.advance(60)
    await servers.push({"signs": [{"kind": "end_speed_limit", "value": 50}]})
    clock.advance(1)
    await servers.push({"signs": []})
    clock.advance(20)

    result = await agent.send_text("what's the speed limit")

    assert (
        result.text == "I saw the end of the 50 km/h limit about 20 seconds ago, and no new limit sign since."
    )


async def test_a_change_of_road_ends_the_limit(
    servers: Servers, clock: ManualClock, agent: AgentClient
) -> None:
    await servers.push({"signs": [{"kind": "speed_limit", "value": 50}], "road_type": "urban"})
    clock.advance(90)
    await servers.push({"signs": [], "road_type": "motorway"})
    clock.advance(10)

    result = await agent.send_text("what's the speed limit")

    assert result.text == (
        "The 50 km/h limit ended when the road changed about 10 seconds ago, "
        "and I haven't seen a new limit sign since."
    )


@pytest.mark.parametrize(
    ("age_s", "said"),
    [
        (0.0, "just now"),
        (4.9, "just now"),
        (7.0, "about 5 seconds ago"),
        (42.0, "about 40 seconds ago"),
        (58.0, "about a minute ago"),
        (89.0, "about a minute ago"),
        (125.0, "about 2 minutes ago"),
        (3000.0, "about 50 minutes ago"),
        (7200.0, "over an hour ago"),
    ],
)
def test_how_long_ago_is_said_as_a_person_says_it(age_s: float, said: str) -> None:
    assert how_long_ago(age_s) == said
