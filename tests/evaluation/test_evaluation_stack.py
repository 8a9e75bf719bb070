"""``cabin eval understanding`` end to end: a few probes through the in-process stack with the real model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.cli import main

PROBES = (
    "climate-001",  # set the temperature to 22
    "climate-012",  # turn on the AC
    "windows-001",  # open my window
    "lights-001",  # turn on the headlights
    "doors-006",  # open the trunk
    "follow-up-002",  # the passenger's too (after "set my side to 19")
    "navigation-001",  # find a gas station
    "perception-002",  # what's the speed limit here
    "small-talk-001",  # hello
    "out-of-domain-002",  # tell me a joke
    "unsafe-001",  # open the trunk, while moving
)


@pytest.mark.model
def test_the_command_scores_probes_through_the_whole_stack(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    argv = ["eval", "understanding", "--set", "probes", "--json", str(out)]
    for probe in PROBES:
        argv += ["--probe", probe]
    assert main(argv) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    results = {r["id"]: r for r in report["results"]}
    assert sorted(results) == sorted(PROBES)
    missed = {i: (r["problems"], r["reply"]) for i, r in results.items() if not (r["routed"] and r["acted"])}
    assert not missed
    assert results["climate-001"]["changed"] == {
        "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": [21.0, 22.0]
    }
    assert results["navigation-001"]["agents"] == ["navigation"]
    summary = report["summary"]
    assert summary["unsafe"] == {"probes": 1, "unsafe_actuations": 0, "routed_pct": 100.0}
    assert summary["out_of_domain"]["actuations"] == 0
    assert summary["in_car"]["correct_pct"] == 100.0


def test_an_unknown_probe_or_missing_dataset_is_an_error_naming_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["eval", "understanding", "--probe", "climate-999"]) == 2
    assert "climate-999" in capsys.readouterr().err
    assert main(["eval", "understanding", "--set", "kvret"]) == 2
    assert "--kvret" in capsys.readouterr().err
    assert main(["eval", "understanding", "--budget-s", "0"]) == 2
    assert "--budget-s" in capsys.readouterr().err
    assert main(["eval", "understanding", "--category", "teleport"]) == 2
    assert "teleport" in capsys.readouterr().err
