"""A clause said as the situation or a reason beside a request is its context, not a part: no stage
reads it as a request, so nothing is answered for it. A need a stage reads stays a part, and a turn
of such a statement alone is routed as before."""

from __future__ import annotations

import pytest

from orchestrator.routing import Decision, Route, Router, TemplateSet, TemplateStage

from .conftest import TableStage, model_decision


def router_with(templates: TemplateSet, table: dict[str, Decision] | None = None) -> Router:
    return Router([TemplateStage(templates), TableStage(table or {})])


def summary(route: Route) -> list[tuple[str, str | None, str | None, str]]:
    return [(p.text, p.agent, p.intent, p.via) for p in route.parts]


@pytest.mark.parametrize(
    ("said", "asked", "intent", "reason"),
    [
        (
            "close everything, we're going through the car wash",
            "close everything",
            "close_everything",
            "we're going through the car wash",
        ),
        (
            "because the kids are asleep, turn the volume down",
            "turn the volume down",
            "set_media_volume",
            "because the kids are asleep",
        ),
        (
            "open the sunroof, there's a great view up here",
            "open the sunroof",
            "sunroof_open",
            "there's a great view up here",
        ),
        (
            "we're about to go through a tunnel, so close the windows",
            "so close the windows",
            "set_window",
            "we're about to go through a tunnel",
        ),
    ],
)
async def test_a_reason_beside_a_request_is_context(
    templates: TemplateSet, said: str, asked: str, intent: str, reason: str
) -> None:
    # The model double judges the statement out of domain with confidence, as the real model does:
    # on its own it would be a fallback part ("Sorry, I can't do that").
    router = router_with(templates, {reason: model_decision("none", 0.92)})
    route = await router.route(said)
    assert summary(route) == [(asked, "vehicle-control", intent, "template")]
    assert route.context == [reason]


async def test_a_reason_nothing_could_judge_is_context_too(templates: TemplateSet) -> None:
    route = await Router([TemplateStage(templates)]).route(
        "close everything, we're going through the car wash"
    )
    assert summary(route) == [("close everything", "vehicle-control", "close_everything", "template")]
    assert route.context == ["we're going through the car wash"]


async def test_the_request_keeps_its_intent_when_the_model_was_unsure_of_the_reason(
    templates: TemplateSet,
) -> None:
    # Unsure, the model would have the clause joined to the request, which then lost its intent.
    unsure = model_decision("none", 0.4, guess="vehicle-control/windows")
    route = await router_with(templates, {"because it's pouring": unsure}).route(
        "because it's pouring, close the windows"
    )
    assert summary(route) == [("close the windows", "vehicle-control", "set_window", "template")]
    assert route.parts[0].slots
    assert route.context == ["because it's pouring"]


@pytest.mark.parametrize(
    ("said", "parts"),
    [
        (
            "it's cold in here, close the windows",
            [("it's cold in here", "feel_cold"), ("close the windows", "set_window")],
        ),
        ("I'm hot, open the sunroof", [("I'm hot", "feel_hot"), ("open the sunroof", "sunroof_open")]),
        (
            "there's a lot of dust outside, close the windows",
            [("there's a lot of dust outside", "need"), ("close the windows", "set_window")],
        ),
    ],
)
async def test_a_need_the_grammars_read_is_still_a_request(
    templates: TemplateSet, said: str, parts: list[tuple[str, str]]
) -> None:
    route = await router_with(templates).route(said)
    assert [(p.text, p.intent) for p in route.parts] == parts
    assert all(p.agent == "vehicle-control" for p in route.parts)
    assert route.context == []


async def test_a_statement_the_model_routes_is_a_part(templates: TemplateSet) -> None:
    table = {"we're about to go through a tunnel": model_decision("vehicle-control/climate", 0.9)}
    route = await router_with(templates, table).route("we're about to go through a tunnel, close the sunroof")
    assert [(p.text, p.agent, p.via) for p in route.parts] == [
        ("we're about to go through a tunnel", "vehicle-control", "model"),
        ("close the sunroof", "vehicle-control", "template"),
    ]
    assert route.context == []


@pytest.mark.parametrize(
    "said", ["we're going through the car wash", "because the kids are asleep", "there's a tunnel ahead"]
)
async def test_a_statement_alone_is_routed_as_before(templates: TemplateSet, said: str) -> None:
    route = await router_with(templates, {said: model_decision("none", 0.92)}).route(said)
    assert summary(route) == [(said, None, None, "fallback")]
    assert route.context == []


async def test_a_request_out_of_domain_beside_one_is_still_its_own_part(templates: TemplateSet) -> None:
    route = await router_with(templates, {"tell me a joke": model_decision("none", 0.97)}).route(
        "open the window and tell me a joke"
    )
    assert [(p.text, p.via) for p in route.parts] == [
        ("open the window", "template"),
        ("tell me a joke", "fallback"),
    ]
    assert route.context == []
