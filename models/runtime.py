"""The async runtime API that the orchestrator and the agents call.

:class:`Runtime` is the one interface; :class:`ModelRuntime` implements it in-process over a
:class:`~models.backend.ModelBackend`, and :class:`~models.client.ModelHostClient` implements it
over the loopback model host service. :func:`open_runtime` picks one from the configuration, so
callers never know which they hold.
"""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from models.backend import ModelBackend
from models.config import RuntimeConfig
from models.errors import DeadlineExceeded, HostUnavailable, InvalidRequest, RequestCancelled
from models.registry import ModelRegistry, ModelSpec
from models.scheduler import Scheduler, Ticket
from models.types import (
    AdapterInfo,
    ChatMessage,
    ChatRequest,
    Completion,
    CompletionRequest,
    EmbedRequest,
    ModelInfo,
    Priority,
    Sampling,
    ScoreRequest,
    ScoreResult,
)

if TYPE_CHECKING:
    import numpy as np

    from models.backend import Embeddings

__all__ = [
    "CompletionStream",
    "ForwardingRuntime",
    "ModelRuntime",
    "Prefix",
    "Runtime",
    "load_backend",
    "open_runtime",
]

T = TypeVar("T")


@dataclass(frozen=True)
class Prefix:
    """A declared static prefix: pass it as ``prefix=`` and only the new tokens are evaluated."""

    text: str
    tokens: int


def _deadline(timeout: float | None, deadline: float | None) -> float | None:
    """Combine a relative timeout and an absolute ``time.monotonic()`` deadline (earliest wins)."""
    if timeout is not None and timeout <= 0:
        raise InvalidRequest(f"timeout must be positive, got {timeout}")
    limits = [d for d in (deadline, None if timeout is None else time.monotonic() + timeout) if d is not None]
    return min(limits) if limits else None


def _prefix_text(prefix: Prefix | str | None) -> str:
    if prefix is None:
        return ""
    return prefix.text if isinstance(prefix, Prefix) else prefix


class CompletionStream(AsyncIterator[str]):
    """Text of a completion as it is generated; :attr:`result` holds the full :class:`Completion`
    once the iteration ends. Leaving the iteration early (``aclose()`` or ``break`` in an
    ``async with``) cancels the request."""

    _END = object()

    def __init__(self, producer: Callable[[Callable[[str], None]], Awaitable[Completion]]) -> None:
        self._producer = producer
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._task: asyncio.Task[Completion] | None = None
        self.result: Completion | None = None

    def _emit(self, text: str) -> None:
        self._queue.put_nowait(text)

    def _start(self) -> None:
        async def run() -> Completion:
            try:
                return await self._producer(self._emit)
            finally:
                self._queue.put_nowait(self._END)

        self._task = asyncio.get_running_loop().create_task(run())

    def __aiter__(self) -> CompletionStream:
        return self

    async def __anext__(self) -> str:
        if self._task is None:
            self._start()
        assert self._task is not None
        item = await self._queue.get()
        if item is self._END:
            self.result = await self._task
            raise StopAsyncIteration
        assert isinstance(item, str)
        return item

    async def collect(self) -> Completion:
        """Consume the rest of the stream and return the completion."""
        async for _ in self:
            pass
        assert self.result is not None
        return self.result

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, RequestCancelled):
                return

    async def __aenter__(self) -> CompletionStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class Runtime(ABC):
    """The model runtime interface: generation, chat, scoring and embeddings, each scheduled by
    ``priority`` (lower first, see :class:`~models.types.Priority`) and bounded by ``timeout``
    (seconds) or ``deadline`` (a ``time.monotonic()`` instant).

    Errors are :class:`~models.errors.ModelError` subclasses; a failed request never affects other
    requests. Cancelling the awaiting task cancels the request in the engine too.
    """

    # -- request-level operations (implemented by the in-process runtime and by the host client) -------

    @abstractmethod
    async def model_info(self) -> ModelInfo:
        """What the runtime has loaded."""

    @abstractmethod
    async def complete(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> Completion:
        """Run a completion or chat request to the end."""

    @abstractmethod
    def stream_request(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> CompletionStream:
        """Run a completion or chat request, streaming its text."""

    @abstractmethod
    async def score_request(
        self, request: ScoreRequest, *, priority: int, deadline: float | None
    ) -> ScoreResult:
        """Score candidate continuations."""

    @abstractmethod
    async def embed_request(
        self, request: EmbedRequest, *, priority: int, deadline: float | None
    ) -> Embeddings:
        """Embed texts."""

    @abstractmethod
    async def prefix(
        self,
        text: str,
        *,
        priority: int = Priority.BACKGROUND,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced by the scheduler, queue time included
    ) -> Prefix:
        """Declare a static prefix and evaluate it now, so that later requests reuse its state."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release the runtime (an in-process model is freed when its last user closes it)."""

    async def ping(self) -> None:
        """Return when the runtime can serve requests now; raise a ``ModelError`` saying why it cannot
        (``HostUnavailable`` for a model host that does not answer). Cheap: no model work is done."""
        await self.model_info()

    # -- convenience API --------------------------------------------------------------------------

    async def generate(
        self,
        prompt: str,
        *,
        prefix: Prefix | str | None = None,
        max_tokens: int = 128,
        temperature: float = 0.0,
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        repeat_penalty: float = 1.0,
        seed: int = 0,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        json_schema: dict[str, Any] | None = None,
        special: bool = False,
        adapter: str | None = None,
        priority: int = Priority.INTERACTIVE,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced by the scheduler, queue time included
        deadline: float | None = None,
    ) -> Completion:
        """Continue ``prefix + prompt``; constrain it with a GBNF ``grammar`` or a ``json_schema``;
        generate with a loaded LoRA ``adapter`` (``ModelInfo.adapters``) instead of the base model."""
        request = _completion_request(
            prompt,
            prefix,
            max_tokens,
            temperature,
            top_k,
            top_p,
            min_p,
            repeat_penalty,
            seed,
            stop,
            grammar,
            json_schema,
            special,
            adapter,
        )
        return await self.complete(request, priority=priority, deadline=_deadline(timeout, deadline))

    def stream(
        self,
        prompt: str,
        *,
        prefix: Prefix | str | None = None,
        max_tokens: int = 128,
        temperature: float = 0.0,
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        repeat_penalty: float = 1.0,
        seed: int = 0,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        json_schema: dict[str, Any] | None = None,
        special: bool = False,
        adapter: str | None = None,
        priority: int = Priority.INTERACTIVE,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> CompletionStream:
        """Like :meth:`generate`, but iterate over the text as it is produced."""
        request = _completion_request(
            prompt,
            prefix,
            max_tokens,
            temperature,
            top_k,
            top_p,
            min_p,
            repeat_penalty,
            seed,
            stop,
            grammar,
            json_schema,
            special,
            adapter,
        )
        return self.stream_request(request, priority=priority, deadline=_deadline(timeout, deadline))

    async def chat(
        self,
        messages: Sequence[ChatMessage | dict[str, Any]],
        *,
        prefix_messages: int = 0,
        max_tokens: int = 128,
        temperature: float = 0.0,
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        repeat_penalty: float = 1.0,
        seed: int = 0,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        json_schema: dict[str, Any] | None = None,
        priority: int = Priority.INTERACTIVE,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced by the scheduler, queue time included
        deadline: float | None = None,
    ) -> Completion:
        """Generate the assistant's next turn; the first ``prefix_messages`` messages are static."""
        request = _chat_request(
            messages,
            prefix_messages,
            max_tokens,
            temperature,
            top_k,
            top_p,
            min_p,
            repeat_penalty,
            seed,
            stop,
            grammar,
            json_schema,
        )
        return await self.complete(request, priority=priority, deadline=_deadline(timeout, deadline))

    def stream_chat(
        self,
        messages: Sequence[ChatMessage | dict[str, Any]],
        *,
        prefix_messages: int = 0,
        max_tokens: int = 128,
        temperature: float = 0.0,
        top_k: int = 40,
        top_p: float = 0.95,
        min_p: float = 0.05,
        repeat_penalty: float = 1.0,
        seed: int = 0,
        stop: Sequence[str] = (),
        grammar: str | None = None,
        json_schema: dict[str, Any] | None = None,
        priority: int = Priority.INTERACTIVE,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> CompletionStream:
        """Like :meth:`chat`, streaming the assistant's text."""
        request = _chat_request(
            messages,
            prefix_messages,
            max_tokens,
            temperature,
            top_k,
            top_p,
            min_p,
            repeat_penalty,
            seed,
            stop,
            grammar,
            json_schema,
        )
        return self.stream_request(request, priority=priority, deadline=_deadline(timeout, deadline))

    async def score(
        self,
        prompt: str,
        options: Sequence[str],
        *,
        prefix: Prefix | str | None = None,
        priority: int = Priority.INTERACTIVE,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced by the scheduler, queue time included
        deadline: float | None = None,
    ) -> ScoreResult:
        """Log-likelihood of each option as the continuation of ``prefix + prompt``."""
        request = _validated(ScoreRequest, prompt=prompt, options=tuple(options), prefix=_prefix_text(prefix))
        return await self.score_request(request, priority=priority, deadline=_deadline(timeout, deadline))

    async def embed(
        self,
        texts: Sequence[str],
        *,
        normalize: bool = False,
        priority: int = Priority.INTERACTIVE,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced by the scheduler, queue time included
        deadline: float | None = None,
    ) -> Embeddings:
        """Mean-pooled sentence embeddings, a ``(len(texts), n_embd)`` float32 array."""
        if isinstance(texts, str):
            raise InvalidRequest("embed takes a sequence of texts, not a single string; wrap it in a list")
        request = _validated(EmbedRequest, texts=tuple(texts), normalize=normalize)
        return await self.embed_request(request, priority=priority, deadline=_deadline(timeout, deadline))

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _validated(model: type[T], **data: Any) -> T:
    from pydantic import BaseModel, ValidationError

    assert issubclass(model, BaseModel)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidRequest(f"invalid {model.__name__}: {problems}") from exc


def _sampling(
    max_tokens: int,
    temperature: float,
    top_k: int,
    top_p: float,
    min_p: float,
    repeat_penalty: float,
    seed: int,
    stop: Sequence[str],
) -> Sampling:
    if isinstance(stop, str):
        stop = (stop,)
    return _validated(
        Sampling,
        max_tokens=max_tokens,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        min_p=min_p,
        repeat_penalty=repeat_penalty,
        seed=seed,
        stop=tuple(stop),
    )


def _completion_request(
    prompt: str,
    prefix: Prefix | str | None,
    max_tokens: int,
    temperature: float,
    top_k: int,
    top_p: float,
    min_p: float,
    repeat_penalty: float,
    seed: int,
    stop: Sequence[str],
    grammar: str | None,
    json_schema: dict[str, Any] | None,
    special: bool,
    adapter: str | None = None,
) -> CompletionRequest:
    sampling = _sampling(max_tokens, temperature, top_k, top_p, min_p, repeat_penalty, seed, stop)
    return _validated(
        CompletionRequest,
        prompt=prompt,
        prefix=_prefix_text(prefix),
        sampling=sampling,
        grammar=grammar,
        json_schema=json_schema,
        special=special,
        adapter=adapter,
    )


def _chat_request(
    messages: Sequence[ChatMessage | dict[str, Any]],
    prefix_messages: int,
    max_tokens: int,
    temperature: float,
    top_k: int,
    top_p: float,
    min_p: float,
    repeat_penalty: float,
    seed: int,
    stop: Sequence[str],
    grammar: str | None,
    json_schema: dict[str, Any] | None,
) -> ChatRequest:
    sampling = _sampling(max_tokens, temperature, top_k, top_p, min_p, repeat_penalty, seed, stop)
    return _validated(
        ChatRequest,
        messages=tuple(messages),
        prefix_messages=prefix_messages,
        sampling=sampling,
        grammar=grammar,
        json_schema=json_schema,
    )


class ForwardingRuntime(Runtime):
    """A runtime that hands every request to another one, :meth:`target`; a subclass overrides the
    requests it does something about (notes them, opens the target on first use, ...).

    Same contract as the target, which it does not own: ``aclose`` leaves the target open.
    """

    @abstractmethod
    def target(self) -> Runtime:
        """The runtime that serves the requests (it may be opened by this call)."""

    async def model_info(self) -> ModelInfo:
        return await self.target().model_info()

    async def complete(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> Completion:
        return await self.target().complete(request, priority=priority, deadline=deadline)

    def stream_request(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> CompletionStream:
        return self.target().stream_request(request, priority=priority, deadline=deadline)

    async def score_request(
        self, request: ScoreRequest, *, priority: int, deadline: float | None
    ) -> ScoreResult:
        return await self.target().score_request(request, priority=priority, deadline=deadline)

    async def embed_request(
        self, request: EmbedRequest, *, priority: int, deadline: float | None
    ) -> Embeddings:
        return await self.target().embed_request(request, priority=priority, deadline=deadline)

    async def prefix(
        self,
        text: str,
        *,
        priority: int = Priority.BACKGROUND,
        timeout: float | None = None,  # noqa: ASYNC109 - the target enforces it
    ) -> Prefix:
        return await self.target().prefix(text, priority=priority, timeout=timeout)

    async def ping(self) -> None:
        await self.target().ping()

    async def aclose(self) -> None:
        """Nothing to release: the target belongs to whoever opened it."""


class ModelRuntime(Runtime):
    """The in-process runtime: one backend, one scheduler, an embedding cache.

    One instance serves every caller in the process; all methods are safe to call from any event
    loop and any number of tasks at once.
    """

    def __init__(self, backend: ModelBackend, *, embed_cache_size: int = 4096) -> None:
        self._backend = backend
        self._scheduler = Scheduler(backend, name=backend.info.id)
        self._info = backend.info
        self._cache: OrderedDict[str, np.ndarray[Any, np.dtype[np.float32]]] = OrderedDict()
        self._cache_size = embed_cache_size
        self._cache_lock = threading.Lock()
        self._users = 1
        self._users_lock = threading.Lock()
        self._closed = False
        self._shared_key: tuple[Any, ...] | None = None

    @classmethod
    def open(
        cls, config: RuntimeConfig | None = None, *, registry: ModelRegistry | None = None
    ) -> ModelRuntime:
        """Load the configured model in this process (a new, unshared runtime)."""
        config = config or RuntimeConfig.from_env()
        registry = registry or ModelRegistry.load(config.models_config)
        spec = registry.get(config.model)
        path = registry.resolve(spec.id)
        backend = load_backend(spec, str(path), config, adapters=_adapters_for(registry, spec, config))
        return cls(backend, embed_cache_size=config.embed_cache_size)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def backend(self) -> ModelBackend:
        return self._backend

    def pending(self) -> int:
        """Requests waiting for the engine."""
        return self._scheduler.pending()

    async def model_info(self) -> ModelInfo:
        return self._info

    async def ping(self) -> None:
        if self._closed:
            raise HostUnavailable("the in-process model runtime has been closed")

    async def _wait(self, ticket: Ticket[T], deadline: float | None, what: str) -> T:
        future = asyncio.wrap_future(ticket.future)
        try:
            if deadline is None:
                return await future
            remaining = deadline - time.monotonic()
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout=max(remaining, 0.0))
            except TimeoutError:
                ticket.cancel()
                future.cancel()
                raise DeadlineExceeded(
                    f"the {what} passed its deadline after {ticket.queue_ms:.0f} ms in the queue; "
                    "give it a longer timeout, fewer max_tokens, or a higher priority"
                ) from None
        except asyncio.CancelledError:
            ticket.cancel()
            raise

    def _submit_completion(
        self,
        request: CompletionRequest | ChatRequest,
        priority: int,
        deadline: float | None,
        on_text: Callable[[str], None] | None,
    ) -> Ticket[Completion]:
        backend = self._backend
        if isinstance(request, ChatRequest):
            chat_request = request
            return self._scheduler.submit(
                lambda: backend.chat(chat_request),
                priority=priority,
                deadline=deadline,
                on_text=on_text,
                what="chat request",
            )
        completion_request = request
        return self._scheduler.submit(
            lambda: backend.complete(completion_request),
            priority=priority,
            deadline=deadline,
            on_text=on_text,
            what="completion request",
        )

    @staticmethod
    def _with_queue(result: Completion, ticket: Ticket[Completion]) -> Completion:
        timings = result.timings.model_copy(
            update={"queue_ms": ticket.queue_ms, "total_ms": result.timings.total_ms + ticket.queue_ms}
        )
        return result.model_copy(update={"timings": timings})

    async def complete(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> Completion:
        ticket = self._submit_completion(request, priority, deadline, None)
        result = await self._wait(ticket, deadline, "completion request")
        return self._with_queue(result, ticket)

    def stream_request(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> CompletionStream:
        async def produce(emit: Callable[[str], None]) -> Completion:
            loop = asyncio.get_running_loop()

            def on_text(text: str) -> None:
                loop.call_soon_threadsafe(emit, text)

            ticket = self._submit_completion(request, priority, deadline, on_text)
            result = await self._wait(ticket, deadline, "streamed request")
            # Text emitted by the worker is queued on the loop before the result; let it drain first.
            await asyncio.sleep(0)
            return self._with_queue(result, ticket)

        return CompletionStream(produce)

    async def score_request(
        self, request: ScoreRequest, *, priority: int, deadline: float | None
    ) -> ScoreResult:
        backend = self._backend
        ticket = self._scheduler.submit(
            lambda: backend.score(request), priority=priority, deadline=deadline, what="score request"
        )
        result = await self._wait(ticket, deadline, "score request")
        timings = result.timings.model_copy(
            update={"queue_ms": ticket.queue_ms, "total_ms": result.timings.total_ms + ticket.queue_ms}
        )
        return result.model_copy(update={"timings": timings})

    async def embed_request(
        self, request: EmbedRequest, *, priority: int, deadline: float | None
    ) -> Embeddings:
        texts = list(request.texts)
        with self._cache_lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            backend = self._backend
            ticket = self._scheduler.submit(
                lambda: backend.embed(missing), priority=priority, deadline=deadline, what="embed request"
            )
            vectors = await self._wait(ticket, deadline, "embed request")
            fresh = dict(zip(missing, vectors, strict=True))
        else:
            fresh = {}
        rows: list[np.ndarray[Any, np.dtype[np.float32]]] = []
        with self._cache_lock:
            for text in texts:
                vec = fresh.get(text)
                if vec is None:
                    vec = self._cache[text]
                    self._cache.move_to_end(text)
                rows.append(vec)
            if self._cache_size:
                for text, vec in fresh.items():
                    self._cache[text] = vec
                    self._cache.move_to_end(text)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        import numpy as np  # NumPy loads with the first embedding, not with the runtime

        out = np.stack(rows).astype(np.float32, copy=True)
        if request.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out = out / np.maximum(norms, np.float32(1e-12))
        return out

    def clear_embedding_cache(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    async def prefix(
        self,
        text: str,
        *,
        priority: int = Priority.BACKGROUND,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced by the scheduler, queue time included
    ) -> Prefix:
        if not text:
            raise InvalidRequest("a prefix must not be empty")
        backend = self._backend
        deadline = _deadline(timeout, None)
        ticket = self._scheduler.submit(
            lambda: backend.prepare_prefix(text),
            priority=priority,
            deadline=deadline,
            what="prefix preparation",
        )
        tokens = await self._wait(ticket, deadline, "prefix preparation")
        return Prefix(text=text, tokens=tokens)

    def _acquire(self) -> None:
        with self._users_lock:
            self._users += 1

    async def aclose(self) -> None:
        with self._users_lock:
            self._users -= 1
            last = self._users <= 0 and not self._closed
            if last:
                self._closed = True
        if not last:
            return
        if self._shared_key is not None:
            with _SHARED_LOCK:
                if _SHARED.get(self._shared_key) is self:
                    del _SHARED[self._shared_key]
        await asyncio.to_thread(self._scheduler.close)
        self._backend.close()


def _adapters_for(
    registry: ModelRegistry, spec: ModelSpec, config: RuntimeConfig
) -> list[tuple[AdapterInfo, str]]:
    """The active adapter of a text model (checked against its manifest and the base's sha256)."""
    if spec.kind != "text":
        return []
    key = registry.active_adapter(spec.id, override=config.adapter)
    if key is None:
        return []
    manifest, path = registry.resolve_adapter(key, spec.id)
    info = AdapterInfo(
        id=manifest.id,
        version=manifest.version,
        task=manifest.task,
        prompt_format=manifest.prompt_format,
        sha256=manifest.sha256,
    )
    return [(info, str(path))]


def load_backend(
    spec: ModelSpec, path: str, config: RuntimeConfig, adapters: Sequence[tuple[AdapterInfo, str]] = ()
) -> ModelBackend:
    """The backend for a model: llama.cpp for text models (with its LoRA ``adapters``), llama.cpp
    multimodal for vision models."""
    if spec.kind == "vision":
        from models.vision import LlamaVisionBackend

        return LlamaVisionBackend(spec, path, config)
    from models.llama import LlamaCppBackend

    return LlamaCppBackend(spec, path, config, adapters)


_SHARED: dict[tuple[Any, ...], ModelRuntime] = {}
_SHARED_LOCK = threading.Lock()


def open_runtime(config: RuntimeConfig | None = None) -> Runtime:
    """The runtime for this process.

    With ``host_url`` (``CABIN_MODEL_HOST``) set: a client of that model host. Otherwise the model
    is loaded in this process once and shared: every call with the same model and settings returns
    the same runtime, and the model is freed when the last caller ``aclose()``-s it.
    """
    config = config or RuntimeConfig.from_env()
    if config.host_url:
        from models.client import ModelHostClient

        return ModelHostClient(config.host_url, token=config.token)
    registry = ModelRegistry.load(config.models_config)
    spec = registry.get(config.model)
    key = (spec.id, str(registry.location(spec.id)), config.model_dump_json(exclude={"host_url", "token"}))
    with _SHARED_LOCK:
        existing = _SHARED.get(key)
        if existing is not None and not existing._closed:
            existing._acquire()
            return existing
        runtime = ModelRuntime.open(config, registry=registry)
        runtime._shared_key = key
        _SHARED[key] = runtime
        return runtime
