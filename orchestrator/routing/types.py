"""What the router returns: :class:`Route`, a list of :class:`RoutedPart`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["Route", "RoutedPart", "Via"]

Via = Literal["template", "model", "fallback"]


class RoutedPart(BaseModel):
    """One part of an utterance, routed.

    ``via`` says which stage decided: ``template`` (a sentence template matched), ``model`` (the
    supervised classifier was confident enough) or ``fallback`` (nothing routes it: an honest "I can't
    do that"). A fallback part has ``agent`` ``None``, except when it was routed to an agent that is not
    available right now: then it names that agent so that the reply can say which one.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    agent: str | None
    skill: str | None
    intent: str | None = None
    slots: dict[str, JsonValue] = Field(default_factory=dict)
    grammar: str | None = None
    """The agent whose own grammar read this part, when that agent acts on ``intent`` and ``slots`` as
    read (the orchestrator sends them to it); None when the model routed the part or the grammar's
    reading only routes it (the agent reads the words itself)."""
    via: Via
    confidence: float = Field(ge=0.0, le=1.0)
    """1.0 for a template; the calibrated probability of the model's best label otherwise (also for a
    fallback part the model decided); 0.0 when no stage decided."""
    note: str | None = None
    """Why a part fell back, or what was unusual about how it was routed."""
    guess: str | None = None
    """For a part the model was not confident about: its best label (e.g. ``vehicle-control/climate``)."""


class Route(BaseModel):
    """The ordered parts of one utterance and where the routing time went."""

    model_config = ConfigDict(frozen=True)

    parts: list[RoutedPart]
    latency_ms: dict[str, float]
    """``total`` and the time of each step (``split`` and each stage by name: ``template``, ``model``)."""
    notes: list[str] = Field(default_factory=list)
    """Turn-level events: a stage skipped for lack of budget, or failed."""
    context: list[str] = Field(default_factory=list)
    """The clauses said as the situation or a reason beside the parts ("close everything, we're going
    through the car wash" has the context "we're going through the car wash"): no stage read them as
    requests, so they are no parts, and nothing is answered for them."""
    model_unavailable: str | None = None
    """Why the model path could not be asked in this turn (the model host is down), when that is so:
    parts it would have decided fell back for that reason, not because nothing matched."""
