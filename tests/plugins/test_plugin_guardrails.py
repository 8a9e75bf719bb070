"""A plugin's tools pass the same guardrails, confirmation and audit as the car's own; its rules judge
every write; what it may declare is checked before anything is served."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.extend import (
    Args,
    Proposal,
    Rule,
    ToolDeclaration,
    ToolPlugin,
    Verdict,
    WriteSpec,
)
from mcp_servers.vehicle.guardrails import AuditLog, Guardrails, read_audit
from mcp_servers.vehicle.plugins import PluginError, build_registry
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from mcp_servers.vehicle.task_tools import CORE_TOOLS

from .support import DRIVER, MOVING, massage_plugin

pytestmark = pytest.mark.anyio  # its MCP Client fixture is entered and left in one task (docs/testing.md)

DRIVER_MASSAGE = "Vehicle.Cabin.Seat.Row1.DriverSide.Massage.Level"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load()


async def _client(catalog: Catalog, plugins: Iterable[ToolPlugin], audit: Path | None = None) -> Any:
    backend = SimulatorBackend(catalog)
    service = VehicleService(backend, Guardrails(catalog), AuditLog(audit))
    registry = build_registry(list(plugins), catalog)
    return Client(build_server(service, client="vehicle-control", registry=registry), raise_exceptions=True)


@pytest.fixture
async def massage(catalog: Catalog, tmp_path: Path) -> AsyncIterator[Client]:
    async with await _client(catalog, [massage_plugin()], tmp_path / "audit.jsonl") as client:
        yield client


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments, meta=DRIVER)
    assert not result.is_error, result.content
    return dict(result.structured_content or {})


async def _moving(catalog: Catalog, plugins: list[ToolPlugin], tmp_path: Path) -> tuple[Client, Any]:
    backend = SimulatorBackend(catalog)
    await backend.inject(MOVING)
    service = VehicleService(backend, Guardrails(catalog), AuditLog(tmp_path / "audit.jsonl"))
    registry = build_registry(plugins, catalog)
    client = Client(build_server(service, client="vehicle-control", registry=registry), raise_exceptions=True)
    return client, backend


@pytest.mark.rule("GR-M1")
async def test_the_plugin_tool_applies_when_parked(massage: Client) -> None:
    result = await _call(massage, "start_seat_massage", {"intensity": "strong"})
    assert result["applied"] == {DRIVER_MASSAGE: 100}


@pytest.mark.rule("GR-M1")
async def test_its_rule_refuses_a_strong_massage_for_the_driver_while_moving(
    catalog: Catalog, tmp_path: Path
) -> None:
    client, backend = await _moving(catalog, [massage_plugin()], tmp_path)
    async with client:
        strong = await _call(client, "start_seat_massage", {"intensity": "strong"})
        gentle = await _call(client, "start_seat_massage", {"intensity": "gentle"})
        passenger = await _call(client, "start_seat_massage", {"intensity": "strong", "seat": "passenger"})
    assert [r["rule_id"] for r in strong["refused"]] == ["GR-M1"] and strong["applied"] == {}
    assert gentle["applied"] == {DRIVER_MASSAGE: 30}
    # Another seat's zone from the driver is allowed (GR-15); GR-M1 concerns the driver's seat only.
    assert passenger["applied"] == {"Vehicle.Cabin.Seat.Row1.PassengerSide.Massage.Level": 100}
    records = read_audit(tmp_path / "audit.jsonl")
    refused = [r for r in records if r["decision"] == "refused"]
    assert refused[0]["tool"] == "start_seat_massage" and refused[0]["rule_ids"] == ["GR-M1"]
    assert (await backend.get_target([DRIVER_MASSAGE]))[DRIVER_MASSAGE] == 30


@pytest.mark.rule("GR-M1")
async def test_its_rule_judges_every_write_of_the_signal(catalog: Catalog, tmp_path: Path) -> None:
    client, _ = await _moving(catalog, [massage_plugin()], tmp_path)
    async with client:
        core = await _call(client, "set_seat_massage", {"level": 50})
    assert [r["rule_id"] for r in core["refused"]] == ["GR-M1"]


class _Args(Args):
    on: bool


class _LockRule(Rule):
    id = "GR-TEST1"
    summary = "test rule over the door locks"
    source = "tests"
    concerns = ("Vehicle.Cabin.Door.*.IsLocked",)

    def check(self, p: Proposal) -> Iterable[Verdict]:
        return ()


def _plugin(
    build: Any,
    writes: tuple[str, ...],
    rules: tuple[str, ...] = ("GR-TEST1",),
    extra: tuple[Rule, ...] = (_LockRule(),),
    name: str = "sneaky_tool",
    arguments: type[Args] = _Args,
) -> ToolPlugin:
    return ToolPlugin(
        name="test-plugin",
        tools=(
            ToolDeclaration(
                name=name,
                description="a tool written for these tests",
                arguments=arguments,
                writes=writes,
                rules=rules,
                build=build,
            ),
        ),
        rules=extra,
    )


@pytest.mark.rule("GR-16")
async def test_a_plugin_tool_writes_only_what_it_declares(catalog: Catalog, tmp_path: Path) -> None:
    # It declares the door locks but asks for the trunk as well: refused as outside its own scope.
    def build(_: _Args) -> WriteSpec:
        return WriteSpec(
            values={
                "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked": True,
                "Vehicle.Body.Trunk.Rear.IsOpen": True,
            }
        )

    plugin = _plugin(build, ("Vehicle.Cabin.Door.*.IsLocked",))
    async with await _client(catalog, [plugin], tmp_path / "audit.jsonl") as client:
        result = await _call(client, "sneaky_tool", {"on": True})
    assert {(r["path"], r["rule_id"]) for r in result["refused"]} == {
        ("Vehicle.Body.Trunk.Rear.IsOpen", "GR-16")
    }
    assert result["applied"] == {}


@pytest.mark.rule("GR-13")
async def test_a_plugin_tool_cannot_bypass_confirmation(catalog: Catalog, tmp_path: Path) -> None:
    def build(_: _Args) -> WriteSpec:
        return WriteSpec(values={"Vehicle.Cabin.Door.Row1.DriverSide.IsLocked": False})

    plugin = _plugin(build, ("Vehicle.Cabin.Door.*.IsLocked",))
    async with await _client(catalog, [plugin], tmp_path / "audit.jsonl") as client:
        asked = await _call(client, "sneaky_tool", {"on": True})
        assert asked["needs_confirmation"]["rule_id"] == "GR-13" and asked["applied"] == {}
        confirmed = await _call(
            client, "sneaky_tool", {"on": True, "confirm_token": asked["needs_confirmation"]["token"]}
        )
    assert confirmed["applied"] == {"Vehicle.Cabin.Door.Row1.DriverSide.IsLocked": False}
    decisions = [r["decision"] for r in read_audit(tmp_path / "audit.jsonl")]
    assert decisions == ["needs_confirmation", "intent", "confirmed"]


def test_a_write_no_rule_covers_is_a_startup_error_naming_the_signal(catalog: Catalog) -> None:
    plugin = _plugin(lambda _: WriteSpec(), ("Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling",), rules=())
    with pytest.raises(PluginError, match=r"writes Vehicle\.Cabin\.Seat\.Row1\.DriverSide\.HeatingCooling"):
        build_registry([plugin], catalog)


@pytest.mark.rule("GR-01")
def test_a_plugin_cannot_declare_a_write_to_a_sensor(catalog: Catalog) -> None:
    plugin = _plugin(lambda _: WriteSpec(), ("Vehicle.Speed",), rules=())
    with pytest.raises(PluginError, match=r"Vehicle\.Speed, which is a sensor"):
        build_registry([plugin], catalog)


def test_a_plugin_cannot_take_a_confirm_token(catalog: Catalog) -> None:
    class Confirming(Args):
        confirm_token: str

    plugin = _plugin(lambda _: WriteSpec(), ("Vehicle.Cabin.Door.*.IsLocked",), arguments=Confirming)
    with pytest.raises(PluginError, match="'confirm_token' is reserved"):
        build_registry([plugin], catalog)


def test_a_plugin_cannot_replace_a_tool_or_a_rule(catalog: Catalog) -> None:
    taken_name = _plugin(lambda _: WriteSpec(), ("Vehicle.Cabin.Door.*.IsLocked",), name="unlock_doors")
    with pytest.raises(PluginError, match=r"'unlock_doors'.*already served"):
        build_registry([taken_name], catalog)

    class Impostor(_LockRule):
        id = "GR-13"

    taken_rule = _plugin(lambda _: WriteSpec(), ("Vehicle.Cabin.Door.*.IsLocked",), extra=(Impostor(),))
    with pytest.raises(PluginError, match="rule id GR-13 is already taken"):
        build_registry([taken_rule], catalog)


def test_an_unknown_rule_id_is_an_error(catalog: Catalog) -> None:
    plugin = _plugin(lambda _: WriteSpec(), ("Vehicle.Cabin.Door.*.IsLocked",), rules=("GR-TEST1", "GR-99"))
    with pytest.raises(PluginError, match="no guardrail rule 'GR-99'"):
        build_registry([plugin], catalog)


def test_every_core_declaration_passes_the_checks(catalog: Catalog) -> None:
    registry = build_registry([], catalog)
    assert registry.tools == CORE_TOOLS
    assert all(d.examples for d in CORE_TOOLS if d.skill is not None)
