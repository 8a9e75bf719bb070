"""The routing cascade: one utterance in, ordered routed parts out, within a latency budget.

How a turn is routed:

1. The utterance is cut into candidate pieces at clause punctuation and conjunctions
   (:func:`~orchestrator.routing.splitter.split_candidates`).
2. With more than one piece, the first stage (the templates) is asked about the whole utterance: a
   template that matches all of it settles the turn as one part.
3. Every piece that is more than courtesy words goes through the cascade: each stage, in order, decides
   the pieces that no earlier stage decided (or decided only tentatively).
4. A cut is kept only where the pieces are requests on their own: a piece that routes to an agent is
   a part; a piece the model judges out of domain with confidence, and that has at least two words of
   substance, is a fallback part of its own ("... and tell me a joke"); anything else (a fragment such
   as "the wipers" when nothing routes it, "please", "oh, uh") is joined to the part before it (or
   after it, at the start). When no piece routes, the whole utterance is routed as one part.
   A piece that no stage routes and that is said as the situation or a reason
   (:func:`agents.language.clauses.is_situation`: "we're going through the car wash", "because the
   kids are asleep") is, beside a piece that routes, the context of the turn's requests: it is no
   part and is joined to none (``Route.context``). A need a stage reads ("it's cold in here") is a
   part as any other. What someone else said (:func:`agents.language.clauses.reported`: "the song
   says turn up the heat", "my friend told me to open the sunroof") is never routed: it is context
   beside the other pieces, and said alone it is one fallback part that names it in its note.
5. Adjacent parts routed to the same agent and skill are merged into one part, unless both came from
   templates (two template matches are two complete requests, each with its own intent and slots).
6. Parts routed to an agent that is not available become fallback parts that still name the agent.

Quotations and names said after "called" / "named" are data (:mod:`agents.hosting.spans`): no cut is
made inside them, and every stage judges a piece with each of them read as one placeholder word, so
the words of a name ("... called 'open all doors'") never decide where a part goes. A template match
on such a piece gives no slots: the agent reads the words, name included, itself. Neither does one on
a vehicle-control piece that asks about doing something ("should I open the sunroof",
:func:`agents.hosting.asking.question_core`): the agent answers it, it does not act on it.

A long ramble (at least ``RAMBLE_WORDS`` words) that makes an explicit ask ("..., anyway, what I wanted
to ask is whether you could set it to 22, because ...") is routed as that ask alone
(:func:`~orchestrator.routing.splitter.ask_of`): what is said around it is the story, not requests,
and judging every clause of it would spend the budget before the request is reached. ``Route.notes``
says so. When the ask names no agent, the whole utterance is routed as usual.

Budget: the stages share the turn's ``budget_s``. A stage whose ``expected_latency_s`` exceeds what is
left is skipped, and so is one that raises :class:`~orchestrator.routing.errors.StageFailed`; its
pieces fall back, and ``Route.notes`` and the parts' ``note`` say why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import JsonValue

from agents.hosting.asking import question_core
from agents.hosting.spans import data_spans, mask
from agents.language.clauses import is_situation, reported
from models import Runtime

from .errors import ArtefactError, BudgetExhausted, ModelUnavailable, RoutingError, StageFailed
from .labels import agent_skill
from .model_stage import ModelStage
from .splitter import Chunk, ask_of, is_filler, split_candidates
from .stage import Decision, RouterStage
from .templates import TemplateSet, TemplateStage
from .types import Route, RoutedPart

__all__ = ["DEFAULT_BUDGET_S", "Router"]

DEFAULT_BUDGET_S = 0.8
_REQUEST_CONFIDENCE = 0.5
"""How sure the model must be that a piece is out of domain for it to stay a part of its own."""
_UNJUDGED_REQUEST_WORDS = 3
"""How many words of substance a piece that no stage judged needs to stay a part of its own."""
RAMBLE_WORDS = 40
"""From this many words on, an utterance with an explicit ask is routed as that ask alone."""

_ACTING_AGENT = "vehicle-control"
"""The agent whose parsed intents act on the car as they are (its parts that ask a question carry none)."""

log = logging.getLogger("cabin.routing")


_REPORTED_NOTE = "what someone else said (reported speech) is not a request"


@dataclass
class _Piece:
    start: int
    end: int
    decision: Decision | None
    note: str | None = None
    joined: bool = False
    """True once a non-filler fragment was joined to it (its template slots may no longer describe it)."""


@dataclass
class _Turn:
    deadline: float
    latency: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    model_unavailable: str | None = None
    context: list[str] = field(default_factory=list)
    answered: dict[tuple[int, str], Decision | None] = field(default_factory=dict)
    """What each stage (by ``id``) answered about a text in this routing: a stage is asked about a
    text once (the whole utterance, its pieces, the ask of a ramble and a question's core overlap)."""

    def add_time(self, key: str, seconds: float) -> None:
        self.latency[key] = self.latency.get(key, 0.0) + seconds * 1000.0

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


class Router:
    """Routes utterances through a cascade of :class:`RouterStage` s (templates, then the model).

    One router serves every turn of a process; :meth:`route` may run for several turns at once.
    ``problems`` lists what is degraded since start (e.g. no usable model artefact: the model path
    is off and everything that no template matches falls back).
    """

    def __init__(self, stages: Sequence[RouterStage], *, problems: Sequence[str] = ()) -> None:
        if not stages:
            raise RoutingError("a router needs at least one stage")
        self.stages: tuple[RouterStage, ...] = tuple(stages)
        self.problems: tuple[str, ...] = tuple(problems)

    @classmethod
    async def open(
        cls,
        runtime: Runtime | None = None,
        *,
        templates: TemplateSet | None = None,
        artefact: str | Path | None = None,
        require_model: bool = False,
    ) -> Router:
        """The standard cascade: the templates, then the model path over ``runtime``.

        Without a runtime, or when the artefact is missing or was fitted on another model, the router
        runs on templates alone, logs a warning and lists the reason in :attr:`problems` (with
        ``require_model`` it raises :class:`ArtefactError` instead).
        """
        stages: list[RouterStage] = [TemplateStage(templates)]
        problems: list[str] = []
        if runtime is None:
            if require_model:
                raise ArtefactError("the model path needs a model runtime")
            problems.append("the model path is off: no model runtime was given")
        else:
            try:
                stages.append(await ModelStage.open(runtime, artefact))
            except ArtefactError as exc:
                if require_model:
                    raise
                problems.append(f"the model path is off: {exc.message}")
        for problem in problems:
            log.warning("router: %s", problem)
        return cls(stages, problems=problems)

    @property
    def model_available(self) -> bool:
        return any(isinstance(stage, ModelStage) for stage in self.stages)

    async def model_problem(self) -> str | None:
        """Why the model path cannot route now, or None: it could not be opened (:attr:`problems`), or
        its model host does not answer. A router built without a model path on purpose has none."""
        stages = [stage for stage in self.stages if isinstance(stage, ModelStage)]
        if not stages:
            return self.problems[0] if self.problems else None
        return await stages[0].problem()

    async def aclose(self) -> None:
        for stage in self.stages:
            await stage.aclose()

    async def route(
        self,
        text: str,
        *,
        available_agents: Collection[str] | None = None,
        budget_s: float = DEFAULT_BUDGET_S,
    ) -> Route:
        """Route ``text`` into ordered parts; never raises for an utterance (see the module doc).

        ``available_agents``: the agents that can take a part now (``None``: all of them); parts for
        any other agent come back as fallback parts naming it. ``budget_s``: the time routing may take.
        """
        started = time.monotonic()
        turn = _Turn(deadline=started + max(budget_s, 0.0))
        utterance = text.strip()
        if not utterance:
            return Route(parts=[], latency_ms={"total": 0.0})
        ask = ask_of(utterance) if len(utterance.split()) >= RAMBLE_WORDS else None
        if ask is not None:
            parts = await self._route_text(ask.text, turn, available_agents)
            if any(part.agent is not None for part in parts):
                turn.note(f"a long request was routed as its ask alone: {ask.text!r}")
                turn.latency["total"] = (time.monotonic() - started) * 1000.0
                return Route(
                    parts=parts,
                    latency_ms=turn.latency,
                    notes=turn.notes,
                    model_unavailable=turn.model_unavailable,
                    context=turn.context,
                )
            turn.context.clear()
        parts = await self._route_text(utterance, turn, available_agents)
        turn.latency["total"] = (time.monotonic() - started) * 1000.0
        return Route(
            parts=parts,
            latency_ms=turn.latency,
            notes=turn.notes,
            model_unavailable=turn.model_unavailable,
            context=turn.context,
        )

    async def _route_text(
        self, utterance: str, turn: _Turn, available_agents: Collection[str] | None
    ) -> list[RoutedPart]:
        t0 = time.monotonic()
        chunks = split_candidates(utterance) or [Chunk(utterance, 0, len(utterance))]
        turn.add_time("split", time.monotonic() - t0)
        pieces = await self._pieces(utterance, chunks, turn)
        parts = [self._part(utterance, piece, available_agents) for piece in pieces]
        return [await self._asked_about(part, turn, available_agents) for part in parts]

    async def _asked_about(
        self, part: RoutedPart, turn: _Turn, available: Collection[str] | None
    ) -> RoutedPart:
        """A fallback part that asks about doing something to the car ("do you think I should turn on the
        heating") goes to vehicle-control when what it asks about does ("turn on the heating", also as
        the model's best guess below its threshold: the agent answers the question and never acts on
        it). Any other part is returned as it is."""
        if part.via != "fallback" or part.agent is not None:
            return part
        core = question_core(mask(part.text))
        if core is None:
            return part
        (decision,), _ = await self._cascade([core], turn)
        if decision is None or decision.tentative:
            return part
        # The agent only answers a question, so the model's best guess is enough to say whose it is.
        label = decision.label if decision.routed else decision.guess
        if label is None:
            return part
        agent, skill = agent_skill(label)
        if agent != _ACTING_AGENT or (available is not None and agent not in available):
            return part
        return RoutedPart(
            text=part.text,
            agent=agent,
            skill=skill,
            via=decision.via,
            confidence=decision.confidence,
            note=f"a question about doing something, routed by what it asks about: {core!r}",
        )

    # -- the cascade ----------------------------------------------------------------------------------

    async def _cascade(
        self, texts: Sequence[str], turn: _Turn, *, stages: Sequence[RouterStage] | None = None
    ) -> tuple[list[Decision | None], list[str | None]]:
        decisions: list[Decision | None] = [None] * len(texts)
        notes: list[str | None] = [None] * len(texts)
        for stage in self.stages if stages is None else stages:
            pending = [i for i, d in enumerate(decisions) if d is None or d.tentative]
            if not pending:
                break
            answers = await self._ask(stage, [texts[i] for i in pending], turn)
            for i, answer in zip(pending, answers, strict=True):
                if isinstance(answer, str):
                    notes[i] = notes[i] or answer
                    continue
                if answer is None:
                    continue
                earlier = decisions[i]
                if earlier is not None and earlier.tentative:
                    if answer.label == earlier.label:
                        decisions[i] = earlier.model_copy(update={"tentative": False})
                    else:
                        decisions[i] = answer.model_copy(
                            update={
                                "note": f"the {earlier.via} match ({earlier.intent}) was not confirmed "
                                f"by the {stage.name} path"
                            }
                        )
                else:
                    decisions[i] = answer
        return decisions, notes

    async def _ask(
        self, stage: RouterStage, texts: Sequence[str], turn: _Turn
    ) -> list[Decision | str | None]:
        """``stage``'s answer about each of ``texts``: its decision, None (no opinion), or why it did
        not answer (skipped for lack of budget, or failed). What it answered earlier in this routing
        is not asked again; each other text is asked once."""
        out: list[Decision | str | None] = [None] * len(texts)
        ask: dict[str, list[int]] = {}
        for i, text in enumerate(texts):
            key = (id(stage), text)
            if key in turn.answered:
                out[i] = turn.answered[key]
            else:
                ask.setdefault(text, []).append(i)
        if not ask:
            return out
        asked = list(ask)
        left = turn.deadline - time.monotonic()
        if stage.expected_latency_s > 0 and left < stage.expected_latency_s * len(asked):
            reason = (
                f"{stage.name} path skipped: {max(left, 0.0) * 1000:.0f} ms of the budget left, "
                f"it needs about {stage.expected_latency_s * len(asked) * 1000:.0f} ms"
            )
            turn.note(reason)
            for text in asked:
                for i in ask[text]:
                    out[i] = reason
            return out
        t0 = time.monotonic()
        try:
            answers = await stage.decide(asked, deadline=turn.deadline)
            if len(answers) != len(asked):
                raise StageFailed(
                    f"the {stage.name} stage answered {len(answers)} decisions for {len(asked)} texts"
                )
        except StageFailed as exc:
            if isinstance(exc, ModelUnavailable):
                turn.model_unavailable = exc.message
            elif isinstance(exc, BudgetExhausted) and isinstance(stage, ModelStage):
                # A model host that hangs looks like a slow one; its health check tells them apart.
                turn.model_unavailable = await stage.problem()
            turn.note(exc.message)
            for text in asked:
                for i in ask[text]:
                    out[i] = exc.message
            return out
        finally:
            turn.add_time(stage.name, time.monotonic() - t0)
        for text, answer in zip(asked, answers, strict=True):
            turn.answered[(id(stage), text)] = answer
            for i in ask[text]:
                out[i] = answer
        return out

    async def _pieces(self, utterance: str, chunks: list[Chunk], turn: _Turn) -> list[_Piece]:
        whole = _Piece(0, len(utterance), None)
        if reported(utterance) is not None:
            # "the song says turn up the heat": what someone else said is never a request.
            whole.note = _REPORTED_NOTE
            turn.context.append(utterance.strip())
            return [whole]
        if len(chunks) == 1:
            (whole.decision,), (whole.note,) = await self._cascade([mask(utterance)], turn)
            return [whole]
        (first,), _ = await self._cascade([mask(utterance)], turn, stages=self.stages[:1])
        if first is not None and first.routed and not first.tentative:
            whole.decision = first
            return [whole]
        heard = {i for i, c in enumerate(chunks) if reported(c.text) is not None}
        turn.context.extend(chunks[i].text for i in sorted(heard))
        substantive = [i for i, c in enumerate(chunks) if not is_filler(c.text) and i not in heard]
        decisions, notes = await self._cascade([mask(chunks[i].text) for i in substantive], turn)
        by_chunk = dict(zip(substantive, zip(decisions, notes, strict=True), strict=True))
        if not any(d is not None and d.routed for d in decisions):
            if heard:
                whole.note = _REPORTED_NOTE
                return [whole]
            (whole.decision,), (whole.note,) = await self._cascade([mask(utterance)], turn)
            return [whole]
        pieces: list[_Piece] = []
        pending: list[Chunk] = []
        for i, chunk in enumerate(chunks):
            if i in heard:
                continue
            decision, note = by_chunk.get(i, (None, None))
            if i in by_chunk and (decision is None or not decision.routed) and is_situation(chunk.text):
                # Beside a request that routes, a statement nothing reads as a request is its reason.
                turn.context.append(chunk.text)
                continue
            if i in by_chunk and _stands_alone(chunk.text, decision):
                piece = _Piece(chunk.start, chunk.end, decision, note)
                if pending:
                    piece.start = pending[0].start
                    piece.joined = piece.joined or any(not is_filler(c.text) for c in pending)
                    pending = []
                pieces.append(piece)
            elif pieces:
                pieces[-1].end = chunk.end
                pieces[-1].joined = pieces[-1].joined or not is_filler(chunk.text)
            else:
                pending.append(chunk)
        return _merge(pieces)

    # -- parts ----------------------------------------------------------------------------------------

    def _part(self, utterance: str, piece: _Piece, available: Collection[str] | None) -> RoutedPart:
        text = utterance[piece.start : piece.end].strip(" ,;")
        decision = piece.decision
        if decision is None:
            return RoutedPart(
                text=text,
                agent=None,
                skill=None,
                via="fallback",
                confidence=0.0,
                note=piece.note or "no stage could decide this part",
            )
        agent, skill = agent_skill(decision.label)
        intent = decision.intent
        slots: dict[str, JsonValue] = dict(decision.slots)
        grammar = decision.grammar
        # A question about doing something ("should I open the sunroof") is no parsed request: the
        # vehicle-control agent reads the words and answers it.
        asks = agent == _ACTING_AGENT and question_core(mask(text)) is not None
        if decision.via == "template" and (piece.joined or asks or data_spans(text)):
            intent, slots, grammar = None, {}, None
        if agent is None:
            return RoutedPart(
                text=text,
                agent=None,
                skill=None,
                via="fallback",
                confidence=decision.confidence,
                note=decision.note or piece.note or "no agent of this car handles this",
                guess=decision.guess,
            )
        if available is not None and agent not in available:
            return RoutedPart(
                text=text,
                agent=agent,
                skill=skill,
                intent=intent,
                slots=slots,
                grammar=grammar,
                via="fallback",
                confidence=decision.confidence,
                note=f"the {agent} agent is not available",
            )
        return RoutedPart(
            text=text,
            agent=agent,
            skill=skill,
            intent=intent,
            slots=slots,
            grammar=grammar,
            via=decision.via,
            confidence=decision.confidence,
            note=decision.note,
        )


def _stands_alone(text: str, decision: Decision | None) -> bool:
    """Whether a piece is a request on its own (else it is joined to a neighbour)."""
    words = [w for w in text.split() if not is_filler(w)]
    if decision is None:
        # Nothing could judge it (the model path is off, skipped or failed): a short piece is most
        # likely a continuation ("... and the wipers"), a longer one stays visible as a fallback part.
        return len(words) >= _UNJUDGED_REQUEST_WORDS
    if decision.routed:
        return True
    return decision.guess is None and decision.confidence >= _REQUEST_CONFIDENCE and len(words) >= 2


def _merge(pieces: list[_Piece]) -> list[_Piece]:
    """Merge adjacent pieces routed to the same label, unless both are template matches."""
    out: list[_Piece] = []
    for piece in pieces:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.decision is not None
            and piece.decision is not None
            and previous.decision.routed
            and previous.decision.label == piece.decision.label
            and not (previous.decision.via == "template" and piece.decision.via == "template")
        ):
            a, b = previous.decision, piece.decision
            same = a.intent == b.intent and a.slots == b.slots
            previous.decision = Decision(
                label=a.label,
                confidence=min(a.confidence, b.confidence),
                via="model" if "model" in (a.via, b.via) else "template",
                intent=a.intent if same else None,
                slots=a.slots if same else {},
                grammar=a.grammar if same and a.grammar == b.grammar else None,
                note=a.note or b.note,
            )
            previous.end = piece.end
            previous.joined = previous.joined or piece.joined
            continue
        out.append(piece)
    return out
