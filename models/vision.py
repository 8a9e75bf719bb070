"""The vision-language backend: images and text in, text out.

It runs a GGUF language model with its multimodal projector (``mmproj``) through llama-cpp-python's
multimodal chat handlers (``MTMDChatHandler`` by default, or another handler class of
``llama_cpp.llama_chat_format`` named by the model's ``vision_handler``). It is selected for models
registered with ``kind: vision``. Requests run one at a time (``max_active = 1``); scoring and
embeddings are not offered.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

from models.backend import Embeddings, ModelBackend, Step
from models.config import RuntimeConfig
from models.errors import (
    CapabilityNotSupported,
    ContextOverflow,
    GrammarError,
    InvalidRequest,
    ManifestError,
    ModelCorrupt,
    ModelError,
    ModelNotInstalled,
)
from models.grammar import schema_to_grammar
from models.registry import ModelSpec
from models.types import (
    ChatMessage,
    ChatRequest,
    Completion,
    CompletionRequest,
    ModelInfo,
    Sampling,
    ScoreRequest,
    ScoreResult,
    Timings,
)

__all__ = ["LlamaVisionBackend", "handler_messages"]

_LOAD_LOCK = threading.Lock()


def handler_messages(messages: Sequence[ChatMessage]) -> list[dict[str, Any]]:
    """Messages in the OpenAI-style form that llama-cpp-python's chat handlers read; images become
    ``image_url`` parts carrying ``data:`` URIs (never a network URL)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if not m.images:
            out.append({"role": m.role, "content": m.content})
            continue
        parts: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": img.data_uri()}} for img in m.images
        ]
        if m.content:
            parts.append({"type": "text", "text": m.content})
        out.append({"role": m.role, "content": parts})
    return out


class LlamaVisionBackend(ModelBackend):
    """A llama.cpp model with a multimodal projector, through llama-cpp-python's chat handlers."""

    max_active = 1

    def __init__(self, spec: ModelSpec, path: str, config: RuntimeConfig) -> None:
        from llama_cpp import llama_chat_format

        from models.llama import open_llama

        if spec.mmproj is None:
            raise ManifestError(f"vision model {spec.id!r} has no mmproj file configured")
        if not os.path.isfile(path):
            raise ModelNotInstalled(f"model {spec.id!r} is not installed at {path}: {spec.how_to_install()}")
        if not os.path.isfile(spec.mmproj):
            raise ModelNotInstalled(
                f"the multimodal projector of {spec.id!r} is missing at {spec.mmproj}; "
                "put the mmproj GGUF there or fix 'mmproj' in the models config"
            )
        handler_cls = getattr(llama_chat_format, spec.vision_handler, None)
        if not isinstance(handler_cls, type) or not spec.vision_handler.endswith("ChatHandler"):
            raise ManifestError(
                f"vision_handler {spec.vision_handler!r} of {spec.id!r} is not a chat handler of "
                "llama_cpp.llama_chat_format (for example MTMDChatHandler, Llava15ChatHandler, "
                "Qwen25VLChatHandler)"
            )
        self._spec = spec
        self._handler = handler_cls(clip_model_path=spec.mmproj, verbose=False)
        threads = config.resolved_threads()
        try:
            with _LOAD_LOCK:
                self._llm = open_llama(
                    model_path=path,
                    chat_handler=self._handler,
                    n_ctx=config.n_ctx,
                    n_batch=config.n_batch,
                    n_threads=threads,
                    n_threads_batch=threads,
                    verbose=False,
                )
        except ValueError as exc:
            raise ModelCorrupt(
                f"llama.cpp cannot load {path}: {exc}; run `cabin models verify {spec.id}`"
            ) from exc
        self._info = ModelInfo(
            id=spec.id,
            backend="llama.cpp-vision",
            path=path,
            sha256=spec.sha256,
            n_ctx=self._llm.n_ctx(),
            n_embd=self._llm.n_embd(),
            n_vocab=self._llm.n_vocab(),
            threads=threads,
            capabilities=("generate", "chat", "images", "grammar", "json_schema"),
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def _grammar(self, grammar: str | None, json_schema: dict[str, Any] | None) -> Any:
        from llama_cpp import llama_cpp
        from llama_cpp.llama_grammar import LlamaGrammar

        gbnf = schema_to_grammar(json_schema) if json_schema is not None else grammar
        if gbnf is None:
            return None
        probe = llama_cpp.llama_sampler_init_grammar(self._llm._model.vocab, gbnf.encode("utf-8"), b"root")
        if not probe:
            raise GrammarError("the grammar does not compile; check it against the GBNF syntax")
        llama_cpp.llama_sampler_free(probe)
        return LlamaGrammar.from_string(gbnf, verbose=False)

    @staticmethod
    def _sampling_args(s: Sampling) -> dict[str, Any]:
        return {
            "max_tokens": s.max_tokens,
            "temperature": s.temperature,
            "top_k": s.top_k,
            "top_p": s.top_p,
            "min_p": s.min_p,
            "repeat_penalty": s.repeat_penalty,
            "seed": s.seed,
            "stop": list(s.stop),
        }

    def _run(
        self, chunks: Iterator[Any], started: float, chat: bool, n_prompt: int, sampling: Sampling
    ) -> Step[Completion]:
        text = ""
        finish = "length"
        first: float | None = None
        n = 0
        try:
            for chunk in chunks:
                choice = chunk["choices"][0]
                piece = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                if first is None:
                    first = time.perf_counter()
                if piece:
                    n += 1
                    text += piece
                    yield piece
                else:
                    yield ""
                reason = choice.get("finish_reason")
                if reason is not None:
                    # llama-cpp-python reports both an end token and a stop sequence as "stop".
                    finish = (
                        "stop"
                        if reason == "stop" and sampling.stop
                        else ("eos" if reason == "stop" else reason)
                    )
        except ValueError as exc:
            raise self._engine_error(exc) from exc
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        done = time.perf_counter()
        first = first or done
        return Completion(
            text=text,
            finish_reason="length" if finish == "length" else ("stop" if finish == "stop" else "eos"),
            model=self._spec.id,
            prompt_tokens=n_prompt,
            completion_tokens=n,
            timings=Timings(
                prefill_ms=(first - started) * 1000,
                decode_ms=(done - first) * 1000,
                total_ms=(done - started) * 1000,
            ),
        )

    def _engine_error(self, exc: ValueError) -> ModelError:
        """The typed error for a ``ValueError`` raised by llama-cpp-python."""
        text = str(exc)
        if "n_ctx" in text or "context window" in text:
            return ContextOverflow(f"the prompt does not fit the context of {self._spec.id!r}: {text}")
        if "mtmd" in text or "clip" in text.lower() or "mmproj" in text or "image" in text.lower():
            return ModelCorrupt(
                f"the multimodal projector {self._spec.mmproj} or the image could not be processed ({text}); "
                f"check that the mmproj file belongs to {self._spec.id!r}"
            )
        return InvalidRequest(f"the vision model rejected the request: {text}")

    def complete(self, request: CompletionRequest) -> Step[Completion]:
        if request.adapter is not None:
            raise CapabilityNotSupported(
                f"model {self._spec.id!r} is a vision model; LoRA adapters are loaded for text models only"
            )
        started = time.perf_counter()
        grammar = self._grammar(request.grammar, request.json_schema)
        prompt = request.prefix + request.prompt
        n_prompt = len(self._llm.tokenize(prompt.encode("utf-8"), special=request.special))
        try:
            chunks = self._llm.create_completion(
                prompt, stream=True, grammar=grammar, **self._sampling_args(request.sampling)
            )
        except ValueError as exc:
            raise self._engine_error(exc) from exc
        return (yield from self._run(iter(chunks), started, False, n_prompt, request.sampling))

    def chat(self, request: ChatRequest) -> Step[Completion]:
        started = time.perf_counter()
        grammar = self._grammar(request.grammar, request.json_schema)
        messages = handler_messages(request.messages)
        try:
            chunks = self._llm.create_chat_completion(
                messages=messages,  # type: ignore[arg-type]
                stream=True,
                grammar=grammar,
                **self._sampling_args(request.sampling),
            )
        except ValueError as exc:
            raise self._engine_error(exc) from exc
        return (yield from self._run(iter(chunks), started, True, 0, request.sampling))

    def _unsupported(self, what: str) -> Step[NoReturn]:
        yield from ()
        raise CapabilityNotSupported(
            f"vision model {self._spec.id!r} does not offer {what}; use a text model"
        )

    def score(self, request: ScoreRequest) -> Step[ScoreResult]:
        return (yield from self._unsupported("scoring"))

    def embed(self, texts: Sequence[str]) -> Step[Embeddings]:
        return (yield from self._unsupported("embeddings"))

    def prepare_prefix(self, prefix: str) -> Step[int]:
        tokens = self._llm.tokenize(prefix.encode("utf-8"))
        self._llm.reset()  # type: ignore[no-untyped-call]
        self._llm.eval(tokens)
        yield ""
        return len(tokens)

    def close(self) -> None:
        self._llm.close()
