"""Fitting and evaluating the model path (``cabin router fit`` / ``cabin router eval``).

Fitting embeds every line of the training file with the runtime's model, holds out a stratified,
seeded split, fits :class:`models.EmbeddingClassifier` (calibrated by temperature scaling) on the
rest, chooses one confidence threshold per agent on the held-out split, and saves the artefact. The
saved classifier is the one that was measured.

Threshold rule: an out-of-domain request routed to vehicle-control is far worse than an in-domain
request answered "I can't do that", so each agent's threshold minimises an explicit cost on the
held-out split (:data:`COSTS`): a ``none`` line sent to vehicle-control costs 10, one sent to
navigation or perception-summary 4, an in-domain line sent to a wrong label 3, and an in-domain line
that falls back 1. The thresholds are searched on the grid 0.50, 0.51 .. 0.99; among equally cheap
thresholds the middle one is taken.

Evaluation also runs the whole cascade (templates, then the model) on the probe set and on SLURP
(Bastianelli et al., 2020, CC BY 4.0), a corpus of real voice-assistant requests of other domains.
A few SLURP intents are plausible requests to a car ("turn the volume up", "how is the traffic");
they are reported apart from the strictly out-of-domain rest.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from models import EmbeddingClassifier, Priority, Runtime

from .data import data_file
from .errors import ArtefactError, TrainingDataError
from .labels import AGENTS, LABELS, NONE, agent_skill, label_of
from .model_stage import ARTEFACT_FORMAT, ModelStage, RouterSettings, model_text
from .router import Router
from .templates import TemplateSet, TemplateStage
from .types import Route

__all__ = [
    "COSTS",
    "SLURP_IN_CAR",
    "EvalReport",
    "Example",
    "FitReport",
    "LabelFigures",
    "SlurpLine",
    "choose_thresholds",
    "data_file",
    "evaluate",
    "fit_router",
    "read_examples",
    "read_slurp",
    "stratified_split",
    "with_declared",
]

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]


class Costs(BaseModel):
    """What each kind of routing mistake costs when thresholds are chosen (a fallback costs 1)."""

    model_config = ConfigDict(frozen=True)

    out_of_domain: dict[str, float]
    """Per agent: a ``none`` line routed to it."""
    wrong_label: float
    """An in-domain line routed to another agent or skill."""
    fallback: float = 1.0
    """An in-domain line that falls back ("I can't do that")."""


COSTS: Final = Costs(
    out_of_domain={"vehicle-control": 10.0, "navigation": 4.0, "perception-summary": 4.0}, wrong_label=3.0
)
_EVAL_BUDGET_S: Final = 30.0
"""Evaluation measures routing decisions, not this machine's load: the budget never cuts it short."""
_GRID: Final = tuple(round(0.5 + 0.01 * i, 2) for i in range(50))

SLURP_IN_CAR: Final[dict[str, str]] = {
    "audio_volume_up": "vehicle-control/media",
    "audio_volume_down": "vehicle-control/media",
    "audio_volume_mute": "vehicle-control/media",
    "iot_hue_lighton": "vehicle-control/lights",
    "iot_hue_lightoff": "vehicle-control/lights",
    "iot_hue_lightdim": "vehicle-control/lights",
    "iot_hue_lightup": "vehicle-control/lights",
    "iot_hue_lightchange": "vehicle-control/lights",
    "hue_lightoff": "vehicle-control/lights",
    "hue_lightup": "vehicle-control/lights",
    "transport_traffic": "navigation/route",
    "transport_query": "navigation/route",
    "recommendation_locations": "navigation/poi",
}
"""SLURP intents whose requests can be meant for a car (volume, lights, traffic, directions, places);
the label is where such a request would go in a car. Home-only wording ("the bedroom lights") and
train timetables in these intents are still out of domain, so they are reported, not scored."""


# -- data -------------------------------------------------------------------------------------------


class Example(BaseModel):
    """One labelled line of ``train.jsonl`` or ``probe.jsonl``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1)
    label: str
    style: str | None = None

    @field_validator("label")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in LABELS:
            raise ValueError(f"unknown label {value!r} (labels: {', '.join(LABELS)})")
        return value


class SlurpLine(BaseModel):
    """One line of ``slurp-devel.jsonl``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    text: str = Field(min_length=1)
    scenario: str
    intent: str


def _read_jsonl(path: Path, model: type[BaseModel]) -> list[Any]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TrainingDataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(model.model_validate_json(line))
        except ValidationError as exc:
            problem = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
            raise TrainingDataError(f"{path}:{number}: {problem}") from exc
    if not rows:
        raise TrainingDataError(f"{path} has no lines")
    return rows


def read_examples(path: str | Path) -> list[Example]:
    """The labelled lines of a JSONL file (:class:`TrainingDataError` names the file and line)."""
    return _read_jsonl(Path(path), Example)


def with_declared(examples: list[Example]) -> list[Example]:
    """``examples`` and the example sentences the vehicle tools declare (core and installed plugins,
    docs/extending.md) that are not among them, so a new tool is routed without editing the file."""
    from mcp_servers.vehicle.declarations import examples as declared

    known = {e.text for e in examples}
    extra = [Example(text=d.text, label=d.label) for d in declared() if d.text not in known]
    return [*examples, *extra]


def read_slurp(path: str | Path) -> list[SlurpLine]:
    """The lines of a SLURP JSONL file (``text``, ``scenario``, ``intent``)."""
    return _read_jsonl(Path(path), SlurpLine)


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stratified_split(labels: Sequence[str], holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices ``(train, held_out)``: ``holdout`` of every label held out, seeded and reproducible."""
    if not 0.0 < holdout < 1.0:
        raise TrainingDataError(f"the held-out fraction must be between 0 and 1, got {holdout}")
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train: list[int] = []
    held: list[int] = []
    for label in sorted(by_label):
        idx = np.array(by_label[label])
        rng.shuffle(idx)
        n = min(max(round(len(idx) * holdout), 1), len(idx) - 1) if len(idx) > 1 else 0
        held += idx[:n].tolist()
        train += idx[n:].tolist()
    return sorted(train), sorted(held)


async def embed_texts(
    runtime: Runtime, texts: Sequence[str], *, batch: int = 256, progress: Progress | None = None
) -> FloatArray:
    """Embeddings of ``texts`` in the form the model path embeds them (background priority)."""
    rows: list[Any] = []
    for start in range(0, len(texts), batch):
        chunk = [model_text(t) or t for t in texts[start : start + batch]]
        rows.append(np.asarray(await runtime.embed(chunk, priority=Priority.BACKGROUND), dtype=np.float64))
        if progress is not None:
            progress(min(start + batch, len(texts)), len(texts))
    return np.concatenate(rows) if rows else np.zeros((0, 0))


# -- thresholds and figures ---------------------------------------------------------------------------


class LabelFigures(BaseModel):
    model_config = ConfigDict(frozen=True)

    precision: float
    recall: float
    f1: float
    support: int


class Rates(BaseModel):
    """How decisions with thresholds applied fare on a labelled set."""

    model_config = ConfigDict(frozen=True)

    in_domain: int
    in_domain_routed_right: float
    """Share of in-domain lines routed to their own label."""
    in_domain_routed_wrong: float
    """Share of in-domain lines routed to another agent or skill."""
    in_domain_fallback: float
    none: int
    none_to_agent: float
    """Share of ``none`` lines routed to some agent."""
    none_to_vehicle_control: float


def per_label(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, LabelFigures]:
    out: dict[str, LabelFigures] = {}
    support = Counter(truth)
    for label in LABELS:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if p == label and t != label)
        fn = support[label] - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = LabelFigures(precision=precision, recall=recall, f1=f1, support=support[label])
    return out


def rates(truth: Sequence[str], routed: Sequence[str]) -> Rates:
    """``routed`` holds the label each line was routed to (``none`` = fell back)."""
    pairs = list(zip(truth, routed, strict=True))
    inside = [(t, r) for t, r in pairs if t != NONE]
    outside = [r for t, r in pairs if t == NONE]

    def share(n: int, d: int) -> float:
        return n / d if d else 0.0

    return Rates(
        in_domain=len(inside),
        in_domain_routed_right=share(sum(1 for t, r in inside if t == r), len(inside)),
        in_domain_routed_wrong=share(sum(1 for t, r in inside if r not in (t, NONE)), len(inside)),
        in_domain_fallback=share(sum(1 for _, r in inside if r == NONE), len(inside)),
        none=len(outside),
        none_to_agent=share(sum(1 for r in outside if r != NONE), len(outside)),
        none_to_vehicle_control=share(
            sum(1 for r in outside if r.startswith("vehicle-control/")), len(outside)
        ),
    )


def choose_thresholds(
    probabilities: FloatArray,
    classes: Sequence[str],
    truth: Sequence[str],
    costs: Costs = COSTS,
) -> dict[str, float]:
    """Per agent, the threshold on the grid 0.50..0.99 with the lowest held-out cost (see :data:`COSTS`).

    Each agent's threshold only affects lines whose best label names it, so the agents are chosen
    independently. Where several thresholds cost the same least, the middle one is taken (the widest
    margin on both sides); an agent with no held-out answers gets 0.99.
    """
    best = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    predicted = [classes[int(b)] for b in best]
    chosen: dict[str, float] = {}
    for agent in AGENTS:
        mine = [k for k, label in enumerate(predicted) if agent_skill(label)[0] == agent]
        if not mine:
            chosen[agent] = _GRID[-1]
            continue
        out_cost = costs.out_of_domain.get(agent, max(costs.out_of_domain.values(), default=1.0))
        cost_at: list[float] = []
        for threshold in _GRID:
            cost = 0.0
            for k in mine:
                if confidence[k] >= threshold:
                    if truth[k] == NONE:
                        cost += out_cost
                    elif truth[k] != predicted[k]:
                        cost += costs.wrong_label
                elif truth[k] != NONE:
                    cost += costs.fallback
            cost_at.append(cost)
        least = min(cost_at)
        optimal = [t for t, c in zip(_GRID, cost_at, strict=True) if c == least]
        chosen[agent] = optimal[(len(optimal) - 1) // 2]
    return chosen


def _expected_calibration_error(probabilities: FloatArray, correct: Sequence[bool], bins: int = 10) -> float:
    confidence = probabilities.max(axis=1)
    total = 0.0
    for k in range(bins):
        lo, hi = k / bins, (k + 1) / bins
        mask = (confidence > lo) & (confidence <= hi)
        if mask.any():
            accuracy = float(np.mean(np.asarray(correct)[mask]))
            total += float(mask.mean()) * abs(accuracy - float(confidence[mask].mean()))
    return total


# -- fitting -------------------------------------------------------------------------------------------


class FitReport(BaseModel):
    """What ``cabin router fit`` measured."""

    model_config = ConfigDict(frozen=True)

    data: str
    data_sha256: str
    artefact: str
    artefact_bytes: int
    model_id: str
    model_sha256: str
    n_train: int
    n_held_out: int
    held_out_accuracy: float
    """Accuracy of the best label on the held-out split (no threshold)."""
    calibration_error: float
    """Expected calibration error (10 bins) of the calibrated probabilities on the held-out split."""
    per_label: dict[str, LabelFigures]
    temperature: float
    thresholds: dict[str, float]
    costs: Costs
    held_out: Rates
    """The held-out split with the thresholds applied."""
    embed_s: float
    fit_s: float


async def fit_router(
    data: str | Path,
    runtime: Runtime,
    out: str | Path,
    *,
    holdout: float = 0.2,
    seed: int = 0,
    progress: Progress | None = None,
) -> FitReport:
    """Fit the model path on ``data`` with the model ``runtime`` runs, and save the artefact at ``out``."""
    path = Path(data)
    examples = with_declared(read_examples(path))
    info = await runtime.model_info()
    if info.sha256 is None:
        raise ArtefactError(f"model {info.id!r} has no pinned sha256; pin it before fitting the router on it")
    labels = [e.label for e in examples]
    missing = [label for label in LABELS if label not in set(labels)]
    if missing:
        raise TrainingDataError(f"{path} has no lines for {', '.join(missing)}")
    started = time.monotonic()
    vectors = await embed_texts(runtime, [e.text for e in examples], progress=progress)
    embedded = time.monotonic()
    train, held = stratified_split(labels, holdout, seed)
    classifier = EmbeddingClassifier.fit(
        vectors[train], [labels[i] for i in train], model_sha256=info.sha256, model_id=info.id, seed=seed
    )
    fitted = time.monotonic()
    truth = [labels[i] for i in held]
    probabilities = classifier.predict_proba(vectors[held])
    best = [classifier.labels[int(b)] for b in probabilities.argmax(axis=1)]
    accuracy = sum(1 for t, p in zip(truth, best, strict=True) if t == p) / len(truth)
    thresholds = choose_thresholds(probabilities, classifier.labels, truth)
    settings = RouterSettings(
        router_format=ARTEFACT_FORMAT,
        thresholds=thresholds,
        data_sha256=file_sha256(path),
        holdout=holdout,
        seed=seed,
        figures={
            "held_out_accuracy": round(accuracy, 4),
            "n_train": len(train),
            "n_held_out": len(held),
            "costs": COSTS.model_dump(),
        },
    )
    stage = ModelStage(runtime, classifier, settings)
    routed = [d.label for d in stage.decide_vectors(vectors[held])]
    classifier.meta.update(settings.model_dump())
    target = classifier.save(out)
    return FitReport(
        data=str(path),
        data_sha256=settings.data_sha256,
        artefact=str(target),
        artefact_bytes=target.stat().st_size,
        model_id=info.id,
        model_sha256=info.sha256,
        n_train=len(train),
        n_held_out=len(held),
        held_out_accuracy=accuracy,
        calibration_error=_expected_calibration_error(
            probabilities, [t == p for t, p in zip(truth, best, strict=True)]
        ),
        per_label=per_label(truth, best),
        temperature=classifier.temperature,
        thresholds=thresholds,
        costs=COSTS,
        held_out=rates(truth, routed),
        embed_s=embedded - started,
        fit_s=fitted - embedded,
    )


# -- evaluation ------------------------------------------------------------------------------------------


class CascadeFigures(BaseModel):
    """The whole cascade on a labelled set: where each line went and how."""

    model_config = ConfigDict(frozen=True)

    n: int
    accuracy: float
    """Share of lines whose first part went to the right label (``none`` lines: fell back)."""
    rates: Rates
    via: dict[str, int]
    per_label_accuracy: dict[str, float]
    wrong: list[tuple[str, str, str]]
    """``(text, expected, routed)`` for every line routed to a wrong agent or skill."""


class SlurpFigures(BaseModel):
    model_config = ConfigDict(frozen=True)

    n: int
    strict_n: int
    """Lines of intents that no agent of a car serves."""
    strict_to_agent: float
    strict_to_vehicle_control: float
    strict_to: dict[str, int]
    """Strictly out-of-domain lines per label they were routed to."""
    strict_via_template: int
    strict_routed: list[tuple[str, str, str]]
    """``(text, slurp intent, routed label)`` for every strictly out-of-domain line sent to an agent."""
    in_car_n: int
    in_car_to: dict[str, dict[str, int]]
    """For the car-plausible intents: SLURP intent -> routed label -> count."""


class EvalReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    artefact: str
    model_id: str
    thresholds: dict[str, float]
    held_out_accuracy: float
    held_out_per_label: dict[str, LabelFigures]
    held_out: Rates
    held_out_template_coverage: float
    """Share of held-out in-domain lines that a template matches."""
    held_out_template_wrong: int
    probe_model_accuracy: float
    """Best label of the model alone on the probe set (no threshold)."""
    probe: CascadeFigures
    slurp: SlurpFigures | None
    template_ms: dict[str, float]
    """Per recognition, warm: ``median`` and ``p95``."""
    model_ms: dict[str, float]
    """Model path per routed request, embedding not cached: ``median``, ``p95``, ``n``."""
    route_ms: dict[str, float]
    """Whole ``Router.route`` per probe line: ``median``, ``p95``."""


def _quantiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {"median": 0.0, "p95": 0.0, "n": 0}
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 2),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
        "n": float(len(ordered)),
    }


async def evaluate(
    runtime: Runtime,
    *,
    data: str | Path,
    probe: str | Path,
    artefact: str | Path | None = None,
    slurp: str | Path | None = None,
    templates: TemplateSet | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvalReport:
    """Measure the artefact and the whole cascade (see the module doc)."""
    say = progress or (lambda _message: None)
    stage = await ModelStage.open(runtime, artefact)
    settings = stage.settings
    template_set = templates if templates is not None else TemplateSet.load()
    router = Router([TemplateStage(template_set), stage])

    # The lines the artefact was fitted on (see fit_router), so that the split holds out the same ones.
    examples = with_declared(read_examples(data))
    labels = [e.label for e in examples]
    _, held = stratified_split(labels, settings.holdout, settings.seed)
    truth = [labels[i] for i in held]
    say(f"embedding the {len(held)} held-out lines")
    vectors = await embed_texts(runtime, [examples[i].text for i in held])
    probabilities = stage.classifier.predict_proba(vectors)
    best = [stage.classifier.labels[int(b)] for b in probabilities.argmax(axis=1)]
    routed = [d.label for d in stage.decide_vectors(vectors)]
    template_hits = [template_set.match(examples[i].text) for i in held]
    inside = [k for k, t in enumerate(truth) if t != NONE]

    template_times: list[float] = []
    for example in examples[:400]:
        t0 = time.perf_counter()
        template_set.match(example.text)
        template_times.append((time.perf_counter() - t0) * 1000.0)

    say("routing the probe set")
    probe_rows = read_examples(probe)
    probe_figures, model_times, route_times = await _cascade_figures(router, probe_rows)
    probe_vectors = await embed_texts(runtime, [e.text for e in probe_rows])
    probe_best = [
        stage.classifier.labels[int(b)] for b in stage.classifier.predict_proba(probe_vectors).argmax(axis=1)
    ]

    slurp_figures = None
    if slurp is not None:
        say("routing SLURP")
        slurp_figures = await _slurp_figures(router, runtime, read_slurp(slurp))

    return EvalReport(
        artefact=str(artefact) if artefact is not None else "(shipped)",
        model_id=stage.classifier.model_id,
        thresholds=settings.thresholds,
        held_out_accuracy=sum(1 for t, p in zip(truth, best, strict=True) if t == p) / len(truth),
        held_out_per_label=per_label(truth, best),
        held_out=rates(truth, routed),
        held_out_template_coverage=sum(1 for k in inside if template_hits[k] is not None)
        / max(len(inside), 1),
        held_out_template_wrong=sum(
            1 for k, hit in enumerate(template_hits) if hit is not None and hit.label != truth[k]
        ),
        probe_model_accuracy=sum(1 for e, p in zip(probe_rows, probe_best, strict=True) if e.label == p)
        / len(probe_rows),
        probe=probe_figures,
        slurp=slurp_figures,
        template_ms=_quantiles(template_times),
        model_ms=_quantiles(model_times),
        route_ms=_quantiles(route_times),
    )


def _first_label(route: Route) -> str:
    """The label of a route as one decision: its first part that names an agent (``none`` if none)."""
    for part in route.parts:
        if part.agent is not None and part.via != "fallback":
            return label_of(part.agent, part.skill)
    return NONE


async def _cascade_figures(
    router: Router, rows: Sequence[Example]
) -> tuple[CascadeFigures, list[float], list[float]]:
    truth: list[str] = []
    routed: list[str] = []
    via: Counter[str] = Counter()
    model_times: list[float] = []
    route_times: list[float] = []
    for row in rows:
        route = await router.route(row.text, budget_s=_EVAL_BUDGET_S)
        label = _first_label(route)
        truth.append(row.label)
        routed.append(label)
        via.update(part.via for part in route.parts)
        route_times.append(route.latency_ms["total"])
        if "model" in route.latency_ms:
            model_times.append(route.latency_ms["model"])
    by_label: dict[str, list[bool]] = {}
    for t, r in zip(truth, routed, strict=True):
        by_label.setdefault(t, []).append(t == r)
    figures = CascadeFigures(
        n=len(rows),
        accuracy=sum(1 for t, r in zip(truth, routed, strict=True) if t == r) / len(rows),
        rates=rates(truth, routed),
        via=dict(via),
        per_label_accuracy={k: sum(v) / len(v) for k, v in sorted(by_label.items())},
        wrong=[
            (row.text, t, r) for row, t, r in zip(rows, truth, routed, strict=True) if r != t and r != NONE
        ],
    )
    return figures, model_times, route_times


async def _slurp_figures(router: Router, runtime: Runtime, lines: Sequence[SlurpLine]) -> SlurpFigures:
    await embed_texts(runtime, [line.text for line in lines])  # fills the runtime's embedding cache
    strict_to: Counter[str] = Counter()
    strict_routed: list[tuple[str, str, str]] = []
    via_template = 0
    in_car: dict[str, Counter[str]] = {}
    strict_n = 0
    for line in lines:
        route = await router.route(line.text, budget_s=_EVAL_BUDGET_S)
        label = _first_label(route)
        if line.intent in SLURP_IN_CAR:
            in_car.setdefault(line.intent, Counter())[label] += 1
            continue
        strict_n += 1
        strict_to[label] += 1
        if label != NONE:
            strict_routed.append((line.text, line.intent, label))
            via_template += any(p.via == "template" for p in route.parts)
    sent = sum(n for label, n in strict_to.items() if label != NONE)
    to_vc = sum(n for label, n in strict_to.items() if label.startswith("vehicle-control/"))
    return SlurpFigures(
        n=len(lines),
        strict_n=strict_n,
        strict_to_agent=sent / strict_n if strict_n else 0.0,
        strict_to_vehicle_control=to_vc / strict_n if strict_n else 0.0,
        strict_to=dict(sorted(strict_to.items())),
        strict_via_template=via_template,
        strict_routed=strict_routed,
        in_car_n=sum(sum(c.values()) for c in in_car.values()),
        in_car_to={k: dict(sorted(v.items())) for k, v in sorted(in_car.items())},
    )
