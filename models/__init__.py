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

import importlib
import os
from typing import TYPE_CHECKING, Any

# llama.cpp's CPU threads meet at an OpenMP barrier after every operation of a forward pass. Threads
# that sleep at once at each barrier (PASSIVE) make a short request twice as slow; threads that spin
# forever (ACTIVE) starve the stack's other processes on a few shared cores. A short bounded spin
# (3000 rounds, well under a millisecond) keeps both: fast barriers inside a forward pass, sleeping
# threads between requests, and little lost when another process holds the other core.
# Set before llama.cpp is first loaded (it reads this once); a wait policy set by the user wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "3000")

if TYPE_CHECKING:
    from models.backend import Embeddings, ModelBackend, Step
    from models.classifier import EmbeddingClassifier, FitReport, Prediction, fit_from_jsonl
    from models.client import ModelHostClient
    from models.config import RuntimeConfig
    from models.errors import (
        AdapterMismatch,
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
        AdapterInfo,
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

# Loaded on first use (PEP 562), so importing one light submodule does not import them all.
_EXPORTS: dict[str, str] = {
    "Embeddings": "models.backend",
    "ModelBackend": "models.backend",
    "Step": "models.backend",
    "EmbeddingClassifier": "models.classifier",
    "FitReport": "models.classifier",
    "Prediction": "models.classifier",
    "fit_from_jsonl": "models.classifier",
    "ModelHostClient": "models.client",
    "RuntimeConfig": "models.config",
    "BackendFailure": "models.errors",
    "CapabilityNotSupported": "models.errors",
    "ClassifierMismatch": "models.errors",
    "AdapterMismatch": "models.errors",
    "AdapterInfo": "models.types",
    "ContextOverflow": "models.errors",
    "DeadlineExceeded": "models.errors",
    "GrammarError": "models.errors",
    "HostUnavailable": "models.errors",
    "InvalidRequest": "models.errors",
    "ManifestError": "models.errors",
    "ModelCorrupt": "models.errors",
    "ModelError": "models.errors",
    "ModelNotInstalled": "models.errors",
    "OutputTruncated": "models.errors",
    "RequestAborted": "models.errors",
    "RequestCancelled": "models.errors",
    "UnknownModel": "models.errors",
    "choice_grammar": "models.grammar",
    "DEFAULT_MODEL_ID": "models.registry",
    "ModelRegistry": "models.registry",
    "ModelSpec": "models.registry",
    "models_dir": "models.registry",
    "CompletionStream": "models.runtime",
    "ModelRuntime": "models.runtime",
    "Prefix": "models.runtime",
    "Runtime": "models.runtime",
    "open_runtime": "models.runtime",
    "ScriptedBackend": "models.scripted",
    "ChatMessage": "models.types",
    "ChatRequest": "models.types",
    "Completion": "models.types",
    "CompletionRequest": "models.types",
    "EmbedRequest": "models.types",
    "ImageInput": "models.types",
    "ModelInfo": "models.types",
    "OptionScore": "models.types",
    "Priority": "models.types",
    "Sampling": "models.types",
    "ScoreRequest": "models.types",
    "ScoreResult": "models.types",
    "Timings": "models.types",
}

__all__ = [
    "DEFAULT_MODEL_ID",
    "AdapterInfo",
    "AdapterMismatch",
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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
