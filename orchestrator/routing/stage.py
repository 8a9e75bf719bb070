"""The extension point of the routing cascade: :class:`RouterStage`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from .labels import NONE

__all__ = ["Decision", "RouterStage"]


class Decision(BaseModel):
    """What one stage decided for one part of an utterance.

    ``label`` is a routing label, or ``none`` when the stage judges that no agent handles the part
    (out of domain, or not confident enough: then ``guess`` holds the label it did not dare to give).
    ``confidence`` is 1.0 for a template match and the calibrated probability of the stage's best label
    for the model.
    """

    model_config = ConfigDict(frozen=True)

    label: str
    confidence: float = Field(ge=0.0, le=1.0)
    via: Literal["template", "model"]
    intent: str | None = None
    slots: dict[str, JsonValue] = Field(default_factory=dict)
    guess: str | None = None
    """The best label when it was below the stage's threshold (``label`` is then ``none``)."""
    grammar: str | None = None
    """The agent whose own grammar read the part: ``intent`` and ``slots`` are then that grammar's, and
    the agent acts on them without reading the words again."""
    tentative: bool = False
    """True when a later stage should confirm the label (a template that matched through a wildcard):
    the router keeps this decision only if the next stage that decides agrees on the label."""
    note: str | None = None

    @property
    def routed(self) -> bool:
        """True when the decision names an agent."""
        return self.label != NONE


class RouterStage(ABC):
    """One stage of the routing cascade (templates, the supervised model, ...).

    Contract:

    - :meth:`decide` gets the texts of one or more parts of *one* utterance, in order, and returns
      exactly one entry per text, in the same order: a :class:`Decision`, or ``None`` when this stage
      has no opinion on that text and the next stage should decide. A stage that gives a ``Decision``
      with label ``none`` has decided that no agent handles the text; later stages are not asked.
    - ``deadline`` is a ``time.monotonic()`` instant by which the turn's budget runs out. A stage
      that cannot finish by then raises :class:`~orchestrator.routing.errors.BudgetExhausted`; the
      router then falls back for those texts and records why. A stage that fails for any other
      reason raises :class:`~orchestrator.routing.errors.StageFailed` (never anything else): the
      failure affects this turn only and the stage must keep serving.
    - Cancellation: when the awaiting task is cancelled, the stage lets ``CancelledError`` propagate
      and abandons any request it started (no result arrives later).
    - Concurrency: one stage instance serves every turn of the process; :meth:`decide` may run for
      several turns at once and keeps no per-turn state on the instance.
    - Lifecycle: a stage is constructed ready to serve (loading templates or artefacts happens in the
      constructor or a factory, where problems raise); :meth:`aclose` releases what it holds and is
      called once, after which :meth:`decide` is not called again.
    """

    name: ClassVar[str]
    """Short name, used as the key of this stage's time in ``Route.latency_ms``."""

    expected_latency_s: float = 0.0
    """About how long one :meth:`decide` call takes for one text; the router skips the stage (and
    records it) when less of the turn's budget is left."""

    @abstractmethod
    async def decide(self, texts: Sequence[str], *, deadline: float) -> list[Decision | None]:
        """One decision (or ``None`` = no opinion) per text, in order."""

    async def aclose(self) -> None:
        """Release what the stage holds (nothing by default)."""
        return None
