"""Optional rephrasing of an answer by the on-device model, checked against the facts.

`ModelPhraser.phrase(answer, short=...)` asks the model (through the shared `models.Runtime`) to say
the deterministic sentence in a more natural way: a few-shot prompt whose fixed part is declared
once as a cached prefix, greedy decoding under a GBNF grammar that allows one plain sentence, a
token cap and a deadline. The model's sentence is used only when `grounding_problems` finds nothing
in it that the facts do not hold; otherwise, and on any model error or timeout, the deterministic
sentence stands. Which questions are phrased at all is the executor's choice (object descriptions;
never lane changes, sign text or driver state, whose exact wording matters).
"""

from __future__ import annotations

import logging
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict

from agents.perception.grounding import grounding_problems
from agents.perception.summary import Answer, object_position
from models import ModelError, Priority, Runtime

__all__ = ["PHRASE_GRAMMAR", "ModelPhraser", "Phrasing"]

logger = logging.getLogger(__name__)

PHRASE_GRAMMAR = r"""root ::= " "? [A-Z] body "."
body ::= ([a-zA-Z ,;'-] | num)+
num ::= [0-9]+ ("." [0-9]+)?
"""
"""One plain sentence: letters, digits (decimals allowed), spaces and light punctuation, one final stop."""

_PROMPT = """Rewrite each driver report as one short, friendly spoken sentence. Use only the facts given.

Facts: cyclist, in your right blind spot
Report: There's a cyclist in your right blind spot.
Spoken: Watch out, a cyclist is in your right blind spot.

Facts: car, closing fast 20 metres ahead
Report: Careful: a car closing fast 20 metres ahead.
Spoken: Careful, the car 20 metres ahead is closing in fast.

Facts: truck, 14 metres behind; pedestrian, 4 metres to your right
Report: I see a truck 14 metres behind and a pedestrian 4 metres to your right.
Spoken: There's a truck 14 metres behind you and a pedestrian 4 metres to your right.

"""

_MAX_WORDS_LONG = 60


class Phrasing(BaseModel):
    """The sentence to say and where it came from; `problems` lists why a model sentence was refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    via: Literal["template", "model"]
    problems: tuple[str, ...] = ()
    latency_ms: float | None = None


class ModelPhraser:
    """Rephrases composed answers with a model runtime, keeping only grounded sentences.

    `timeout_s` bounds one rephrasing (queue time included); `short_word_limit` is the most words a
    sentence may have when the answer must be short (GR-12/GR-14). The runtime is shared and not
    closed here.
    """

    def __init__(
        self,
        runtime: Runtime,
        *,
        timeout_s: float = 2.5,
        max_tokens: int = 48,
        short_word_limit: int = 20,
        priority: int = Priority.INTERACTIVE,
    ) -> None:
        self._runtime = runtime
        self._timeout_s = timeout_s
        self._max_tokens = max_tokens
        self._short_word_limit = short_word_limit
        self._priority = priority

    async def phrase(self, answer: Answer, *, short: bool) -> Phrasing:
        """The model's rephrasing of `answer` when it is grounded, else `answer.text` (`via` says which)."""
        facts = "; ".join(f"{obj.object_class}, {object_position(obj)}" for obj in answer.mentioned)
        prompt = f"Facts: {facts}\nReport: {answer.text}\nSpoken:"
        started = time.perf_counter()
        try:
            completion = await self._runtime.generate(
                prompt,
                prefix=_PROMPT,
                max_tokens=self._max_tokens,
                stop=("\n",),
                grammar=PHRASE_GRAMMAR,
                priority=self._priority,
                timeout=self._timeout_s,
            )
        except ModelError as exc:
            logger.info("rephrasing skipped: %s", exc)
            return Phrasing(text=answer.text, via="template", problems=(f"model: {exc}",))
        latency_ms = round((time.perf_counter() - started) * 1000.0, 1)
        candidate = " ".join(completion.text.split())
        if completion.finish_reason == "length":
            return Phrasing(
                text=answer.text,
                via="template",
                problems=("the sentence was cut off",),
                latency_ms=latency_ms,
            )
        problems = grounding_problems(
            candidate,
            reference=answer.text,
            mentioned=answer.mentioned,
            max_words=self._short_word_limit if short else _MAX_WORDS_LONG,
            single_sentence=short,
        )
        if problems:
            logger.info("model sentence %r refused: %s", candidate, "; ".join(problems))
            return Phrasing(text=answer.text, via="template", problems=tuple(problems), latency_ms=latency_ms)
        return Phrasing(text=candidate, via="model", latency_ms=latency_ms)
