"""The model path on the scripted backend: the artefact, its checks, thresholds and failures."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from models import BackendFailure, EmbeddingClassifier, ModelRuntime, ScriptedBackend
from orchestrator.routing import (
    ArtefactError,
    BudgetExhausted,
    ModelStage,
    Router,
    RouterSettings,
    StageFailed,
    TemplateSet,
    model_text,
)
from orchestrator.routing.model_stage import ARTEFACT_FORMAT
from orchestrator.routing.training import fit_router

from .conftest import DATA


@pytest.fixture
async def artefact(scripted_runtime: ModelRuntime, tmp_path: Path) -> Path:
    data = tmp_path / "small.jsonl"
    data.write_text(
        "\n".join((DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()[:600]) + "\n",
        encoding="utf-8",
    )
    report = await fit_router(data, scripted_runtime, tmp_path / "router.npz")
    return Path(report.artefact)


def two_label_stage(threshold: float) -> ModelStage:
    """none vs windows in two dimensions: [1, 0] is none, [0, 1] is windows, in between is unsure."""
    classifier = EmbeddingClassifier(
        labels=["none", "vehicle-control/windows"],
        weights=np.eye(2) * 2.0,
        bias=np.zeros(2),
        mean=np.zeros(2),
        scale=np.ones(2),
        temperature=1.0,
        model_sha256="x",
    )
    settings = RouterSettings(router_format=ARTEFACT_FORMAT, thresholds={"vehicle-control": threshold})
    return ModelStage(ModelRuntime(ScriptedBackend(dim=2)), classifier, settings)


async def test_thresholds_turn_unsure_answers_into_none() -> None:
    stage = two_label_stage(0.8)
    sure, unsure, outside = stage.decide_vectors(np.array([[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]]))
    assert (sure.label, sure.via, sure.guess) == ("vehicle-control/windows", "model", None)
    assert sure.confidence == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert (unsure.label, unsure.guess) == ("none", "vehicle-control/windows")
    assert unsure.note is not None and "below the threshold 0.80" in unsure.note
    assert (outside.label, outside.guess) == ("none", None)
    await stage.runtime.aclose()


async def test_the_artefact_loads_for_its_model_and_decides(
    scripted_runtime: ModelRuntime, artefact: Path
) -> None:
    stage = await ModelStage.open(scripted_runtime, artefact)
    assert stage.settings.router_format == ARTEFACT_FORMAT
    assert set(stage.settings.thresholds) == {"vehicle-control", "navigation", "perception-summary"}
    decisions = await stage.decide(
        ["Open the window, please!", "what's the weather"], deadline=time.monotonic() + 5
    )
    assert len(decisions) == 2 and all(d is not None and d.via == "model" for d in decisions)
    assert stage.expected_latency_s > 0


async def test_an_artefact_of_another_model_is_refused(artefact: Path, templates: TemplateSet) -> None:
    other = ModelRuntime(ScriptedBackend(dim=64, model_id="another-model"))
    try:
        with pytest.raises(ArtefactError, match=r"fitted on model scripted .*`cabin router fit`"):
            await ModelStage.open(other, artefact)
        router = await Router.open(other, artefact=artefact, templates=templates)
        assert not router.model_available
        assert "fitted on model scripted" in router.problems[0]
        with pytest.raises(ArtefactError):
            await Router.open(other, artefact=artefact, templates=templates, require_model=True)
    finally:
        await other.aclose()


async def test_a_missing_or_foreign_artefact_says_how_to_rebuild_it(
    scripted_runtime: ModelRuntime, tmp_path: Path
) -> None:
    with pytest.raises(ArtefactError, match="does not exist; run `cabin router fit`"):
        await ModelStage.open(scripted_runtime, tmp_path / "nowhere.npz")
    plain = EmbeddingClassifier.fit(
        np.eye(64)[:4], ["none", "none", "navigation/poi", "navigation/poi"], model_sha256="x"
    )
    plain.save(tmp_path / "plain.npz")
    with pytest.raises(ArtefactError, match="not a cabin-router/1 artefact"):
        await ModelStage.open(scripted_runtime, tmp_path / "plain.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ArtefactError, match="cannot be read"):
        await ModelStage.open(scripted_runtime, tmp_path / "junk.npz")


async def test_a_spent_budget_or_a_failing_runtime_raise_stage_errors(
    scripted_runtime: ModelRuntime, artefact: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = await ModelStage.open(scripted_runtime, artefact)
    with pytest.raises(BudgetExhausted):
        await stage.decide(["open the window"], deadline=time.monotonic() - 1)

    async def broken(*args: object, **kwargs: object) -> None:
        raise BackendFailure("the engine stopped")

    monkeypatch.setattr(scripted_runtime, "embed", broken)
    with pytest.raises(StageFailed, match="the engine stopped"):
        await stage.decide(["open the window"], deadline=time.monotonic() + 5)
    router = Router([stage])
    (part,) = (await router.route("open the window")).parts
    assert (part.via, part.note) == ("fallback", "the model path failed: the engine stopped")


async def test_the_router_runs_templates_then_the_model(
    scripted_runtime: ModelRuntime, artefact: Path, templates: TemplateSet
) -> None:
    router = await Router.open(scripted_runtime, artefact=artefact, templates=templates)
    assert router.model_available and router.problems == ()
    route = await router.route("open the boot and whatever the scripted model thinks of this")
    assert route.parts[0].via == "template"
    assert "model" in route.latency_ms
    await router.aclose()


@pytest.mark.parametrize(
    ("text", "form"),
    [("Open the Window, please!", "open the window please"), ("It’s  cold…", "it's cold"), ("?!", "")],
)
def test_model_text(text: str, form: str) -> None:
    assert model_text(text) == form
