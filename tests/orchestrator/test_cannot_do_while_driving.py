"""GR-12 (replies short while the car is not parked): the answer to a request nothing can serve names
at most three skill areas while the car is not parked, or when the orchestrator cannot tell; the
whole list of the agents' skills only when the car says it is parked."""

from __future__ import annotations

import httpx
import pytest

from agents.hosting import AgentSpec, build_agent_app
from agents.navigation.card import NAVIGATION_SPEC
from agents.perception.spec import PERCEPTION_SPEC
from agents.spoken import can_help_with, skill_areas
from agents.vehicle_control.card import VEHICLE_CONTROL_SPEC
from orchestrator.directory import AgentDirectory
from orchestrator.turn import NAMED_WHILE_DRIVING, Orchestrator, ParkedReader

from .doubles import CarExecutor, KeywordRouter

_SPECS: tuple[AgentSpec, ...] = (VEHICLE_CONTROL_SPEC, NAVIGATION_SPEC, PERCEPTION_SPEC)
_SKILLS = [skill.name for spec in _SPECS for skill in spec.skills]


async def _orchestrator(parked: ParkedReader | None) -> Orchestrator:
    urls = [f"http://{spec.name}.test" for spec in _SPECS]
    clients = {
        url: httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_agent_app(spec, CarExecutor(), base_url=url, token=None)),
            base_url=url,
        )
        for url, spec in zip(urls, _SPECS, strict=True)
    }
    agents = AgentDirectory.from_urls(urls, http_clients=clients)
    await agents.refresh()
    return Orchestrator(KeywordRouter(), agents, budget_s=0.8, agent_timeout_s=1.0, parked=parked)


def _parked(answer: bool) -> ParkedReader:
    async def read() -> bool:
        return answer

    return read


async def _failing() -> bool:
    raise ConnectionError("the vehicle server is not reachable")


@pytest.mark.rule("GR-12")
@pytest.mark.parametrize("parked", [None, _parked(False), _failing], ids=["unknown", "moving", "unreadable"])
async def test_gr12_what_can_be_done_is_three_skill_areas_unless_parked(parked: ParkedReader | None) -> None:
    result = await (await _orchestrator(parked)).handle("tell me a joke")

    assert result.route[0].via == "fallback" and result.actions == []
    # Each agent's first skill area before a second one of any: every agent is named.
    assert result.reply == (
        "Sorry, I can't do that yet. I can help with climate, navigation and perception, among others."
    )
    named = result.reply.removeprefix("Sorry, I can't do that yet. I can help with ")
    assert (
        len(named.removesuffix(", among others.").replace(" and ", ", ").split(", ")) == NAMED_WHILE_DRIVING
    )


@pytest.mark.rule("GR-12")
async def test_gr12_parked_the_whole_list_is_said() -> None:
    result = await (await _orchestrator(_parked(True))).handle("tell me a joke")

    assert len(_SKILLS) == 11
    assert result.reply == f"Sorry, I can't do that yet. {can_help_with(_SKILLS)}"
    assert all(name[:1].lower() + name[1:] in result.reply for name in _SKILLS)


@pytest.mark.rule("GR-12")
def test_gr12_skill_areas_take_each_agent_in_turn() -> None:
    areas = skill_areas([[skill.tags for skill in spec.skills] for spec in _SPECS])

    assert areas[:3] == ["climate", "navigation", "perception"]
    assert len(areas) == len(set(areas))
    assert (
        can_help_with(areas, at_most=3) == "I can help with climate, navigation and perception, among others."
    )
    # Three or fewer are all named, without "among others".
    assert can_help_with(areas[:2], at_most=3) == "I can help with climate and navigation."
