"""Rephrasing by the on-device model: the grounding check, a scripted model through the agent, the real model."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from agents.hosting import AgentClient
from agents.perception import (
    Ask,
    DriverState,
    Facts,
    ModelPhraser,
    ObjectsView,
    SeenObject,
    build_perception_app,
    compose,
    grounding_problems,
)
from mcp_servers.perception import PerceivedObject, analyse
from models import ModelRegistry, ModelRuntime, RuntimeConfig, ScriptedBackend

from .perception_agent_support import BASE_URL, CYCLIST_RIGHT, MOVING, TOKEN, Servers, data_of


def seen(**fields: Any) -> SeenObject:
    report = analyse([PerceivedObject.model_validate(fields)])[0]
    return SeenObject.model_validate(report.model_dump(by_alias=True))


CYCLIST = seen(id="b", **{"class": "cyclist"}, side="right", distance_m=2.5, lane="right", rel_speed_kmh=-3)
VAN = seen(id="v", **{"class": "van"}, side="left", distance_m=3, lane="left")
CAR = seen(id="c", **{"class": "car"}, side="ahead", distance_m=30)
CLOSING = seen(id="m", **{"class": "car"}, side="behind", distance_m=8, lane="ego", rel_speed_kmh=20)

BLIND_REFERENCE = "There's a cyclist in your right blind spot."


# --- the check -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "candidate",
    [
        "Watch out, a cyclist is in your right blind spot.",
        "Heads up: there's a bicycle in the right blind spot.",
        "A cyclist is riding in your right blind spot.",
    ],
)
def test_grounded_rephrasings_are_accepted(candidate: str) -> None:
    assert grounding_problems(candidate, reference=BLIND_REFERENCE, mentioned=[CYCLIST]) == []


@pytest.mark.parametrize(
    ("candidate", "problem"),
    [
        ("Watch out, a truck is in your right blind spot.", "'truck' right blind spot is not in the facts"),
        ("Watch out, a cyclist is in your left blind spot.", "'cyclist' left blind spot is not in the facts"),
        ("A cyclist is coming up behind you.", "'cyclist' behind is not in the facts"),
        ("A cyclist, on your left.", "'cyclist' left is not in the facts"),
        ("A cyclist 3 metres away in your right blind spot.", "the number 3 is not in the facts"),
        ("Two cyclists in your right blind spot.", "the count 'two' is not in the facts"),
        ("Thirteen cyclists in your right blind spot.", "the count 'thirteen' is not in the facts"),
        ("Seventy cyclists in your right blind spot.", "the count 'seventy' is not in the facts"),
        ("The road is clear apart from a cyclist in your right blind spot.", "'clear' claims something"),
        ("It is safe, a cyclist is in your right blind spot.", "'safe' claims something"),
        ("There's someone on your right.", "the cyclist (b) is left out"),
        ("A cyclist is on your right.", "the blind spot is left out"),
        ("A cyclist is closing fast in your right blind spot.", "'cyclist' right blind spot closing is not"),
    ],
)
def test_rephrasings_beyond_the_facts_are_refused(candidate: str, problem: str) -> None:
    problems = grounding_problems(candidate, reference=BLIND_REFERENCE, mentioned=[CYCLIST])

    assert any(found.startswith(problem) for found in problems), problems


def test_the_real_models_misplaced_object_is_caught() -> None:
    # A sentence the default model produced on this prompt: the van moved ahead and the car vanished.
    reference = "There's a van in your left blind spot and a car 30 metres ahead."

    problems = grounding_problems(
        "Watch out, a van 30 m ahead is in your left blind spot.", reference=reference, mentioned=[VAN, CAR]
    )

    assert "'van' ahead left blind spot is not in the facts" in problems
    assert "the car (c) is left out" in problems


def test_dropping_closing_fast_and_running_long_are_refused() -> None:
    reference = "Careful: a car closing fast 8 metres behind."

    dropped = grounding_problems("There's a car 8 metres behind.", reference=reference, mentioned=[CLOSING])
    long = grounding_problems(
        "Careful. A car is closing fast 8 metres behind.",
        reference=reference,
        mentioned=[CLOSING],
        max_words=6,
        single_sentence=True,
    )

    assert dropped == ["'closing fast' is left out"]
    assert long == ["9 words, more than 6", "more than one sentence"]


# --- a scripted model through the agent ------------------------------------------------------------------


@pytest.fixture
def scripted() -> ScriptedBackend:
    return ScriptedBackend()


@pytest.fixture
async def phrasing_agent(servers: Servers, scripted: ScriptedBackend) -> AsyncIterator[AgentClient]:
    runtime = ModelRuntime(scripted)
    app = build_perception_app(servers.vehicle, servers.perception, runtime, base_url=BASE_URL, token=TOKEN)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            yield client
    finally:
        await app.aclose()
        await runtime.aclose()


async def test_a_grounded_model_sentence_is_said(
    servers: Servers, scripted: ScriptedBackend, phrasing_agent: AgentClient
) -> None:
    await servers.push({"objects": [CYCLIST_RIGHT]})
    scripted.enqueue(" Watch out, a cyclist is in your right blind spot.")

    result = await phrasing_agent.send_text("anything in my blind spot")

    assert result.text == "Watch out, a cyclist is in your right blind spot."
    assert data_of(result)["phrasing"]["via"] == "model"
    prompt = scripted.requests[0]
    assert "Report: There's a cyclist in your right blind spot." in getattr(prompt, "prompt", "")


async def test_a_model_sentence_naming_something_not_in_the_frame_falls_back(
    servers: Servers, scripted: ScriptedBackend, phrasing_agent: AgentClient
) -> None:
    await servers.push({"objects": [CYCLIST_RIGHT]})
    scripted.enqueue(" Watch out, a truck and a cyclist are in your right blind spot.")

    result = await phrasing_agent.send_text("anything in my blind spot")

    assert result.text == "There's a cyclist in your right blind spot."
    assert data_of(result)["phrasing"]["via"] == "template"
    assert data_of(result)["phrasing"]["problems"] == ["'truck' is not in the facts"]


async def test_a_failing_model_leaves_the_deterministic_sentence(
    servers: Servers, scripted: ScriptedBackend, phrasing_agent: AgentClient
) -> None:
    await servers.push({"objects": [CYCLIST_RIGHT]})

    result = await phrasing_agent.send_text("anything in my blind spot")

    assert result.state == "completed"
    assert result.text == "There's a cyclist in your right blind spot."
    assert data_of(result)["phrasing"]["problems"][0].startswith("model:")


async def test_lane_changes_signs_and_the_driver_never_go_to_the_model(
    servers: Servers, scripted: ScriptedBackend, phrasing_agent: AgentClient
) -> None:
    await servers.set_signals(MOVING)
    await servers.push({"objects": [CYCLIST_RIGHT], "signs": [{"kind": "speed_limit", "value": 80}]})

    lane = await phrasing_agent.send_text("is it safe to change lanes")
    limit = await phrasing_agent.send_text("what's the speed limit")
    tired = await phrasing_agent.send_text("am I tired")
    empty = await phrasing_agent.send_text("anything in my left blind spot")

    assert lane.text == "Not to the right: a cyclist in your right blind spot."
    assert limit.text == "The speed limit is 80 km/h."
    assert tired.text == "You seem alert."
    assert empty.text == "I don't see anything in your left blind spot."
    assert scripted.requests == []


# --- the real model --------------------------------------------------------------------------------------

REAL_CASES = [
    (Ask(kind="blind_spot"), [CYCLIST]),
    (Ask(kind="surroundings"), [VAN, CAR]),
    (Ask(kind="surroundings"), [CLOSING, CYCLIST]),
]


@pytest.mark.model
async def test_the_real_model_never_gets_an_ungrounded_sentence_through() -> None:
    ModelRegistry.load(None).prepare()
    runtime = ModelRuntime.open(RuntimeConfig(host_url=None, n_ctx=2048))
    phraser = ModelPhraser(runtime, timeout_s=60.0)
    driver = DriverState(speed_kmh=0.0, gear=126)
    try:
        for ask, objects in REAL_CASES:
            facts = Facts(
                objects=ObjectsView(timestamp=1.0, age_s=0.0, objects=tuple(objects)), driver=driver
            )
            answer = compose(ask, facts)
            phrasing = await phraser.phrase(answer, short=False)

            assert phrasing.latency_ms is not None, phrasing.problems
            if phrasing.via == "model":
                assert (
                    grounding_problems(phrasing.text, reference=answer.text, mentioned=answer.mentioned) == []
                )
                assert re.fullmatch(r"[A-Z][A-Za-z0-9 ,;'.-]*\.", phrasing.text), phrasing.text
            else:
                assert phrasing.text == answer.text
                assert phrasing.problems
    finally:
        await runtime.aclose()
