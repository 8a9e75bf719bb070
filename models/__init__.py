"""cabin's on-device model runtime.

One model is loaded once per running stack and shared by the orchestrator and every agent, either
in-process (:class:`ModelRuntime`) or through the loopback model host service
(:class:`ModelHostClient`); :func:`open_runtime` returns whichever the configuration asks for.
Requests are scheduled by :class:`Priority`; every failure is a :class:`ModelError`.

>>> runtime = open_runtime()                                  # doctest: +SKIP
>>> label = await runtime.generate("Request: open the window\\nLabel:",
...                                grammar=choice_grammar([" navigation", " vehicle"]),
...                                priority=Priority.DRIVER, timeout=1.0)  # doctest: +SKIP
"""

import os

# The stack shares a few cores between several processes; OpenMP threads that spin while they wait
# starve the others (llama.cpp decode falls several-fold under load). Set before llama.cpp is first
# loaded (it reads this once); a value set by the user wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from models.backend import Embeddings, ModelBackend, Step
from models.classifier import EmbeddingClassifier, FitReport, Prediction, fit_from_jsonl
from models.client import ModelHostClient
from models.config import RuntimeConfig
from models.errors import (
    BackendFailure,
    CapabilityNotSupported,
    ClassifierMismatch,
    ContextOverflow,
    DeadlineExceeded,
    GrammarError,
    HostUnavailable,
    InvalidRequest,
    ManifestError,
    ModelCorrupt,
    ModelError,
    ModelNotInstalled,
    OutputTruncated,
    RequestAborted,
    RequestCancelled,
    UnknownModel,
)
from models.grammar import choice_grammar
from models.registry import DEFAULT_MODEL_ID, ModelRegistry, ModelSpec, models_dir
from models.runtime import CompletionStream, ModelRuntime, Prefix, Runtime, open_runtime
from models.scripted import ScriptedBackend
from models.types import (
    ChatMessage,
    ChatRequest,
    Completion,
    CompletionRequest,
    EmbedRequest,
    ImageInput,
    ModelInfo,
    OptionScore,
    Priority,
    Sampling,
    ScoreRequest,
    ScoreResult,
    Timings,
)

__all__ = [
    "DEFAULT_MODEL_ID",
    "BackendFailure",
    "CapabilityNotSupported",
    "ChatMessage",
    "ChatRequest",
    "ClassifierMismatch",
    "Completion",
    "CompletionRequest",
    "CompletionStream",
    "ContextOverflow",
    "DeadlineExceeded",
    "EmbedRequest",
    "EmbeddingClassifier",
    "Embeddings",
    "FitReport",
    "GrammarError",
    "HostUnavailable",
    "ImageInput",
    "InvalidRequest",
    "ManifestError",
    "ModelBackend",
    "ModelCorrupt",
    "ModelError",
    "ModelHostClient",
    "ModelInfo",
    "ModelNotInstalled",
    "ModelRegistry",
    "ModelRuntime",
    "ModelSpec",
    "OptionScore",
    "OutputTruncated",
    "Prediction",
    "Prefix",
    "Priority",
    "RequestAborted",
    "RequestCancelled",
    "Runtime",
    "RuntimeConfig",
    "Sampling",
    "ScoreRequest",
    "ScoreResult",
    "ScriptedBackend",
    "Step",
    "Timings",
    "UnknownModel",
    "choice_grammar",
    "fit_from_jsonl",
    "models_dir",
    "open_runtime",
]
