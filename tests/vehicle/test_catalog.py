"""Catalog loading and value checks; state files; clear errors naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.errors import CatalogError, InvalidValue, StateFileError, UnknownSignal
from mcp_servers.vehicle.state_file import load_state_file


def test_unknown_path_suggests_close_matches(catalog: Catalog) -> None:
    with pytest.raises(UnknownSignal, match=r"did you mean Vehicle\.Speed"):
        catalog.get("Vehicle.Sped")


def test_find_by_prefix_and_words(catalog: Catalog) -> None:
    found = [s.path for s in catalog.find("Vehicle.Cabin.HVAC", "driver temperature")]
    assert "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature" in found
    assert all(p.startswith("Vehicle.Cabin.HVAC.") for p in found)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("Vehicle.Cabin.Infotainment.Media.Volume", True, "expected an integer"),
        ("Vehicle.Cabin.Infotainment.Media.Volume", 256, "does not fit uint8"),
        ("Vehicle.Speed", float("nan"), "finite"),
        ("Vehicle.LowVoltageSystemState", "HALF", "allowed values"),
    ],
)
def test_coerce_rejects(catalog: Catalog, path: str, value: object, message: str) -> None:
    with pytest.raises(InvalidValue, match=message):
        catalog.get(path).coerce(value)


def test_coerce_accepts_integral_floats(catalog: Catalog) -> None:
    assert catalog.get("Vehicle.Cabin.Infotainment.Media.Volume").coerce(40.0) == 40


def test_bad_catalog_files_name_file_and_key(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"Vehicle": {"type": "branch", "children": {"Speed": {"type": "sensor", "datatype": "quux"}}}}'
    )
    with pytest.raises(CatalogError, match=r"broken\.json: key Vehicle\.Speed\.datatype"):
        Catalog.load(broken)
    syntax = tmp_path / "syntax.json"
    syntax.write_text('{"Vehicle": \n  {"type": }')
    with pytest.raises(CatalogError, match=r"syntax\.json:2:"):
        Catalog.load(syntax)
    with pytest.raises(CatalogError, match="cannot read"):
        Catalog.load(tmp_path / "missing.json")


def test_state_file_ok_and_errors(tmp_path: Path, catalog: Catalog) -> None:
    good = tmp_path / "moving.yaml"
    good.write_text("Vehicle.Speed: 60\nVehicle.Powertrain.Transmission.SelectedGear: 127\n")
    assert load_state_file(good, catalog) == {
        "Vehicle.Speed": 60.0,
        "Vehicle.Powertrain.Transmission.SelectedGear": 127,
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text("Vehicle.Speed: 60\nVehicle.Cabin.Nope: 1\n")
    with pytest.raises(StateFileError, match=r"bad\.yaml:2: key Vehicle\.Cabin\.Nope: unknown signal"):
        load_state_file(bad, catalog)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('{\n "Vehicle.Speed": "fast"\n}')
    with pytest.raises(StateFileError, match=r"wrong\.json:2: key Vehicle\.Speed: expected a number"):
        load_state_file(wrong, catalog)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(StateFileError, match="expected a mapping"):
        load_state_file(listy, catalog)
