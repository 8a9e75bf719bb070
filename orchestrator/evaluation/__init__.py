"""Measuring understanding: how well the whole stack reads what people say in a car.

``cabin eval understanding`` runs a probe set (``probes.yaml``, in-car requests with what each must
lead to), KVRET navigation requests or SLURP out-of-domain lines through the in-process stack with the
real model and scores each turn (:mod:`.understanding`); ``--grammar-size`` counts the lines of
hand-written grammar and word lists (:mod:`.grammar_size`). See docs/evaluation.md.
"""

from .errors import DatasetError, EvaluationError, ProbeFileError
from .probes import Observation, Probe, ProbeSet, Search, Verdict, load_probes, score

__all__ = [
    "DatasetError",
    "EvaluationError",
    "Observation",
    "Probe",
    "ProbeFileError",
    "ProbeSet",
    "Search",
    "Verdict",
    "load_probes",
    "score",
]
