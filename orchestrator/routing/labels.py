"""Routing labels and the agents and skills they name.

A label is ``domain/skill`` (``vehicle-control/climate``, ``perception/signs``) or ``none``. The domain
names an agent: ``perception`` is the ``perception-summary`` agent, the others carry the agent's name.
"""

from __future__ import annotations

from typing import Final

__all__ = ["AGENTS", "LABELS", "NONE", "agent_skill", "label_of"]

NONE: Final = "none"

LABELS: Final[tuple[str, ...]] = (
    "vehicle-control/climate",
    "vehicle-control/seats",
    "vehicle-control/windows",
    "vehicle-control/doors",
    "vehicle-control/lights",
    "vehicle-control/media",
    "navigation/poi",
    "navigation/route",
    "perception/surroundings",
    "perception/signs",
    "perception/driver",
    NONE,
)
"""Every label, skills first and ``none`` last."""

_AGENT_OF_DOMAIN: Final = {
    "vehicle-control": "vehicle-control",
    "navigation": "navigation",
    "perception": "perception-summary",
}
_DOMAIN_OF_AGENT: Final = {agent: domain for domain, agent in _AGENT_OF_DOMAIN.items()}

AGENTS: Final[tuple[str, ...]] = tuple(_AGENT_OF_DOMAIN.values())
"""The agents that labels route to."""


def agent_skill(label: str) -> tuple[str | None, str | None]:
    """``(agent, skill)`` of a label; ``(None, None)`` for ``none``.

    Raises ``ValueError`` for a label that is not ``none`` and not ``domain/skill`` with a known domain.
    """
    if label == NONE:
        return None, None
    domain, sep, skill = label.partition("/")
    agent = _AGENT_OF_DOMAIN.get(domain)
    if not sep or not skill or agent is None:
        raise ValueError(f"{label!r} is not a routing label (expected 'none' or one of {', '.join(LABELS)})")
    return agent, skill


def label_of(agent: str | None, skill: str | None) -> str:
    """The label for an agent and skill (``none`` when there is no agent)."""
    if agent is None:
        return NONE
    return f"{_DOMAIN_OF_AGENT.get(agent, agent)}/{skill}"
