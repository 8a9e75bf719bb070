"""The model path: the on-device model's sentence embeddings and a fitted classifier over them.

The fitted artefact (``orchestrator/routing/data/router.npz``) is an
:class:`models.EmbeddingClassifier` file whose metadata also carries the router's own settings: the
confidence thresholds per agent, how texts are normalised before embedding, and the figures measured
when it was fitted. It records the sha256 of the model it was fitted on; :meth:`ModelStage.open`
refuses an artefact fitted on another model (embeddings of different models are not comparable) and
says how to rebuild it: ``cabin router fit``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models import (
    ClassifierMismatch,
    DeadlineExceeded,
    HostUnavailable,
    ModelError,
    Priority,
    Runtime,
)

from .errors import ArtefactError, BudgetExhausted, ModelUnavailable, StageFailed
from .labels import AGENTS, LABELS, NONE, agent_skill
from .stage import Decision, RouterStage

if TYPE_CHECKING:
    from models import EmbeddingClassifier

__all__ = [
    "ARTEFACT_FORMAT",
    "ModelStage",
    "RouterSettings",
    "default_artefact_path",
    "model_text",
]

ARTEFACT_FORMAT: Final = "cabin-router/1"
REFIT: Final = "run `cabin router fit` to rebuild it"
_NOT_WORD = re.compile(r"[^\w' ]+")


def default_artefact_path() -> Path:
    """The artefact shipped with the package (``orchestrator/routing/data/router.npz``)."""
    return Path(str(resources.files("orchestrator.routing") / "data" / "router.npz"))


def model_text(text: str) -> str:
    """The form of a text that is embedded: lower case, no punctuation but apostrophes, single spaces.

    Speech recognisers and keyboards differ in casing and punctuation; the router should not.
    """
    lowered = text.lower().replace("\u2019", "'")
    return " ".join(_NOT_WORD.sub(" ", lowered).split())


class RouterSettings(BaseModel):
    """The router's part of the artefact metadata."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    router_format: str = Field(pattern=f"^{re.escape(ARTEFACT_FORMAT)}$")
    thresholds: dict[str, float]
    """Per agent: the calibrated probability below which a part falls back instead of going there."""
    text_form: str = "model_text/1"
    data_sha256: str = ""
    holdout: float = 0.2
    seed: int = 0
    figures: dict[str, Any] = Field(default_factory=dict)
    """What was measured when the artefact was fitted (held-out accuracy, rates)."""

    def threshold_for(self, agent: str) -> float:
        return self.thresholds.get(agent, 1.0)


class ModelStage(RouterStage):
    """The supervised router: embed each part with the runtime, classify, keep confident answers.

    A part whose best label names an agent with a calibrated probability below that agent's threshold
    gets label ``none`` (and ``guess`` = the label it did not dare to give). ``expected_latency_s``
    follows the time one call has taken recently, so that the router can skip this stage when the
    turn's budget no longer allows it.
    """

    name = "model"

    def __init__(
        self,
        runtime: Runtime,
        classifier: EmbeddingClassifier,
        settings: RouterSettings,
        *,
        priority: int = Priority.DRIVER,
        owns_runtime: bool = False,
    ) -> None:
        missing = sorted(set(classifier.labels) - set(LABELS))
        if missing:
            raise ArtefactError(f"the router artefact has labels that are not routing labels: {missing}")
        self.runtime = runtime
        self.classifier = classifier
        self.settings = settings
        self.priority = priority
        self.expected_latency_s = 0.15
        self._owns_runtime = owns_runtime

    @classmethod
    async def open(
        cls,
        runtime: Runtime,
        path: str | Path | None = None,
        *,
        priority: int = Priority.DRIVER,
        owns_runtime: bool = False,
    ) -> ModelStage:
        """Load the artefact at ``path`` (default: the shipped one) for the model ``runtime`` runs.

        Raises :class:`ArtefactError` when the artefact is missing, unreadable, not a router artefact,
        or fitted on another model than the runtime's; the message says how to rebuild it.
        """
        target = Path(path) if path is not None else default_artefact_path()
        try:
            info = await runtime.model_info()
        except ModelError as exc:
            raise ArtefactError(f"cannot ask the model runtime which model it runs: {exc}") from exc
        classifier, settings = load_artefact(target)
        if classifier.model_sha256 != info.sha256:
            raise ArtefactError(
                f"the router artefact {target} was fitted on model {classifier.model_id or '?'} "
                f"(sha256 {classifier.model_sha256[:12]}), but the runtime runs {info.id} "
                f"(sha256 {(info.sha256 or 'not pinned')[:12]}); {REFIT}"
            )
        if classifier.dim != info.n_embd:
            raise ArtefactError(
                f"the router artefact {target} expects {classifier.dim}-dimensional embeddings but "
                f"{info.id} gives {info.n_embd}; {REFIT}"
            )
        return cls(runtime, classifier, settings, priority=priority, owns_runtime=owns_runtime)

    async def problem(self) -> str | None:
        """Why the model cannot serve this stage now (its host does not answer), or None."""
        try:
            await self.runtime.ping()
        except ModelError as exc:
            return f"the on-device model is unavailable: {exc.message}"
        return None

    async def decide(self, texts: Sequence[str], *, deadline: float) -> list[Decision | None]:
        if not texts:
            return []
        if time.monotonic() >= deadline:
            raise BudgetExhausted("no budget left for the model path")
        started = time.monotonic()
        try:
            vectors = await self.runtime.embed(
                [model_text(t) or t for t in texts], priority=self.priority, deadline=deadline
            )
        except DeadlineExceeded as exc:
            raise BudgetExhausted(f"the model path ran out of budget: {exc.message}") from exc
        except HostUnavailable as exc:
            raise ModelUnavailable(f"the on-device model is unavailable: {exc.message}") from exc
        except ModelError as exc:
            raise StageFailed(f"the model path failed: {exc.message}") from exc
        elapsed = time.monotonic() - started
        self.expected_latency_s = 0.7 * self.expected_latency_s + 0.3 * (elapsed / len(texts))
        return list(self.decide_vectors(vectors))

    def decide_vectors(self, vectors: Any) -> list[Decision]:
        """Decisions for embeddings already computed (used when evaluating on many texts)."""
        import numpy as np  # loaded with the first text the model path decides, not with the router

        probabilities = self.classifier.predict_proba(np.asarray(vectors, dtype=np.float64))
        return [self._decision(row, int(np.argmax(row))) for row in probabilities]

    def _decision(self, row: Any, best: int) -> Decision:
        label = self.classifier.labels[best]
        confidence = float(row[best])
        if label == NONE:
            return Decision(label=NONE, confidence=confidence, via="model")
        agent, _ = agent_skill(label)
        assert agent is not None
        threshold = self.settings.threshold_for(agent)
        if confidence < threshold:
            return Decision(
                label=NONE,
                confidence=confidence,
                via="model",
                guess=label,
                note=f"best guess {label} at {confidence:.2f} is below the threshold {threshold:.2f}",
            )
        return Decision(label=label, confidence=confidence, via="model")

    async def aclose(self) -> None:
        if self._owns_runtime:
            await self.runtime.aclose()


def load_artefact(path: Path) -> tuple[EmbeddingClassifier, RouterSettings]:
    """Read a router artefact without checking which model runs (:class:`ArtefactError` if unusable)."""
    if not path.is_file():
        raise ArtefactError(f"the router artefact {path} does not exist; {REFIT}")
    from models import EmbeddingClassifier  # with NumPy: a process the templates serve never reads it

    try:
        classifier = EmbeddingClassifier.load(path)
    except ClassifierMismatch as exc:
        raise ArtefactError(f"the router artefact {path} cannot be read ({exc.message}); {REFIT}") from exc
    try:
        settings = RouterSettings.model_validate(classifier.meta)
    except ValidationError as exc:
        raise ArtefactError(f"{path} is not a {ARTEFACT_FORMAT} artefact; {REFIT}") from exc
    unknown = sorted(set(settings.thresholds) - set(AGENTS))
    if unknown:
        raise ArtefactError(f"{path}: thresholds name unknown agents {unknown}; {REFIT}")
    return classifier, settings


def settings_meta(settings: RouterSettings) -> Mapping[str, Any]:
    """The metadata entries that :func:`load_artefact` reads back."""
    return settings.model_dump()
