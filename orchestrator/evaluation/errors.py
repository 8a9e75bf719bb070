"""The evaluation's exceptions: one tree, each message naming the file, probe or line at fault."""

from __future__ import annotations


class EvaluationError(Exception):
    """Base of every error the evaluation raises."""


class ProbeFileError(EvaluationError):
    """The probe file cannot be read, or a probe in it names something the car does not have."""


class DatasetError(EvaluationError):
    """A dataset file (KVRET, SLURP) is missing or not in a format the evaluation reads."""
