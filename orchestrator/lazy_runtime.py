"""A model runtime that loads its model when first asked for something, not before.

``cabin ask`` answers most requests with sentence templates alone; loading the model (about half a
second of CPU) is then wasted. The in-process stack hands its agents a :class:`LazyRuntime`, and the
model is loaded the first time an agent asks it for anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from models import Runtime
from models.backend import Embeddings
from models.runtime import CompletionStream, Prefix
from models.types import (
    ChatRequest,
    Completion,
    CompletionRequest,
    EmbedRequest,
    ModelInfo,
    Priority,
    ScoreRequest,
    ScoreResult,
)

__all__ = ["LazyRuntime"]


class LazyRuntime(Runtime):
    """Serves from the runtime ``open()`` returns, called once, on the first request of any kind
    (``model_info`` and ``ping`` included: whether a model can serve is known only once it is loaded).

    Same contract as the runtime it opens; ``open()``'s errors (``ModelError``) reach the caller of
    that first request, and the next request tries again. The opened runtime is shared, not owned:
    ``aclose`` leaves it open (``cabin ask`` opens one per process with ``shared_runtime``).
    """

    def __init__(self, open: Callable[[], Runtime]) -> None:
        self._open = open
        self._inner: Runtime | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """True once the model was asked for something and opened."""
        return self._inner is not None

    def _runtime(self) -> Runtime:
        with self._lock:
            if self._inner is None:
                self._inner = self._open()
            return self._inner

    async def model_info(self) -> ModelInfo:
        return await self._runtime().model_info()

    async def complete(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> Completion:
        return await self._runtime().complete(request, priority=priority, deadline=deadline)

    def stream_request(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> CompletionStream:
        return self._runtime().stream_request(request, priority=priority, deadline=deadline)

    async def score_request(
        self, request: ScoreRequest, *, priority: int, deadline: float | None
    ) -> ScoreResult:
        return await self._runtime().score_request(request, priority=priority, deadline=deadline)

    async def embed_request(
        self, request: EmbedRequest, *, priority: int, deadline: float | None
    ) -> Embeddings:
        return await self._runtime().embed_request(request, priority=priority, deadline=deadline)

    async def prefix(
        self,
        text: str,
        *,
        priority: int = Priority.BACKGROUND,
        timeout: float | None = None,  # noqa: ASYNC109 - the opened runtime enforces it
    ) -> Prefix:
        return await self._runtime().prefix(text, priority=priority, timeout=timeout)

    async def ping(self) -> None:
        await self._runtime().ping()

    async def aclose(self) -> None:
        """Nothing to release: the opened runtime belongs to whoever ``open()`` got it from."""
