"""The embedding classifier: fitting, calibration, artefacts, and the training command's core."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models import (
    ClassifierMismatch,
    EmbeddingClassifier,
    InvalidRequest,
    ModelRuntime,
    ScriptedBackend,
    fit_from_jsonl,
)
from models.classifier import _fit_temperature, _softmax, _stratified_split

SHA = "ab" * 32


def _clusters(seed: int, n: int = 40, d: int = 16, spread: float = 0.6) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, d)) * 2
    x, y = [], []
    for label, centre in zip(["nav", "car", "none"], centres, strict=True):
        x.append(centre + spread * rng.normal(size=(n, d)))
        y += [label] * n
    return np.vstack(x), y


def test_fit_predicts_separable_clusters() -> None:
    x, y = _clusters(0)
    clf = EmbeddingClassifier.fit(x, y, model_sha256=SHA)
    xt, yt = _clusters(0, n=10)
    predictions = clf.predict(xt)
    accuracy = np.mean([p.label == t for p, t in zip(predictions, yt, strict=True)])
    assert accuracy > 0.95
    probs = clf.predict_proba(xt)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    assert clf.labels == ("car", "nav", "none")


def test_fitting_is_deterministic() -> None:
    x, y = _clusters(1)
    a = EmbeddingClassifier.fit(x, y, model_sha256=SHA, seed=3)
    b = EmbeddingClassifier.fit(x, y, model_sha256=SHA, seed=3)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.temperature == b.temperature


def test_temperature_scaling_lowers_held_out_loss() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=300)
    logits = rng.normal(size=(300, 3))
    logits[np.arange(300), y] += 1.0
    overconfident = logits * 8.0
    t = _fit_temperature(overconfident, y)
    assert t > 2.0

    def nll(z: np.ndarray) -> float:
        return float(-np.log(_softmax(z)[np.arange(300), y]).mean())

    assert nll(overconfident / t) < nll(overconfident)


def test_stratified_split_keeps_every_label_in_training() -> None:
    labels = ["a"] * 10 + ["b"] * 3 + ["c"] * 1
    train, test = _stratified_split(labels, 0.2, seed=0)
    assert sorted(train + test) == list(range(len(labels)))
    assert {labels[i] for i in train} == {"a", "b", "c"}
    assert sum(1 for i in test if labels[i] == "a") == 2
    assert _stratified_split(labels, 0.2, seed=0) == (train, test)


def test_artefact_round_trip_and_model_check(tmp_path: Path) -> None:
    x, y = _clusters(2)
    clf = EmbeddingClassifier.fit(x, y, model_sha256=SHA, model_id="m")
    path = clf.save(tmp_path / "router.npz")
    assert path.stat().st_size < 20_000
    loaded = EmbeddingClassifier.load(path, model_sha256=SHA)
    np.testing.assert_allclose(loaded.predict_proba(x), clf.predict_proba(x), atol=1e-5)
    assert loaded.model_id == "m" and loaded.labels == clf.labels
    with pytest.raises(ClassifierMismatch, match="refit"):
        EmbeddingClassifier.load(path, model_sha256="cd" * 32)
    with pytest.raises(ClassifierMismatch, match="dimensions"):
        loaded.predict_proba(np.ones((1, 5)))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not an npz")
    with pytest.raises(ClassifierMismatch, match="unreadable"):
        EmbeddingClassifier.load(bad)
    with pytest.raises(ClassifierMismatch, match="does not exist"):
        EmbeddingClassifier.load(tmp_path / "missing.npz")


def test_fit_needs_two_labels() -> None:
    with pytest.raises(InvalidRequest, match="two different labels"):
        EmbeddingClassifier.fit(np.ones((4, 3)), ["a"] * 4, model_sha256=SHA)


def _write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


TRAIN = {
    "navigation": [
        "navigate to the airport",
        "take me home",
        "route to the nearest charging station",
        "how far is the office",
        "find a petrol station on the way",
        "avoid the motorway",
        "directions to the city centre",
        "drive me to the hotel",
        "where is the next rest stop",
        "plan a route to munich",
    ],
    "vehicle": [
        "open the window",
        "close the sunroof",
        "turn on the seat heating",
        "set the temperature to 21",
        "lock the doors",
        "open the trunk",
        "turn on the headlights",
        "warm up the steering wheel",
        "fold the mirrors",
        "switch on the wipers",
    ],
    "none": [
        "tell me a joke",
        "who are you",
        "what is the meaning of life",
        "sing a song",
        "how old is the universe",
        "do you like pizza",
        "what is two plus two",
        "good morning",
        "are you a robot",
        "what day is it",
    ],
}


async def test_fit_from_jsonl_reports_held_out_figures(tmp_path: Path) -> None:
    data = _write_jsonl(
        tmp_path / "train.jsonl", [{"text": t, "label": k} for k, v in TRAIN.items() for t in v]
    )
    runtime = ModelRuntime(ScriptedBackend(dim=256, sha256=SHA))
    report = await fit_from_jsonl(data, runtime, tmp_path / "out" / "router.npz", holdout=0.3, seed=0)
    assert report.n_train + report.n_test == 30 and report.n_test == 9
    assert report.accuracy is not None and 0.0 <= report.accuracy <= 1.0
    assert set(report.per_label) == {"navigation", "vehicle", "none"}
    assert sum(r.support for r in report.per_label.values()) == 9
    assert report.model_sha256 == SHA
    clf = EmbeddingClassifier.load(report.artefact, model_sha256=SHA)
    predictions = await clf.classify(runtime, ["open the window please"])
    assert predictions[0].label in {"navigation", "vehicle", "none"}
    again = await fit_from_jsonl(data, runtime, tmp_path / "again.npz", holdout=0.3, seed=0)
    assert again.accuracy == report.accuracy
    await runtime.aclose()


async def test_fit_from_jsonl_names_the_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n{"text": "b"}\n', encoding="utf-8")
    runtime = ModelRuntime(ScriptedBackend())
    with pytest.raises(InvalidRequest, match=r"bad\.jsonl:2:.*label"):
        await fit_from_jsonl(data, runtime, tmp_path / "o.npz")
    await runtime.aclose()


@pytest.mark.model
async def test_fit_from_jsonl_with_the_real_model(tmp_path: Path, real_runtime: ModelRuntime) -> None:
    data = _write_jsonl(
        tmp_path / "train.jsonl", [{"text": t, "label": k} for k, v in TRAIN.items() for t in v]
    )
    report = await fit_from_jsonl(data, real_runtime, tmp_path / "router.npz", holdout=0.3, seed=0)
    assert report.model_id == "gemma-3-270m-q4_k_m"
    assert report.accuracy is not None and report.accuracy >= 0.5, report
    clf = EmbeddingClassifier.load(report.artefact, model_sha256=real_runtime.info.sha256)
    predictions = await clf.classify(
        real_runtime, ["please navigate to the train station", "open the rear window"]
    )
    assert [p.label for p in predictions] == ["navigation", "vehicle"]
