"""The turn pipeline with real in-memory A2A agents and a keyword router double."""

from __future__ import annotations

import pytest

from orchestrator.dialogue import UnknownSession, classify
from orchestrator.turn import Orchestrator

from .doubles import KeywordRouter, directory


@pytest.fixture
async def orchestrator() -> Orchestrator:
    agents, _ = directory()
    await agents.refresh()
    return Orchestrator(KeywordRouter(), agents, budget_s=0.8, agent_timeout_s=1.0)


async def test_multi_intent_parts_are_routed_and_reported_in_order(orchestrator: Orchestrator) -> None:
    result = await orchestrator.handle("set the temperature to 20 and find a charger")
    assert [(r.agent, r.via) for r in result.route] == [("car", "template"), ("map", "model")]
    assert [a.tool for a in result.actions] == ["set_cabin_temperature"]
    assert result.actions[0].agent == "car"
    assert result.state_changes == {"Vehicle.T": 20.0}
    assert result.reply.startswith("Done: set the temperature to 20")
    assert set(result.latency_ms.agents) == {"car", "map"}


async def test_fallback_is_honest(orchestrator: Orchestrator) -> None:
    result = await orchestrator.handle("tell me a joke")
    assert result.route[0].via == "fallback"
    assert result.actions == []
    assert result.reply.startswith("Sorry, I can't do that (yet).")


async def test_confirmation_round_trip(orchestrator: Orchestrator) -> None:
    asked = await orchestrator.handle("unlock the doors")
    assert asked.pending_confirmation is not None
    assert asked.pending_confirmation.question == "Unlock the doors?"
    done = await orchestrator.handle("yes", session_id=asked.session_id)
    assert done.pending_confirmation is None
    assert [a.outcome for a in done.actions] == ["applied"]
    assert done.reply == "Unlocked."


async def test_confirmation_no(orchestrator: Orchestrator) -> None:
    asked = await orchestrator.handle("unlock the doors")
    done = await orchestrator.handle("no", session_id=asked.session_id)
    assert done.actions == [] and done.reply == "Okay, I won't."


async def test_something_else_drops_the_pending_question(orchestrator: Orchestrator) -> None:
    asked = await orchestrator.handle("unlock the doors")
    other = await orchestrator.handle("find a charger", session_id=asked.session_id)
    assert other.pending_confirmation is None
    late_yes = await orchestrator.handle("yes", session_id=asked.session_id)
    assert late_yes.actions == []


@pytest.mark.rule("GR-18")
async def test_agent_output_is_never_routed_back(orchestrator: Orchestrator) -> None:
    router = orchestrator.router
    assert isinstance(router, KeywordRouter)
    result = await orchestrator.handle("find a charger")
    assert "Unlock All Doors" in result.reply
    assert router.seen == ["find a charger"]
    assert result.actions == []


async def test_slow_agent_degrades_within_its_timeout(orchestrator: Orchestrator) -> None:
    result = await orchestrator.handle("slow seat please")
    assert result.degraded
    assert "did not respond" in result.reply
    assert result.actions == []
    assert result.latency_ms.total < 3000


async def test_follow_up_more_repeats_the_last_request(orchestrator: Orchestrator) -> None:
    first = await orchestrator.handle("temperature up")
    again = await orchestrator.handle("a bit more", session_id=first.session_id)
    assert again.route[0].agent == "car"
    assert again.route[0].text == "temperature up"


async def test_unknown_session(orchestrator: Orchestrator) -> None:
    with pytest.raises(UnknownSession):
        await orchestrator.handle("hello", session_id="s-nope")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("yes", "yes"),
        ("Do it.", "yes"),
        ("no thanks", "no"),
        ("never mind", "cancel"),
        ("cancel that", "cancel"),
        ("a bit more", "more"),
        ("the passenger's too", "too"),
        ("open the window", "other"),
    ],
)
def test_classify(text: str, kind: str) -> None:
    assert classify(text) == kind
