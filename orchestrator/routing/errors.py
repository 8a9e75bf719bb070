"""Every error the routing cascade raises, in one tree.

::

    RoutingError                root: catch this to handle any routing failure
    ├── TemplateError           an agent's grammar cannot be loaded (names the file and the key)
    ├── ArtefactError           the fitted router artefact is missing, unreadable or fitted on another model
    ├── TrainingDataError       a training or evaluation file is invalid (names the file and the line)
    └── StageFailed             a stage could not decide within this turn (the router falls back)
        ├── BudgetExhausted     the turn's latency budget ran out before the stage could finish
        └── ModelUnavailable    the on-device model cannot be reached (its host is down)

:meth:`orchestrator.routing.Router.route` itself never raises for an utterance: a stage that fails
turns its parts into fallback parts and the failure is recorded in the route. The other errors come
from loading templates and artefacts, and from fitting.
"""

from __future__ import annotations

__all__ = [
    "ArtefactError",
    "BudgetExhausted",
    "ModelUnavailable",
    "RoutingError",
    "StageFailed",
    "TemplateError",
    "TrainingDataError",
]


class RoutingError(Exception):
    """Root of every error raised by the routing cascade."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TemplateError(RoutingError):
    """A template file is malformed: the message names the file and the key."""


class ArtefactError(RoutingError):
    """The router artefact cannot be used: missing, unreadable, or fitted on another model.

    The message says how to rebuild it (``cabin router fit``).
    """


class TrainingDataError(RoutingError):
    """A training, probe or evaluation file cannot be read: the message names the file and the line."""


class StageFailed(RoutingError):
    """A stage could not decide the parts it was given (the router falls back for them)."""


class BudgetExhausted(StageFailed):
    """The turn's latency budget ran out before the stage could finish."""


class ModelUnavailable(StageFailed):
    """The on-device model cannot be reached (the model host is down or refuses): the stage's parts
    fall back, and the route says so (:attr:`~orchestrator.routing.Route.model_unavailable`)."""
