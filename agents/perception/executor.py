"""The perception-summary agent's executor: understand, read the facts, compose, optionally phrase."""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue

from agents.hosting import AgentRequest, CabinExecutor, Failure, Outcome, Rejection, Reply
from agents.perception.facts import Facts
from agents.perception.feeds import FactReader
from agents.perception.phrasing import ModelPhraser, Phrasing
from agents.perception.summary import DEFAULT_SETTINGS, Answer, Policy, SummarySettings, compose, policy_of
from agents.perception.understanding import (
    Ask,
    AskKind,
    IntentError,
    ask_from_intent,
    parse_question,
    slots_of,
)

__all__ = ["PHRASED_KINDS", "PerceptionExecutor"]

PHRASED_KINDS: frozenset[AskKind] = frozenset({"surroundings", "blind_spot"})
"""Questions whose answer the model may rephrase; lane changes, signs and the driver keep exact words."""

_NOT_UNDERSTOOD = "I can tell you what's around the car, what the road signs say, or how alert you seem."


class PerceptionExecutor(CabinExecutor):
    """Answers one question per task; never asks back, never acts on the car.

    A turn: the question is taken from the message's parsed intent (`data` part) or parsed from its
    text; the facts it needs are read through `reader`; `compose` writes the sentence; `phraser`, when
    given, may rephrase answers about objects, and its sentence is kept only when grounded.

    Outcomes: `Reply` with the sentence and the data part `{"question", "objects", "signs",
    "sign_text", "driver", "facts_used", "frame", "gaps", "rules", "phrasing"}`; `Rejection` when the
    question is not one this agent answers; `Failure` (same data part) when a server the question
    needs is out of reach. Only reads happen, so the message's origin does not restrict anything.
    """

    handler_timeout_s: float | None = 60.0

    def __init__(
        self,
        reader: FactReader,
        *,
        phraser: ModelPhraser | None = None,
        settings: SummarySettings = DEFAULT_SETTINGS,
    ) -> None:
        super().__init__()
        self._reader = reader
        self._phraser = phraser
        self._settings = settings

    async def aclose(self) -> None:
        """Close the connections to the MCP servers."""
        await self._reader.aclose()

    async def handle(self, request: AgentRequest) -> Outcome:
        ask = _understand(request)
        if isinstance(ask, Rejection):
            return ask
        meta: dict[str, Any] = {"cabin/turn_id": request.task_id}
        if request.seat is not None:
            meta["cabin/seat"] = request.seat
        facts = await self._reader.read(ask, meta=meta)
        policy = policy_of(facts.driver, self._settings)
        answer = compose(ask, facts, self._settings)
        phrasing = Phrasing(text=answer.text, via="template")
        if self._phraser is not None and ask.kind in PHRASED_KINDS and answer.mentioned and not answer.failed:
            phrasing = await self._phraser.phrase(answer, short=policy.short)
        data = _data(ask, facts, answer, policy, phrasing)
        if answer.failed:
            return Failure(reason=answer.text, data=data)
        return Reply(text=phrasing.text, data=data)


def _understand(request: AgentRequest) -> Ask | Rejection:
    parsed = parse_question(request.text) if request.text.strip() else None
    if request.intent is not None:
        try:
            return ask_from_intent(request.intent)
        except IntentError as exc:
            if parsed is not None:
                return parsed
            return Rejection(reason=f"{exc}.", data={"understood": False})
    if parsed is None:
        return Rejection(reason=_NOT_UNDERSTOOD, data={"understood": False})
    return parsed


def _data(ask: Ask, facts: Facts, answer: Answer, policy: Policy, phrasing: Phrasing) -> dict[str, JsonValue]:
    frame = facts.objects or facts.signs
    return {
        "question": {"kind": ask.kind, "skill": ask.skill, **slots_of(ask)},
        "objects": [obj.as_data() for obj in answer.objects],
        "signs": [sign.as_data() for sign in answer.signs],
        "sign_text": facts.reading.spoken_text if facts.reading is not None else None,
        "driver": facts.driver.as_data(),
        "facts_used": list(answer.facts_used),
        "frame": None if frame is None else {"timestamp": frame.timestamp, "age_s": frame.age_s},
        "gaps": [gap.model_dump(mode="json") for gap in facts.gaps],
        "rules": list(policy.rules),
        "phrasing": {
            "via": phrasing.via,
            "problems": list(phrasing.problems),
            "latency_ms": phrasing.latency_ms,
        },
    }
