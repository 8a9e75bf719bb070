"""Where safety is decided: every write is checked here, at execution time, before the backend sees it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..catalog import Catalog, Value
from ..errors import ConfirmationError, InvalidValue, UnknownSignal
from .context import GEAR, SPEED, CallContext
from .rules import Proposal, Rule, Verdict, default_rules

CONFIRMATION_TTL_S = 30.0

#: Signals every check reads besides the requested ones (driving state, power, windows, locks, lights,
#: shade, child lock, outside light).
CONTEXT_PATHS: tuple[str, ...] = (
    SPEED,
    GEAR,
    "Vehicle.LowVoltageSystemState",
    "Vehicle.Exterior.LightIntensity",
    "Vehicle.Cabin.IsWindowChildLockEngaged",
    "Vehicle.Body.Lights.LightSwitch",
    "Vehicle.Body.Trunk.Rear.IsOpen",
    "Vehicle.Body.Trunk.Rear.IsLocked",
    "Vehicle.Cabin.HVAC.IsAirConditioningActive",
    "Vehicle.Cabin.Sunroof.Shade.Position",
    "Vehicle.Body.Lights.Beam.Low.IsOn",
    "Vehicle.Body.Lights.Beam.High.IsOn",
    "Vehicle.Body.Lights.Fog.Front.IsOn",
    "Vehicle.Body.Lights.Fog.Rear.IsOn",
    *(
        f"Vehicle.Cabin.Door.{row}.{side}.{leaf}"
        for row in ("Row1", "Row2")
        for side in ("DriverSide", "PassengerSide")
        for leaf in ("Window.Position", "IsOpen", "IsLocked")
    ),
)


@dataclass(slots=True)
class Evaluation:
    """The outcome of checking one request: what may be applied, what is refused, what needs a yes."""

    values: dict[str, Value]
    refusals: list[Verdict]
    confirmations: list[Verdict]

    @property
    def blocked_paths(self) -> set[str]:
        return {v.path for v in self.refusals} | {v.path for v in self.confirmations}


@dataclass(slots=True)
class PendingConfirmation:
    token: str
    values: dict[str, object]
    relative: frozenset[str]
    client_id: str
    seat: str | None
    rule_ids: frozenset[str]
    question: str
    expires_at: float
    tool: str
    arguments: dict[str, object] = field(default_factory=dict)


class Guardrails:
    """The deterministic, state-aware monitor between every client and the vehicle backend."""

    def __init__(
        self,
        catalog: Catalog,
        rules: Sequence[Rule] | None = None,
        *,
        confirmation_ttl_s: float = CONFIRMATION_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalog = catalog
        self.rules: list[Rule] = list(rules) if rules is not None else default_rules()
        self.confirmation_ttl_s = confirmation_ttl_s
        self.clock = clock
        self._pending: dict[str, PendingConfirmation] = {}

    def context_paths(self, requested: Sequence[str]) -> list[str]:
        """The signals :meth:`evaluate` needs the current state of."""
        wanted = dict.fromkeys([*CONTEXT_PATHS, *requested])
        return [p for p in wanted if p in self.catalog]

    def evaluate(
        self,
        raw: Mapping[str, object],
        current: Mapping[str, Value | None],
        target: Mapping[str, Value | None],
        ctx: CallContext,
        *,
        relative: frozenset[str] = frozenset(),
        confirmed_rules: frozenset[str] = frozenset(),
    ) -> Evaluation:
        """Check a request against every rule. Pure: nothing is applied or remembered here."""
        values: dict[str, Value] = {}
        refusals: list[Verdict] = []
        for path, value in raw.items():
            try:
                signal = self.catalog.get(path)
            except UnknownSignal as exc:
                refusals.append(Verdict("GR-19", path, "refuse", f"this car has no such signal: {exc}"))
                continue
            if not signal.writable:
                refusals.append(
                    Verdict("GR-01", path, "refuse", f"{path} is a {signal.type} and can only be read")
                )
                continue
            try:
                values[path] = signal.coerce(value)
            except InvalidValue as exc:
                refusals.append(Verdict("GR-02", path, "refuse", exc.reason))
        now = self.clock()
        confirmations: list[Verdict] = []
        # Rules judge the request as a whole (fog lights with the low beam in the same request). A
        # best-effort request applies only the part that passes, so that part is judged again on its
        # own until nothing more drops out: a combination rule never passes on a value left behind.
        candidate = dict(values)
        while True:
            proposal = Proposal(
                values=candidate, current=current, target=target, ctx=ctx, now=now, relative=relative
            )
            for rule in self.rules:
                for verdict in rule.check(proposal):
                    if verdict.kind == "refuse" and verdict not in refusals:
                        refusals.append(verdict)
                    elif (
                        verdict.kind == "confirm"
                        and verdict.rule_id not in confirmed_rules
                        and verdict not in confirmations
                    ):
                        confirmations.append(verdict)
            blocked = {v.path for v in refusals} | {v.path for v in confirmations}
            remaining = {p: v for p, v in candidate.items() if p not in blocked}
            if not ctx.best_effort or not remaining or remaining == candidate:
                return Evaluation(values=values, refusals=refusals, confirmations=confirmations)
            candidate = remaining

    def record_applied(self, applied: Mapping[str, Value], ctx: CallContext) -> None:
        now = self.clock()
        for rule in self.rules:
            rule.record(applied, ctx, now)

    # -- confirmations (GR-13 and every rule that asks first) --------------------------------------

    def ask(
        self,
        verdicts: Sequence[Verdict],
        values: Mapping[str, object],
        ctx: CallContext,
        *,
        relative: frozenset[str],
        tool: str,
        arguments: Mapping[str, object],
    ) -> PendingConfirmation:
        """Remember a request that waits for a yes; return its single-use token."""
        self._expire()
        questions = list(dict.fromkeys(v.reason for v in verdicts))
        pending = PendingConfirmation(
            token="cf-" + secrets.token_urlsafe(12),
            values=dict(values),
            relative=relative,
            client_id=ctx.client.client_id,
            seat=ctx.seat,
            rule_ids=frozenset(v.rule_id for v in verdicts),
            question=" ".join(questions),
            expires_at=self.clock() + self.confirmation_ttl_s,
            tool=tool,
            arguments=dict(arguments),
        )
        self._pending[pending.token] = pending
        return pending

    def redeem(self, token: object, ctx: CallContext) -> PendingConfirmation:
        """Take a pending confirmation by its token (single use). Raises :class:`ConfirmationError`."""
        if not isinstance(token, str) or not token.startswith("cf-") or len(token) > 64:
            raise ConfirmationError(f"malformed confirmation token {token!r}")
        pending = self._pending.pop(token, None)
        if pending is None:
            raise ConfirmationError("unknown or already used confirmation token; ask again")
        if pending.client_id != ctx.client.client_id or pending.seat != ctx.seat:
            self._pending[token] = pending
            raise ConfirmationError("this confirmation token belongs to another client or seat")
        if self.clock() > pending.expires_at:
            raise ConfirmationError(
                f"the confirmation expired after {self.confirmation_ttl_s:g} s; ask again", expired=pending
            )
        return pending

    def _expire(self) -> list[PendingConfirmation]:
        now = self.clock()
        gone = [p for p in self._pending.values() if now > p.expires_at]
        for p in gone:
            del self._pending[p.token]
        return gone

    def expire_pending(self) -> list[PendingConfirmation]:
        """Drop and return confirmations whose time ran out (for the audit log)."""
        return self._expire()
