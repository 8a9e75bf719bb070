"""The public surface of ``orchestrator.routing`` is deliberate: this pins it."""

from __future__ import annotations

import orchestrator.routing as routing

EXPORTED = {
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
}


def test_exported_members() -> None:
    assert set(routing.__all__) == EXPORTED
    for name in routing.__all__:
        assert getattr(routing, name) is not None


def test_one_exception_tree() -> None:
    for name in ("ArtefactError", "TemplateError", "TrainingDataError", "StageFailed", "BudgetExhausted"):
        assert issubclass(getattr(routing, name), routing.RoutingError)
    assert issubclass(routing.BudgetExhausted, routing.StageFailed)


def test_labels_name_agents_and_skills() -> None:
    assert routing.agent_skill("perception/signs") == ("perception-summary", "signs")
    assert routing.agent_skill("none") == (None, None)
    assert routing.label_of("perception-summary", "signs") == "perception/signs"
    assert routing.label_of(None, None) == "none"
    assert set(routing.AGENTS) == {"vehicle-control", "navigation", "perception-summary"}
    assert len(routing.LABELS) == 12


def test_an_unknown_label_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="not a routing label"):
        routing.agent_skill("kitchen/toaster")
