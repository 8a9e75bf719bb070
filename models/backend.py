"""The extension point for inference engines: :class:`ModelBackend`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from models.types import ChatRequest, Completion, CompletionRequest, ModelInfo, ScoreRequest, ScoreResult

__all__ = ["Embeddings", "ModelBackend", "Step"]

T = TypeVar("T")

Step: TypeAlias = Generator[str, None, T]
"""A request in progress: each ``next()`` does one bounded unit of work and yields the text it adds
to the output (``""`` when it adds none); the final value arrives with ``StopIteration``."""

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Embeddings: TypeAlias = npt.NDArray[np.float32]
    """A ``(n_texts, n_embd)`` float32 array."""


def __getattr__(name: str) -> Any:
    # `Embeddings` at run time imports NumPy when first asked for (PEP 562): a process that never
    # embeds (`cabin ask` on a text the templates read) does not load it.
    if name == "Embeddings":
        import numpy as np
        import numpy.typing as npt

        return npt.NDArray[np.float32]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ModelBackend(ABC):
    """One inference engine with one loaded model.

    Lifecycle: a backend is constructed fully loaded (its constructor raises ``ModelNotInstalled`` or
    ``ModelCorrupt`` when it cannot load), is used, and is closed once with :meth:`close`; after that
    no method is called again.

    Threading: the runtime's scheduler calls every method from one worker thread, one call at a
    time, so a backend needs no locks of its own. :attr:`info` may be read from any thread.

    Steps: :meth:`complete`, :meth:`chat`, :meth:`score`, :meth:`embed` and :meth:`prepare_prefix`
    return a :data:`Step` generator and do no work before the first ``next()``. Each ``next()`` must
    do a bounded amount of work (one prompt batch, one token) so that the scheduler can check
    deadlines, cancellations and waiting higher-priority requests between steps. Text yielded by a
    step is streamed to the caller as it comes; the value returned at the end is the result.

    Interleaving: up to :attr:`max_active` started generators may be alive at once; the scheduler
    parks one (stops calling ``next()`` on it) to run a more urgent request and resumes it later.
    A backend that keeps per-request state in shared engine memory must isolate it per generator
    (the llama.cpp backend gives each one its own KV-cache sequence). ``max_active = 1`` means
    requests always run to completion one after the other.

    Cancellation: the scheduler stops an abandoned request by calling ``close()`` on its generator;
    the backend releases that request's state in a ``finally`` block and the engine stays usable.
    Errors: a step raises only :class:`models.errors.ModelError` subclasses for problems the
    caller can act on (``ContextOverflow``, ``GrammarError``, ``CapabilityNotSupported``, ...); any
    other exception is reported to the caller as ``BackendFailure`` and the backend keeps serving.
    """

    max_active: int = 1

    @property
    @abstractmethod
    def info(self) -> ModelInfo:
        """What is loaded: model id, path, sha256, context size, capabilities."""

    @abstractmethod
    def complete(self, request: CompletionRequest) -> Step[Completion]:
        """Continue ``request.prefix + request.prompt``, honouring sampling, stops and constraints."""

    @abstractmethod
    def chat(self, request: ChatRequest) -> Step[Completion]:
        """Render the conversation with the model's prompt format and generate the assistant turn."""

    @abstractmethod
    def score(self, request: ScoreRequest) -> Step[ScoreResult]:
        """Log-likelihood of each option as a continuation of the prompt, without free generation."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> Step[Embeddings]:
        """Mean-pooled embeddings, one row per text, in order (not normalised)."""

    @abstractmethod
    def prepare_prefix(self, prefix: str) -> Step[int]:
        """Evaluate a static prefix ahead of the requests that will use it; returns its token count."""

    @abstractmethod
    def close(self) -> None:
        """Release the engine and its memory."""
