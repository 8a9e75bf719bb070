"""The public surface of ``models`` is deliberate: this test pins it."""

from __future__ import annotations

import models

EXPECTED = [
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


def test_all_is_pinned() -> None:
    assert models.__all__ == EXPECTED


def test_every_exported_name_exists() -> None:
    missing = [name for name in models.__all__ if not hasattr(models, name)]
    assert missing == []


def test_importing_the_package_does_not_load_the_engine() -> None:
    import subprocess
    import sys

    code = "import sys, models; print('llama_cpp.llama' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
