"""The turn pipeline with real in-memory A2A agents and a keyword router double."""

from __future__ import annotations

from collections.abc import Collection

import httpx
import pytest
from pydantic import JsonValue

from agents.hosting import build_agent_app
from agents.vehicle_control.card import VEHICLE_CONTROL_SPEC
from orchestrator.dialogue import UnknownSession, classify
from orchestrator.directory import AgentDirectory
from orchestrator.turn import Orchestrator

from .doubles import CarExecutor, KeywordRouter, MapExecutor, Part, Route, directory, spec


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
    assert result.reply.startswith("Sorry, I can't do that yet. I can help with")


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


@pytest.fixture
async def with_car() -> tuple[Orchestrator, CarExecutor]:
    """An orchestrator and the car agent's executor, which records every request it gets.

    The keyword router sends no intent with a part, so a follow-up here takes the fallback for a
    previous request that went as words alone: the request said again in words. Slot edits of an
    intent that was sent are tested in test_follow_ups.py."""
    agents, car = directory()
    await agents.refresh()
    return Orchestrator(KeywordRouter(), agents, budget_s=0.8, agent_timeout_s=1.0), car


async def test_it_is_the_previous_requests_object(with_car: tuple[Orchestrator, CarExecutor]) -> None:
    orchestrator, car = with_car
    first = await orchestrator.handle("turn on the seat heating")
    back = await orchestrator.handle("never mind, switch it back off", session_id=first.session_id)
    assert [(r.agent, r.skill, r.text) for r in back.route] == [
        ("car", "climate", "switch the seat heating off")
    ]
    assert car.requests[-1].text == "switch the seat heating off"
    again = await orchestrator.handle("turn it on again", session_id=first.session_id)
    assert [r.text for r in again.route] == ["turn the seat heating on"]


async def test_words_around_a_follow_up_are_its_reason(with_car: tuple[Orchestrator, CarExecutor]) -> None:
    orchestrator, car = with_car
    first = await orchestrator.handle("turn on the seat heating")
    back = await orchestrator.handle("too noisy, switch it off", session_id=first.session_id)
    assert [r.text for r in back.route] == ["switch the seat heating off"]
    assert [r.text for r in car.requests] == ["turn on the seat heating", "switch the seat heating off"]


async def test_a_request_of_its_own_beside_a_follow_up_is_kept(orchestrator: Orchestrator) -> None:
    first = await orchestrator.handle("turn on the seat heating")
    both = await orchestrator.handle(
        "switch it off and set the temperature to 20", session_id=first.session_id
    )
    assert [r.text for r in both.route] == ["switch the seat heating off", "set the temperature to 20"]


async def test_a_template_reading_of_it_stands(orchestrator: Orchestrator) -> None:
    first = await orchestrator.handle("turn on the seat heating")
    up = await orchestrator.handle("turn it up", session_id=first.session_id)
    assert [(r.skill, r.text) for r in up.route] == [("media", "turn it up")]


async def test_it_without_a_previous_request_is_routed_as_said(orchestrator: Orchestrator) -> None:
    alone = await orchestrator.handle("close it again")
    assert [(r.agent, r.text) for r in alone.route] == [(None, "close it again")]


async def test_a_yes_with_another_request_answers_and_routes_the_request(orchestrator: Orchestrator) -> None:
    asked = await orchestrator.handle("unlock the doors")
    done = await orchestrator.handle("yes, and find a charger", session_id=asked.session_id)
    assert [(r.agent, r.text) for r in done.route] == [("car", "yes"), ("map", "find a charger")]
    assert [(a.tool, a.outcome) for a in done.actions] == [("unlock_doors", "applied")]
    assert done.reply.startswith("Unlocked and the nearest charger")
    assert done.pending_confirmation is None


async def test_a_complete_request_for_the_agent_that_asked_is_its_own_task(
    with_car: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_car
    asked = await orchestrator.handle("unlock the doors")
    done = await orchestrator.handle("yes, and set the temperature to 20", session_id=asked.session_id)
    assert done.reply == "Unlocked. Done: set the temperature to 20"
    answer, request = car.requests[-2:]
    assert (answer.text, answer.resumed is not None) == ("yes", True)
    assert (request.text, request.resumed) == ("set the temperature to 20", None)


async def test_the_rest_of_an_answer_for_the_agent_that_asked_goes_on_its_task(
    with_car: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_car
    asked = await orchestrator.handle("unlock the doors")
    await orchestrator.handle("no, the window", session_id=asked.session_id)
    assert car.requests[-1].resumed is not None
    assert car.requests[-1].text == "no, the window"


class GuessRouter:
    """Falls back on everything, with a best guess for the perception agent."""

    async def route(
        self, text: str, *, available_agents: Collection[str] | None = None, budget_s: float = 0.8
    ) -> Route:
        return Route([Part(text, None, None, "fallback", 0.5, guess="perception/surroundings")])


async def test_a_best_guess_goes_to_the_agent_its_label_names() -> None:
    url = "http://perception.test"
    app = build_agent_app(spec("perception-summary"), MapExecutor(), base_url=url, token=None)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=url)
    agents = AgentDirectory.from_urls([url], http_clients={url: client})
    await agents.refresh()
    result = await Orchestrator(GuessRouter(), agents).handle("can I pull over to the right here?")
    assert [(r.agent, r.skill, r.via) for r in result.route] == [
        ("perception-summary", "surroundings", "model")
    ]
    assert result.reply.startswith("The nearest charger")
    await client.aclose()


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


async def test_turns_beyond_the_limit_wait_their_turn_and_none_times_out() -> None:
    import asyncio

    agents, car = directory()
    await agents.refresh()
    # The agent timeout (1 s) is shorter than three slow turns back to back (0.4 s each, below).
    orchestrator = Orchestrator(
        KeywordRouter(), agents, budget_s=0.8, agent_timeout_s=1.0, max_concurrent_turns=1
    )
    original = car.handle

    async def slowish(request):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.4)
        return await original(request)

    car.handle = slowish  # type: ignore[method-assign]
    results = await asyncio.gather(*(orchestrator.handle("set the temperature to 20") for _ in range(3)))
    assert [r.degraded for r in results] == [False, False, False]
    assert [a.outcome for r in results for a in r.actions] == ["applied"] * 3
    # The last one waited for the two before it, and says so in its total.
    assert max(r.latency_ms.total for r in results) >= 1100


def test_the_turn_limit_must_be_positive() -> None:
    agents, _ = directory()
    with pytest.raises(ValueError, match="max_concurrent_turns"):
        Orchestrator(KeywordRouter(), agents, max_concurrent_turns=0)


async def test_words_no_agent_claims_answer_the_open_question(
    with_car: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_car
    asked = await orchestrator.handle("unlock the doors")
    answer = await orchestrator.handle("the second one", session_id=asked.session_id)
    assert [(r.agent, r.via) for r in answer.route] == [("car", "template")]
    assert car.requests[-1].text == "the second one"
    assert car.requests[-1].resumed is not None  # on the task that asked
    assert answer.reply == "Okay, I won't."


@pytest.mark.parametrize(
    ("said", "reply"), [("yes", "There's no question waiting for an answer right now."), ("no", "Okay.")]
)
async def test_a_bare_answer_without_a_question(
    with_car: tuple[Orchestrator, CarExecutor], said: str, reply: str
) -> None:
    orchestrator, car = with_car
    result = await orchestrator.handle(said)
    assert result.reply == reply
    assert result.actions == [] and car.requests == []


async def test_it_is_the_object_of_the_latest_part_a_template_reads(
    with_car: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_car
    first = await orchestrator.handle("turn on the seat heating and open my window")
    # The double reads "... seat ..." whole as a template request, "... window ..." only by the model:
    # "it" is the seat heating, the latest part whose resolved request a template reads.
    off = await orchestrator.handle("switch it off", session_id=first.session_id)
    assert [(r.agent, r.text) for r in off.route] == [("car", "switch the seat heating off")]
    assert car.requests[-1].text == "switch the seat heating off"


async def test_it_skips_a_part_that_names_no_object(with_car: tuple[Orchestrator, CarExecutor]) -> None:
    orchestrator, car = with_car
    first = await orchestrator.handle("open my window and find a charger")
    close = await orchestrator.handle("close it again", session_id=first.session_id)
    assert [(r.agent, r.text) for r in close.route] == [("car", "close my window")]
    assert car.requests[-1].text == "close my window"


async def test_too_says_the_previous_request_for_the_one_named(
    with_car: tuple[Orchestrator, CarExecutor],
) -> None:
    orchestrator, car = with_car
    first = await orchestrator.handle("turn on my seat heating")
    too = await orchestrator.handle("the passenger's too", session_id=first.session_id)
    assert [(r.agent, r.text) for r in too.route] == [("car", "turn on the passenger's seat heating")]
    assert car.requests[-1].text == "turn on the passenger's seat heating"


class GrammarRouter(KeywordRouter):
    """Routes 'seat' parts as read by the car agent's own grammar (an intent and slots to send)."""

    async def route(
        self, text: str, *, available_agents: Collection[str] | None = None, budget_s: float = 0.8
    ) -> Route:
        self.seen.append(text)
        if "seat" in text:
            slots: dict[str, JsonValue] = {"seat": "self", "level": 2}
            return Route(
                [Part(text, "car", "seats", "template", 1.0, "set_seat_heating", slots, grammar="car")]
            )
        return await super().route(text, available_agents=available_agents, budget_s=budget_s)


async def test_what_the_agents_grammar_read_is_sent_with_the_words_and_shown_in_the_trace() -> None:
    agents, car = directory()
    await agents.refresh()
    orchestrator = Orchestrator(GrammarRouter(), agents, budget_s=0.8, agent_timeout_s=1.0)
    calls: list[dict[str, object]] = []
    publish = orchestrator.events.publish

    def recording(kind: str, turn_id: str, **fields: object) -> None:
        if kind == "agent_call":
            calls.append(fields)
        publish(kind, turn_id, **fields)

    orchestrator.events.publish = recording  # type: ignore[method-assign]

    result = await orchestrator.handle("turn on my seat heating")

    sent = car.requests[-1]
    assert sent.text == "turn on my seat heating"
    assert sent.intent is not None
    assert (sent.intent.intent, sent.intent.slots, sent.intent.text) == (
        "set_seat_heating",
        {"seat": "self", "level": 2},
        "turn on my seat heating",
    )
    assert result.route[0].intent == "set_seat_heating"
    assert calls[-1]["intent"] == "set_seat_heating"


async def test_a_follow_up_for_someone_else_is_a_slot_edit_of_the_intent_sent() -> None:
    agents, car = directory()
    await agents.refresh()
    orchestrator = Orchestrator(GrammarRouter(), agents, budget_s=0.8, agent_timeout_s=1.0)
    first = await orchestrator.handle("turn on my seat heating")

    await orchestrator.handle("the passenger's too", session_id=first.session_id)
    sent = car.requests[-1]
    assert sent.intent is not None
    assert (sent.intent.intent, sent.intent.slots) == ("set_seat_heating", {"seat": "passenger", "level": 2})
    assert sent.text == "the passenger's too"

    # "More" of a device set by levels is one level further, for the seat the edit named.
    await orchestrator.handle("a bit more", session_id=first.session_id)
    again = car.requests[-1]
    assert again.intent is not None and again.intent.slots == {"seat": "passenger", "level": 3}


async def test_a_part_no_agents_grammar_read_goes_as_words_alone() -> None:
    agents, car = directory()
    await agents.refresh()
    orchestrator = Orchestrator(GrammarRouter(), agents, budget_s=0.8, agent_timeout_s=1.0)

    await orchestrator.handle("set the temperature to 20")  # the router's own template: intent car_request

    assert car.requests[-1].text == "set the temperature to 20"
    assert car.requests[-1].intent is None


@pytest.mark.parametrize(
    ("said", "reply"),
    [
        ("hello", "Hi! What can I do for you?"),
        ("Good morning!", "Hi! What can I do for you?"),
        ("great, thanks!", "You're welcome."),
        ("never mind", "Okay. There was nothing in progress to cancel."),
    ],
)
async def test_small_talk_is_answered_briefly_and_asks_no_agent(said: str, reply: str) -> None:
    agents, car = directory()
    await agents.refresh()
    router = KeywordRouter()
    orchestrator = Orchestrator(router, agents, budget_s=0.8, agent_timeout_s=1.0)
    result = await orchestrator.handle(said)
    assert result.reply == reply
    assert [(r.agent, r.via) for r in result.route] == [(None, "template")]
    assert result.actions == [] and car.requests == [] and router.seen == []


async def test_what_can_you_do_names_what_the_agents_offer() -> None:
    url = "http://vehicle.test"
    app = build_agent_app(VEHICLE_CONTROL_SPEC, CarExecutor(), base_url=url, token=None)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=url)
    agents = AgentDirectory.from_urls([url], http_clients={url: client})
    await agents.refresh()
    result = await Orchestrator(KeywordRouter(), agents, budget_s=0.8).handle("what can you do?")
    # What the agent's card says it offers: its skills, by name.
    assert result.reply == (
        "I can help with climate; seats; windows, sunroof and shades; doors, locks, trunk, hood and "
        "mirrors; lights and wipers; and music and the navigation voice."
    )
