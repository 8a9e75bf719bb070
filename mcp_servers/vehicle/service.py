"""The vehicle service: reads, guarded writes, confirmations and audit, independent of any transport.

Every write of every tool goes through :meth:`VehicleService.write`, which holds one lock from the
state read through the guardrail check to the backend write, so no other write can slip in between
the check and the act. The audit is written ahead: an ``intent`` record is on disk before the backend
is asked to change anything, its outcome after (see :mod:`.guardrails.audit`).

Turns: a call's ``cabin/turn_id`` is the idempotency key of its writes. The same request (tool,
arguments, confirmation token, client, seat, origin) repeated within one turn is answered with the
first answer and never applied twice. :meth:`VehicleService.turn_writes` tells the orchestrator what a
turn applied, and with ``close`` ends the turn: a write that arrives later under its id is refused
(an agent that timed out cannot act after the person was told it did not respond).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field

from .backends.base import VehicleBackend
from .catalog import Catalog, Value
from .errors import BackendError, ConfirmationError, TurnClosed
from .guardrails import AuditLog, CallContext, Guardrails, PendingConfirmation, Verdict
from .guardrails.audit import APPLIED_DECISIONS, read_audit
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
    """The result of every write tool (docs/vehicle-server.md), as MCP structured content."""

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


class AppliedWrite(BaseModel):
    """One write the backend took, as the audit recorded it."""

    seq: int = Field(description="the audit record's seq")
    tool: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, Value] = Field(description="{VSS path: value written}")
    before: dict[str, Value | None] | None = Field(
        default=None,
        description="{VSS path: current value read just before the write} (what an undo restores); "
        "None when it is not known (a write read back from the audit file, which does not record it)",
    )
    client: str
    seat: str | None = None
    decision: Literal["applied", "confirmed"]


class TurnWrites(BaseModel):
    """What one turn wrote to the car (``turn_writes``)."""

    turn_id: str
    applied: list[AppliedWrite] = Field(default_factory=list)
    closed: bool = Field(description="true when writes under this turn id are refused from now on")
    source: Literal["memory", "audit", "none"] = Field(
        description="where the answer comes from: this process's record of recent turns, the audit file "
        "(an older turn, or one from before a restart), or none (nothing is known of the turn)"
    )


#: Turns remembered for idempotency and read-back: at most this many, each at most this long.
TURN_MEMORY = 512
TURN_TTL_S = 600.0


@dataclass
class _Turn:
    started: float
    results: dict[str, WriteResult] = field(default_factory=dict)
    applied: list[AppliedWrite] = field(default_factory=list)
    closed: bool = False


class TurnLedger:
    """The writes of recent turns, by turn id: each request's result (the idempotency key's answer)
    and what was applied. Bounded: the ``capacity`` most recently used turns, each for ``ttl_s``."""

    def __init__(
        self,
        capacity: int = TURN_MEMORY,
        ttl_s: float = TURN_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.ttl_s = ttl_s
        self.clock = clock
        self._turns: OrderedDict[str, _Turn] = OrderedDict()

    def __len__(self) -> int:
        return len(self._turns)

    def get(self, turn_id: str) -> _Turn | None:
        self._expire()
        turn = self._turns.get(turn_id)
        if turn is not None:
            self._turns.move_to_end(turn_id)
        return turn

    def open(self, turn_id: str) -> _Turn:
        turn = self.get(turn_id)
        if turn is None:
            turn = self._turns[turn_id] = _Turn(started=self.clock())
            while len(self._turns) > self.capacity:
                self._turns.popitem(last=False)
        return turn

    def _expire(self) -> None:
        horizon = self.clock() - self.ttl_s
        while self._turns:
            oldest = next(iter(self._turns.values()))
            if oldest.started >= horizon:
                break
            self._turns.popitem(last=False)


def request_key(
    ctx: CallContext,
    tool: str,
    arguments: Mapping[str, object],
    values: Mapping[str, object],
    deltas: Mapping[str, float] | None,
    confirm_token: str | None,
) -> str:
    """The idempotency key of a write request within its turn."""
    return json.dumps(
        [
            ctx.client.client_id,
            ctx.seat,
            ctx.origin,
            ctx.best_effort,
            tool,
            dict(arguments),
            dict(values),
            dict(deltas or {}),
            confirm_token,
        ],
        sort_keys=True,
        default=str,
    )


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
        self.turns = TurnLedger()
        self.after_change: list[Callable[[], Awaitable[None]]] = []
        """Called (under the write lock) after every change the backend took: persistence hooks."""
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
            turn = self.turns.open(ctx.turn_id) if ctx.turn_id is not None else None
            key = request_key(ctx, tool, arguments, values, deltas, confirm_token)
            if turn is not None and turn.closed:
                self.audit.append(
                    "refused",
                    values=dict(values),
                    reason="the turn has ended",
                    tool=tool,
                    arguments=arguments,
                    client=ctx.client.client_id,
                    seat=ctx.seat,
                    origin=ctx.origin,
                    turn_id=ctx.turn_id,
                )
                raise TurnClosed(f"turn {ctx.turn_id} has ended: its writes are no longer accepted")
            if turn is not None and key in turn.results:
                # The same request again within the turn: the first answer, nothing applied twice.
                return turn.results[key].model_copy(deep=True)
            result = await self._write_locked(values, ctx, deltas, confirm_token, tool, arguments, turn)
            if turn is not None:
                turn.results[key] = result.model_copy(deep=True)
            return result

    async def _write_locked(
        self,
        values: Mapping[str, object],
        ctx: CallContext,
        deltas: Mapping[str, float] | None,
        confirm_token: str | None,
        tool: str,
        arguments: dict[str, object],
        turn: _Turn | None,
    ) -> WriteResult:
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
        result = await self._decide(evaluation, requested, ctx, relative, tool, arguments, confirming, turn)
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
        turn: _Turn | None,
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
            await self._apply(to_apply, ctx, "confirmed" if confirming else "applied", common, turn)
        return WriteResult(applied=to_apply, refused=refused, needs_confirmation=needs)

    async def _apply(
        self,
        values: dict[str, Value],
        ctx: CallContext,
        decision: Literal["applied", "confirmed"],
        common: dict[str, Any],
        turn: _Turn | None,
    ) -> None:
        """Write ahead, act, then record the outcome: a crash in between leaves the intent on disk."""
        # What the turn's read-back reports as the value before (an undo restores it).
        before = await self.backend.get_current(list(values)) if turn is not None else None
        intent = self.audit.append("intent", values=values, **common)
        try:
            await self.backend.set_targets(values)
        except BackendError as exc:
            self.audit.append("failed", values=values, intent_seq=intent["seq"], error=str(exc), **common)
            raise
        self.guardrails.record_applied(values, ctx)
        # Kept state first, then the outcome: an outcome record always has its state on disk.
        await self.changed()
        record = self.audit.append(decision, values=values, intent_seq=intent["seq"], **common)
        if turn is not None:
            turn.applied.append(
                AppliedWrite(
                    seq=record["seq"],
                    tool=common["tool"],
                    arguments=common["arguments"],
                    values=values,
                    before=before,
                    client=common["client"],
                    seat=common["seat"],
                    decision=decision,
                )
            )

    async def changed(self) -> None:
        """Run the :attr:`after_change` hooks (the caller holds the write lock or owns the change)."""
        for hook in self.after_change:
            await hook()

    async def inject(self, values: Mapping[str, Value], client: str) -> None:
        """Set current values in a simulated car (audited; refused by a real one)."""
        async with self._lock:
            await self.backend.inject(values)
            self.audit.append("injected", values=dict(values), client=client)
            await self.changed()

    async def turn_writes(self, turn_id: str, *, close: bool = False) -> TurnWrites:
        """What ``turn_id`` applied. Waits for a write in progress; with ``close`` no later write under
        this turn id is accepted. A turn this process no longer remembers (or never saw: the server
        restarted) is looked up in the audit file."""
        async with self._lock:
            turn = self.turns.get(turn_id)
            known = turn is not None
            if close:
                turn = turn if turn is not None else self.turns.open(turn_id)
                turn.closed = True
            closed = turn is not None and turn.closed
            if turn is not None and turn.applied:
                applied = [w.model_copy() for w in turn.applied]
                return TurnWrites(turn_id=turn_id, applied=applied, closed=closed, source="memory")
            from_audit = self._applied_in_audit(turn_id)
            if from_audit is None:
                return TurnWrites(turn_id=turn_id, closed=closed, source="memory" if known else "none")
            return TurnWrites(turn_id=turn_id, applied=from_audit, closed=closed, source="audit")

    def _applied_in_audit(self, turn_id: str) -> list[AppliedWrite] | None:
        if self.audit.path is None or not self.audit.path.exists():
            return None
        applied = [
            AppliedWrite(
                seq=r["seq"],
                tool=str(r.get("tool", "")),
                arguments=dict(r.get("arguments") or {}),
                values=dict(r.get("values") or {}),
                client=str(r.get("client", "")),
                seat=r.get("seat"),
                decision=r["decision"],
            )
            for r in read_audit(self.audit.path)
            if r.get("turn_id") == turn_id and r.get("decision") in APPLIED_DECISIONS
        ]
        return applied or None

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
