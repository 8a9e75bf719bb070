"""The perception-summary agent end to end in memory: A2A client -> agent -> both MCP servers."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from agents.hosting import AgentAuthError, AgentClient
from agents.perception import build_perception_app
from mcp_servers.perception import RecognisedSign
from mcp_servers.perception.render import render_camera_frame

from .perception_agent_support import (
    BASE_URL,
    BUSY_STREET,
    CYCLIST_RIGHT,
    INATTENTIVE,
    MOVING,
    TIRED,
    TOKEN,
    Servers,
    data_of,
    destination_sign_png,
    image_field,
)

CLASS_WORDS = ("car", "truck", "bus", "van", "motorcycle", "cyclist", "scooter", "pedestrian", "animal")


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9.']+", text)


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text))


def named_classes(text: str) -> set[str]:
    return {word for word in CLASS_WORDS if re.search(rf"\b{word}s?\b", text.lower())}


# --- the card and the app --------------------------------------------------------------------------------


async def test_card_names_the_agent_and_its_three_skills(agent: AgentClient) -> None:
    card = await agent.get_card()

    assert card.name == "perception-summary"
    assert [skill.id for skill in card.skills] == ["surroundings", "signs", "driver"]
    assert all(skill.examples for skill in card.skills)
    assert "bearer" in card.security_schemes


async def test_healthz_answers_without_a_token_while_a2a_calls_need_one(http: httpx.AsyncClient) -> None:
    health = await http.get("/healthz")
    async with AgentClient(BASE_URL, http_client=http) as anonymous:
        with pytest.raises(AgentAuthError):
            await anonymous.send_text("what's around me")

    assert health.status_code == 200
    assert health.json() == {"status": "ok", "agent": "perception-summary"}


# --- surroundings ----------------------------------------------------------------------------------------


async def test_a_cyclist_in_the_right_blind_spot_is_reported(servers: Servers, agent: AgentClient) -> None:
    await servers.push({"objects": [CYCLIST_RIGHT]})

    result = await agent.send_text("anything in my blind spot?", seat="driver", origin="occupant")

    data = data_of(result)
    assert result.state == "completed"
    assert result.text == "There's a cyclist in your right blind spot."
    assert [(obj["class"], obj["blind_spot"]) for obj in data["objects"]] == [("cyclist", "right")]
    assert data["facts_used"] == ["object:cyclist-1"]
    assert data["question"] == {"kind": "blind_spot", "skill": "surroundings", "side": None}


@pytest.mark.rule("GR-19")
async def test_nothing_is_invented_when_the_frame_is_empty(servers: Servers, agent: AgentClient) -> None:
    await servers.push({"objects": [], "signs": []})
    questions = {
        "anything in my blind spot": "I don't see anything in your blind spots.",
        "check my right blind spot": "I don't see anything in your right blind spot.",
        "what's around me": "I don't see anything around you.",
        "what's ahead": "I don't see anything ahead.",
        "what did that sign say": "I haven't seen a sign yet.",
        "what's the speed limit": "I haven't seen a speed limit sign yet.",
    }

    answers = {question: await agent.send_text(question) for question in questions}

    assert {question: result.text for question, result in answers.items()} == questions
    for result in answers.values():
        data = data_of(result)
        assert result.state == "completed"
        assert data["objects"] == [] and data["signs"] == []
        assert named_classes(result.text) == set()


@pytest.mark.rule("GR-19")
async def test_before_any_frame_the_agent_says_it_has_no_view(agent: AgentClient) -> None:
    blind = await agent.send_text("anything in my blind spot")
    sign = await agent.send_text("what did that sign say")

    assert blind.state == "completed"
    assert blind.text.startswith("I haven't had a view of the road yet")
    assert "don't see anything" not in blind.text
    assert [gap["reason"] for gap in data_of(blind)["gaps"]] == ["no_frame"]
    assert sign.text == "I haven't seen a sign yet."


async def test_lane_change_reports_what_is_in_the_way_and_never_calls_it_safe(
    servers: Servers, agent: AgentClient
) -> None:
    await servers.push(
        {
            "objects": [
                CYCLIST_RIGHT,
                {"class": "car", "side": "behind", "distance_m": 9, "lane": "left", "rel_speed_kmh": 25},
            ]
        }
    )

    both = await agent.send_text("is it safe to change lanes?")
    right = await agent.send_text("can I move over to the right")
    await servers.push({"objects": [{"class": "car", "side": "ahead", "distance_m": 40}]})
    clear = await agent.send_text("can I switch to the left lane")

    assert both.text == (
        "Not now: a car closing fast 9 metres behind in the left lane and a cyclist in your right blind spot."
    )
    assert right.text == "Not now: a cyclist in your right blind spot."
    assert clear.text == (
        "I don't see anything in the left lane or your left blind spot, but check your mirror before you move over."
    )
    assert all("safe" not in result.text.lower() for result in (both, right, clear))


async def test_what_is_ahead_names_only_objects_ahead(servers: Servers, agent: AgentClient) -> None:
    await servers.push({"objects": [CYCLIST_RIGHT, *BUSY_STREET]})

    result = await agent.send_text("what's ahead of me?")

    data = data_of(result)
    assert result.text == "Ahead, I see a car 35 metres away and a bus 60 metres away."
    assert {obj["side"] for obj in data["objects"]} == {"ahead"}


# --- GR-12 / GR-14 ---------------------------------------------------------------------------------------


@pytest.mark.rule("GR-12")
async def test_answers_are_one_short_sentence_while_moving_most_urgent_first(
    servers: Servers, agent: AgentClient
) -> None:
    frame = {
        "objects": [
            *BUSY_STREET,
            CYCLIST_RIGHT,
            {"class": "motorcycle", "side": "behind", "distance_m": 12, "lane": "ego", "rel_speed_kmh": 30},
        ]
    }
    await servers.push(frame)
    parked = await agent.send_text("what's around me")
    await servers.set_signals(MOVING)
    moving = await agent.send_text("what's around me")

    assert sentences(parked.text) == 1 and len(words(parked.text)) > 25
    assert "GR-12" not in data_of(parked)["rules"]
    assert moving.text == (
        "Careful: a motorcycle closing fast 12 metres behind and a cyclist in your right blind spot, plus 6 more."
    )
    assert sentences(moving.text) == 1 and len(words(moving.text)) <= 20
    assert data_of(moving)["rules"] == ["GR-12"]
    assert len(data_of(moving)["objects"]) == 8


@pytest.mark.rule("GR-12")
async def test_long_sign_text_is_cut_short_while_moving(servers: Servers, agent: AgentClient) -> None:
    long_text = "Town centre Harbour Ferry terminal Railway station Museum Old town Market square"
    await servers.push({"signs": [{"kind": "text", "text": long_text}]})
    parked = await agent.send_text("what did that sign say")
    await servers.set_signals(MOVING)
    moving = await agent.send_text("what did that sign say")

    assert parked.text == f'The sign says "{long_text}".'
    assert (
        moving.text
        == 'The sign says "Town centre Harbour Ferry terminal Railway station Museum Old town", and more.'
    )


@pytest.mark.rule("GR-14")
async def test_a_tired_driver_is_told_to_take_a_break(servers: Servers, agent: AgentClient) -> None:
    await servers.set_signals({**MOVING, **TIRED})

    looking = await agent.send_text("am I looking tired?")
    should = await agent.send_text("should I take a break")

    assert looking.text == "You seem tired; please take a break soon."
    assert should.text == "Yes, you seem tired: please take a break at the next safe place to stop."
    assert data_of(should)["facts_used"] == ["Vehicle.Driver.FatigueLevel"]
    assert data_of(should)["driver"]["fatigue_level"] == 85
    assert data_of(should)["rules"] == ["GR-12", "GR-14"]


async def test_an_alert_driver_is_not_told_they_are_tired(agent: AgentClient) -> None:
    looking = await agent.send_text("am I looking tired?")
    should = await agent.send_text("should I take a break")
    said = await agent.send_text("I'm so sleepy")

    assert looking.text == "You seem alert."
    assert should.text == "You seem alert right now, but stop whenever you feel tired."
    assert said.text == "Then please take a break: stop somewhere safe soon."


@pytest.mark.rule("GR-14")
async def test_non_urgent_detail_is_held_back_from_a_strained_driver(
    servers: Servers, agent: AgentClient
) -> None:
    await servers.set_signals(INATTENTIVE)
    await servers.push({"objects": BUSY_STREET})
    calm = await agent.send_text("what's around me")
    await servers.push({"objects": [*BUSY_STREET, CYCLIST_RIGHT]})
    urgent = await agent.send_text("what's around me")
    distracted = await agent.send_text("am I distracted?")

    assert calm.text == "Nothing urgent around you."
    assert data_of(calm)["rules"] == ["GR-14"]
    assert len(data_of(calm)["objects"]) == 6
    assert urgent.text == "A cyclist in your right blind spot, plus 6 more."
    assert distracted.text == "Your attention seems low; keep your eyes on the road."


@pytest.mark.rule("GR-19")
async def test_missing_driver_monitoring_is_said_not_guessed(servers: Servers, agent: AgentClient) -> None:
    await servers.set_signals(
        {
            "Vehicle.Driver.FatigueLevel": None,
            "Vehicle.Driver.AttentiveProbability": None,
            "Vehicle.Driver.DistractionLevel": None,
            "Vehicle.Driver.IsEyesOnRoad": None,
        }
    )

    looking = await agent.send_text("am I looking tired?")
    should = await agent.send_text("should I take a break")

    assert looking.text == "I can't tell: driver monitoring isn't reporting right now."
    assert should.text == "I can't tell how alert you are right now; if you feel tired, take a break."


# --- signs -----------------------------------------------------------------------------------------------


async def test_sign_text_is_read_by_ocr_from_the_camera_image(servers: Servers, agent: AgentClient) -> None:
    await servers.push({"image": image_field(destination_sign_png())})

    result = await agent.send_text("what did that sign say?")

    data = data_of(result)
    assert result.state == "completed"
    assert result.text == 'The sign says "Airport Exit 12".'
    assert data["sign_text"] == "Airport Exit 12"
    assert data["facts_used"] == ["sign_text"]
    assert data["signs"] == []


async def test_a_recognised_sign_without_readable_text_is_named(servers: Servers, agent: AgentClient) -> None:
    blank = render_camera_frame([])
    await servers.push({"signs": [{"kind": "no_parking"}], "image": image_field(blank)})

    result = await agent.send_text("what did that sign say")

    assert result.text == "I couldn't read any text on it, but I see a no parking sign."


async def test_speed_limit_with_the_speed_when_over_it(servers: Servers, agent: AgentClient) -> None:
    limit = RecognisedSign(kind="speed_limit", value=50)
    await servers.push(
        {"signs": [limit.model_dump(exclude_none=True)], "image": image_field(render_camera_frame([limit]))}
    )
    parked = await agent.send_text("what's the speed limit")
    await servers.set_signals({**MOVING, "Vehicle.Speed": 62.0})
    fast = await agent.send_text("am I speeding?")

    assert parked.text == "The speed limit is 50 km/h."
    assert fast.text == "The speed limit is 50 km/h, and you're doing 62."
    assert data_of(fast)["facts_used"] == ["sign:0:speed_limit", "Vehicle.Speed"]


# --- requests --------------------------------------------------------------------------------------------


async def test_a_parsed_intent_in_a_data_part_is_used(servers: Servers, agent: AgentClient) -> None:
    await servers.push({"objects": [CYCLIST_RIGHT]})

    left = await agent.send_text("", data={"intent": "blind_spot", "slots": {"side": "left"}})
    right = await agent.send_text(
        "check that", data={"intent": "perception.blind_spot", "slots": {"region": "right"}}
    )

    assert left.text == "I don't see anything in your left blind spot."
    assert right.text == "There's a cyclist in your right blind spot."


async def test_unknown_questions_and_intents_are_rejected_with_what_the_agent_does(
    agent: AgentClient,
) -> None:
    jazz = await agent.send_text("play some jazz")
    intent = await agent.send_text("", data={"intent": "open_window", "slots": {}})
    slot = await agent.send_text("", data={"intent": "blind_spot", "slots": {"side": "up"}})

    assert jazz.state == "rejected"
    assert "what's around the car" in jazz.text
    assert intent.state == "rejected" and "open_window" in intent.text
    assert slot.state == "rejected" and "side" in slot.text


@pytest.mark.rule("GR-19")
async def test_an_unreachable_perception_server_fails_the_task_saying_so(servers: Servers) -> None:
    app = build_perception_app(
        servers.vehicle, "http://127.0.0.1:9/mcp", base_url=BASE_URL, token=TOKEN, feed_timeout_s=2.0
    )
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as agent,
        ):
            result = await agent.send_text("anything in my blind spot")
            driver = await agent.send_text("am I looking tired")
    finally:
        await app.aclose()

    assert result.state == "failed"
    assert result.text.startswith("I can't reach the car's perception right now")
    assert [gap["reason"] for gap in data_of(result)["gaps"]] == ["unreachable"]
    assert driver.state == "completed" and driver.text == "You seem alert."


async def test_concurrent_questions_share_the_connections(servers: Servers, agent: AgentClient) -> None:
    await servers.push({"objects": [CYCLIST_RIGHT], "signs": [{"kind": "speed_limit", "value": 30}]})
    questions = ["anything in my blind spot", "what's the speed limit", "am I tired"] * 4

    results = await asyncio.gather(*(agent.send_text(question) for question in questions))

    assert [result.text for result in results] == [
        "There's a cyclist in your right blind spot.",
        "The speed limit is 30 km/h.",
        "You seem alert.",
    ] * 4
