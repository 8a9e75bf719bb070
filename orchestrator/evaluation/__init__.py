"""Measuring understanding: how well the whole stack reads what people say in a car.

``cabin eval understanding`` runs a probe set (``probes.yaml``, in-car requests with what each must
lead to), KVRET navigation requests or SLURP out-of-domain lines through the in-process stack with the
real model and scores each turn (:mod:`.understanding`); ``--grammar-size`` counts the lines of
hand-written grammar and word lists (:mod:`.grammar_size`). See docs/evaluation.md.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import DatasetError, EvaluationError, ProbeFileError
    from .probes import Observation, Probe, ProbeSet, Search, Verdict, load_probes, score

# Loaded on first use (PEP 562), so importing one light submodule does not import them all.
_EXPORTS: dict[str, str] = {
    "DatasetError": ".errors",
    "EvaluationError": ".errors",
    "ProbeFileError": ".errors",
    "Observation": ".probes",
    "Probe": ".probes",
    "ProbeSet": ".probes",
    "Search": ".probes",
    "Verdict": ".probes",
    "load_probes": ".probes",
    "score": ".probes",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
