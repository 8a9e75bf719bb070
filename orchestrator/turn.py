"""One turn, end to end: where a person's words enter, are routed to agents, and come back as a result.

``Orchestrator.handle`` resolves the dialogue context (an answer to a pending question, "cancel that",
"a bit more", "the passenger's too"), routes the utterance through the cascade into ordered parts, sends
each part to its agent over A2A within the turn's latency budget, and assembles the :class:`TurnResult`.

Provenance (GR-18): only the person's words are routed and sent with origin ``user``. What agents say
back (POI names, messages, replies) is shown to the person and never routed or sent on as a request.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from agents.hosting import DATA_RULE_ID, DATA_STATE_CHANGES, INTENTS, INTENTS_EXTENSION, AgentResult
from agents.language.dialogue import SmallTalk, instead, plain_request, small_talk, whose
from agents.language.dialogue import for_zone as for_slots
from agents.spoken import can_help_with, cannot_do, join_replies, not_done_yet, plain, sentence, skill_areas
from mcp_servers.vehicle.guardrails.context import is_moving
from mcp_servers.vehicle.service import AppliedWrite

from .dialogue import (
    LastPart,
    LeadingAnswer,
    Session,
    SessionStore,
    Waiting,
    asked_what,
    classify,
    comparative_alone,
    compared_of,
    copied_from,
    end_alone,
    for_zone,
    leading_answer,
    level_step,
    more_of,
    moved_again,
    moves_by_word,
    not_undone,
    opposite,
    pointing_back,
    refer_back,
    restored,
    set_named,
    step_alone,
    undone,
    unfit,
    value_alone,
    where_kept,
    zone_words,
)
from .directory import AgentDirectory, AgentDown
from .events import EventBus
from .models import Action, Latency, PendingConfirmation, RouteStep, Seat, TurnResult
from .routing import RoutedPart, Router, agent_skill

logger = logging.getLogger(__name__)

DEFAULT_BUDGET_S = 0.8
#: An agent gets at least this long even when the routing used most of the budget: a late answer
#: is better than abandoning a request that may already be acting on the car.
MIN_AGENT_TIMEOUT_S = 3.0
#: Reads back what a turn wrote to the car and ends the turn there (the vehicle server's ``turn_writes``
#: with ``close``): every write the car took under the turn id, as actions with outcome ``applied``
#: and ``agent`` the client that wrote it; None when the vehicle server cannot tell.
TurnReadback = Callable[[str], Awaitable[list[Action] | None]]
#: Reads what an earlier turn wrote to the car without ending it (the vehicle server's ``turn_writes``),
#: each write with the values before it; None when the vehicle server cannot tell. An undo reads the
#: previous turn's values before where the session does not know them (:meth:`Orchestrator._undo`).
TurnWritten = Callable[[str], Awaitable[list[AppliedWrite] | None]]
#: What a part that only the model could have understood gets while the model is unavailable.
MODEL_UNAVAILABLE_REPLY = (
    "Sorry, I can't understand that right now: the on-device model is not available. "
    "Direct requests such as 'set the temperature to 21' still work."
)
#: A part the model was unsure of goes to its best-guess agent from this confidence on (see _run_part).
GUESS_FLOOR = 0.35
AGENT_TIMEOUT_S = 8.0
#: How many turns run at once; more wait their turn in arrival order. Beyond a few turns in flight a
#: small machine only shares its cores more thinly: every agent call slows down, and the turns that
#: make the most calls (a place search: three MCP calls behind one A2A call) run into their agent
#: timeout. Waiting at the door keeps each turn's agent calls as fast as the machine allows.
MAX_CONCURRENT_TURNS = 8


@dataclass
class PartOutcome:
    step: RouteStep
    reply: str
    actions: list[Action] = field(default_factory=list)
    state_changes: dict[str, JsonValue] = field(default_factory=dict)
    waiting: tuple[str, str, str | None] | None = None  # question, task id, context id
    agent_ms: float = 0.0
    degraded: bool = False
    task_id: str | None = None
    understood: bool = True
    failed: bool = False
    """The agent failed or gave no answer: what it did to the car is read back, not reported by it."""
    answered: bool = True


#: How many skill areas the answer to a request nothing can serve names while the car is not parked
#: (GR-12: replies stay short while driving).
NAMED_WHILE_DRIVING = 3
#: Whether the car is parked, read from the car; what it cannot tell counts as not parked (GR-12).
ParkedReader = Callable[[], Awaitable[bool]]

_SPEED = "Vehicle.Speed"


def parked_from(state: Callable[[str], Awaitable[Mapping[str, Any]]]) -> ParkedReader:
    """A :data:`ParkedReader` over a reader of the car's state by path prefix (the orchestrator's
    ``VehicleAccess.state``): parked while ``Vehicle.Speed`` reads 0, as the guardrails judge it
    (any other speed, or none, is not parked)."""

    async def parked() -> bool:
        return not is_moving((await state(_SPEED)).get(_SPEED))

    return parked


def capabilities_sentence(directory: AgentDirectory, *, short: bool = False) -> str:
    """What the available agents can do, in one sentence from the skills of their cards; ``short``
    (while the car is not parked, GR-12): at most :data:`NAMED_WHILE_DRIVING` skill areas, each
    agent's first before a second of one ("I can help with climate, navigation and perception, among
    others.")."""
    healthy = directory.healthy()
    cards = [entry.card for entry in directory.entries if entry.name in healthy and entry.card is not None]
    if short:
        areas = skill_areas([[tuple(skill.tags or ()) for skill in card.skills] for card in cards])
        return can_help_with(areas, at_most=NAMED_WHILE_DRIVING)
    return can_help_with([skill.name for card in cards for skill in card.skills])


class Orchestrator:
    """Routes turns among the agents of one stack."""

    def __init__(
        self,
        router: Router,
        directory: AgentDirectory,
        *,
        sessions: SessionStore | None = None,
        events: EventBus | None = None,
        budget_s: float = DEFAULT_BUDGET_S,
        agent_timeout_s: float = AGENT_TIMEOUT_S,
        after_turn: Callable[[], Awaitable[None]] | None = None,
        max_concurrent_turns: int = MAX_CONCURRENT_TURNS,
        readback: TurnReadback | None = None,
        parked: ParkedReader | None = None,
        written: TurnWritten | None = None,
    ) -> None:
        self.router = router
        self.readback = readback
        self.written = written
        #: Whether the car is parked; without one (or when it fails) the car counts as not parked,
        #: and the answer to a request nothing serves names only a few skill areas (GR-12).
        self.parked = parked
        self.directory = directory
        self.sessions = sessions if sessions is not None else SessionStore()
        self.events = events if events is not None else EventBus()
        self.budget_s = budget_s
        self.agent_timeout_s = agent_timeout_s
        self.after_turn = after_turn
        self._turns = 0
        # One lock per session with a turn running or waiting, and how many turns hold or wait for
        # it; dropped when the last of them is done, so the map holds only sessions in use.
        self._session_locks: dict[str, tuple[asyncio.Lock, int]] = {}
        if max_concurrent_turns < 1:
            raise ValueError(f"max_concurrent_turns must be at least 1, not {max_concurrent_turns}")
        self._slots = asyncio.Semaphore(max_concurrent_turns)

    async def handle(self, text: str, seat: Seat = "driver", session_id: str | None = None) -> TurnResult:
        """One turn. Raises :class:`~orchestrator.dialogue.UnknownSession` for an unknown session id.

        A session's turns run one after another; at most ``max_concurrent_turns`` turns run at once,
        the others wait in arrival order. The budget counts from when a turn starts to run; the
        reported total latency includes the wait.
        """
        arrived = time.perf_counter()
        session = self.sessions.open(session_id, seat)
        lock, users = self._session_locks.get(session.id, (asyncio.Lock(), 0))
        self._session_locks[session.id] = (lock, users + 1)
        try:
            async with lock, self._slots:
                return await self._turn(session, text, seat, arrived)
        finally:
            lock, users = self._session_locks[session.id]
            if users <= 1:
                del self._session_locks[session.id]
            else:
                self._session_locks[session.id] = (lock, users - 1)

    async def _turn(self, session: Session, text: str, seat: Seat, arrived: float) -> TurnResult:
        started = time.perf_counter()
        model_unavailable: str | None = None
        self._turns += 1
        turn_id = f"t-{self._turns}-{secrets.token_hex(3)}"
        session.turns += 1
        kind = classify(text)
        waiting = self.sessions.waiting(session)
        named: str | None = None
        if waiting is not None and waiting.value is not None:
            # The answer to "What would you like me to set to 3?": a device named now is set to 3
            # (routed as "set the fan to 3", through the guardrails like any write); anything else
            # drops the question and is read as it stands.
            session.waiting = None
            named = set_named(text, waiting.value)
            waiting = None
        if named is not None:
            named = await self._names_a_device(named)
        if waiting is not None and kind in ("yes", "no", "cancel"):
            outcomes = [await self._answer(session, waiting, text, turn_id, seat, kind)]
            route_ms = 0.0
        elif kind == "cancel":
            outcomes = [await self._cancel_last(session, turn_id)]
            route_ms = 0.0
        elif kind == "undo" and waiting is None:
            outcomes = await self._undo(session, text, turn_id, seat, started)
            route_ms = 0.0
        elif kind in ("yes", "no"):
            # A bare yes or no with no question open (none was asked, or it expired): nothing to act on.
            reply = "Okay." if kind == "no" else "There's no question waiting for an answer right now."
            outcomes = [
                PartOutcome(step=RouteStep(text=text, agent=None, skill=None, via="template"), reply=reply)
            ]
            route_ms = 0.0
        elif waiting is None and (talk := small_talk(text)) is not None:
            # "hello", "thanks", "what can you do?": answered briefly, no agent is asked.
            reply = self._small_talk_reply(talk)
            outcomes = [
                PartOutcome(step=RouteStep(text=text, agent=None, skill=None, via="template"), reply=reply)
            ]
            route_ms = 0.0
        elif (
            waiting is None
            and named is None
            and self.sessions.recent(session) is None
            and (value := value_alone(plain_request(text) or text)) is not None
        ):
            # "make it 22" first thing: "it" names nothing yet, so what to set is asked, never guessed;
            # the question stays open for the next turn (`set_named`).
            outcomes = [
                PartOutcome(
                    step=RouteStep(text=text, agent=None, skill=None, via="template"), reply=asked_what(value)
                )
            ]
            self.sessions.expect_device(session, value)
            route_ms = 0.0
        elif (
            waiting is None
            and (word := comparative_alone(text)) is not None
            and (not_fit := await self._unfit(session, word)) is not None
        ):
            # "warmer" after "set the wipers to slow": no device of the previous request goes that
            # way, and no other is guessed.
            outcomes = [
                PartOutcome(step=RouteStep(text=text, agent=None, skill=None, via="template"), reply=not_fit)
            ]
            route_ms = 0.0
        else:
            answer = leading_answer(text) if waiting is not None else None
            request = named or (answer.rest if answer else text)
            # "would you mind turning on my seat heater" is read as "turn on my seat heater".
            request = plain_request(request) or request
            routed_text, forced, edited = await self._follow_up(session, request, kind)
            route_started = time.perf_counter()
            # What was understood of each part, sent to its agent with the words (see _understood), and
            # for a slot edit of an earlier request, the words that request was read from.
            understood: dict[int, dict[str, JsonValue]] = {}
            origins: dict[int, str] = {}
            # Clauses said as the situation or a reason beside the requests: no parts, nothing answered.
            context: list[str] = []
            if forced is not None:
                parts: list[RouteStep] = [forced]
                last = self.sessions.recent(session)
                if edited is not None and last is not None:
                    understood[id(forced)] = edited
                    origins[id(forced)] = last.request
            else:
                route = await self.router.route(
                    routed_text, available_agents=self.directory.healthy(), budget_s=self.budget_s
                )
                parts = []
                for routed in route.parts:
                    step = self._step(routed)
                    parts.append(step)
                    data = _understood(routed)
                    if data is not None:
                        understood[id(step)] = data
                model_unavailable = route.model_unavailable
                context = route.context
                left_s = self.budget_s - (time.perf_counter() - started)
                parts = await self._refer_back(
                    session, routed_text, parts, understood, origins, budget_s=left_s
                )
                # "same as mine", "give the passenger what I have": the previous request's device.
                copied_from(self.sessions.recent_parts(session), [understood.get(id(p)) for p in parts])
            route_ms = (time.perf_counter() - route_started) * 1000
            if self.events.subscribers:  # the payloads below cost a serialisation each
                self.events.publish(
                    "routing",
                    turn_id,
                    text=text,
                    parts=[p.model_dump() for p in parts],
                    latency_ms=route_ms,
                    **({"context": list(context)} if context else {}),
                )
            outcomes = []
            if waiting is not None and answer is not None:
                # "yes, take me there, and unlock the doors": the answer (with the part for the agent
                # that asked) goes on its task; every other part is a request of its own.
                outcome, parts = await self._answer_with(session, waiting, answer, parts, turn_id, seat)
                outcomes.append(outcome)
            elif waiting is not None and len(parts) == 1 and parts[0].agent in (waiting.agent, None):
                # A reply to the agent that asked ("take me there"), or words no agent claims on their
                # own, which only the question gives a meaning ("the second one"): same task. The agent
                # reads them against its question, and asks again or lets it go.
                step = parts[0]
                if step.agent is None:
                    step = RouteStep(text=step.text, agent=waiting.agent, skill=None, via="template")
                outcomes.append(await self._resume(session, waiting, step, turn_id, seat))
                parts = []
            elif waiting is not None:
                # Something else was said: the question lapses, and the agent's task is cancelled.
                session.waiting = None
                await self.directory.cancel(waiting.agent, waiting.task_id)
            together = _said_together(parts, understood, origins, self._takes_together)
            answered = len(outcomes)
            for step in parts:
                group = together.get(id(step))
                if group is not None:
                    # Several requests for one agent ("it's raining, close everything"): one call.
                    if group[0] is step:
                        remaining = self.budget_s - (time.perf_counter() - started)
                        outcomes.extend(
                            await self._run_together(session, group, understood, turn_id, seat, remaining)
                        )
                    continue
                if model_unavailable is not None and (step.agent is None or step.via == "fallback"):
                    # Not "I can't do that": the request may be fine, the model to read it is not there.
                    outcomes.append(PartOutcome(step=step, reply=MODEL_UNAVAILABLE_REPLY, degraded=True))
                    continue
                remaining = self.budget_s - (time.perf_counter() - started)
                # A part the agent's own grammar read goes with its intent and slots; any other part
                # with its words alone, which the agent reads itself.
                data = understood.get(id(step))
                origin = origins.get(id(step))
                outcomes.append(
                    await self._run_part(
                        session, step, data, turn_id, seat, remaining, said=origin, alone=len(parts) == 1
                    )
                )
            if together:
                # The parts said together were run at the first one's place: back in the order said
                # (one outcome per part, each with its part's step or a copy of it).
                said_at = {id(step): index for index, step in enumerate(parts)}
                at = [
                    said_at[id(part)]
                    for step in parts
                    for part in together.get(id(step), [step])
                    if id(step) not in together or together[id(step)][0] is step
                ]
                ran = zip(at, outcomes[answered:], strict=True)
                outcomes[answered:] = [o for _, o in sorted(ran, key=lambda pair: pair[0])]
        if self.readback is not None and any(o.failed for o in outcomes):
            await self._read_back(turn_id, outcomes)
        result = self._assemble(session, turn_id, outcomes, arrived, route_ms)
        if self.events.subscribers:
            self.events.publish("turn", turn_id, result=result.model_dump(mode="json"))
        if self.after_turn is not None:
            await self.after_turn()
        return result

    # -- dialogue ------------------------------------------------------------------------------------

    async def _names_a_device(self, request: str) -> str | None:
        """`request` (the answer to "What would you like me to set to 3?" as a request, "set the fan to
        3") when an agent's grammar reads it whole as one request with its intent; None otherwise."""
        route = await self.router.route(
            request, available_agents=self.directory.healthy(), budget_s=self.budget_s
        )
        parts = route.parts
        if len(parts) == 1 and parts[0].via == "template" and parts[0].intent is not None:
            return request
        return None

    def _small_talk_reply(self, talk: SmallTalk) -> str:
        if talk == "thanks":
            return "You're welcome."
        if talk == "greeting":
            return "Hi! What can I do for you?"
        if talk == "acknowledgement":
            return "Okay."
        if talk == "reported":
            return "I've left the car as it is, since someone else said that; ask me if you want it done."
        return capabilities_sentence(self.directory)

    async def _follow_up(
        self, session: Session, text: str, kind: str
    ) -> tuple[str, RouteStep | None, dict[str, JsonValue] | None]:
        """A follow-up on the previous part: the text to route, the step it becomes, and what is sent
        with it. Where the previous part was understood (an intent and slots of its agent's grammar),
        the follow-up is an edit of those, sent as the data part with the person's own words:
        "the passenger's too" / "what about the back" / "same for the passenger" is the same intent
        with every slot that says where set to the one named; "a bit more" is one more step of a
        relative change, or a step up from an absolute value (:func:`~orchestrator.dialogue.more_of`:
        "set the fan to 3", then "more", is a step of the fan from 3); "a little less" the same step
        the other way; "a bit more" after a device moved by a word ("open the window a bit") is the
        same change of position again, as the previous turn's read-back says it (:attr:`written`,
        :func:`~orchestrator.dialogue.moved_again`). Otherwise (the previous part
        went as words alone, e.g. the model routed it) the previous request is said again, for "too"
        in words for the one it names, and "less" is routed as said."""
        last = self.sessions.recent(session)
        if last is None or kind not in ("more", "less", "too"):
            return text, None, None
        zone = whose(text, said_too=True) if kind == "too" else None
        if last.intent is not None and last.slots is not None:
            slots = (
                for_slots(last.slots, zone or "")
                if kind == "too"
                else level_step(last.intent, last.slots, text)
                or await self._moved_again(session, last, text)
                or more_of(last.intent, last.slots, text)
            )
            if slots is not None:
                step = RouteStep(
                    text=text, agent=last.agent, skill=last.skill, via="template", intent=last.intent
                )
                return text, step, {"intent": last.intent, "slots": slots, "text": text}
        if kind == "less":
            # Said to the agent as it is: its own grammar reads "less" against its memory of the
            # conversation's last change.
            return text, None, None
        if kind == "more":
            return (
                last.text,
                RouteStep(text=last.text, agent=last.agent, skill=last.skill, via="template"),
                None,
            )
        who = zone_words(text)
        rewritten = for_zone(last.text, who) if who else last.text
        return rewritten, RouteStep(text=rewritten, agent=last.agent, skill=last.skill, via="template"), None

    async def _moved_again(self, session: Session, last: LastPart, text: str) -> dict[str, JsonValue] | None:
        """:func:`~orchestrator.dialogue.moved_again` of ``last`` with the writes of the session's
        previous turn (:attr:`written`); None without them."""
        if self.written is None or session.last_turn_id is None or not moves_by_word(last, text):
            return None
        return moved_again(last, await self.written(session.last_turn_id) or [], text)

    async def _refer_back(
        self,
        session: Session,
        text: str,
        parts: list[RouteStep],
        understood: dict[int, dict[str, JsonValue]],
        origins: dict[int, str],
        *,
        budget_s: float,
    ) -> list[RouteStep]:
        """Resolve a request that points back at the previous request's object ("close it again").

        ``parts`` are ``text`` as routed; ``budget_s`` is what is left of the turn's budget. The
        clause that says "it" / "them" / "that" (:func:`~orchestrator.dialogue.pointing_back`), or
        failing one, the clause that gives "it" a value ("set it to 3", "make it 22", "put it on
        high"), is,
        where the previous part was sent with an intent and slots, a slot edit of them
        (:meth:`_slot_edit`): its verb, particle, value and amount are read by the previous part's
        agent's grammar as said of that part's object, the seat or zone comes from the previous
        slots, and the intent and slots go to the agent in the data part with the person's own words
        ("close it again" after "open the passenger's window" sends ``set_window`` ``{window:
        passenger, action: close}``). Of a previous turn with several parts, it is the latest one
        whose agent's grammar reads the clause so. Such a reading beats the clause's own ("turn it
        down" after "set the fan to 4" is the fan, not the volume); of the other parts, only those a
        template reads as requests of their own are kept ("actually, too noisy" is the reason for
        the follow-up, not a request), and ``understood`` and ``origins`` are given what the steps
        returned send.

        The English rewrite is the fallback where no slot edit can be made (the previous part went
        as words alone, e.g. the model routed it, or its grammar does not read the clause as said of
        its object), unless a template already reads the clause as a request of its own ("turn it up"
        is the volume): the clause is written out with the previous request's object ("close my
        window") and the text routed again; the resolved request goes, as words, to the agent and
        skill of the previous part unless a template reads it whole. A clause that gives "it" a value
        has no such fallback: without a slot edit its words are routed as said ("make it 22" with no
        previous request is the temperature, as the templates read it). An end of a range said alone
        ("full blast", "max": :func:`~orchestrator.dialogue.end_alone`) is such a clause, "set it to
        full blast", sent with the person's own words.
        """
        clause = pointing_back(text)
        valued = clause is None
        if clause is None:
            clause = pointing_back(text, valued=True)
        said_alone = end_alone(text) if clause is None else None
        if said_alone is None and clause is None:
            # "22 instead" after "set the temperature to 20": another value of the previous device.
            said_alone = instead(text)
        compared = comparative_alone(text) if clause is None and said_alone is None else None
        stepped = step_alone(text) if clause is None and said_alone is None and compared is None else None
        if stepped is not None:
            # "down a notch" after "turn on my seat heating": "turn it down a notch".
            clause, valued = stepped, False
        if said_alone is not None:
            # "full blast" after "turn on the fan": the end of the previous device's range.
            clause = f"set it to {said_alone}"
        elif compared is not None:
            # "faster" after "set the wipers to slow": one step of the previous device that way.
            clause = text
        if clause is None:
            return parts
        recent = self.sessions.recent_parts(session)
        for last in recent:
            edit = await self._slot_edit(last, clause, valued=valued, budget_s=budget_s, compared=compared)
            if edit is None:
                continue
            step, data = edit
            if said_alone is not None or compared is not None or stepped is not None:
                # The whole text is the follow-up: nothing else of it is a request.
                step = step.model_copy(update={"text": text})
                understood[id(step)] = {**data, "text": text}
                origins[id(step)] = last.request
                return [step]
            kept: list[RouteStep] = []
            placed = False
            for part in parts:
                if clause.lower() in part.text.lower():
                    if not placed:
                        kept.append(step)
                        placed = True
                elif _complete(part):
                    kept.append(part)
            if not placed:
                kept.insert(0, step)
            understood[id(step)] = data
            origins[id(step)] = last.request
            return kept
        if valued or any(clause.lower() in p.text.lower() and _complete(p) for p in parts):
            # A value said of "it" is only ever a slot edit: without one, the words are read as said.
            return parts
        fallback: list[RouteStep] | None = None
        for last in recent:
            reference = refer_back(text, last.request)
            if reference is None:
                continue
            rewritten = text.replace(reference.clause, reference.resolved, 1)
            route = await self.router.route(
                rewritten, available_agents=self.directory.healthy(), budget_s=budget_s
            )
            resolved = RouteStep(text=reference.resolved, agent=last.agent, skill=last.skill, via="template")
            kept = []
            read_whole = False
            for step in (self._step(p) for p in route.parts):
                if reference.resolved.lower() in step.text.lower() and resolved not in kept:
                    kept.append(step if _complete(step) else resolved)
                    read_whole = _complete(step)
                elif _complete(step):
                    kept.append(step)
            if read_whole:
                return kept
            # Of a turn with several parts ("open my window and heat my seat", then "close it"), "it"
            # is the object of the latest part a template reads the resolved request for; failing
            # that, the latest part's.
            fallback = fallback if fallback is not None else (kept if kept else [resolved])
        return fallback if fallback is not None else parts

    async def _undo(
        self, session: Session, text: str, turn_id: str, seat: Seat, started: float
    ) -> list[PartOutcome]:
        """Undo what the previous turn changed ("undo that", "put it back", "never mind, undo it"):
        each of its parts sent with an intent is sent again to its agent as a new request, with the
        slots that restore the value before (:func:`~orchestrator.dialogue.undone`: a relative change
        the other way, an absolute value the one an earlier request of the session set; failing that,
        :func:`~orchestrator.dialogue.restored`: the value the car read before the previous turn
        wrote it, from :attr:`written`), or else the
        previous request's words turned (:func:`~orchestrator.dialogue.opposite`: "close my window"
        for "open my window") as its agent's grammar reads them, the seat or zone the previous
        one's; with the person's own words. The agent's guardrails decide as for any request, and
        its reply says what was restored. A part nothing says the earlier value of is left as it is,
        and the reply says so; with no recent part, nothing is done."""
        done = RouteStep(text=text, agent=None, skill=None, via="template")
        parts = list(reversed(self.sessions.recent_parts(session)))
        if not parts:
            return [PartOutcome(step=done, reply="There's nothing to undo.")]
        earlier = list(session.earlier)
        previous = session.last_turn_id
        writes: list[AppliedWrite] | None = None
        outcomes: list[PartOutcome] = []
        for last in parts:
            remaining = self.budget_s - (time.perf_counter() - started)
            slots = undone(last, earlier)
            if slots is None and last.intent is not None and self.written is not None and previous:
                if writes is None:  # read once, for every part of the previous turn
                    writes = await self.written(previous) or []
                slots = restored(last, writes)
            edit: tuple[RouteStep, dict[str, JsonValue]] | None = None
            if slots is not None and last.intent is not None:
                step = RouteStep(
                    text=text, agent=last.agent, skill=last.skill, via="template", intent=last.intent
                )
                edit = step, {"intent": last.intent, "slots": slots, "text": text}
            elif (turned := opposite(last.request)) is not None:
                edit = await self._read_of(last, turned, text, budget_s=remaining)
            if edit is None:
                outcomes.append(PartOutcome(step=done, reply=not_undone(last.request)))
                continue
            step, data = edit
            outcomes.append(
                await self._run_part(
                    session, step, data, turn_id, seat, remaining, said=last.request, alone=len(parts) == 1
                )
            )
        return outcomes

    async def _unfit(self, session: Session, word: str) -> str | None:
        """What is said to a comparative alone (``word``, "warmer") that the grammar of no recent part
        sent with an intent reads of that part's device (:func:`~orchestrator.dialogue.unfit`); None
        when one reads it (the slot edit of :meth:`_refer_back`) or no recent part has an intent
        (the word is routed as said)."""
        edited = [last for last in self.sessions.recent_parts(session) if last.intent is not None]
        for last in edited:
            if await self._slot_edit(last, word, budget_s=self.budget_s, compared=word):
                return None
        return unfit(word, edited[0].request) if edited else None

    async def _slot_edit(
        self,
        last: LastPart,
        clause: str,
        *,
        valued: bool = False,
        budget_s: float,
        compared: str | None = None,
    ) -> tuple[RouteStep, dict[str, JsonValue]] | None:
        """The step and data part of ``clause`` as an edit of ``last``'s intent and
        slots; None when ``last`` was not sent with an intent and slots, or its agent's grammar does
        not read the clause, said of ``last``'s object, as one request of its own.

        The grammar is asked about the clause with the object of the words ``last``'s intent was read
        from in place of "it" ("switch it back off" after "turn on the seat heating" is read as
        "switch the seat heating off"; with ``valued``, a clause that gives "it" a value, "set it to
        3" after "turn on the fan", is read as "set the fan to 3"); its intent and slots are taken,
        with every slot that says where set to ``last``'s (:func:`~orchestrator.dialogue.where_kept`).
        Only the words it reads are the grammar's: what is sent is that intent and those slots, with
        the clause as said. With ``compared``, the clause is that comparative alone, read as said of
        ``last``'s object ("faster" after "set the wipers to slow" is "make the wipers faster")."""
        if last.intent is None or last.slots is None:
            return None
        reference = (
            compared_of(compared, last.request)
            if compared is not None
            else refer_back(clause, last.request, valued=valued)
        )
        if reference is None:
            return None
        edit = await self._read_of(last, reference.resolved, clause, budget_s=budget_s)
        if edit is None and reference.set_to is not None and reference.set_to != reference.resolved:
            # "make it 40" after "set the fan to 60": a value said of "it" with a recent request is an
            # edit of that request's value whatever the verb, read as "set the fan to 40".
            edit = await self._read_of(last, reference.set_to, clause, budget_s=budget_s)
        return edit

    async def _read_of(
        self, last: LastPart, resolved: str, clause: str, *, budget_s: float
    ) -> tuple[RouteStep, dict[str, JsonValue]] | None:
        """The step and data part of ``resolved`` (a request said of ``last``'s object) read whole by
        ``last``'s agent's grammar, with every slot that says where set to ``last``'s, sent with the
        words ``clause``; None when that grammar does not read it as one request of its own."""
        if last.slots is None:
            return None
        route = await self.router.route(
            resolved, available_agents=self.directory.healthy(), budget_s=budget_s
        )
        if len(route.parts) != 1:
            return None
        read = route.parts[0]
        data = _understood(read)
        slots = data.get("slots") if data is not None else None
        if read.agent != last.agent or read.intent is None or not isinstance(slots, dict):
            return None
        edited = where_kept(slots, last.slots)
        step = RouteStep(
            text=clause,
            agent=last.agent,
            skill=read.skill,
            via="template",
            intent=read.intent,
            confidence=1.0,
        )
        return step, {"intent": read.intent, "slots": edited, "text": clause}

    async def _answer_with(
        self,
        session: Session,
        waiting: Waiting,
        answer: LeadingAnswer,
        parts: list[RouteStep],
        turn_id: str,
        seat: Seat,
    ) -> tuple[PartOutcome, list[RouteStep]]:
        """Answer the pending question with a yes or no said before more requests; the parts left to run.

        The first part routed to the agent that asked goes with the answer on its task ("yes, take me
        there"), unless a template reads it as a complete request of its own ("yes, and heat my
        seat"): then the bare answer goes, and that part runs as its own request like every other.
        """
        reply = next((p for p in parts if p.agent == waiting.agent and p.via != "fallback"), None)
        if reply is None or _complete(reply):
            return await self._answer(session, waiting, answer.said, turn_id, seat, answer.kind), parts
        outcome = await self._resume(
            session, waiting, reply, turn_id, seat, text=f"{answer.said}, {reply.text}"
        )
        return outcome, [p for p in parts if p is not reply]

    async def _answer(
        self, session: Session, waiting: Waiting, text: str, turn_id: str, seat: Seat, kind: str
    ) -> PartOutcome:
        step = RouteStep(text=text, agent=waiting.agent, skill=None, via="template")
        answer = "yes" if kind == "yes" else "no"
        return await self._resume(session, waiting, step, turn_id, seat, text=answer)

    async def _resume(
        self,
        session: Session,
        waiting: Waiting,
        step: RouteStep,
        turn_id: str,
        seat: Seat,
        *,
        text: str | None = None,
    ) -> PartOutcome:
        """Send `step` (or `text` in its place) on the task that asked `waiting`'s question; the
        question is answered either way."""
        session.waiting = None
        return await self._call(
            session,
            step,
            None,
            turn_id,
            seat,
            self.agent_timeout_s,
            task_id=waiting.task_id,
            context_id=waiting.context_id,
            text=text,
        )

    async def _cancel_last(self, session: Session, turn_id: str) -> PartOutcome:
        step = RouteStep(text="cancel", agent=None, skill=None, via="template")
        last = session.last
        if last is not None and last.task_id is not None:
            result = await self.directory.cancel(last.agent, last.task_id)
            if result is not None and result.state == "canceled":
                self.events.publish(
                    "agent_call", turn_id, agent=last.agent, method="CancelTask", task_id=last.task_id
                )
                return PartOutcome(step=step, reply="Okay, cancelled.")
        return PartOutcome(step=step, reply="Okay. There was nothing in progress to cancel.")

    async def _read_back(self, turn_id: str, outcomes: list[PartOutcome]) -> None:
        """After an agent failed: what the car took under this turn that no agent reported goes into
        the failed part's actions and reply, and the turn is closed to later writes (an agent that
        timed out cannot act after the person was told it did not)."""
        assert self.readback is not None
        failed = [o for o in outcomes if o.failed]
        applied = await self.readback(turn_id)
        if applied is None:
            for outcome in failed:
                outcome.reply += " I could not check whether anything in the car was changed."
            return
        unreported = list(applied)
        for action in (a for o in outcomes for a in o.actions if a.outcome == "applied"):
            match = next((w for w in unreported if (w.agent, w.tool) == (action.agent, action.tool)), None)
            if match is not None:
                unreported.remove(match)
        for outcome in failed:
            mine = [w for w in unreported if w.agent == outcome.step.agent]
            if not mine:
                continue
            unreported = [w for w in unreported if w not in mine]
            outcome.actions.extend(mine)
            done = "; ".join(action_words(w) for w in mine)
            if outcome.answered:
                outcome.reply += f" This was done: {done}."
            else:
                agent = outcome.step.agent
                outcome.reply = f"Sorry, the {agent} service stopped responding, but this was done: {done}."
        if unreported:  # written by a client whose part did not fail, yet not reported by it
            failed[0].actions.extend(unreported)
            failed[0].reply += " Also done: " + "; ".join(action_words(w) for w in unreported) + "."

    # -- parts ---------------------------------------------------------------------------------------

    @staticmethod
    def _step(part: RoutedPart) -> RouteStep:
        return RouteStep(
            text=part.text,
            agent=part.agent,
            skill=part.skill,
            via=part.via,
            confidence=round(part.confidence, 3),
            intent=part.intent,
            guess=part.guess,
        )

    async def _run_part(
        self,
        session: Session,
        step: RouteStep,
        intent: dict[str, JsonValue] | None,
        turn_id: str,
        seat: Seat,
        remaining_s: float,
        *,
        said: str | None = None,
        alone: bool = True,
    ) -> PartOutcome:
        healthy = self.directory.healthy()
        if step.agent is not None and step.agent not in healthy:
            return PartOutcome(
                step=step, reply=f"The {step.agent} service isn't available right now.", degraded=True
            )
        timeout = min(self.agent_timeout_s, max(remaining_s, MIN_AGENT_TIMEOUT_S))
        if step.agent is None or step.via == "fallback":
            # Beside other requests, what was not done in the person's words; alone, what can be done
            # (while the car is not parked, a few skill areas of it: GR-12).
            fallback = sentence(not_done_yet(step.text)) if not alone else await self._cannot_do()
            agent, skill = _guessed(step.guess)
            if agent is not None and agent in healthy and (step.confidence or 0.0) >= GUESS_FLOOR:
                # Not confident enough to route, but close: the guessed agent's own parser decides. It
                # acts only on what it understands from the person's words; else the honest fallback.
                tentative = step.model_copy(update={"agent": agent, "skill": skill, "via": "model"})
                outcome = await self._call(session, tentative, intent, turn_id, seat, timeout, said=said)
                if outcome.understood:
                    return outcome
                return PartOutcome(step=step, reply=fallback, agent_ms=outcome.agent_ms)
            return PartOutcome(step=step, reply=fallback)
        return await self._call(session, step, intent, turn_id, seat, timeout, said=said)

    async def _cannot_do(self) -> str:
        """The answer to a request nothing can serve: what the agents can do, in full only when the
        car says it is parked (GR-12)."""
        parked = False
        if self.parked is not None:
            try:
                parked = await self.parked()
            except Exception:  # an unknown driving state counts as not parked
                logger.warning("the driving state could not be read", exc_info=True)
        return cannot_do(capabilities_sentence(self.directory, short=not parked))

    def _takes_together(self, agent: str) -> bool:
        """True when `agent`'s card says it acts on several intents of one turn together."""
        entry = self.directory.get(agent)
        if entry is None or entry.card is None:
            return False
        return any(ext.uri == INTENTS_EXTENSION for ext in entry.card.capabilities.extensions)

    async def _run_together(
        self,
        session: Session,
        group: list[RouteStep],
        understood: dict[int, dict[str, JsonValue]],
        turn_id: str,
        seat: Seat,
        remaining_s: float,
    ) -> list[PartOutcome]:
        """Send the parts of ``group`` (one agent, each read whole by its grammar) as one message whose
        data part lists their intents (:data:`~agents.hosting.INTENTS`), so that the agent acts on them
        together and answers once; one outcome per part, the answer on the first. Each part is
        remembered with its own intent and slots, for follow-ups."""
        agent = group[0].agent
        assert agent is not None
        if agent not in self.directory.healthy():
            return [
                await self._run_part(session, step, understood.get(id(step)), turn_id, seat, remaining_s)
                for step in group
            ]
        text = ", ".join(step.text for step in group)
        data: dict[str, JsonValue] = {
            "intent": INTENTS,
            "slots": {INTENTS: [understood[id(step)] for step in group]},
            "text": text,
        }
        step = RouteStep(text=text, agent=agent, skill=group[0].skill, via="template", confidence=1.0)
        timeout = min(self.agent_timeout_s, max(remaining_s, MIN_AGENT_TIMEOUT_S))
        before = len(session.last_turn) if session.last_turn_id == turn_id else 0
        outcome = await self._call(session, step, data, turn_id, seat, timeout)
        reached = session.last_turn_id == turn_id and len(session.last_turn) > before
        sent = session.last_turn.pop() if reached else None  # remembered below, part by part
        if sent is not None:
            for part in group:
                said = understood[id(part)]
                slots = said.get("slots")
                session.last_turn.append(
                    LastPart(
                        text=part.text,
                        agent=agent,
                        skill=part.skill,
                        task_id=sent.task_id,
                        at=sent.at,
                        intent=part.intent,
                        slots=dict(slots) if isinstance(slots, dict) else None,
                    )
                )
        outcome.step = group[0]
        return [outcome, *(PartOutcome(step=part, reply="", agent_ms=0.0) for part in group[1:])]

    async def _call(
        self,
        session: Session,
        step: RouteStep,
        data: dict[str, JsonValue] | None,
        turn_id: str,
        seat: Seat,
        timeout_s: float,
        *,
        task_id: str | None = None,
        context_id: str | None = None,
        text: str | None = None,
        said: str | None = None,
    ) -> PartOutcome:
        """Send ``step`` to its agent (with ``data``, the data part, when given) and remember it as the
        session's latest part; ``said`` is the words of the request a slot edit edits (its intent
        was first read from them), ``text`` the words to send in the step's place (an answer)."""
        assert step.agent is not None
        metadata: dict[str, JsonValue] = {"cabin/turn_id": turn_id, "cabin/session_id": session.id}
        started = time.perf_counter()
        sent = data if data is not None and isinstance(data.get("intent"), str) else None
        self.events.publish(
            "agent_call",
            turn_id,
            agent=step.agent,
            text=step.text,
            skill=step.skill,
            **({"intent": sent["intent"], "slots": sent.get("slots")} if sent is not None else {}),
        )
        if task_id is None and context_id is None:
            context_id = session.contexts.get(step.agent)
        try:
            result = await self.directory.send(
                step.agent,
                text if text is not None else step.text,
                timeout_s=timeout_s,
                data=data,
                seat=seat,
                metadata=metadata,
                task_id=task_id,
                context_id=context_id,
            )
        except AgentDown as exc:
            elapsed = (time.perf_counter() - started) * 1000
            self.events.publish("agent_error", turn_id, agent=step.agent, reason=exc.reason)
            return PartOutcome(
                step=step,
                reply=f"Sorry, the {step.agent} service did not respond ({exc.reason}).",
                agent_ms=elapsed,
                degraded=True,
                failed=True,
                answered=False,
            )
        elapsed = (time.perf_counter() - started) * 1000
        if result.context_id is not None:
            session.contexts[step.agent] = result.context_id
        outcome = self._outcome(step, result, elapsed)
        self.events.publish(
            "agent_result",
            turn_id,
            agent=step.agent,
            state=result.state,
            latency_ms=elapsed,
            task_id=result.task_id,
            data=result.data,
        )
        for action in outcome.actions:
            self.events.publish(
                "tool_call", turn_id, agent=step.agent, tool=action.tool, arguments=action.arguments
            )
            self.events.publish(
                "guardrail", turn_id, tool=action.tool, outcome=action.outcome, rule_id=action.rule_id
            )
        if outcome.state_changes:
            self.events.publish("state_change", turn_id, changes=outcome.state_changes)
        previous = session.last if text is not None else None  # an answer goes on the part it answers
        slots = sent.get("slots") if sent is not None else None
        sent_intent = sent.get("intent") if sent is not None else None
        part = LastPart(
            text=previous.text if previous is not None else step.text,
            agent=step.agent,
            skill=step.skill,
            task_id=result.task_id,
            at=time.monotonic(),
            intent=previous.intent
            if previous is not None
            else (sent_intent if isinstance(sent_intent, str) else None),
            slots=previous.slots if previous is not None else (slots if isinstance(slots, dict) else None),
            said=previous.said if previous is not None else said,
        )
        if session.last_turn_id != turn_id:
            session.next_turn(turn_id)
        session.last_turn.append(part)
        return outcome

    @staticmethod
    def _outcome(step: RouteStep, result: AgentResult, elapsed_ms: float) -> PartOutcome:
        data = result.data or {}
        actions: list[Action] = []
        raw_actions = data.get("actions")
        if isinstance(raw_actions, list):
            for raw in raw_actions:
                try:
                    actions.append(Action.model_validate(_action_fields(raw, step.agent)))
                except ValueError:
                    continue  # an agent's malformed entry is dropped, never invented into an action
        changes_raw = data.get(DATA_STATE_CHANGES)
        changes: dict[str, JsonValue] = dict(changes_raw) if isinstance(changes_raw, dict) else {}
        reply = result.text.strip() or _default_reply(result.state)
        waiting = None
        if result.needs_input and result.task_id is not None:
            waiting = (reply, result.task_id, result.context_id)
        degraded = result.state == "failed"
        understood = result.state in ("completed", "input_required") and data.get("via") != "fallback"
        return PartOutcome(
            understood=understood,
            step=step,
            reply=reply,
            actions=actions,
            state_changes=changes,
            waiting=waiting,
            agent_ms=elapsed_ms,
            degraded=degraded,
            task_id=result.task_id,
            failed=degraded,
        )

    def _assemble(
        self, session: Session, turn_id: str, outcomes: list[PartOutcome], started: float, route_ms: float
    ) -> TurnResult:
        pending = None
        for outcome in outcomes:
            if outcome.waiting is not None and outcome.step.agent is not None:
                question, task_id, context_id = outcome.waiting
                waiting = self.sessions.expect_answer(
                    session, question, outcome.step.agent, task_id, context_id
                )
                pending = PendingConfirmation(
                    question=question,
                    token=waiting.token,
                    expires_in_s=max(waiting.expires_at - time.monotonic(), 0.0),
                )
        agents: dict[str, float] = {}
        for outcome in outcomes:
            if outcome.step.agent is not None and outcome.agent_ms:
                agents[outcome.step.agent] = round(agents.get(outcome.step.agent, 0.0) + outcome.agent_ms, 2)
        state_changes: dict[str, JsonValue] = {}
        for outcome in outcomes:
            state_changes.update(outcome.state_changes)
        # One reply, as a person would say it: short statements joined, questions last (`agents.spoken`).
        reply = join_replies([o.reply for o in outcomes if o.reply])
        return TurnResult(
            session_id=session.id,
            turn_id=turn_id,
            reply=reply,
            route=[o.step for o in outcomes],
            actions=[a for o in outcomes for a in o.actions],
            state_changes=state_changes,
            pending_confirmation=pending,
            latency_ms=Latency(
                total=round((time.perf_counter() - started) * 1000, 2),
                route=round(route_ms, 2),
                agents=agents,
            ),
            degraded=any(o.degraded for o in outcomes),
        )


def _action_fields(raw: JsonValue, agent: str | None) -> JsonValue:
    """An agent's `actions` entry (camelCase, `ruleId`) as the fields of an :class:`Action`."""
    if not isinstance(raw, dict):
        return raw
    fields = {key: value for key, value in raw.items() if key != DATA_RULE_ID}
    return {**fields, "rule_id": raw.get(DATA_RULE_ID), "agent": agent}


def _understood(part: RoutedPart) -> dict[str, JsonValue] | None:
    """The data part for a part that its agent's own grammar read: ``{intent, slots, text}``; None for
    a part the model routed or a grammar's reading only routed (its agent reads the words itself)."""
    if part.grammar is None or part.grammar != part.agent or part.intent is None or part.via != "template":
        return None
    return {"intent": part.intent, "slots": dict(part.slots), "text": part.text}


def _said_together(
    parts: list[RouteStep],
    understood: dict[int, dict[str, JsonValue]],
    origins: dict[int, str],
    takes_together: Callable[[str], bool],
) -> dict[int, list[RouteStep]]:
    """Per part that goes to an agent with others of the same turn, that agent's parts: those each
    read whole by the agent's own grammar (they carry its intent and slots), two or more, none an
    edit of an earlier request, of an agent that `takes_together` (its card declares
    :data:`~agents.hosting.INTENTS_EXTENSION`). Such parts are one call
    (:meth:`Orchestrator._run_together`)."""
    by_agent: dict[str, list[RouteStep]] = {}
    for step in parts:
        if (
            step.agent is not None
            and id(step) in understood
            and id(step) not in origins
            and takes_together(step.agent)
        ):
            by_agent.setdefault(step.agent, []).append(step)
    return {id(step): group for group in by_agent.values() if len(group) > 1 for step in group}


def _complete(step: RouteStep) -> bool:
    """True when a template read the part's words whole as one request (it carries the intent)."""
    return step.via == "template" and step.intent is not None


def _guessed(label: str | None) -> tuple[str | None, str | None]:
    """The agent and skill of a best-guess label ("perception/signs" is the perception-summary agent)."""
    try:
        return agent_skill(label) if label else (None, None)
    except ValueError:
        return None, None


def action_words(action: Action) -> str:
    """An action read back from the vehicle server, in plain words: what changed and its settings
    ("seat heating (seat driver, level 3)"), never a tool name, enum value or VSS path."""

    def said(value: JsonValue) -> str:
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, dict):
            return ", ".join(said(item) for item in value.values())
        return str(value).replace("_", " ") if isinstance(value, str) and value.islower() else str(value)

    arguments = ", ".join(
        plain(f"{key.replace('_', ' ')} {said(value)}")
        for key, value in action.arguments.items()
        if value is not None
    )
    words = plain(action.tool)
    return f"{words} ({arguments})" if arguments else words


def _default_reply(state: str) -> str:
    return {
        "completed": "Done.",
        "rejected": "Sorry, I can't do that.",
        "failed": "Sorry, that didn't work.",
        "canceled": "Cancelled.",
    }.get(state, "")
