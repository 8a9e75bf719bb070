"""The committed artefact: in step with the committed training data and the default model."""

from __future__ import annotations

import hashlib

from models import ModelRegistry
from orchestrator.routing import default_artefact_path
from orchestrator.routing.model_stage import load_artefact

from .conftest import DATA


def test_the_artefact_was_fitted_on_the_committed_data_and_the_default_model() -> None:
    classifier, settings = load_artefact(default_artefact_path())
    assert settings.data_sha256 == hashlib.sha256((DATA / "train.jsonl").read_bytes()).hexdigest(), (
        "train.jsonl changed since the router was fitted: run `cabin router fit`"
    )
    registry = ModelRegistry.load(None)
    assert classifier.model_sha256 == registry.get(registry.default_id).sha256
    assert set(settings.thresholds) == {"vehicle-control", "navigation", "perception-summary"}
    assert all(0.5 <= t < 1.0 for t in settings.thresholds.values())
    assert default_artefact_path().stat().st_size < 100_000
