"""The vehicle service: reads, guarded writes, confirmations and audit, independent of any transport.

Every write of every tool goes through :meth:`VehicleService.write`, which holds one lock from the
state read through the guardrail check to the backend write, so no other write can slip in between
the check and the act.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from .backends.base import VehicleBackend
from .catalog import Catalog, Value
from .errors import ConfirmationError
from .guardrails import AuditLog, CallContext, Guardrails, PendingConfirmation, Verdict
from .guardrails.context import DrivingState
from .guardrails.rules import ComfortBounds

#: Relative requests ("warmer", "a bit louder") are clamped to these bounds instead of refused (GR-02).
RELATIVE_BOUNDS: dict[str, tuple[float, float]] = {
    "Temperature": (ComfortBounds.MIN_C, ComfortBounds.MAX_C),
}


class Refusal(BaseModel):
    """One refused signal write, with the rule that refused it."""

    path: str
    rule_id: str
    reason: str


class ConfirmationRequest(BaseModel):
    """A write that waits for the person's yes. Send the token back with the same request to proceed."""

    token: str
    question: str
    rule_id: str
    rule_ids: list[str]
    paths: list[str]
    expires_in_s: float


class WriteResult(BaseModel):
    """The result of every write tool (CONTRACTS.md §3), as MCP structured content."""

    applied: dict[str, Value] = Field(default_factory=dict)
    refused: list[Refusal] = Field(default_factory=list)
    needs_confirmation: ConfirmationRequest | None = None
    held_back: list[str] = Field(
        default_factory=list,
        description="Paths that passed every rule but were not written because another part was refused "
        "(requests are all-or-nothing unless best-effort was asked for).",
    )
    driving_state: Literal["parked", "idling", "moving"] | None = Field(
        default=None,
        description="The driving state the request was judged in (moving when the speed is unknown), so "
        "a caller can word its answer without reading the speed again.",
    )


class SignalInfo(BaseModel):
    """A signal as ``list_signals`` reports it."""

    path: str
    type: str
    datatype: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: list[Any] | None = None
    description: str = ""
    writable: bool = Field(description="True when this caller may request a new target for the signal")


class VehicleService:
    """Reads and guarded writes on one vehicle backend."""

    def __init__(
        self,
        backend: VehicleBackend,
        guardrails: Guardrails | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        self.backend = backend
        self.catalog: Catalog = backend.catalog
        self.guardrails = guardrails if guardrails is not None else Guardrails(self.catalog)
        self.audit = audit if audit is not None else AuditLog(None)
        self._lock = asyncio.Lock()

    # -- reading -------------------------------------------------------------------------------------

    def list_signals(
        self, ctx: CallContext, prefix: str = "Vehicle", query: str | None = None
    ) -> list[SignalInfo]:
        return [
            SignalInfo(
                path=s.path,
                type=s.type,
                datatype=s.datatype,
                unit=s.unit,
                min=s.min,
                max=s.max,
                allowed=list(s.allowed) if s.allowed is not None else None,
                description=s.description,
                writable=s.writable and ctx.client.may_write(s.path),
            )
            for s in self.catalog.find(prefix, query)
        ]

    async def get_signals(self, paths: Sequence[str]) -> dict[str, Value | None]:
        """Current values; an unknown path raises :class:`UnknownSignal` naming it."""
        for path in paths:
            self.catalog.get(path)
        return await self.backend.get_current(list(paths))

    # -- writing -------------------------------------------------------------------------------------

    async def write(
        self,
        values: Mapping[str, object],
        ctx: CallContext,
        *,
        deltas: Mapping[str, float] | None = None,
        confirm_token: str | None = None,
        tool: str = "set_signals",
        arguments: Mapping[str, object] | None = None,
    ) -> WriteResult:
        """Check and apply one request. ``deltas`` are relative changes resolved against the state at the
        moment of the check and clamped to the signal's bounds; ``confirm_token`` redeems a pending
        confirmation (every rule is checked again now)."""
        arguments = dict(arguments or {})
        async with self._lock:
            requested: dict[str, object] = dict(values)
            relative: frozenset[str] = frozenset(deltas or ())
            confirmed_rules: frozenset[str] = frozenset()
            confirming = confirm_token is not None
            # Redeem before sweeping, so an expired token is reported (and audited) as expired.
            pending = self._redeem(confirm_token, ctx) if confirming else None
            for expired in self.guardrails.expire_pending():
                self._audit_expired(expired)
            if pending is not None:
                if requested and requested != pending.values:
                    raise ConfirmationError(
                        "the request differs from the one that was confirmed; ask for a new confirmation"
                    )
                requested, relative, confirmed_rules = (
                    dict(pending.values),
                    pending.relative,
                    pending.rule_ids,
                )
                deltas = None
            paths = self.guardrails.context_paths([*requested, *(deltas or {})])
            current = await self.backend.get_current(paths)
            target = await self.backend.get_target(paths)
            if deltas:
                requested.update(self._resolve_deltas(deltas, current, target))
            evaluation = self.guardrails.evaluate(
                requested, current, target, ctx, relative=relative, confirmed_rules=confirmed_rules
            )
            result = await self._decide(evaluation, requested, ctx, relative, tool, arguments, confirming)
            result.driving_state = DrivingState.of(current).value
            return result

    async def _decide(
        self,
        evaluation: Any,
        requested: dict[str, object],
        ctx: CallContext,
        relative: frozenset[str],
        tool: str,
        arguments: dict[str, object],
        confirming: bool,
    ) -> WriteResult:
        refusals: list[Verdict] = evaluation.refusals
        confirmations: list[Verdict] = evaluation.confirmations
        refused = [Refusal(path=v.path, rule_id=v.rule_id, reason=v.reason) for v in refusals]
        refused_paths = {v.path for v in refusals}
        common: dict[str, Any] = {
            "tool": tool,
            "arguments": arguments,
            "client": ctx.client.client_id,
            "seat": ctx.seat,
            "origin": ctx.origin,
            "turn_id": ctx.turn_id,
        }
        if refusals and not ctx.best_effort:
            held = [p for p in requested if p not in refused_paths]
            self.audit.append(
                "refused",
                values=requested,
                rule_ids=sorted({v.rule_id for v in refusals}),
                reasons=[r.model_dump() for r in refused],
                held_back=held,
                **common,
            )
            return WriteResult(refused=refused, held_back=held)
        needs: ConfirmationRequest | None = None
        ask_paths = {v.path for v in confirmations} - refused_paths
        if ask_paths:
            # Without best effort the whole request waits for the yes; with it, only the parts that ask.
            waiting = (
                {p: requested[p] for p in requested if p not in refused_paths}
                if not ctx.best_effort
                else {p: requested[p] for p in ask_paths}
            )
            asked = [v for v in confirmations if v.path in ask_paths]
            pending = self.guardrails.ask(
                asked, waiting, ctx, relative=relative, tool=tool, arguments=arguments
            )
            needs = ConfirmationRequest(
                token=pending.token,
                question=pending.question,
                rule_id=asked[0].rule_id,
                rule_ids=sorted(pending.rule_ids),
                paths=sorted(waiting),
                expires_in_s=self.guardrails.confirmation_ttl_s,
            )
            self.audit.append(
                "needs_confirmation",
                values=waiting,
                rule_ids=needs.rule_ids,
                question=needs.question,
                **common,
            )
            if not ctx.best_effort:
                return WriteResult(refused=refused, needs_confirmation=needs)
        blocked = refused_paths | ask_paths
        to_apply = {p: v for p, v in evaluation.values.items() if p not in blocked}
        if refused:
            self.audit.append(
                "refused",
                values={r.path: requested.get(r.path) for r in refused},
                rule_ids=sorted({r.rule_id for r in refused}),
                reasons=[r.model_dump() for r in refused],
                **common,
            )
        if to_apply:
            await self.backend.set_targets(to_apply)
            self.guardrails.record_applied(to_apply, ctx)
            self.audit.append("confirmed" if confirming else "applied", values=to_apply, **common)
        return WriteResult(applied=to_apply, refused=refused, needs_confirmation=needs)

    def _redeem(self, token: str | None, ctx: CallContext) -> PendingConfirmation:
        try:
            return self.guardrails.redeem(token, ctx)
        except ConfirmationError as exc:
            if isinstance(exc.expired, PendingConfirmation):
                self._audit_expired(exc.expired)
            raise

    def _audit_expired(self, pending: PendingConfirmation) -> None:
        self.audit.append(
            "expired",
            values=pending.values,
            rule_ids=sorted(pending.rule_ids),
            client=pending.client_id,
            seat=pending.seat,
            tool=pending.tool,
        )

    def _resolve_deltas(
        self,
        deltas: Mapping[str, float],
        current: Mapping[str, Value | None],
        target: Mapping[str, Value | None],
    ) -> dict[str, object]:
        resolved: dict[str, object] = {}
        for path, delta in deltas.items():
            base = target.get(path)
            if base is None:
                base = current.get(path)
            if not isinstance(base, int | float) or isinstance(base, bool):
                # The guardrails refuse a missing signal under GR-19; here we only pass it through.
                resolved[path] = None
                continue
            signal = self.catalog.get(path) if path in self.catalog else None
            low = signal.min if signal is not None and signal.min is not None else float("-inf")
            high = signal.max if signal is not None and signal.max is not None else float("inf")
            for suffix, (b_low, b_high) in RELATIVE_BOUNDS.items():
                if path.endswith(suffix):
                    low, high = max(low, b_low), min(high, b_high)
            value = min(max(float(base) + delta, low), high)
            resolved[path] = round(value) if signal is not None and signal.json_type == "integer" else value
        return resolved
