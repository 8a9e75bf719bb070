"""Scenario files are validated before anything runs; every error names file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.models import Action, Latency, RouteStep, TurnResult
from orchestrator.replay import ScenarioError, check, load_scenario
from orchestrator.replay.scenario import Expect, Matcher

CATALOG = Catalog.load()

GOOD = """\
name: cold driver, then trunk while moving
tags: [climate, safety]
vehicle:
  Vehicle.Speed: 50
  Vehicle.Powertrain.Transmission.SelectedGear: 127
steps:
  - say: "I'm cold"
    seat: driver
    expect:
      agent: vehicle-control
      state:
        Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature: {gt: 19}
      refused: false
      reply_contains: []
      max_latency_ms: 1000
  - signals: {Vehicle.Speed: 80}
  - wait: 2.0
  - perception:
      objects: [{class: cyclist, side: right, distance_m: 2.5, lane: right, rel_speed_kmh: -3}]
      signs: [{kind: speed_limit, value: 50}]
  - say: "open the trunk"
    expect:
      refused: [GR-06]
      state: {Vehicle.Body.Trunk.Rear.IsOpen: false}
      actions: [{tool: set_trunk, arguments: {open: true}, outcome: refused}]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_the_contract_example_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD), CATALOG)
    assert scenario.name == "cold driver, then trunk while moving"
    assert [s.kind for s in scenario.steps] == ["say", "signals", "wait", "perception", "say"]
    assert scenario.vehicle == {"Vehicle.Speed": 50.0, "Vehicle.Powertrain.Transmission.SelectedGear": 127}
    assert scenario.steps[4].expect is not None and scenario.steps[4].expect.refused == ["GR-06"]


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("    seat: driver", "    seat: roof", r"s\.yaml:8: steps\[0\]\.seat: expected one of"),
        (
            "      agent: vehicle-control",
            "      agnet: vehicle-control",
            r"s\.yaml:10: steps\[0\]\.expect\.agnet: unknown key",
        ),
        ("  Vehicle.Speed: 50", "  Vehicle.Sped: 50", r"s\.yaml:4: vehicle\.Vehicle\.Sped: unknown signal"),
        (
            "  Vehicle.Speed: 50",
            "  Vehicle.Speed: fast",
            r"s\.yaml:4: vehicle\.Vehicle\.Speed: expected a number",
        ),
        (
            "{gt: 19}",
            "{gtt: 19}",
            r"s\.yaml:12: steps\[0\]\.expect\.state\.Vehicle\.Cabin\.HVAC\.Station\.Row1\.Driver\.Temperature: a matcher",
        ),
        ("{gt: 19}", "{gt: warm}", r"gt needs a number"),
        (
            "{Vehicle.Body.Trunk.Rear.IsOpen: false}",
            "{Vehicle.Body.Trunk.Rear.IsOpen: 3}",
            r"can never match",
        ),
        ("      refused: [GR-06]", "      refused: maybe", r"s\.yaml:23: steps\[4\]\.expect\.refused"),
        ("  - wait: 2.0", "  - wait: -1", r"steps\[2\]\.wait: expected seconds"),
        ("  - wait: 2.0", "  - wait: 2.0\n    say: hi", r"steps\[2\]: a step is exactly one of"),
        (
            "tags: [climate, safety]",
            "tags: [climate, safety]\ncolour: red",
            r"s\.yaml:3: colour: unknown key",
        ),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, replace: str, by: str, message: str) -> None:
    assert replace in GOOD
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path, GOOD.replace(replace, by, 1)), CATALOG)


def test_missing_name_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="needs a name"):
        load_scenario(write(tmp_path, "steps: [{say: hi}]\n"), CATALOG)
    with pytest.raises(ScenarioError, match=r"s\.yaml:3: not valid YAML"):
        load_scenario(write(tmp_path, "name: x\nsteps: [\n"), CATALOG)


def turn(**fields: object) -> TurnResult:
    base: dict[str, object] = {
        "session_id": "s",
        "turn_id": "t",
        "reply": "Okay, opening the trunk.",
        "route": [RouteStep(text="open the trunk", agent="vehicle-control", skill="doors", via="template")],
        "actions": [Action(tool="set_trunk", arguments={"open": True}, outcome="refused", rule_id="GR-06")],
        "latency_ms": Latency(total=12.0, route=1.0),
    }
    base.update(fields)
    return TurnResult.model_validate(base)


def test_check_reports_expected_and_actual() -> None:
    expect = Expect(
        agent="navigation",
        state={"Vehicle.Body.Trunk.Rear.IsOpen": Matcher("eq", True)},
        refused=["GR-07"],
        reply_contains=["closed"],
        max_latency_ms=5,
        pending_confirmation=True,
    )
    failures = check(expect, turn(), {"Vehicle.Body.Trunk.Rear.IsOpen": False})
    assert "agent: expected a part routed to 'navigation', actual route ['vehicle-control']" in failures
    assert "state Vehicle.Body.Trunk.Rear.IsOpen: expected True, actual False" in failures
    assert "refused: expected rule(s) ['GR-07'], actual ['GR-06']" in failures
    assert any(f.startswith("reply_contains: expected 'closed'") for f in failures)
    assert "max_latency_ms: expected <= 5, actual 12" in failures
    assert "pending_confirmation: expected True, actual False" in failures


def test_check_passes_when_everything_holds() -> None:
    expect = Expect(
        agent="vehicle-control",
        refused=["GR-06"],
        reply_contains=["TRUNK"],
        state={"Vehicle.Speed": Matcher("approx", [50, 0.5])},
    )
    assert check(expect, turn(), {"Vehicle.Speed": 50.2}) == []
