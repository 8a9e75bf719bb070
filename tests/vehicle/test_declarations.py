"""The task tools are declarations: what the server serves, the agent catalogs and the card shows is
derived from them, and what a tool builds stays within the signals it declares."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from agents.vehicle_control.actions import AGENT_TOOLS, EXCLUSIVE_ARGUMENTS, RELATIVE_STEPS, ZONE_ARGUMENTS
from agents.vehicle_control.card import VEHICLE_CONTROL_SPEC
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.declarations import ToolDeclaration, examples, written_paths
from mcp_servers.vehicle.task_tools import CORE_TOOLS
from mcp_servers.vehicle.tools import ToolArgumentError

pytestmark = pytest.mark.anyio  # its MCP Client fixture is entered and left in one task (docs/testing.md)

CATALOG = Catalog.load()


async def test_every_declared_tool_is_served_with_a_closed_schema(client: Client) -> None:
    listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    for declaration in CORE_TOOLS:
        schema = listed[declaration.name].input_schema
        assert schema["additionalProperties"] is False
        assert list(schema["properties"]) == [*declaration.argument_names(), "confirm_token"]
        assert listed[declaration.name].description == declaration.description


def test_the_agent_catalog_and_card_come_from_the_declarations() -> None:
    mine = [d for d in CORE_TOOLS if d.skill is not None]
    assert tuple(d.name for d in mine) == AGENT_TOOLS
    assert {d.name: d.zone for d in mine if d.zone is not None} == ZONE_ARGUMENTS
    assert {d.name: d.exclusive for d in mine if d.exclusive is not None} == EXCLUSIVE_ARGUMENTS
    assert {d.name: d.relative_step for d in mine if d.relative_step is not None} == RELATIVE_STEPS
    for skill in VEHICLE_CONTROL_SPEC.skills:
        declared = [t for d in mine if d.skill == skill.id for t in d.examples]
        assert list(skill.examples) == list(dict.fromkeys(declared))
    labelled = list(examples())
    assert {e.label for e in labelled} == {f"vehicle-control/{s.id}" for s in VEHICLE_CONTROL_SPEC.skills}


def _value(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if "anyOf" in schema:
        return st.one_of(*(_value(option) for option in schema["anyOf"]))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum", -100), schema.get("maximum", 100))
    if kind == "number":
        return st.floats(schema.get("minimum", -100), schema.get("maximum", 100), allow_nan=False)
    raise AssertionError(f"no strategy for {schema}")


@st.composite
def calls(draw: st.DrawFn) -> tuple[ToolDeclaration, dict[str, Any]]:
    declaration = draw(st.sampled_from(CORE_TOOLS))
    schema = declaration.arguments.model_json_schema()
    arguments = {name: draw(_value(prop)) for name, prop in schema["properties"].items()}
    if declaration.zone is not None and arguments.get(declaration.zone) is None:
        arguments[declaration.zone] = draw(
            st.sampled_from(["driver", "passenger", "rear_left", "rear_right"])
        )
    return declaration, arguments


@settings(max_examples=400, deadline=None)
@given(calls())
def test_a_tool_builds_only_writes_to_the_signals_it_declares(
    call: tuple[ToolDeclaration, dict[str, Any]],
) -> None:
    declaration, arguments = call
    try:
        spec = declaration.build(declaration.arguments.model_validate(arguments))
    except ToolArgumentError:
        return  # both or neither of two exclusive arguments, a rear seat's massage: refused, nothing built
    declared = set(written_paths(declaration, CATALOG))
    for path in [*spec.values, *spec.deltas]:
        assert path in declared, f"{declaration.name} builds a write to {path}, outside {declaration.writes}"
