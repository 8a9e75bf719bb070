"""The payloads that cross the A2A boundary, as pydantic models.

Incoming: a user `Message` becomes a `UserMessage` (text, optional parsed intent, optional files,
and the cabin metadata: speaker seat and origin). Outgoing: a handler answers with one `Outcome`
(`Reply`, `Question`, `Rejection` or `Failure`), which the executor turns into A2A parts.

Metadata keys cabin puts on a user message:

- `cabin/seat`   -- who spoke: `driver`, `passenger`, `rear_left` or `rear_right`.
- `cabin/origin` -- where the text came from: `occupant` (a person in the car asked), `agent`
  (another agent's output), `external` (text from outside: a POI name, a received message, the web)
  or `system` (the stack itself, e.g. a proactive notice). Only `occupant` text may lead to an
  actuation (docs/safety.md GR-18); the vehicle MCP server enforces it again below every agent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from a2a.types import Message, Part
from google.protobuf import json_format, struct_pb2
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from agents.hosting.errors import InvalidMessageError, UnsupportedPartError

__all__ = [
    "DATA_RULE_ID",
    "DATA_STATE_CHANGES",
    "METADATA_ORIGIN",
    "METADATA_PENDING",
    "METADATA_SEAT",
    "AgentRequest",
    "Failure",
    "FileInput",
    "Origin",
    "Outcome",
    "ParsedIntent",
    "PendingQuestion",
    "Question",
    "Rejection",
    "Reply",
    "Seat",
    "UserMessage",
    "camel_data",
    "data_part",
    "read_user_message",
    "struct_to_python",
    "value_to_python",
]

METADATA_SEAT = "cabin/seat"
METADATA_ORIGIN = "cabin/origin"
METADATA_PENDING = "cabin/pending"
"""Task-metadata key under which a pending `Question`'s text and saved state are kept."""

DATA_STATE_CHANGES = "stateChanges"
"""Key, in an acting agent's data part, of `{VSS path: value}` the car took in the task. Data-part keys
are camelCase like every A2A payload's: `actions`, `stateChanges`, and in each action `ruleId`."""
DATA_RULE_ID = "ruleId"
"""Key, in each entry of a data part's `actions`, of the guardrail rule that refused it or asks first."""
INTENTS = "intents"
"""The intent of a data part that carries several requests said in one turn to the same agent, so that
they are acted on together and answered once: `{"intent": "intents", "slots": {"intents": [{"intent",
"slots", "text"}, ...]}, "text": ...}` (:meth:`ParsedIntent.together`). Only an agent whose card
declares the extension :data:`INTENTS_EXTENSION` is sent one."""
INTENTS_EXTENSION = "urn:cabin:a2a:intents"
"""The card extension by which an agent says it acts on a data part of several intents
(:data:`INTENTS`) together (`AgentSpec.intents_together`)."""


def camel_data(model: BaseModel) -> dict[str, JsonValue]:
    """`model` as a data part: each field of it and of the models within named in camelCase (`turn_id`
    -> `turnId`), as A2A payloads are; the keys of free-form mappings (VSS paths, tool arguments) are
    data and stay as they are."""

    def convert(value: Any) -> JsonValue:
        if isinstance(value, BaseModel):
            return {to_camel(name): convert(getattr(value, name)) for name in type(value).model_fields}
        if isinstance(value, list | tuple):
            return [convert(item) for item in value]
        if isinstance(value, dict):
            return {str(key): convert(item) for key, item in value.items()}
        dumped: JsonValue = TypeAdapter(Any).dump_python(value, mode="json")
        return dumped

    data = convert(model)
    assert isinstance(data, dict)
    return data


Seat = Literal["driver", "passenger", "rear_left", "rear_right"]
Origin = Literal["occupant", "agent", "external", "system"]

_SEATS: tuple[str, ...] = ("driver", "passenger", "rear_left", "rear_right")
_ORIGINS: tuple[str, ...] = ("occupant", "agent", "external", "system")

_Spoken = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
_Frozen = ConfigDict(extra="forbid", frozen=True)


class ParsedIntent(BaseModel):
    """What the sender already understood, sent as the message's `data` part next to its text part:
    `{"intent": str, "slots": {...}, "text": str}`. `intent` and `slots` are the receiving agent's own
    grammar's (the orchestrator routes with the agents' grammars) or, from another client, a tool and
    its arguments; `text` is the words they were read from (the text part says the same)."""

    model_config = _Frozen

    intent: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    slots: dict[str, JsonValue] = Field(default_factory=dict)
    text: Annotated[str, StringConstraints(max_length=2000)] | None = None

    def together(self) -> list[ParsedIntent] | None:
        """The intents of a data part that carries several (intent :data:`INTENTS`), in the order they
        were said; None for a data part of one intent. Raises ``ValueError`` naming what is wrong when
        ``slots.intents`` is not a non-empty list of ``{intent, slots, text}``."""
        if self.intent != INTENTS:
            return None
        raw = self.slots.get(INTENTS)
        if not isinstance(raw, list) or not raw:
            raise ValueError(f'"{INTENTS}" needs slots {{"{INTENTS}": [{{"intent", "slots", "text"}}, ...]}}')
        try:
            return [ParsedIntent.model_validate(item) for item in raw]
        except ValidationError as exc:
            raise ValueError(f"an entry of {INTENTS!r} is no intent: {exc.errors()[0]['msg']}") from exc


class FileInput(BaseModel):
    """A raw-byte or URL part, handed to agents whose spec sets `accepts_files`."""

    model_config = _Frozen

    raw: bytes | None = None
    url: str | None = None
    media_type: str = ""
    filename: str = ""


class UserMessage(BaseModel):
    """What a user message carries once its parts and metadata have been checked."""

    model_config = _Frozen

    message_id: str
    text: str
    intent: ParsedIntent | None = None
    files: tuple[FileInput, ...] = ()
    seat: Seat | None = None
    origin: Origin | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)


class PendingQuestion(BaseModel):
    """A question an agent asked, with the state it saved to carry on once it is answered."""

    model_config = _Frozen

    question: str
    state: dict[str, JsonValue] = Field(default_factory=dict)


class AgentRequest(BaseModel):
    """Everything a handler gets for one turn of one task.

    `text` joins the message's text parts with newlines. `resumed` is set when this message answers
    a `Question` the same task asked before; it carries that question and its saved state.
    `metadata` is the message's whole metadata, `cabin/*` keys included. `message_id` is the
    client's id of this message (for tracing and de-duplication).
    """

    model_config = _Frozen

    task_id: str
    context_id: str
    message_id: str
    text: str
    intent: ParsedIntent | None = None
    files: tuple[FileInput, ...] = ()
    seat: Seat | None = None
    origin: Origin | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)
    resumed: PendingQuestion | None = None

    @property
    def from_occupant(self) -> bool:
        """True only when the message says a person in the car made this request."""
        return self.origin == "occupant"


class Reply(BaseModel):
    """The task is done: a short spoken-style sentence plus the structured outcome."""

    model_config = _Frozen

    text: _Spoken
    data: dict[str, JsonValue] = Field(default_factory=dict)


class Question(BaseModel):
    """The task needs an answer from the user (input-required).

    `state` is saved with the task (it survives a restart when the task store is SQLite) and comes
    back as `AgentRequest.resumed.state` with the next message on the same task.
    """

    model_config = _Frozen

    text: _Spoken
    state: dict[str, JsonValue] = Field(default_factory=dict)
    data: dict[str, JsonValue] = Field(default_factory=dict)


class Rejection(BaseModel):
    """The agent will not do this (rejected); `reason` is said to the user."""

    model_config = _Frozen

    reason: _Spoken
    data: dict[str, JsonValue] = Field(default_factory=dict)


class Failure(BaseModel):
    """The agent tried and could not finish (failed); `reason` is said to the user."""

    model_config = _Frozen

    reason: _Spoken
    data: dict[str, JsonValue] = Field(default_factory=dict)


Outcome = Reply | Question | Rejection | Failure


def _normalize_numbers(value: Any) -> JsonValue:
    # google.protobuf.Value stores every number as a double; give whole numbers back as int.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {str(key): _normalize_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalize_numbers(item) for item in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def value_to_python(value: struct_pb2.Value) -> JsonValue:
    """A protobuf `Value` as plain JSON data, whole numbers as int."""
    return _normalize_numbers(json_format.MessageToDict(value))


def struct_to_python(struct: struct_pb2.Struct) -> dict[str, JsonValue]:
    """A protobuf `Struct` as a plain dict, whole numbers as int."""
    result = _normalize_numbers(json_format.MessageToDict(struct))
    if not isinstance(result, dict):
        raise TypeError("a Struct must convert to a dict")
    return result


def data_part(data: dict[str, JsonValue]) -> Part:
    """A `data` part (media type application/json) holding `data`."""
    return Part(data=json_format.ParseDict(data, struct_pb2.Value()), media_type="application/json")


def _metadata_choice(metadata: dict[str, JsonValue], key: str, allowed: tuple[str, ...]) -> str | None:
    value = metadata.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise InvalidMessageError(
            f"message metadata {key!r} is {value!r}; expected one of: {', '.join(allowed)}"
        )
    return value


def _read_intent(index: int, part: Part) -> ParsedIntent:
    value = value_to_python(part.data)
    try:
        return ParsedIntent.model_validate(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(loc) for loc in error['loc']) or 'data'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InvalidMessageError(
            f'part {index}: a data part must be {{"intent": str, "slots": {{...}}, "text": str}} ({problems})'
        ) from exc


def read_user_message(message: Message, *, accepts_files: bool) -> UserMessage:
    """Check a user message's parts and cabin metadata and return them as a `UserMessage`.

    Raises UnsupportedPartError for a raw/URL part when `accepts_files` is False, and
    InvalidMessageError for an empty message, a second data part, a data part that is not a parsed
    intent, or a `cabin/seat` / `cabin/origin` value outside its allowed set.
    """
    if not message.parts:
        raise InvalidMessageError("the message has no parts")
    texts: list[str] = []
    intent: ParsedIntent | None = None
    files: list[FileInput] = []
    for index, part in enumerate(message.parts):
        kind = part.WhichOneof("content")
        if kind == "text":
            texts.append(part.text)
        elif kind == "data":
            if intent is not None:
                raise InvalidMessageError(f"part {index}: only one data part (the parsed intent) is accepted")
            intent = _read_intent(index, part)
        elif kind in ("raw", "url"):
            if not accepts_files:
                raise UnsupportedPartError(
                    f"part {index} is a {kind} file part; this agent takes only text and data parts"
                )
            files.append(
                FileInput(
                    raw=part.raw if kind == "raw" else None,
                    url=part.url if kind == "url" else None,
                    media_type=part.media_type,
                    filename=part.filename,
                )
            )
        else:
            raise InvalidMessageError(f"part {index} has no content (text, raw, url or data)")
    text = "\n".join(texts)
    if not text.strip() and intent is None and not files:
        raise InvalidMessageError("the message carries no text, no intent and no file")
    metadata = struct_to_python(message.metadata)
    seat = _metadata_choice(metadata, METADATA_SEAT, _SEATS)
    origin = _metadata_choice(metadata, METADATA_ORIGIN, _ORIGINS)
    return UserMessage.model_validate(
        {
            "message_id": message.message_id,
            "text": text,
            "intent": intent,
            "files": tuple(files),
            "seat": seat,
            "origin": origin,
            "metadata": metadata,
        }
    )
