"""Running scenarios: each against a fresh stack, every ``expect`` key checked, a report at the end."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable
from xml.etree import ElementTree as ET

from orchestrator.models import TurnResult

if TYPE_CHECKING:
    from orchestrator.local import LocalStack

from .scenario import Expect, Matcher, Scenario, Step

REPLAY_BUDGET_S = 30.0
"""The latency budget of a turn in in-process replay, instead of the product's 0.8 s.

Replay checks what each turn does to the car. With the product's budget, a loaded machine turns
slowness into a different answer: the router skips its model path when the budget left is shorter
than the model recently took, and an agent gets only the budget left (at least 3 s) before its
answer is cancelled. On a busy 2-core machine both happen, and a model-path request is then
reported as "did not respond" or "can't do that" with nothing applied. Replay's budgets leave the
answer to the agents; the latency of every step is still measured and reported, and a scenario
that cares checks it with ``max_latency_ms``."""
REPLAY_AGENT_TIMEOUT_S = 60.0
"""How long an agent may take over one part of a turn in in-process replay (see ``REPLAY_BUDGET_S``)."""


class ReplayStack(Protocol):
    """What a scenario drives: a fresh car, the assistant, and the car's perception feed."""

    async def inject(self, values: dict[str, Any]) -> None: ...
    async def advance(self, seconds: float) -> None: ...
    async def perceive(self, frame: dict[str, Any], base_dir: Path) -> None: ...
    async def say(self, text: str, seat: str, session_id: str | None) -> TurnResult: ...
    async def settle(self) -> None: ...
    async def state(self, paths: list[str]) -> dict[str, Any]: ...


@runtime_checkable
class StateWaiter(Protocol):
    """A stack whose car changes in its own time (a running stack): instead of ``settle`` then ``state``,
    the runner asks it for the expected state directly.

    ``await_state`` returns the values of ``expected``'s paths as soon as every matcher holds, or the
    last values read when ``timeout_s`` runs out (the check then reports them as the actual values)."""

    async def await_state(self, expected: dict[str, Matcher], timeout_s: float) -> dict[str, Any]: ...


STATE_TIMEOUT_S = 20.0
"""How long a running stack is given to reach a step's expected state."""

StackFactory = Callable[[], Awaitable[tuple[ReplayStack, Callable[[], Awaitable[None]]]]]


async def open_replay_stack() -> LocalStack:
    """A fresh :mod:`orchestrator.local` stack whose turns run with ``REPLAY_BUDGET_S`` and
    ``REPLAY_AGENT_TIMEOUT_S``."""
    from orchestrator.local import open_local_stack

    return await open_local_stack(budget_s=REPLAY_BUDGET_S, agent_timeout_s=REPLAY_AGENT_TIMEOUT_S)


async def in_process_stack() -> tuple[ReplayStack, Callable[[], Awaitable[None]]]:
    """The :data:`StackFactory` that builds a fresh in-process stack for every scenario and closes it
    after (:class:`StackPool` keeps one between scenarios instead)."""
    stack = await open_replay_stack()
    return stack, stack.aclose


RESET_GAP_S = 120.0
"""Simulated seconds let pass on a kept stack's car before the next scenario starts: longer than every
window kept on the car's clock (GR-17's rate window of 1 s, a confirmation's 30 s), so nothing a
scenario did still counts when the next one starts. The simulator steps a second at a time, so the
gap costs about 2 ms a scenario (an hour cost 210 ms)."""


class _Lease:
    """A pooled stack lent to one scenario: the :class:`ReplayStack` calls go through to it, and the
    lease notes what a reset cannot undo (a perception frame pushed, a call that raised)."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.reusable = True

    async def _call(self, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except BaseException:
            self.reusable = False
            raise

    async def inject(self, values: dict[str, Any]) -> None:
        await self._call(self.stack.inject(values))

    async def advance(self, seconds: float) -> None:
        await self._call(self.stack.advance(seconds))

    async def perceive(self, frame: dict[str, Any], base_dir: Path) -> None:
        # The perception source keeps its last frame, and has no way to forget it.
        self.reusable = False
        await self.stack.perceive(frame, base_dir)

    async def say(self, text: str, seat: str, session_id: str | None) -> TurnResult:
        turn: TurnResult = await self._call(self.stack.say(text, seat, session_id))
        return turn

    async def settle(self) -> None:
        await self._call(self.stack.settle())

    async def state(self, paths: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = await self._call(self.stack.state(paths))
        return values


class StackPool:
    """A :data:`StackFactory` that keeps in-process stacks between scenarios instead of building one
    for each. Building a stack is most of a one-step scenario's time (four vehicle MCP servers, each
    deriving its tools' schemas, and three agents: about 1.6 s of 2.1 s, scenarios/README.md), while
    its parts hold no state a later scenario can see other than the car's, the perception feed's and
    what is kept per conversation (each scenario opens a new one).

    A stack handed back is kept only when it can be made the same as a fresh one for the next
    scenario: ``RESET_GAP_S`` of simulated time passes (every time window of the car and its
    guardrails lapses), the fresh car's whole state is injected (every value, nothing moving), and
    the car must then read exactly as a fresh car does, with no target set. A stack that was shown a
    perception frame, or whose scenario raised, or whose car still differs (a signal a fresh car does
    not hold was set) is closed, and the next scenario gets a new one. At most one stack per
    scenario running at once is kept; :meth:`aclose` closes them."""

    def __init__(self, open_stack: Callable[[], Awaitable[LocalStack]] = open_replay_stack) -> None:
        self._open = open_stack
        self._idle: list[LocalStack] = []
        self._fresh: dict[str, Any] | None = None
        self.built = 0
        """How many stacks were built (for the figures and tests)."""
        self.reused = 0
        """How many scenarios ran on a kept stack."""

    async def prepare(self) -> None:
        """Build a stack now and keep it for the first scenario (a Ray worker does this while the
        driver is still reading the scenario files)."""
        self._idle.append(await self._open())
        self.built += 1

    async def __call__(self) -> tuple[ReplayStack, Callable[[], Awaitable[None]]]:
        if self._idle:
            stack = self._idle.pop()
            self.reused += 1
        else:
            stack = await self._open()
            self.built += 1
        lease = _Lease(stack)

        async def release() -> None:
            if lease.reusable and await self._reset(stack):
                self._idle.append(stack)
            else:
                await stack.aclose()

        return lease, release

    async def _reset(self, stack: LocalStack) -> bool:
        """Make ``stack``'s car a fresh car again; whether that worked."""
        from mcp_servers.vehicle.backends.simulator import SimulatorBackend

        backend = stack.backend
        if self._fresh is None:
            self._fresh = SimulatorBackend(backend.catalog).snapshot()
        await backend.advance(RESET_GAP_S)
        await backend.inject(self._fresh)
        targets = await backend.get_target(backend.catalog.paths)
        return (
            backend.snapshot() == self._fresh
            and not backend.moving_parts()
            and all(value is None for value in targets.values())
        )

    async def aclose(self) -> None:
        """Close every kept stack."""
        while self._idle:
            await self._idle.pop().aclose()


@dataclass
class StepResult:
    index: int
    kind: str
    passed: bool
    failures: list[str] = field(default_factory=list)
    latency_ms: float | None = None
    turn: TurnResult | None = None


@dataclass
class ScenarioResult:
    file: str
    name: str
    tags: list[str]
    passed: bool
    steps: list[StepResult]
    duration_s: float
    error: str | None = None
    skipped: str | None = None
    """Why the scenario was not run (then ``passed`` is false and it counts as neither passed nor failed)."""


def skipped(scenario: Scenario, reason: str) -> ScenarioResult:
    """The result of a scenario not run, for ``reason``."""
    return ScenarioResult(str(scenario.file), scenario.name, scenario.tags, False, [], 0.0, skipped=reason)


def check(expect: Expect, turn: TurnResult, state: dict[str, Any]) -> list[str]:
    """Every way ``turn`` and ``state`` differ from ``expect``, each as one readable sentence."""
    failures: list[str] = []
    agents = [r.agent for r in turn.route]
    if expect.agent is not None and expect.agent not in agents:
        failures.append(f"agent: expected a part routed to {expect.agent!r}, actual route {agents}")
    if expect.via is not None and expect.via not in [r.via for r in turn.route]:
        failures.append(f"via: expected {expect.via!r}, actual {[r.via for r in turn.route]}")
    for path, matcher in expect.state.items():
        actual = state.get(path)
        if not matcher.check(actual):
            failures.append(f"state {path}: expected {matcher.describe()}, actual {actual!r}")
    refused_ids = sorted({a.rule_id or "?" for a in turn.actions if a.outcome == "refused"})
    if expect.refused is True and not refused_ids:
        failures.append("refused: expected a refusal, actual none")
    elif expect.refused is False and refused_ids:
        failures.append(f"refused: expected no refusal, actual {refused_ids}")
    elif isinstance(expect.refused, list):
        missing = [r for r in expect.refused if r not in refused_ids]
        if missing:
            failures.append(f"refused: expected rule(s) {expect.refused}, actual {refused_ids or 'none'}")
    applied = [a for a in turn.actions if a.outcome == "applied"]
    if expect.applied is True and not applied:
        failures.append("applied: expected an applied action, actual none")
    elif expect.applied is False and applied:
        failures.append(f"applied: expected nothing applied, actual {[a.tool for a in applied]}")
    reply = turn.reply.lower()
    for needle in expect.reply_contains:
        if needle.lower() not in reply:
            failures.append(f"reply_contains: expected {needle!r} in the reply, actual {turn.reply!r}")
    for needle in expect.reply_excludes:
        if needle.lower() in reply:
            failures.append(f"reply_excludes: expected no {needle!r} in the reply, actual {turn.reply!r}")
    if expect.max_latency_ms is not None and turn.latency_ms.total > expect.max_latency_ms:
        failures.append(
            f"max_latency_ms: expected <= {expect.max_latency_ms:g}, actual {turn.latency_ms.total:g}"
        )
    if (
        expect.pending_confirmation is not None
        and (turn.pending_confirmation is not None) != expect.pending_confirmation
    ):
        failures.append(
            f"pending_confirmation: expected {expect.pending_confirmation}, "
            f"actual {turn.pending_confirmation is not None}"
        )
    for wanted in expect.actions or []:
        if not any(
            a.tool == wanted.tool
            and all(a.arguments.get(k) == v for k, v in wanted.arguments.items())
            and (wanted.outcome is None or a.outcome == wanted.outcome)
            for a in turn.actions
        ):
            actual = [f"{a.tool}{a.arguments} -> {a.outcome}" for a in turn.actions]
            failures.append(
                f"actions: expected {wanted.tool}{wanted.arguments} -> {wanted.outcome or 'any'}, "
                f"actual {actual}"
            )
    return failures


async def run_scenario(scenario: Scenario, factory: StackFactory) -> ScenarioResult:
    started = time.perf_counter()
    results: list[StepResult] = []
    stack, close = await factory()
    try:
        if scenario.vehicle:
            await stack.inject(dict(scenario.vehicle))
        session: str | None = None
        for step in scenario.steps:
            result = await _run_step(stack, scenario, step, session)
            if result.turn is not None:
                session = result.turn.session_id
            results.append(result)
    except Exception as exc:  # a crash in one scenario is that scenario's failure, not the suite's
        return ScenarioResult(
            str(scenario.file),
            scenario.name,
            scenario.tags,
            False,
            results,
            time.perf_counter() - started,
            error=f"{type(exc).__name__}: {exc}",
        )
    finally:
        await close()
    passed = all(r.passed for r in results)
    return ScenarioResult(
        str(scenario.file), scenario.name, scenario.tags, passed, results, time.perf_counter() - started
    )


async def _run_step(stack: ReplayStack, scenario: Scenario, step: Step, session: str | None) -> StepResult:
    if step.kind == "signals":
        await stack.inject(dict(step.signals))
        return StepResult(step.index, step.kind, True)
    if step.kind == "wait":
        await stack.advance(step.wait)
        return StepResult(step.index, step.kind, True)
    if step.kind == "perception":
        assert step.perception is not None
        await stack.perceive(step.perception, scenario.file.parent)
        return StepResult(step.index, step.kind, True)
    assert step.say is not None
    turn = await stack.say(step.say, step.seat, session)
    failures: list[str] = []
    if step.expect is not None:
        state: dict[str, Any] = {}
        if step.expect.state and isinstance(stack, StateWaiter):
            state = await stack.await_state(step.expect.state, STATE_TIMEOUT_S)
        elif step.expect.state:
            await stack.settle()
            state = await stack.state(list(step.expect.state))
        failures = check(step.expect, turn, state)
        if failures:
            route = ", ".join(f"{r.agent or 'none'}/{r.skill or '-'} via {r.via}" for r in turn.route)
            actions = "; ".join(
                f"{a.tool} {a.arguments} -> {a.outcome} {a.rule_id or ''}".strip() for a in turn.actions
            )
            failures.append(
                f"(said {step.say!r}; reply {turn.reply!r}; route [{route}]; actions [{actions or 'none'}])"
            )
    return StepResult(step.index, step.kind, not failures, failures, turn.latency_ms.total, turn)


def report_json(results: list[ScenarioResult]) -> dict[str, Any]:
    latencies = sorted(s.latency_ms for r in results for s in r.steps if s.latency_ms is not None)

    def pct(q: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, round(q * (len(latencies) - 1)))], 2)

    return {
        "scenarios": len(results),
        "passed": sum(r.passed for r in results),
        "failed": sum(not r.passed and r.skipped is None for r in results),
        "skipped": sum(r.skipped is not None for r in results),
        "steps": sum(len(r.steps) for r in results),
        "latency_ms": {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p95": pct(0.95),
        },
        "results": [
            {
                "file": r.file,
                "name": r.name,
                "tags": r.tags,
                "passed": r.passed,
                "error": r.error,
                "skipped": r.skipped,
                "duration_s": round(r.duration_s, 3),
                "steps": [
                    {
                        "index": s.index,
                        "kind": s.kind,
                        "passed": s.passed,
                        "failures": s.failures,
                        "latency_ms": s.latency_ms,
                    }
                    for s in r.steps
                ],
            }
            for r in results
        ],
    }


def report_junit(results: list[ScenarioResult]) -> bytes:
    suite = ET.Element(
        "testsuite",
        name="cabin-scenarios",
        tests=str(len(results)),
        failures=str(sum(not r.passed and r.error is None and r.skipped is None for r in results)),
        errors=str(sum(r.error is not None for r in results)),
        skipped=str(sum(r.skipped is not None for r in results)),
        time=f"{sum(r.duration_s for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=Path(r.file).parent.name or "scenarios",
            name=r.name,
            file=r.file,
            time=f"{r.duration_s:.3f}",
        )
        if r.skipped is not None:
            ET.SubElement(case, "skipped", message=r.skipped)
        elif r.error is not None:
            ET.SubElement(case, "error", message=r.error).text = r.error
        elif not r.passed:
            text = "\n".join(f"step {s.index}: {f}" for s in r.steps for f in s.failures)
            ET.SubElement(case, "failure", message=text.splitlines()[0] if text else "failed").text = text
    document: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return document


def describe_failure(result: ScenarioResult) -> list[str]:
    lines = []
    if result.error:
        lines.append(f"  error: {result.error}")
    for step in result.steps:
        for failure in step.failures:
            lines.append(f"  {result.file}: step {step.index}: {failure}")
    return lines
