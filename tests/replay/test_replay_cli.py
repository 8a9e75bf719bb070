"""``cabin replay --baseline`` end to end: one real in-process replay (the default model), compared with a
baseline report; the exit code follows regressions only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.replay.runner import ScenarioResult, StepResult, report_json

from ..conftest import ROOT

CLOSE = ROOT / "scenarios" / "doors" / "close_passenger_door.yaml"


def _baseline(path: Path, file: Path, passed: bool) -> Path:
    step = StepResult(0, "say", passed, [] if passed else ["state X: expected False, actual True"], 50.0)
    result = ScenarioResult(str(file), "passenger door left open", ["doors"], passed, [step], 1.0)
    path.write_text(json.dumps(report_json([result])), encoding="utf-8")
    return path


@pytest.mark.model
def test_baseline_exit_code_follows_regressions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The same scenario with an expectation that cannot hold: it fails now, and passed in the baseline.
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        CLOSE.read_text(encoding="utf-8").replace(
            "PassengerSide.IsOpen: false\n", "PassengerSide.IsOpen: true\n"
        ),
        encoding="utf-8",
    )
    regressed = _baseline(tmp_path / "regressed.json", broken, passed=True)
    assert main(["replay", str(broken), "--baseline", str(regressed)]) == 1
    out = capsys.readouterr().out
    assert f"REGRESSION  {broken}  passenger door left open  step 0" in out
    assert "now: state Vehicle.Cabin.Door.Row1.PassengerSide.IsOpen: expected True, actual False" in out

    fixed = _baseline(tmp_path / "fixed.json", CLOSE, passed=False)
    html = tmp_path / "report.html"
    assert main(["replay", str(CLOSE), "--baseline", str(fixed), "--html", str(html)]) == 0
    out = capsys.readouterr().out
    page = html.read_text(encoding="utf-8")
    assert "1 passed</span>" in page and "<td>vehicle-control</td><td class=n>1/1</td>" in page
    assert f"FIXED  {CLOSE}  passenger door left open  step 0" in out
    assert "baseline: 0 regression(s), 1 fix(es)" in out


def test_a_bad_baseline_exits_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    assert main(["replay", str(CLOSE), "--baseline", str(bad)]) == 2
    assert "not a replay report" in capsys.readouterr().err
