"""Request and result models of the model runtime.

These are the boundary payloads: the in-process runtime, the backends and the model host service all
speak them, so a request built by an agent means the same thing in every deployment.
"""

from __future__ import annotations

import base64
import binascii
from enum import IntEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AdapterInfo",
    "ChatMessage",
    "ChatRequest",
    "Completion",
    "CompletionRequest",
    "EmbedRequest",
    "ImageInput",
    "ModelInfo",
    "OptionScore",
    "Priority",
    "Sampling",
    "ScoreRequest",
    "ScoreResult",
    "Timings",
]


class Priority(IntEnum):
    """Scheduling priority of a request: lower values run first.

    A request waiting in the queue is always started before any request with a higher value; a
    running request of a higher value yields to a more urgent one between two tokens when the backend
    can interleave requests (the llama.cpp backend can).
    """

    DRIVER = 0
    """A person in the car is waiting for this answer (commands, confirmations)."""
    INTERACTIVE = 10
    """Interactive but not time critical (follow-ups, clarifications)."""
    AGENT = 20
    """Work an agent does on behalf of a live turn (slot filling, tool arguments)."""
    BACKGROUND = 100
    """Summaries, prefetching, warm-up: runs when nothing else waits."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Sampling(_Frozen):
    """How tokens are chosen. The defaults give deterministic greedy decoding."""

    max_tokens: int = Field(default=128, ge=0, le=32768)
    temperature: float = Field(default=0.0, ge=0.0, le=5.0)
    top_k: int = Field(default=40, ge=0)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    min_p: float = Field(default=0.05, ge=0.0, le=1.0)
    repeat_penalty: float = Field(default=1.0, gt=0.0, le=5.0)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    stop: tuple[str, ...] = Field(default=(), max_length=16)

    @model_validator(mode="after")
    def _stops_not_empty(self) -> Sampling:
        if any(s == "" for s in self.stop):
            raise ValueError("stop sequences must not be empty strings")
        return self


class CompletionRequest(_Frozen):
    """A raw-text completion: ``prefix`` + ``prompt`` are continued by the model.

    ``prefix`` is the static part (instructions, tool schemas, examples): its evaluated state is kept
    and reused by later requests with the same prefix, so they pay only for ``prompt``. ``grammar``
    (GBNF) or ``json_schema`` constrain the output; at most one of them may be given.
    ``special`` lets control-token text (such as ``<start_of_turn>``) in the prompt act as control
    tokens; leave it off for text that came from a person or another program.
    """

    prompt: str
    prefix: str = ""
    sampling: Sampling = Sampling()
    grammar: str | None = None
    json_schema: dict[str, Any] | None = None
    special: bool = False
    adapter: str | None = Field(default=None, min_length=1, max_length=100)
    """A LoRA adapter loaded with the model (`ModelInfo.adapters`) to generate with; None: the base
    model. Only this request's tokens see it (embeddings and other requests never do)."""

    @model_validator(mode="after")
    def _one_constraint(self) -> CompletionRequest:
        if self.grammar is not None and self.json_schema is not None:
            raise ValueError("give either grammar or json_schema, not both")
        if not self.prompt and not self.prefix:
            raise ValueError("prompt and prefix are both empty: there is nothing to continue")
        return self


class ImageInput(_Frozen):
    """An image for a vision model: either inline base64 data or a path on this machine."""

    data_base64: str | None = None
    path: str | None = None
    media_type: Literal["image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp"] = "image/png"

    @model_validator(mode="after")
    def _exactly_one_source(self) -> ImageInput:
        if (self.data_base64 is None) == (self.path is None):
            raise ValueError("an image needs exactly one of data_base64 or path")
        if self.data_base64 is not None:
            try:
                base64.b64decode(self.data_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"data_base64 is not valid base64: {exc}") from exc
        return self

    def read_bytes(self) -> bytes:
        """The image bytes (reads the file for a path source)."""
        if self.data_base64 is not None:
            return base64.b64decode(self.data_base64)
        assert self.path is not None
        return Path(self.path).read_bytes()

    def data_uri(self) -> str:
        """The image as a ``data:`` URI, the form multimodal chat handlers accept."""
        encoded = base64.b64encode(self.read_bytes()).decode("ascii")
        return f"data:{self.media_type};base64,{encoded}"


class ChatMessage(_Frozen):
    """One turn of a conversation."""

    role: Literal["system", "user", "assistant"]
    content: str
    images: tuple[ImageInput, ...] = ()


class ChatRequest(_Frozen):
    """A conversation rendered with the model's prompt format and continued as the assistant.

    The first ``prefix_messages`` messages are static (system prompt, examples): their evaluated
    state is reused across requests exactly like :attr:`CompletionRequest.prefix`.
    """

    messages: tuple[ChatMessage, ...] = Field(min_length=1)
    prefix_messages: int = Field(default=0, ge=0)
    sampling: Sampling = Sampling()
    grammar: str | None = None
    json_schema: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> ChatRequest:
        if self.grammar is not None and self.json_schema is not None:
            raise ValueError("give either grammar or json_schema, not both")
        if self.prefix_messages > len(self.messages):
            raise ValueError("prefix_messages is larger than the number of messages")
        return self

    @property
    def has_images(self) -> bool:
        return any(m.images for m in self.messages)


class ScoreRequest(_Frozen):
    """Log-likelihood of each candidate continuation of ``prefix`` + ``prompt``.

    Each option is tokenised on its own and appended to the prompt, so write options the way they
    would follow the prompt (usually with a leading space when the prompt ends in a word).
    """

    prompt: str
    options: tuple[str, ...] = Field(min_length=1, max_length=256)
    prefix: str = ""

    @model_validator(mode="after")
    def _check(self) -> ScoreRequest:
        if any(o == "" for o in self.options):
            raise ValueError("score options must not be empty strings")
        if len(set(self.options)) != len(self.options):
            raise ValueError("score options must be distinct")
        if not self.prompt and not self.prefix:
            raise ValueError("prompt and prefix are both empty: there is nothing to score against")
        return self


class EmbedRequest(_Frozen):
    """Texts to embed (mean-pooled hidden states of the model)."""

    texts: tuple[str, ...] = Field(min_length=1, max_length=4096)
    normalize: bool = False


class Timings(_Frozen):
    """Where the time of one request went, in milliseconds."""

    queue_ms: float = 0.0
    prefill_ms: float = 0.0
    decode_ms: float = 0.0
    total_ms: float = 0.0


class Completion(_Frozen):
    """The result of :meth:`generate` or :meth:`chat`.

    ``finish_reason``: ``stop`` (a stop sequence matched; it is not part of ``text``), ``eos`` (the
    model or a completed grammar ended the output), ``length`` (``max_tokens`` or the context ran
    out). ``data`` holds the parsed JSON value when the request used ``json_schema``.
    """

    text: str
    finish_reason: Literal["stop", "eos", "length"]
    model: str
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    data: Any = None
    timings: Timings = Timings()


class OptionScore(_Frozen):
    """The score of one candidate continuation."""

    text: str
    logprob: float
    tokens: int
    mean_logprob: float
    probability: float
    """Share of this option in the softmax over the options' total log-probabilities."""


class ScoreResult(_Frozen):
    """Scores of all candidates, in request order, and the most likely one."""

    options: tuple[OptionScore, ...]
    best: str
    best_index: int
    model: str
    prompt_tokens: int = 0
    cached_tokens: int = 0
    timings: Timings = Timings()


class AdapterInfo(_Frozen):
    """A LoRA adapter loaded over the model: requests name it by ``id``."""

    id: str
    version: int
    task: str
    prompt_format: str
    sha256: str


class ModelInfo(_Frozen):
    """What a runtime has loaded."""

    id: str
    backend: str
    path: str
    sha256: str | None
    n_ctx: int
    n_embd: int
    n_vocab: int
    threads: int
    capabilities: tuple[str, ...]
    adapters: tuple[AdapterInfo, ...] = ()
