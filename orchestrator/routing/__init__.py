"""The routing cascade: one utterance in, ordered parts routed to agents out.

Templates (``hassil``) catch the common phrasings in about a millisecond; a classifier over the
on-device model's sentence embeddings routes the rest when it is confident enough; everything else
falls back to an honest "I can't do that". Multi-intent utterances are split into ordered parts.

>>> router = await Router.open(runtime)                                      # doctest: +SKIP
>>> route = await router.route("open my window and turn on the seat heating")  # doctest: +SKIP
>>> [(p.agent, p.skill, p.via) for p in route.parts]                          # doctest: +SKIP
[('vehicle-control', 'windows', 'template'), ('vehicle-control', 'seats', 'template')]
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import (
        ArtefactError,
        BudgetExhausted,
        RoutingError,
        StageFailed,
        TemplateError,
        TrainingDataError,
    )
    from .labels import AGENTS, LABELS, NONE, agent_skill, label_of
    from .model_stage import ModelStage, RouterSettings, default_artefact_path, model_text
    from .router import DEFAULT_BUDGET_S, Router
    from .splitter import Chunk, ask_of, split_candidates
    from .stage import Decision, RouterStage
    from .templates import TemplateMatch, TemplateSet, TemplateStage
    from .types import Route, RoutedPart, Via

# Loaded on first use (PEP 562), so importing one light submodule does not import them all.
_EXPORTS: dict[str, str] = {
    "ArtefactError": ".errors",
    "BudgetExhausted": ".errors",
    "RoutingError": ".errors",
    "StageFailed": ".errors",
    "TemplateError": ".errors",
    "TrainingDataError": ".errors",
    "AGENTS": ".labels",
    "LABELS": ".labels",
    "NONE": ".labels",
    "agent_skill": ".labels",
    "label_of": ".labels",
    "ModelStage": ".model_stage",
    "RouterSettings": ".model_stage",
    "default_artefact_path": ".model_stage",
    "model_text": ".model_stage",
    "DEFAULT_BUDGET_S": ".router",
    "Router": ".router",
    "Chunk": ".splitter",
    "ask_of": ".splitter",
    "split_candidates": ".splitter",
    "Decision": ".stage",
    "RouterStage": ".stage",
    "TemplateMatch": ".templates",
    "TemplateSet": ".templates",
    "TemplateStage": ".templates",
    "Route": ".types",
    "RoutedPart": ".types",
    "Via": ".types",
}

__all__ = [
    "AGENTS",
    "DEFAULT_BUDGET_S",
    "LABELS",
    "NONE",
    "ArtefactError",
    "BudgetExhausted",
    "Chunk",
    "Decision",
    "ModelStage",
    "Route",
    "RoutedPart",
    "Router",
    "RouterSettings",
    "RouterStage",
    "RoutingError",
    "StageFailed",
    "TemplateError",
    "TemplateMatch",
    "TemplateSet",
    "TemplateStage",
    "TrainingDataError",
    "Via",
    "agent_skill",
    "ask_of",
    "default_artefact_path",
    "label_of",
    "model_text",
    "split_candidates",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
