"""Comparing a replay with a previous one (``cabin replay --baseline report.json``).

Both sides are JSON reports as :func:`orchestrator.replay.runner.report_json` writes them. A scenario is
identified by its file and name, a step by its index. A *regression* is a step (or a whole scenario,
when it crashed) that passed in the baseline, or did not exist there, and fails now; a *fix* is one that
failed in the baseline and passes now. Each names the scenario, the step and the expected and actual
values (the failure sentences of the side that failed). Skipped scenarios are neither.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from .scenario import ScenarioError


class StepReport(BaseModel):
    """One step of a report, as :func:`~orchestrator.replay.runner.report_json` writes it."""

    model_config = ConfigDict(extra="ignore")
    index: int
    kind: str
    passed: bool
    failures: list[str] = []
    latency_ms: float | None = None


class ScenarioReport(BaseModel):
    model_config = ConfigDict(extra="ignore")
    file: str
    name: str
    tags: list[str] = []
    passed: bool
    error: str | None = None
    skipped: str | None = None
    steps: list[StepReport] = []


class Report(BaseModel):
    """The part of a replay report a comparison reads."""

    model_config = ConfigDict(extra="ignore")
    results: list[ScenarioReport]


class Change(BaseModel):
    """One scenario step whose verdict changed between the baseline and this run."""

    kind: Literal["regression", "fix"]
    file: str
    name: str
    step: int | None
    """The step's index; ``None`` for the scenario as a whole (it crashed, or it crashes no more)."""
    failures: list[str]
    """The failure sentences (``expected ..., actual ...``) of the side that failed: this run for a
    regression, the baseline for a fix."""


class Comparison(BaseModel):
    regressions: list[Change]
    fixes: list[Change]
    new: list[str]
    """Scenarios (``file: name``) in this run and not in the baseline."""
    removed: list[str]
    """Scenarios in the baseline and not in this run."""


def load_report(path: str | Path) -> Report:
    """A baseline report read from ``path``; :class:`ScenarioError` naming the file and what is wrong."""
    file = Path(path)
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read the baseline ({exc.strerror or exc})") from exc
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{file}:{exc.lineno}: the baseline is not JSON ({exc.msg})") from exc
    try:
        return Report.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "report"
        raise ScenarioError(
            f"{file}: not a replay report (written by cabin replay --report): {where}: {first['msg']}"
        ) from exc


def _key(r: ScenarioReport) -> str:
    return f"{r.file}: {r.name}"


def _scenario_failed(r: ScenarioReport) -> bool:
    return r.skipped is None and r.error is not None


def compare(baseline: Report, current: Report) -> Comparison:
    """What changed from ``baseline`` to ``current``, in ``current``'s order."""
    before = {_key(r): r for r in baseline.results}
    now = {_key(r): r for r in current.results}
    regressions: list[Change] = []
    fixes: list[Change] = []
    for key, cur in now.items():
        old = before.get(key)
        if cur.skipped is not None or (old is not None and old.skipped is not None):
            continue
        if _scenario_failed(cur) and (old is None or not _scenario_failed(old)):
            regressions.append(
                Change(kind="regression", file=cur.file, name=cur.name, step=None, failures=[cur.error or ""])
            )
        elif old is not None and _scenario_failed(old) and not _scenario_failed(cur):
            fixes.append(
                Change(kind="fix", file=cur.file, name=cur.name, step=None, failures=[old.error or ""])
            )
        old_steps = {s.index: s for s in old.steps} if old is not None else {}
        for step in cur.steps:
            prev = old_steps.get(step.index)
            if not step.passed and (prev is None or prev.passed):
                regressions.append(
                    Change(
                        kind="regression",
                        file=cur.file,
                        name=cur.name,
                        step=step.index,
                        failures=step.failures,
                    )
                )
            elif step.passed and prev is not None and not prev.passed:
                fixes.append(
                    Change(kind="fix", file=cur.file, name=cur.name, step=step.index, failures=prev.failures)
                )
    return Comparison(
        regressions=regressions,
        fixes=fixes,
        new=[k for k in now if k not in before],
        removed=[k for k in before if k not in now],
    )


def describe(comparison: Comparison) -> list[str]:
    """The comparison as lines a person reads: each regression and fix with its step and failures."""
    lines: list[str] = []
    for change in [*comparison.regressions, *comparison.fixes]:
        label = "REGRESSION" if change.kind == "regression" else "FIXED"
        where = f"step {change.step}" if change.step is not None else "scenario"
        lines.append(f"{label}  {change.file}  {change.name}  {where}")
        prefix = "now" if change.kind == "regression" else "was"
        lines.extend(f"  {prefix}: {failure}" for failure in change.failures)
    lines.append(
        f"baseline: {len(comparison.regressions)} regression(s), {len(comparison.fixes)} fix(es), "
        f"{len(comparison.new)} new scenario(s), {len(comparison.removed)} removed"
    )
    return lines
