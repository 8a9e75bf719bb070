"""The orchestrator's public payloads (CONTRACTS.md §4): what a front-end sends and what a turn returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, field_validator

Seat = Literal["driver", "passenger", "rear_left", "rear_right"]
Via = Literal["template", "model", "fallback"]
Outcome = Literal["applied", "refused", "needs_confirmation", "failed"]

MAX_UTTERANCE_CHARS = 500


class Utterance(BaseModel):
    """``POST /v1/utterances``: what the person said, which seat they sit in, and the conversation."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description=f"what the person said (1-{MAX_UTTERANCE_CHARS} characters)")
    seat: Seat = "driver"
    session_id: str | None = Field(default=None, max_length=100)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        stripped = " ".join(value.split())
        if not stripped:
            raise ValueError("text is empty: say something")
        if len(stripped) > MAX_UTTERANCE_CHARS:
            raise ValueError(
                f"text is {len(stripped)} characters long; at most {MAX_UTTERANCE_CHARS} per turn"
            )
        return stripped


class RouteStep(BaseModel):
    text: str
    agent: str | None
    skill: str | None
    via: Via
    confidence: float | None = None
    intent: str | None = None
    guess: str | None = Field(
        default=None, description="the model's best label when it was not confident enough to route"
    )


class Action(BaseModel):
    tool: str
    arguments: dict[str, JsonValue] = Field(default_factory=dict)
    outcome: Outcome
    rule_id: str | None = None
    message: str | None = None
    agent: str | None = None


class PendingConfirmation(BaseModel):
    question: str
    token: str


class Latency(BaseModel):
    total: float
    route: float
    agents: dict[str, float] = Field(default_factory=dict)


class TurnResult(BaseModel):
    """The full account of one turn."""

    session_id: str
    turn_id: str
    reply: str
    route: list[RouteStep] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    state_changes: dict[str, JsonValue] = Field(default_factory=dict)
    pending_confirmation: PendingConfirmation | None = None
    latency_ms: Latency
    degraded: bool = Field(default=False, description="true when an agent failed or the budget ran out")


class AgentInfo(BaseModel):
    """``GET /v1/agents``: one configured agent, its card and health."""

    name: str
    url: str
    healthy: bool
    breaker: Literal["closed", "open", "half_open"]
    card: dict[str, Any] | None = None
    error: str | None = None
