"""The orchestrator's public payloads (docs/orchestrator.md): what a front-end sends and what a turn gets."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PlainValidator,
    RootModel,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from mcp_servers.vehicle.catalog import Scalar, Value

Seat = Literal["driver", "passenger", "rear_left", "rear_right"]
Via = Literal["template", "model", "fallback"]
Outcome = Literal["applied", "refused", "needs_confirmation", "failed"]

MAX_UTTERANCE_CHARS = 500
MAX_STATE_VALUES = 256
"""Most signals one ``PUT /v1/vehicle/state`` sets (the catalog's size is far below it)."""
MAX_SAFE_INTEGER = 2**53
"""Integers a JSON number carries exactly; larger ones are no signal value."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_VSS_PATH = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"


def printable(text: str) -> str:
    """``text`` with lone UTF-16 surrogates written as ``\\ud800``-style escapes, so it can be echoed in an
    answer (a lone surrogate cannot be encoded as UTF-8)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_text(value: str) -> str:
    """Refuse a string holding a lone UTF-16 surrogate (JSON's ``"\\ud800"``): it is not text and cannot
    be passed on to any component."""
    found = _SURROGATE.search(value)
    if found is not None:
        raise ValueError(
            f"contains a lone UTF-16 surrogate ({printable(found.group())}) at character {found.start()}, "
            "which is not text"
        )
    return value


class Utterance(BaseModel):
    """``POST /v1/utterances``: what the person said, which seat they sit in, and the conversation."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        description=f"what the person said (1-{MAX_UTTERANCE_CHARS} characters, not only whitespace)",
        json_schema_extra={"minLength": 1, "maxLength": MAX_UTTERANCE_CHARS, "pattern": r"\S"},
    )
    seat: Seat = "driver"
    session_id: Annotated[str, AfterValidator(check_text)] | None = Field(default=None, max_length=100)

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data: Any) -> Any:
        for name in data if isinstance(data, dict) else ():
            if isinstance(name, str) and _SURROGATE.search(name):
                raise ValueError(f"the field name '{printable(name)}' contains a lone UTF-16 surrogate")
        return data

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        check_text(value)
        if len(value) > MAX_UTTERANCE_CHARS:
            raise ValueError(f"text is {len(value)} characters long; at most {MAX_UTTERANCE_CHARS} per turn")
        stripped = " ".join(value.split())
        if not stripped:
            raise ValueError("text is empty: say something")
        return stripped


def _scalar(value: object) -> Scalar:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise ValueError(f"the integer {value} is out of range (at most 2^53 either way)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return value
    if isinstance(value, str):
        return check_text(value)
    kind = {dict: "an object", list: "a list inside a list", type(None): "null"}.get(type(value), "this")
    raise ValueError(f"{kind} is not a signal value: send a boolean, a number, a string or a list of them")


def _state_value(value: object) -> Value:
    if isinstance(value, list):
        return [_scalar(item) for item in value]
    return _scalar(value)


_SCALAR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "boolean"},
        {"type": "integer", "minimum": -MAX_SAFE_INTEGER, "maximum": MAX_SAFE_INTEGER},
        {"type": "number"},
        {"type": "string"},
    ]
}
StateValue = Annotated[
    Value,
    PlainValidator(_state_value),
    WithJsonSchema({"anyOf": [*_SCALAR_SCHEMA["anyOf"], {"type": "array", "items": _SCALAR_SCHEMA}]}),
]
"""A signal's value as the front-end sends it (the vehicle server's ``Value``): a boolean, a finite
number, a string or a list of them."""
VssPath = Annotated[str, Field(min_length=1, max_length=200, pattern=_VSS_PATH)]


def _state_write_schema(schema: dict[str, Any]) -> None:
    # Every key is a VSS path: say so with propertyNames (pydantic writes patternProperties, which
    # would let any other key through).
    pattern, value = next(iter(schema.pop("patternProperties").items()))
    schema["propertyNames"] = {**schema.get("propertyNames", {}), "pattern": pattern}
    schema["additionalProperties"] = value


class StateWrite(RootModel[dict[VssPath, StateValue]]):
    """``PUT /v1/vehicle/state``: ``{VSS path: current value}`` for the simulator, sensors included."""

    model_config = ConfigDict(json_schema_extra=_state_write_schema)

    root: dict[VssPath, StateValue] = Field(min_length=1, max_length=MAX_STATE_VALUES)


def signal_schema(signal: dict[str, Any]) -> dict[str, Any]:
    """The JSON schema of one signal's value, from its description by the vehicle server's
    ``list_signals`` (``datatype``, ``min``, ``max``, ``allowed``)."""
    base = str(signal["datatype"]).removesuffix("[]")
    item: dict[str, Any]
    if base in ("boolean", "string"):
        item = {"type": base}
    elif base in ("float", "double"):
        item = {"type": "number"}
    else:  # VSS integer types: int8 .. uint64
        bits = int(base.removeprefix("u").removeprefix("int"))
        low, high = (0, 2**bits - 1) if base.startswith("u") else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        item = {
            "type": "integer",
            "minimum": max(low, -MAX_SAFE_INTEGER),
            "maximum": min(high, MAX_SAFE_INTEGER),
        }
    if signal.get("min") is not None and item["type"] in ("integer", "number"):
        item["minimum"] = max(item.get("minimum", signal["min"]), signal["min"])
    if signal.get("max") is not None and item["type"] in ("integer", "number"):
        item["maximum"] = min(item.get("maximum", signal["max"]), signal["max"])
    if signal.get("allowed"):
        item["enum"] = list(signal["allowed"])
    return {"type": "array", "items": item} if str(signal["datatype"]).endswith("[]") else item


def state_write_schema(signals: list[dict[str, Any]]) -> dict[str, Any]:
    """The schema of ``PUT /v1/vehicle/state`` for the signals a vehicle server reports."""
    return {
        "type": "object",
        "description": StateWrite.__doc__,
        "properties": {s["path"]: signal_schema(s) for s in signals},
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": MAX_STATE_VALUES,
    }


class FieldProblem(BaseModel):
    """One thing wrong with a request."""

    field: str = Field(description="the body field, query parameter or VSS path; `body` for the whole")
    message: str


class ErrorBody(BaseModel):
    """Every error answer of the front-end API (4xx and 5xx), whatever part of the server gave it."""

    error: str = Field(description="a stable code: invalid_request, unauthorized, not_found, ...")
    detail: str = Field(description="a sentence saying what was wrong and what to do")
    problems: list[FieldProblem] = Field(default_factory=list, description="one entry per bad field (422)")


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
    expires_in_s: float | None = Field(
        default=None, description="seconds left to answer yes or no before the question lapses"
    )


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


class Health(BaseModel):
    """``GET /healthz``: 200 with ``status: ok`` when every component answers, else 503 with
    ``status: degraded`` and what does not answer. Never 500."""

    status: Literal["ok", "degraded"]
    vehicle: bool = Field(description="the vehicle server answers a read")
    agents: dict[str, bool] = Field(default_factory=dict, description="agent name (or URL): answers")
    model: bool = Field(default=True, description="the on-device model answers (the model path can route)")
    problems: list[str] = Field(default_factory=list, description="one sentence per component that does not")


class LoginLink(BaseModel):
    """``POST /v1/login-codes``: a one-time link that logs a browser in to the cockpit."""

    url: str = Field(description="open it once, within expires_in_s, to get the cockpit's session cookie")
    expires_in_s: int
