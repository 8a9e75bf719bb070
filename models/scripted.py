"""A deterministic, scripted backend: replies come from a queue, embeddings from a hash.

It behaves like a real backend towards the runtime (steps per token, streaming, stop sequences,
``max_tokens``, prefix reuse counts, context limits, constraint checks) so that scheduling,
cancellation, deadlines and the host service can be tested in memory. It is never the only test of
a model path: the llama.cpp backend has its own tests with the real default model.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from models.backend import Embeddings, ModelBackend, Step
from models.errors import (
    BackendFailure,
    CapabilityNotSupported,
    ContextOverflow,
    GrammarError,
    InvalidRequest,
)
from models.grammar import literal_choices, schema_to_grammar
from models.types import (
    ChatRequest,
    Completion,
    CompletionRequest,
    ModelInfo,
    OptionScore,
    Sampling,
    ScoreRequest,
    ScoreResult,
    Timings,
)

__all__ = ["ScriptedBackend"]

_TOKEN = re.compile(r"\s*\S+|\s+")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


class ScriptedBackend(ModelBackend):
    """Replies in the order they were queued with :meth:`enqueue`.

    ``token_delay`` (seconds) is spent in every generation step, to make scheduling observable.
    Every request is appended to :attr:`requests`. Embeddings are ``dim``-dimensional hashed
    character trigram counts: texts that share words get similar vectors.
    """

    def __init__(
        self,
        *,
        model_id: str = "scripted",
        n_ctx: int = 2048,
        dim: int = 64,
        token_delay: float = 0.0,
        max_active: int = 2,
        sha256: str | None = None,
    ) -> None:
        self.max_active = max_active
        self._replies: deque[str] = deque()
        self._scores: deque[dict[str, float]] = deque()
        self._prefixes: set[str] = set()
        self.requests: list[CompletionRequest | ChatRequest | ScoreRequest | tuple[str, ...]] = []
        self.token_delay = token_delay
        self.dim = dim
        self.closed = False
        self._info = ModelInfo(
            id=model_id,
            backend="scripted",
            path="<scripted>",
            sha256=sha256 if sha256 is not None else hashlib.sha256(model_id.encode()).hexdigest(),
            n_ctx=n_ctx,
            n_embd=dim,
            n_vocab=0,
            threads=1,
            capabilities=("generate", "chat", "score", "embed", "grammar", "json_schema", "prefix_cache"),
        )

    @property
    def info(self) -> ModelInfo:
        return self._info

    def enqueue(self, *replies: str) -> ScriptedBackend:
        """Queue completion replies (used by generate, stream and chat, in order)."""
        self._replies.extend(replies)
        return self

    def enqueue_scores(self, *scores: dict[str, float]) -> ScriptedBackend:
        """Queue ``{option: logprob}`` tables for the next score requests (unlisted options: -50)."""
        self._scores.extend(scores)
        return self

    @property
    def queued(self) -> int:
        return len(self._replies)

    # -- generation -------------------------------------------------------------------------------

    def _check_context(self, n: int) -> None:
        if n >= self._info.n_ctx:
            raise ContextOverflow(
                f"the prompt has {n} tokens but the context holds {self._info.n_ctx}; shorten the prompt"
            )

    def complete(self, request: CompletionRequest) -> Step[Completion]:
        self.requests.append(request)
        cached = len(_tokens(request.prefix)) if request.prefix in self._prefixes else 0
        if request.prefix:
            self._prefixes.add(request.prefix)
        n_prompt = len(_tokens(request.prefix)) + len(_tokens(request.prompt))
        return (
            yield from self._reply(n_prompt, cached, request.sampling, request.grammar, request.json_schema)
        )

    def chat(self, request: ChatRequest) -> Step[Completion]:
        self.requests.append(request)
        if request.has_images:
            raise CapabilityNotSupported("the scripted model cannot read images")
        n_prompt = sum(len(_tokens(m.content)) + 3 for m in request.messages)
        return (yield from self._reply(n_prompt, 0, request.sampling, request.grammar, request.json_schema))

    def _reply(
        self,
        n_prompt: int,
        cached: int,
        sampling: Sampling,
        grammar: str | None,
        json_schema: dict[str, Any] | None,
    ) -> Step[Completion]:
        started = time.perf_counter()
        self._check_context(n_prompt)
        if json_schema is not None:
            schema_to_grammar(json_schema)
        if not self._replies:
            raise BackendFailure("the scripted model has no reply queued; call enqueue() before the request")
        reply = self._replies.popleft()
        choices = literal_choices(grammar) if grammar is not None else None
        if choices is not None and reply not in choices:
            raise GrammarError(f"scripted reply {reply!r} is not one of the grammar's choices {choices}")
        yield ""
        prefill_done = time.perf_counter()
        text = ""
        finish = "eos"
        emitted = 0
        pieces = _tokens(reply)
        for i, piece in enumerate(pieces):
            if i >= sampling.max_tokens:
                finish = "length"
                break
            if self.token_delay:
                time.sleep(self.token_delay)
            text += piece
            emitted += 1
            hits = [j for s in sampling.stop if (j := text.find(s)) >= 0]
            if hits:
                cut = min(hits)
                delta = text[len(text) - len(piece) : cut] if cut > len(text) - len(piece) else ""
                text = text[:cut]
                finish = "stop"
                if delta:
                    yield delta
                break
            yield piece
        finished = time.perf_counter()
        data: Any = None
        if json_schema is not None and finish == "eos":
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise GrammarError(
                    f"scripted reply is not JSON although a json_schema was given: {text!r}"
                ) from exc
        return Completion(
            text=text,
            finish_reason=finish,
            model=self._info.id,
            prompt_tokens=n_prompt,
            cached_tokens=cached,
            completion_tokens=emitted,
            data=data,
            timings=Timings(
                prefill_ms=(prefill_done - started) * 1000.0,
                decode_ms=(finished - prefill_done) * 1000.0,
                total_ms=(finished - started) * 1000.0,
            ),
        )

    # -- scoring and embeddings -------------------------------------------------------------------

    def score(self, request: ScoreRequest) -> Step[ScoreResult]:
        self.requests.append(request)
        self._check_context(len(_tokens(request.prefix + request.prompt)))
        table = self._scores.popleft() if self._scores else None
        yield ""
        context = set((request.prefix + " " + request.prompt).lower().split())
        totals = []
        for option in request.options:
            if table is not None:
                totals.append(float(table.get(option, -50.0)))
            else:
                words = option.lower().split()
                overlap = sum(1 for w in words if w in context)
                totals.append(float(overlap) - 0.5 * len(words))
        arr = np.array(totals)
        probs = np.exp(arr - arr.max())
        probs /= probs.sum()
        best = int(np.argmax(arr))
        return ScoreResult(
            options=tuple(
                OptionScore(
                    text=o,
                    logprob=t,
                    tokens=max(len(_tokens(o)), 1),
                    mean_logprob=t / max(len(_tokens(o)), 1),
                    probability=float(p),
                )
                for o, t, p in zip(request.options, totals, probs, strict=True)
            ),
            best=request.options[best],
            best_index=best,
            model=self._info.id,
            prompt_tokens=len(_tokens(request.prefix + request.prompt)),
        )

    def embed(self, texts: Sequence[str]) -> Step[Embeddings]:
        self.requests.append(tuple(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            if not text:
                raise InvalidRequest("cannot embed an empty text")
            padded = f"  {text.lower()}  "
            for i in range(len(padded) - 2):
                digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            yield ""
        return out

    def prepare_prefix(self, prefix: str) -> Step[int]:
        self._check_context(len(_tokens(prefix)))
        self._prefixes.add(prefix)
        yield ""
        return len(_tokens(prefix))

    def close(self) -> None:
        self.closed = True
