"""A small trainable classifier over sentence embeddings (the basis of supervised routing).

Multinomial logistic regression in numpy on L2-normalised, standardised embeddings, with an L2
penalty and deterministic full-batch optimisation; probabilities are calibrated by temperature
scaling on a held-out calibration split. The fitted artefact is a small ``.npz`` file that records
the sha256 of the model whose embeddings it was fitted on and refuses to load against another one.
"""

from __future__ import annotations

import io
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import ClassifierMismatch, InvalidRequest
from models.types import Priority

__all__ = ["EmbeddingClassifier", "FitReport", "LabelReport", "Prediction", "fit_from_jsonl"]

_FORMAT = "cabin-embedding-classifier/1"
FloatArray = npt.NDArray[np.float64]


class Prediction(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    probability: float
    probabilities: dict[str, float]


class LabelReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    precision: float
    recall: float
    f1: float
    support: int


class FitReport(BaseModel):
    """What :func:`fit_from_jsonl` measured; ``accuracy`` is on the held-out split only."""

    model_config = ConfigDict(frozen=True)

    data: str
    artefact: str
    model_id: str
    model_sha256: str
    labels: tuple[str, ...]
    n_train: int
    n_test: int
    accuracy: float | None
    """Held-out accuracy; ``None`` when ``holdout`` is 0."""
    per_label: dict[str, LabelReport]
    temperature: float
    holdout: float
    seed: int
    embed_ms: float
    fit_ms: float
    artefact_bytes: int


class _Example(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    label: str = Field(min_length=1)


def _normalise(x: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise InvalidRequest(f"embeddings must be a 2-D array (texts x dimensions), got shape {arr.shape}")
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    out: FloatArray = arr / np.maximum(norms, 1e-12)
    return out


def _softmax(z: FloatArray) -> FloatArray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=1, keepdims=True)
    return out


def _stratified_split(labels: Sequence[str], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices (train, test): ``fraction`` of every label held out (at least one where a label has two)."""
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    test: list[int] = []
    for label in sorted(by_label):
        idx = np.array(by_label[label])
        rng.shuffle(idx)
        n_test = round(len(idx) * fraction)
        if len(idx) >= 2:
            n_test = min(max(n_test, 1), len(idx) - 1)
        else:
            n_test = 0
        test += idx[:n_test].tolist()
        train += idx[n_test:].tolist()
    return sorted(train), sorted(test)


def _train(
    x: FloatArray, y: npt.NDArray[np.int64], k: int, l2: float, steps: int
) -> tuple[FloatArray, FloatArray]:
    """Softmax regression by full-batch Adam from zero (deterministic)."""
    n, d = x.shape
    w = np.zeros((d, k))
    b = np.zeros(k)
    onehot = np.eye(k)[y]
    mw, vw, mb, vb = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    lr, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        p = _softmax(x @ w + b)
        g = (p - onehot) / n
        gw = x.T @ g + l2 * w
        gb = g.sum(axis=0)
        mw = beta1 * mw + (1 - beta1) * gw
        vw = beta2 * vw + (1 - beta2) * gw * gw
        mb = beta1 * mb + (1 - beta1) * gb
        vb = beta2 * vb + (1 - beta2) * gb * gb
        c1, c2 = 1 - beta1**t, 1 - beta2**t
        w -= lr * (mw / c1) / (np.sqrt(vw / c2) + eps)
        b -= lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
    return w, b


def _fit_temperature(logits: FloatArray, y: npt.NDArray[np.int64]) -> float:
    """The temperature minimising held-out negative log-likelihood (golden-section on log T)."""

    def nll(log_t: float) -> float:
        p = _softmax(logits / math.exp(log_t))
        return float(-np.log(np.maximum(p[np.arange(len(y)), y], 1e-12)).mean())

    lo, hi = math.log(0.05), math.log(20.0)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return math.exp((lo + hi) / 2)


class EmbeddingClassifier:
    """Calibrated softmax regression over embeddings of one particular model."""

    def __init__(
        self,
        *,
        labels: Sequence[str],
        weights: FloatArray,
        bias: FloatArray,
        mean: FloatArray,
        scale: FloatArray,
        temperature: float,
        model_sha256: str,
        model_id: str = "",
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.labels = tuple(labels)
        self.weights = np.asarray(weights, dtype=np.float64)
        self.bias = np.asarray(bias, dtype=np.float64)
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        self.temperature = float(temperature)
        self.model_sha256 = model_sha256
        self.model_id = model_id
        self.meta = dict(meta or {})
        if self.weights.shape != (self.mean.shape[0], len(self.labels)):
            raise ClassifierMismatch("classifier weights do not match its labels and dimension")

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    @classmethod
    def fit(
        cls,
        embeddings: npt.ArrayLike,
        labels: Sequence[str],
        *,
        model_sha256: str,
        model_id: str = "",
        l2: float = 1e-3,
        steps: int = 300,
        calibrate: bool = True,
        seed: int = 0,
    ) -> EmbeddingClassifier:
        """Fit on ``embeddings`` (n x d) with string ``labels``; deterministic for a given ``seed``."""
        x = _normalise(embeddings)
        if len(labels) != x.shape[0]:
            raise InvalidRequest(f"{x.shape[0]} embeddings but {len(labels)} labels")
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise InvalidRequest("a classifier needs at least two different labels")
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[label] for label in labels], dtype=np.int64)
        temperature = 1.0
        if calibrate:
            fit_idx, cal_idx = _stratified_split(labels, 0.2, seed)
            if cal_idx and len({labels[i] for i in fit_idx}) == len(classes):
                mean, scale = cls._standardiser(x[fit_idx])
                w, b = _train((x[fit_idx] - mean) / scale, y[fit_idx], len(classes), l2, steps)
                temperature = _fit_temperature(((x[cal_idx] - mean) / scale) @ w + b, y[cal_idx])
        mean, scale = cls._standardiser(x)
        w, b = _train((x - mean) / scale, y, len(classes), l2, steps)
        return cls(
            labels=classes,
            weights=w,
            bias=b,
            mean=mean,
            scale=scale,
            temperature=temperature,
            model_sha256=model_sha256,
            model_id=model_id,
            meta={"l2": l2, "steps": steps, "seed": seed, "n": int(x.shape[0])},
        )

    @staticmethod
    def _standardiser(x: FloatArray) -> tuple[FloatArray, FloatArray]:
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        return mean, np.where(scale < 1e-8, 1.0, scale)

    def logits(self, embeddings: npt.ArrayLike) -> FloatArray:
        x = _normalise(embeddings)
        if x.shape[1] != self.dim:
            raise ClassifierMismatch(
                f"embeddings have {x.shape[1]} dimensions, the classifier expects {self.dim}; "
                "it was fitted on another model"
            )
        out: FloatArray = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return out

    def predict_proba(self, embeddings: npt.ArrayLike) -> FloatArray:
        """Calibrated class probabilities, columns in the order of :attr:`labels`."""
        return _softmax(self.logits(embeddings) / self.temperature)

    def predict(self, embeddings: npt.ArrayLike) -> list[Prediction]:
        probs = self.predict_proba(embeddings)
        out = []
        for row in probs:
            best = int(np.argmax(row))
            out.append(
                Prediction(
                    label=self.labels[best],
                    probability=float(row[best]),
                    probabilities={label: float(p) for label, p in zip(self.labels, row, strict=True)},
                )
            )
        return out

    async def classify(
        self, runtime: Any, texts: Sequence[str], *, priority: int = Priority.DRIVER
    ) -> list[Prediction]:
        """Embed ``texts`` with ``runtime`` (which must run the model this was fitted on) and predict."""
        info = await runtime.model_info()
        self.check_model(info.sha256)
        return self.predict(await runtime.embed(list(texts), priority=priority))

    def check_model(self, model_sha256: str | None) -> None:
        if model_sha256 != self.model_sha256:
            raise ClassifierMismatch(
                f"this classifier was fitted on model sha256 {self.model_sha256}, but the runtime runs "
                f"{model_sha256}; refit it with `cabin models fit-classifier`"
            )

    # -- artefact ---------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write the artefact (``.npz``); returns its path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": _FORMAT,
            "labels": list(self.labels),
            "temperature": self.temperature,
            "model_sha256": self.model_sha256,
            "model_id": self.model_id,
            **{
                k: v
                for k, v in self.meta.items()
                if k not in {"format", "labels", "temperature", "model_sha256"}
            },
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            weights=self.weights.astype(np.float32),
            bias=self.bias.astype(np.float32),
            mean=self.mean.astype(np.float32),
            scale=self.scale.astype(np.float32),
            meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8),
        )
        target.write_bytes(buf.getvalue())
        return target

    @classmethod
    def load(cls, path: str | Path, *, model_sha256: str | None = None) -> EmbeddingClassifier:
        """Read an artefact; with ``model_sha256`` given, refuse one fitted on another model."""
        try:
            with np.load(Path(path), allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"].tobytes()).decode("utf-8"))
                arrays = {
                    k: np.asarray(data[k], dtype=np.float64) for k in ("weights", "bias", "mean", "scale")
                }
        except FileNotFoundError:
            raise ClassifierMismatch(
                f"classifier artefact {path} does not exist; fit it with `cabin models fit-classifier`"
            ) from None
        except (OSError, KeyError, ValueError) as exc:
            raise ClassifierMismatch(f"classifier artefact {path} is unreadable ({exc}); refit it") from exc
        if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
            raise ClassifierMismatch(f"{path} is not a {_FORMAT} artefact; refit it")
        clf = cls(
            labels=meta["labels"],
            weights=arrays["weights"],
            bias=arrays["bias"],
            mean=arrays["mean"],
            scale=arrays["scale"],
            temperature=float(meta["temperature"]),
            model_sha256=str(meta["model_sha256"]),
            model_id=str(meta.get("model_id", "")),
            meta={k: v for k, v in meta.items() if k not in {"labels", "weights"}},
        )
        if model_sha256 is not None:
            clf.check_model(model_sha256)
        return clf


def _read_jsonl(path: Path) -> list[_Example]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InvalidRequest(f"cannot read training data {path}: {exc.strerror or exc}") from exc
    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            examples.append(_Example.model_validate_json(line))
        except ValidationError as exc:
            problem = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidRequest(
                f'{path}:{number}: expected {{"text": str, "label": str}}: {problem}'
            ) from exc
    if not examples:
        raise InvalidRequest(f"{path} has no examples")
    return examples


def _per_label(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, LabelReport]:
    out = {}
    support = Counter(truth)
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = support[label] - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = LabelReport(precision=precision, recall=recall, f1=f1, support=support[label])
    return out


async def fit_from_jsonl(
    path: str | Path,
    runtime: Any,
    out_path: str | Path,
    *,
    holdout: float = 0.2,
    seed: int = 0,
    l2: float = 1e-3,
    steps: int = 300,
) -> FitReport:
    """Fit a classifier on ``{"text", "label"}`` lines, report held-out accuracy, save the artefact.

    The split is stratified and seeded, so the same data and seed give the same artefact. The saved
    classifier is the one that was measured (fitted on the training split only).
    """
    if not 0.0 <= holdout < 1.0:
        raise InvalidRequest(f"holdout must be in [0, 1), got {holdout}")
    data = Path(path)
    examples = _read_jsonl(data)
    texts = [e.text for e in examples]
    labels = [e.label for e in examples]
    info = await runtime.model_info()
    if info.sha256 is None:
        raise ClassifierMismatch(
            f"model {info.id!r} has no pinned sha256; pin it before fitting a classifier on it"
        )
    started = time.perf_counter()
    vectors = np.asarray(await runtime.embed(texts, priority=Priority.BACKGROUND), dtype=np.float64)
    embedded = time.perf_counter()
    train_idx, test_idx = (
        _stratified_split(labels, holdout, seed) if holdout > 0 else (list(range(len(labels))), [])
    )
    clf = EmbeddingClassifier.fit(
        vectors[train_idx],
        [labels[i] for i in train_idx],
        model_sha256=info.sha256,
        model_id=info.id,
        l2=l2,
        steps=steps,
        seed=seed,
    )
    fitted = time.perf_counter()
    truth = [labels[i] for i in test_idx]
    predicted = [p.label for p in clf.predict(vectors[test_idx])] if test_idx else []
    accuracy = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p) / len(truth) if truth else None
    clf.meta.update(
        {"data": data.name, "holdout": holdout, "held_out_accuracy": accuracy, "n_train": len(train_idx)}
    )
    artefact = clf.save(out_path)
    return FitReport(
        data=str(data),
        artefact=str(artefact),
        model_id=info.id,
        model_sha256=info.sha256,
        labels=clf.labels,
        n_train=len(train_idx),
        n_test=len(test_idx),
        accuracy=accuracy,
        per_label=_per_label(truth, predicted, clf.labels),
        temperature=clf.temperature,
        holdout=holdout,
        seed=seed,
        embed_ms=(embedded - started) * 1000.0,
        fit_ms=(fitted - embedded) * 1000.0,
        artefact_bytes=artefact.stat().st_size,
    )
