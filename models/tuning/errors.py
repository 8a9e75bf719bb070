"""The exception tree of `models.tuning` (part of `models.errors.ModelError`)."""

from __future__ import annotations

from models.errors import ModelError

__all__ = ["DataError", "ExportError", "TuneError", "TuningUnavailable"]


class TuneError(ModelError):
    """Tuning, exporting or evaluating an adapter failed."""


class TuningUnavailable(TuneError):
    """The optional tuning packages (torch, transformers, peft, gguf) are not installed."""


class DataError(TuneError):
    """Training or evaluation data is missing or malformed (the message names the file and line)."""


class ExportError(TuneError):
    """The trained adapter cannot be written as a GGUF LoRA adapter."""
