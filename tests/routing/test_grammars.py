"""The agents' own grammars in the router's template stage: a part an agent's grammar reads whole is
routed to that agent with the grammar's intent and slots (which the orchestrator sends on)."""

from __future__ import annotations

import json

import pytest

from orchestrator.routing import Router, TemplateSet, TemplateStage, agent_skill
from orchestrator.routing.grammars import AgentGrammar, agent_grammars

from .conftest import DATA


@pytest.fixture(scope="module")
def grammars() -> list[AgentGrammar]:
    return agent_grammars()


async def test_a_part_the_agents_grammar_reads_carries_its_intent_and_slots(
    templates: TemplateSet, grammars: list[AgentGrammar]
) -> None:
    router = Router([TemplateStage(TemplateSet(grammars))])
    route = await router.route("turn on my seat heating and find a charger")

    seats, charger = route.parts
    assert (seats.agent, seats.skill, seats.intent, seats.grammar) == (
        "vehicle-control",
        "seats",
        "set_seat_heating",
        "vehicle-control",
    )
    assert seats.slots == {"seat": "self", "level": 2}
    assert (charger.agent, charger.skill, charger.intent, charger.grammar) == (
        "navigation",
        "poi",
        "find_poi",
        "navigation",
    )
    assert charger.slots == {"place": "charger"}


async def test_what_only_the_agents_grammar_reads_is_routed_to_it(
    templates: TemplateSet, grammars: list[AgentGrammar]
) -> None:
    said = "the rain's really coming down"
    route = await Router([TemplateStage(TemplateSet(grammars))]).route(said)

    (part,) = route.parts
    assert (part.agent, part.skill, part.intent, part.via) == (
        "vehicle-control",
        "windows",
        "raining_hard",
        "template",
    )


async def test_a_quotation_leaves_no_intent_to_send(
    templates: TemplateSet, grammars: list[AgentGrammar]
) -> None:
    route = await Router([TemplateStage(TemplateSet(grammars))]).route(
        "navigate to the place called 'turn on my seat heating'"
    )
    assert all(part.grammar is None for part in route.parts)


def test_no_agent_grammar_reads_a_line_labelled_for_another_agent(grammars: list[AgentGrammar]) -> None:
    """On the labelled training lines an agent's grammar reads only its own agent's lines (the
    driving functions, labelled `none` since no agent carries them out, are refused by the car)."""
    lines = [json.loads(line) for line in (DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    wrong = []
    for line in lines:
        for grammar in grammars:
            match = grammar.read(line["text"])
            if match is None:
                continue
            if line["label"] == "none" and match.intent == "driving_function":
                continue
            if agent_skill(line["label"])[0] != match.agent:
                wrong.append((line["text"], line["label"], match.intent))
    assert wrong == []


async def test_a_request_for_several_zones_at_once_goes_whole_to_the_agent(
    templates: TemplateSet, grammars: list[AgentGrammar]
) -> None:
    route = await Router([TemplateStage(TemplateSet(grammars))]).route(
        "turn on the driver and passenger seat heating"
    )

    (part,) = route.parts
    assert (part.agent, part.skill, part.via, part.intent) == ("vehicle-control", "seats", "template", None)
