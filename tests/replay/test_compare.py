"""``cabin replay --baseline``: regressions and fixes between two reports, and the exit code they give."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from orchestrator.replay.compare import Report, compare, describe, load_report
from orchestrator.replay.runner import ScenarioResult, StepResult, report_json
from orchestrator.replay.scenario import ScenarioError


def _result(
    name: str, *steps: list[str], error: str | None = None, skipped: str | None = None
) -> ScenarioResult:
    step_results = [StepResult(i, "say", not failures, failures, 12.0) for i, failures in enumerate(steps)]
    passed = error is None and skipped is None and all(s.passed for s in step_results)
    return ScenarioResult(f"scenarios/{name}.yaml", name, ["t"], passed, step_results, 0.1, error, skipped)


FAIL = ["state Vehicle.Cabin.Door.Row1.DriverSide.IsOpen: expected False, actual True"]


def _report(*results: ScenarioResult) -> Report:
    return Report.model_validate(report_json(list(results)))


def test_a_step_that_passed_and_fails_now_is_a_regression_with_expected_and_actual() -> None:
    base = _report(_result("door", [], []))
    now = _report(_result("door", [], FAIL))
    comparison = compare(base, now)
    assert [(c.name, c.step, c.failures) for c in comparison.regressions] == [("door", 1, FAIL)]
    assert comparison.fixes == []
    text = "\n".join(describe(comparison))
    assert "REGRESSION  scenarios/door.yaml  door  step 1" in text
    assert "expected False, actual True" in text


def test_a_step_that_failed_and_passes_now_is_a_fix_naming_what_failed_before() -> None:
    comparison = compare(_report(_result("door", FAIL)), _report(_result("door", [])))
    assert comparison.regressions == []
    assert [(c.name, c.step, c.failures) for c in comparison.fixes] == [("door", 0, FAIL)]
    assert "  was: " + FAIL[0] in describe(comparison)


def test_unchanged_failures_are_neither_and_new_or_removed_scenarios_are_counted() -> None:
    base = _report(_result("same", FAIL), _result("gone", []))
    now = _report(_result("same", FAIL), _result("added", []))
    comparison = compare(base, now)
    assert comparison.regressions == [] and comparison.fixes == []
    assert comparison.new == ["scenarios/added.yaml: added"]
    assert comparison.removed == ["scenarios/gone.yaml: gone"]


def test_a_new_failing_scenario_and_a_crash_are_regressions_a_skip_is_not() -> None:
    base = _report(_result("crash", []), _result("perception", []))
    now = _report(
        _result("crash", error="RuntimeError: boom"),
        _result("perception", skipped="no scripted feed"),
        _result("added", FAIL),
    )
    comparison = compare(base, now)
    assert [(c.name, c.step) for c in comparison.regressions] == [("crash", None), ("added", 0)]


def test_the_baseline_round_trips_through_a_report_file(tmp_path: Path) -> None:
    path = tmp_path / "base.json"
    path.write_text(json.dumps(report_json([_result("door", FAIL)])), encoding="utf-8")
    assert compare(load_report(path), _report(_result("door", []))).fixes[0].step == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "the baseline is not JSON"),
        ('{"scenarios": 3}', "not a replay report (written by cabin replay --report): results"),
        ('{"results": [{"file": "a.yaml"}]}', "results.0.name"),
    ],
)
def test_a_bad_baseline_is_named_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "base.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioError, match=re.escape(message)) as caught:
        load_report(path)
    assert str(path) in str(caught.value)


def test_a_missing_baseline_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the baseline"):
        load_report(tmp_path / "absent.json")
