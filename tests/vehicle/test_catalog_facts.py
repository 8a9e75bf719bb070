"""The product's own catalog (``data/cabin-vss.json``) against COVESA VSS 6.0.

Names, types, datatypes, units, ranges and allowed values are facts of the specification and must match
it exactly; descriptions are the product's own. The reference export lives outside the repository
(``shared/vss/vss-6.0.json`` next to the checkout); the tests that need it skip when it is absent.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_servers.vehicle.catalog import DEFAULT_CATALOG, Catalog, Signal

VSS_60 = Path(__file__).resolve().parents[2].parent / "shared" / "vss" / "vss-6.0.json"

FACTS = ("type", "datatype", "unit", "min", "max", "allowed", "default")

# Areas the product acts on or reports; each must be covered by at least one leaf.
AREAS = (
    "Vehicle.Speed",
    "Vehicle.LowVoltageSystemState",
    "Vehicle.Powertrain.Transmission.SelectedGear",
    "Vehicle.CurrentLocation",
    "Vehicle.Cabin.HVAC.Station.Row1.Driver",
    "Vehicle.Cabin.HVAC.Station.Row2.Passenger",
    "Vehicle.Cabin.Seat.Row1.DriverSide",
    "Vehicle.Cabin.Seat.Row2.PassengerSide",
    "Vehicle.Cabin.Door.Row1.DriverSide.Window",
    "Vehicle.Cabin.Door.Row2.PassengerSide.Window",
    "Vehicle.Cabin.Sunroof",
    "Vehicle.Cabin.Sunroof.Shade",
    "Vehicle.Cabin.Light",
    "Vehicle.Cabin.Infotainment.Media",
    "Vehicle.Cabin.Infotainment.Navigation",
    "Vehicle.Body.Trunk",
    "Vehicle.Body.Lights",
    "Vehicle.Body.Windshield.Front.Wiping",
    "Vehicle.Body.Mirrors",
    "Vehicle.Chassis.ParkingBrake",
    "Vehicle.ADAS",
    "Vehicle.Driver",
)

ADDED = (
    "Vehicle.Cabin.Seat.Row1.DriverSide.OccupancyStatus",
    "Vehicle.Cabin.Seat.Row1.PassengerSide.OccupancyStatus",
    "Vehicle.Cabin.Seat.Row2.DriverSide.OccupancyStatus",
    "Vehicle.Cabin.Seat.Row2.PassengerSide.OccupancyStatus",
    "Vehicle.Cabin.Infotainment.Media.Action",
    "Vehicle.Body.Windshield.Front.Wiping.Intensity",
    "Vehicle.Cabin.Sunroof.Shade.Switch",
)


@pytest.fixture(scope="module")
def vss_file() -> Path:
    if not VSS_60.is_file():
        pytest.skip(f"the VSS 6.0 reference export is not available at {VSS_60}")
    return VSS_60


@pytest.fixture(scope="module")
def vss(vss_file: Path) -> Catalog:
    return Catalog.load(vss_file)


@pytest.fixture(scope="module")
def product() -> Catalog:
    return Catalog.load()


def _nodes(tree: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every node of a VSS JSON tree, branches included, with its full path."""
    stack = list(tree.items())
    while stack:
        path, node = stack.pop()
        yield path, node
        stack.extend((f"{path}.{name}", child) for name, child in node.get("children", {}).items())


def _facts(signal: Signal) -> dict[str, object]:
    return {fact: getattr(signal, fact) for fact in FACTS}


def _normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def test_every_product_leaf_has_the_facts_of_vss_6_0(product: Catalog, vss: Catalog) -> None:
    not_in_vss = [signal.path for signal in product if signal.path not in vss]
    assert not_in_vss == [], f"signals that VSS 6.0 does not define: {not_in_vss}"
    differences = {
        signal.path: (_facts(signal), _facts(vss.get(signal.path)))
        for signal in product
        if _facts(signal) != _facts(vss.get(signal.path))
    }
    assert differences == {}, "facts differ from VSS 6.0 (product, VSS):\n" + "\n".join(
        f"{path}: {ours} != {theirs}" for path, (ours, theirs) in differences.items()
    )


def test_product_branches_are_vss_branches(vss_file: Path) -> None:
    reference = dict(_nodes(json.loads(vss_file.read_text(encoding="utf-8"))))
    product_tree = json.loads(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    wrong = [
        path
        for path, node in _nodes(product_tree)
        if node.get("type") == "branch" and reference.get(path, {}).get("type") != "branch"
    ]
    assert wrong == [], f"branches that are not VSS 6.0 branches: {wrong}"


def test_catalog_has_enough_signals_covering_every_area(product: Catalog) -> None:
    assert len(product) >= 80
    uncovered = [area for area in AREAS if not product.find(area)]
    assert uncovered == [], f"areas without any signal: {uncovered}"
    missing = [path for path in ADDED if path not in product]
    assert missing == [], f"signals missing from the catalog: {missing}"
    kinds = Counter(signal.type for signal in product)
    assert kinds["actuator"] >= 50
    assert kinds["sensor"] >= 20


def test_every_node_has_a_type_and_a_description_of_its_own() -> None:
    # The KUKSA databroker refuses a VSS file in which any node lacks `type` or `description`.
    product_tree = json.loads(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    incomplete = [
        path
        for path, node in _nodes(product_tree)
        if not isinstance(node.get("type"), str) or not str(node.get("description", "")).strip()
    ]
    assert incomplete == [], f"nodes without type or description: {incomplete}"


def test_descriptions_are_not_the_specification_text(vss_file: Path) -> None:
    reference = dict(_nodes(json.loads(vss_file.read_text(encoding="utf-8"))))
    product_tree = json.loads(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    copied = [
        path
        for path, node in _nodes(product_tree)
        if _normalised(node["description"]) == _normalised(reference[path]["description"])
    ]
    assert copied == [], f"descriptions still in the specification's words: {copied}"


def test_descriptions_state_the_product_conventions(product: Catalog) -> None:
    for signal in product:
        text = signal.description
        if signal.path.endswith(("Window.Position", "Shade.Position")):
            assert "0 = fully closed" in text, signal.path
            assert "100 = fully open" in text, signal.path
        if signal.path.endswith("HeatingCooling"):
            assert "-100" in text, signal.path
            assert "negative values cool" in text, signal.path
    gear = product.get("Vehicle.Powertrain.Transmission.SelectedGear").description
    for code in ("126 = Park", "127 = Drive", "0 = Neutral", "-1"):
        assert code in gear


def test_search_finds_signals_by_everyday_words(product: Catalog) -> None:
    assert "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling" in {
        s.path for s in product.find("Vehicle.Cabin", "driver's seat heating")
    }
    assert {s.path for s in product.find("Vehicle.Body", "trunk open")} == {"Vehicle.Body.Trunk.Rear.IsOpen"}


def test_full_vss_6_0_export_loads_with_every_leaf(vss: Catalog) -> None:
    assert len(vss) == 1267
    kinds = Counter(signal.type for signal in vss)
    assert kinds == {"actuator": 643, "sensor": 494, "attribute": 130}
