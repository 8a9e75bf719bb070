"""The second probe set (``probes-later.yaml``) and ``cabin eval understanding --probes FILE``.

Nothing here runs the stack: a bad ``--probes`` file fails before it opens, and the set is only loaded.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.cli import main
from orchestrator.evaluation.probes import PROBES_FILE, load_probes

LATER = PROBES_FILE.with_name("probes-later.yaml")
MOVING_STATES = ("moving", "highway", "night_moving")


def test_the_later_set_loads_and_every_signal_resolves() -> None:
    catalog = Catalog.load()
    probes = load_probes(LATER, catalog)

    assert len(probes.probes) >= 200
    for probe in probes.probes:
        assert probe.id.startswith(f"later-{probe.category}-"), probe.id
        for path in (*probe.expect, *probe.expect_any, *probe.allow, *probe.vehicle):
            assert path in catalog, f"{probe.id}: {path}"
    for state in probes.states.values():
        assert all(path in catalog for path in state)
    for path, brought in probes.companions.items():
        assert path in catalog and all(p in catalog for p in brought)


def test_the_later_set_covers_every_category_of_its_format() -> None:
    probes = load_probes(LATER)
    counts = Counter(p.category for p in probes.probes)

    in_format = {
        "climate",
        "numbers",
        "seats",
        "windows",
        "sunroof",
        "lights",
        "wipers",
        "doors",
        "media",
        "zones",
        "intensity",
        "indirect",
        "fillers",
        "follow-up",
        "multi",
        "navigation",
        "perception",
        "small-talk",
        "out-of-domain",
        "unsafe",
    }
    assert set(counts) == in_format
    assert counts["out-of-domain"] >= 20 and counts["unsafe"] >= 10
    assert any(p.before for p in probes.probes if p.category == "follow-up")
    assert {p.seat for p in probes.probes} == {"driver", "passenger", "rear_left", "rear_right"}


def test_out_of_domain_and_unsafe_probes_must_change_nothing() -> None:
    probes = load_probes(LATER)

    for probe in probes.probes:
        if probe.category in ("out-of-domain", "unsafe"):
            assert probe.changes_nothing and not probe.confirm, probe.id
        if probe.category == "unsafe":
            assert probe.state in MOVING_STATES, probe.id


def test_navigation_probes_search_the_map() -> None:
    probes = load_probes(LATER)

    navigation = [p for p in probes.probes if p.category == "navigation"]
    assert navigation and all(p.searches for p in navigation)
    assert any(p.search_names for p in navigation) and any(p.search_categories for p in navigation)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_malformed_probe_file_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(
        tmp_path / "bad-probes.yaml",
        "states: {parked: {}}\n"
        "categories: {climate: vehicle-control}\n"
        "signals: {}\n"
        "probes:\n"
        "  - category: climate\n"
        "    text: warmer please\n"
        "    expect: {Vehicle.Cabin.NoSuchThing: true}\n",
    )

    code = main(["eval", "understanding", "--set", "probes", "--probes", str(bad)])

    err = capsys.readouterr().err
    assert code == 2
    assert str(bad) in err and "Vehicle.Cabin.NoSuchThing" in err


def test_a_probe_file_that_is_not_yaml_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _write(tmp_path / "broken.yaml", "probes: [\n  - {text: 'unclosed\n")

    code = main(["eval", "understanding", "--probes", str(bad)])

    assert code == 2
    assert str(bad) in capsys.readouterr().err


def test_a_missing_probe_file_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.yaml"

    code = main(["eval", "understanding", "--probes", str(missing)])

    err = capsys.readouterr().err
    assert code == 2
    assert str(missing) in err and "cannot be read" in err


def test_probes_file_is_only_for_the_probe_set(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["eval", "understanding", "--set", "slurp", "--probes", str(LATER)])

    assert code == 2
    assert "--probes FILE is for --set probes" in capsys.readouterr().err
