"""The safety guardrails of docs/safety.md, decided deterministically inside the vehicle MCP server."""

from .audit import AuditLog, read_audit
from .context import (
    DEFAULT_PROFILES,
    META_BEST_EFFORT,
    META_ORIGIN,
    META_SEAT,
    META_TURN,
    SEATS,
    CallContext,
    ClientProfile,
    DrivingState,
    Origin,
    Seat,
)
from .engine import CONFIRMATION_TTL_S, Evaluation, Guardrails, PendingConfirmation
from .rules import ENGINE_RULES, Proposal, Rule, Verdict, default_rules, zone_of

__all__ = [
    "CONFIRMATION_TTL_S",
    "DEFAULT_PROFILES",
    "ENGINE_RULES",
    "META_BEST_EFFORT",
    "META_ORIGIN",
    "META_SEAT",
    "META_TURN",
    "SEATS",
    "AuditLog",
    "CallContext",
    "ClientProfile",
    "DrivingState",
    "Evaluation",
    "Guardrails",
    "Origin",
    "PendingConfirmation",
    "Proposal",
    "Rule",
    "Seat",
    "Verdict",
    "default_rules",
    "read_audit",
    "zone_of",
]
