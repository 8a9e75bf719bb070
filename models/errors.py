"""Every error the model runtime raises, in one tree.

::

    ModelError                      root: catch this to handle any runtime failure
    ├── ManifestError               a model manifest or config file is invalid (names file, line, key)
    ├── UnknownModel                no model with that id is registered
    ├── ModelNotInstalled           the model file is missing (says how to install it)
    ├── ModelCorrupt                the model file fails its sha256 check or cannot be loaded
    ├── ClassifierMismatch          a classifier artefact was fitted on another model, or is unreadable
    ├── AdapterMismatch             a LoRA adapter was trained on another base model, or fails its sha256
    ├── InvalidRequest              the request itself is malformed (bad option, empty input, ...)
    │   ├── ContextOverflow         the prompt does not fit into the model's context window
    │   ├── GrammarError            a GBNF grammar or JSON schema does not compile
    │   └── CapabilityNotSupported  the loaded backend cannot do this (e.g. images on a text model)
    ├── RequestAborted              the request stopped before it finished
    │   ├── DeadlineExceeded        its deadline passed (queued or running)
    │   └── RequestCancelled        the caller cancelled it
    ├── OutputTruncated             constrained output hit max_tokens before the grammar completed
    ├── HostUnavailable             the model host service cannot be reached or is shutting down
    └── BackendFailure              the inference engine failed in a way the caller cannot fix

Each class carries a stable ``code`` (used on the wire by the model host service) and an HTTP
``status``; :func:`error_from_code` maps a code back to its class on the client side, so a caller sees
the same exception whether the runtime runs in-process or behind the host.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AdapterMismatch",
    "BackendFailure",
    "CapabilityNotSupported",
    "ClassifierMismatch",
    "ContextOverflow",
    "DeadlineExceeded",
    "GrammarError",
    "HostUnavailable",
    "InvalidRequest",
    "ManifestError",
    "ModelCorrupt",
    "ModelError",
    "ModelNotInstalled",
    "OutputTruncated",
    "RequestAborted",
    "RequestCancelled",
    "UnknownModel",
    "error_from_code",
]


class ModelError(Exception):
    """Root of every error raised by the model runtime."""

    code: ClassVar[str] = "model_error"
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ManifestError(ModelError):
    """A model manifest or registry config file is invalid."""

    code = "manifest_error"
    status = 400


class UnknownModel(ModelError):
    """No model with the requested id is registered."""

    code = "unknown_model"
    status = 404


class ModelNotInstalled(ModelError):
    """The model file is not where the registry expects it."""

    code = "model_not_installed"
    status = 503


class ModelCorrupt(ModelError):
    """The model file does not match its pinned sha256, or the engine cannot load it."""

    code = "model_corrupt"
    status = 503


class ClassifierMismatch(ModelError):
    """A classifier artefact cannot be used with the loaded model."""

    code = "classifier_mismatch"
    status = 409


class AdapterMismatch(ModelError):
    """A LoRA adapter cannot be used with this base model: it was trained on another one (its manifest
    names another base sha256), or its file does not match its manifest."""

    code = "adapter_mismatch"
    status = 409


class InvalidRequest(ModelError):
    """The request is malformed; fixing the request fixes the error."""

    code = "invalid_request"
    status = 400


class ContextOverflow(InvalidRequest):
    """The prompt (with its prefix) does not fit into the context window."""

    code = "context_overflow"
    status = 413


class GrammarError(InvalidRequest):
    """A GBNF grammar or a JSON schema does not compile."""

    code = "grammar_error"
    status = 422


class CapabilityNotSupported(InvalidRequest):
    """The loaded backend does not offer the requested capability."""

    code = "capability_not_supported"
    status = 501


class RequestAborted(ModelError):
    """The request stopped before it finished."""

    code = "request_aborted"
    status = 409


class DeadlineExceeded(RequestAborted):
    """The request's deadline passed while it was queued or running."""

    code = "deadline_exceeded"
    status = 504


class RequestCancelled(RequestAborted):
    """The caller cancelled the request."""

    code = "request_cancelled"
    status = 499


class OutputTruncated(ModelError):
    """Constrained output reached ``max_tokens`` before its grammar was complete."""

    code = "output_truncated"
    status = 422


class HostUnavailable(ModelError):
    """The model host service cannot be reached, refused the token, or is shutting down."""

    code = "host_unavailable"
    status = 503


class BackendFailure(ModelError):
    """The inference engine failed; the request may be retried."""

    code = "backend_failure"
    status = 500


_BY_CODE: dict[str, type[ModelError]] = {
    cls.code: cls
    for cls in (
        ModelError,
        ManifestError,
        UnknownModel,
        ModelNotInstalled,
        ModelCorrupt,
        ClassifierMismatch,
        AdapterMismatch,
        InvalidRequest,
        ContextOverflow,
        GrammarError,
        CapabilityNotSupported,
        RequestAborted,
        DeadlineExceeded,
        RequestCancelled,
        OutputTruncated,
        HostUnavailable,
        BackendFailure,
    )
}


def error_from_code(code: str, message: str) -> ModelError:
    """Rebuild the exception that a model host reported as ``code`` (unknown codes give the root)."""
    return _BY_CODE.get(code, ModelError)(message)
