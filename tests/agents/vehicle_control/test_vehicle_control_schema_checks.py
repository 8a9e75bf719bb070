"""The tool catalog's check of every listed input schema against the JSON Schema meta-schema, kept
between processes by the schema's key (`SchemaChecks`): a schema found valid before is not checked
again, an invalid one is refused every time, and a changed schema or checker is checked again."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from agents.vehicle_control import actions
from agents.vehicle_control.actions import (
    AGENT_TOOLS,
    EXCLUSIVE_ARGUMENTS,
    ZONE_ARGUMENTS,
    Action,
    SchemaChecks,
    ToolCatalog,
    schema_key,
)
from agents.vehicle_control.errors import InvalidActionError, VehicleUnavailableError

# Two tools with no zone and no pair of exclusive arguments: the schema alone decides an action.
TOOL, OTHER = [t for t in AGENT_TOOLS if t not in ZONE_ARGUMENTS and t not in EXCLUSIVE_ARGUMENTS][:2]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"temperature": {"type": "number", "minimum": 15, "maximum": 30}},
    "additionalProperties": False,
}
INVALID: dict[str, Any] = {"type": "object", "properties": {"temperature": {"type": "warm"}}}


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every schema the meta-schema check runs on, in order (the real check still runs)."""
    seen: list[dict[str, Any]] = []
    real = jsonschema.Draft202012Validator.check_schema

    def check_schema(schema: dict[str, Any]) -> None:
        seen.append(schema)
        real(schema)

    monkeypatch.setattr(jsonschema.Draft202012Validator, "check_schema", staticmethod(check_schema))
    return seen


def test_a_schema_found_valid_is_not_checked_again_by_a_later_process(
    tmp_path: Path, checked: list[dict[str, Any]]
) -> None:
    path = tmp_path / SchemaChecks.FILE
    first = ToolCatalog({TOOL: SCHEMA, OTHER: SCHEMA}, SchemaChecks(path))
    assert len(checked) == 1  # the same schema twice: one check, one key
    assert path.read_text().split() == [schema_key(SCHEMA)]
    later = ToolCatalog({TOOL: SCHEMA, OTHER: SCHEMA}, SchemaChecks(path))  # as a new process would
    assert len(checked) == 1
    # The catalog validates actions the same either way.
    for catalog in (first, later):
        assert catalog.check(Action(tool=TOOL, arguments={"temperature": 21}), seat="driver").arguments == {
            "temperature": 21
        }
        with pytest.raises(InvalidActionError, match="temperature"):
            catalog.check(Action(tool=TOOL, arguments={"temperature": 40}), seat="driver")


def test_an_invalid_schema_is_refused_every_time_and_never_kept(
    tmp_path: Path, checked: list[dict[str, Any]]
) -> None:
    path = tmp_path / SchemaChecks.FILE
    for _ in range(2):
        with pytest.raises(
            VehicleUnavailableError, match=f"{TOOL!r} with an invalid schema: 'warm' is not valid"
        ):
            ToolCatalog({TOOL: INVALID}, SchemaChecks(path))
    assert len(checked) == 2
    assert not path.exists()


def test_a_key_vouches_only_for_the_schema_it_was_written_for(tmp_path: Path) -> None:
    path = tmp_path / SchemaChecks.FILE
    ToolCatalog({TOOL: SCHEMA}, SchemaChecks(path))
    with pytest.raises(VehicleUnavailableError):
        ToolCatalog({TOOL: INVALID}, SchemaChecks(path))
    changed = {**SCHEMA, "required": ["temperature"]}
    assert schema_key(changed) != schema_key(SCHEMA)
    # Key order does not matter; a value's type does (1 and 1.0 and true are different JSON).
    assert schema_key(dict(reversed(list(SCHEMA.items())))) == schema_key(SCHEMA)
    assert len({schema_key({"minimum": 1}), schema_key({"minimum": 1.0}), schema_key({"minimum": True})}) == 3


def test_the_key_names_the_checker(monkeypatch: pytest.MonkeyPatch) -> None:
    before = schema_key(SCHEMA)
    actions._checker.cache_clear()
    monkeypatch.setattr(metadata, "version", lambda package: "0.0-other")
    try:
        assert schema_key(SCHEMA) != before
    finally:
        actions._checker.cache_clear()


def test_a_schema_that_is_not_plain_json_is_checked_every_time(
    tmp_path: Path, checked: list[dict[str, Any]]
) -> None:
    odd = {"type": "object", "required": ("temperature",)}  # a tuple is not a JSON array to jsonschema
    assert schema_key(odd) is None
    path = tmp_path / SchemaChecks.FILE
    for _ in range(2):
        with pytest.raises(VehicleUnavailableError):
            ToolCatalog({TOOL: odd}, SchemaChecks(path))
    assert len(checked) == 2


def test_an_unreadable_file_or_folder_changes_nothing_but_the_time(
    tmp_path: Path, checked: list[dict[str, Any]]
) -> None:
    garbage = tmp_path / "garbage.txt"
    garbage.write_bytes(b"\xff\xfe not keys\n" + b"0" * 63 + b"\n")
    ToolCatalog({TOOL: SCHEMA}, SchemaChecks(garbage))
    assert len(checked) == 1
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    checks = SchemaChecks(blocked / SchemaChecks.FILE)  # its folder cannot be made
    ToolCatalog({TOOL: SCHEMA}, checks)
    ToolCatalog({TOOL: SCHEMA}, checks)  # kept in the process still
    assert len(checked) == 2
    with pytest.raises(VehicleUnavailableError):
        ToolCatalog({TOOL: INVALID}, checks)


def test_the_file_keeps_the_newest_keys(tmp_path: Path) -> None:
    path = tmp_path / SchemaChecks.FILE
    checks = SchemaChecks(path)
    checks.KEEP = 3
    schemas = [{**SCHEMA, "description": f"schema {n}"} for n in range(5)]
    for schema in schemas:
        assert checks.invalid(schema) is None
    checks.save()
    assert path.read_text().split() == [schema_key(s) for s in schemas[-3:]]
