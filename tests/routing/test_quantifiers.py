"""A request over every device a verb applies to ("close everything") is read by vehicle-control's own
grammar in the router's template stage: routed there by template, with the intent the agent acts on."""

from __future__ import annotations

import pytest

from orchestrator.routing import Router, TemplateSet, TemplateStage
from orchestrator.routing.grammars import AgentGrammar, agent_grammars


@pytest.fixture(scope="module")
def grammars() -> list[AgentGrammar]:
    return agent_grammars()


@pytest.mark.parametrize(
    ("said", "skill", "intent"),
    [
        ("close everything", "windows", "close_everything"),
        ("Close it all up, please.", "windows", "close_everything"),
        ("open all the openings", "windows", "open_everything"),
        ("turn everything off", "seats", "switch_everything_off"),
        ("lock everything", "doors", "lock_doors"),
    ],
)
async def test_a_quantifier_routes_to_vehicle_control_by_template(
    grammars: list[AgentGrammar], said: str, skill: str, intent: str
) -> None:
    route = await Router([TemplateStage(TemplateSet(grammars))]).route(said)

    (part,) = route.parts
    assert (part.agent, part.skill, part.via, part.intent, part.grammar) == (
        "vehicle-control",
        skill,
        "template",
        intent,
        "vehicle-control",
    )


async def test_a_quantifier_is_one_part_beside_another_request(grammars: list[AgentGrammar]) -> None:
    route = await Router([TemplateStage(TemplateSet(grammars))]).route("close everything and take me home")

    closing, home = route.parts
    assert (closing.agent, closing.intent) == ("vehicle-control", "close_everything")
    assert home.agent == "navigation"
