"""Tool calls and their outcomes: what the agent asks of the car, and what the car answered.

An `Action` is one call of a vehicle MCP task tool (`{tool, arguments}`). `ToolCatalog` holds the
input schemas the vehicle server lists for the tools this agent may call and checks every action
against them before it is sent, whatever produced it (templates, a pre-parsed intent, the model).
`ActionReport` is one action with its outcome as the server decided it (`applied`, `refused`,
`needs_confirmation` or `failed`), in the shape the orchestrator's `TurnResult` carries.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, ValidationError

from agents.hosting import DATA_RULE_ID, Seat
from agents.vehicle_control.errors import InvalidActionError, VehicleUnavailableError
from mcp_servers.vehicle.declarations import declarations

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

__all__ = [
    "AGENT_TOOLS",
    "DECLARED_RANGES",
    "EXCLUSIVE_ARGUMENTS",
    "RELATIVE_STEPS",
    "SEATS",
    "ZONE_ARGUMENTS",
    "Action",
    "ActionReport",
    "Beyond",
    "ConfirmationRequest",
    "Outcome",
    "Refusal",
    "SchemaChecks",
    "ToolCatalog",
    "WriteResult",
    "bounds",
    "report_for",
    "state_changes",
]

_DECLARED = tuple(d for d in declarations() if d.skill is not None)

AGENT_TOOLS: tuple[str, ...] = tuple(d.name for d in _DECLARED)
"""The vehicle task tools this agent calls: every declared tool with a skill of this agent, core and
installed plugins (mcp_servers/vehicle/task_tools.py, docs/extending.md). The generic `set_signals`
and navigation's destination tool are deliberately absent: the agent acts only through named, narrow
tools (least privilege)."""

ZONE_ARGUMENTS: dict[str, str] = {d.name: d.zone for d in _DECLARED if d.zone is not None}
"""The argument of each tool that names a seat zone. Left out, it means the speaker's seat, except for
the door locks, where it means every door (as the vehicle server defines them)."""

_EVERY_DOOR_BY_DEFAULT = frozenset(d.name for d in _DECLARED if d.every_zone_by_default)

EXCLUSIVE_ARGUMENTS: dict[str, tuple[str, str]] = {
    d.name: d.exclusive for d in _DECLARED if d.exclusive is not None
}
"""Tools that take exactly one of two arguments (an absolute value or a relative change / action)."""

RELATIVE_STEPS: dict[str, int] = {d.name: d.relative_step for d in _DECLARED if d.relative_step is not None}
"""Tools a follow-up ("a bit more") can repeat, with the size of one step in the tool's unit."""

SEATS: tuple[Seat, ...] = ("driver", "passenger", "rear_left", "rear_right")


def bounds(schema: Mapping[str, Any], argument: str) -> tuple[float, float] | None:
    """The minimum and maximum a tool's input `schema` (JSON Schema) declares for `argument`, also
    where the argument may be left out (one variant of its ``anyOf``); None when it declares not both."""
    spec = schema.get("properties", {}).get(argument)
    if not isinstance(spec, Mapping):
        return None
    for variant in (spec, *(spec.get("anyOf") or ())):
        if not isinstance(variant, Mapping):
            continue
        low, high = variant.get("minimum"), variant.get("maximum")
        if isinstance(low, int | float) and isinstance(high, int | float):
            return (low, high)
    return None


def _declared_range(schema: Mapping[str, Any], tool: str) -> tuple[str, float, float] | None:
    """The value argument of a tool and its bounds: the first argument of its schema with both, other
    than a relative change (``delta``) and the seat or zone."""
    for argument in schema.get("properties", {}):
        if argument in ("delta", ZONE_ARGUMENTS.get(tool)):
            continue
        found = bounds(schema, argument)
        if found is not None:
            return (argument, *found)
    return None


DECLARED_RANGES: dict[str, tuple[str, float, float]] = {
    d.name: found
    for d in _DECLARED
    if (found := _declared_range(d.arguments.model_json_schema(), d.name)) is not None
}
"""Per tool of this agent that is set to a value in a range, the argument and the range its declaration
gives (``set_seat_heating``: ``level`` 0-3; ``set_fan``: ``percent`` 0-100), read once from the
tools' argument models (mcp_servers/vehicle/task_tools.py)."""

log = logging.getLogger(__name__)

SCOPE_RULE = "GR-16"
"""The vehicle server's rule that a client writes only the signals of its scope."""

Outcome = Literal["applied", "refused", "needs_confirmation", "failed"]

_ToolName = Annotated[str, StringConstraints(min_length=1, max_length=100)]


class Action(BaseModel):
    """One call of a vehicle task tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: _ToolName
    arguments: dict[str, JsonValue] = Field(default_factory=dict)


class Beyond(BaseModel):
    """A value said of a device outside the range its tool's schema declares: nothing is called."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    argument: str
    value: float
    minimum: float
    maximum: float


class Refusal(BaseModel):
    """One refused signal write, as the vehicle server reports it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    path: str
    rule_id: str
    reason: str


class ConfirmationRequest(BaseModel):
    """A write that waits for the person's yes (docs/vehicle-server.md `needs_confirmation`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    token: str
    question: str
    rule_id: str


class WriteResult(BaseModel):
    """The structured result every vehicle write tool returns (docs/vehicle-server.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    applied: dict[str, JsonValue] = Field(default_factory=dict)
    refused: list[Refusal] = Field(default_factory=list)
    needs_confirmation: ConfirmationRequest | None = None
    held_back: list[str] = Field(default_factory=list)
    driving_state: str | None = None

    @classmethod
    def from_content(cls, content: object) -> WriteResult:
        """Read a tool's structured content; raise VehicleUnavailableError when it is not a write result."""
        try:
            return cls.model_validate(content)
        except ValidationError as exc:
            raise VehicleUnavailableError(f"the vehicle server answered with no write result: {exc}") from exc


class ActionReport(BaseModel):
    """An action and what became of it.

    `rule_id` names the guardrail rule for `refused` and `needs_confirmation`; `message` is the
    server's reason, question or error. `changes` (the targets the car accepted), `confirm_token` and
    `driving_state` (what the server judged the request in) stay inside the agent: `data()` gives the
    public shape.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    arguments: dict[str, JsonValue]
    outcome: Outcome
    rule_id: str | None = None
    message: str | None = None
    changes: dict[str, JsonValue] = Field(default_factory=dict)
    confirm_token: str | None = None
    driving_state: str | None = None

    def data(self) -> dict[str, JsonValue]:
        """`{"tool", "arguments", "outcome", "ruleId", "message"}`: one entry of the data part's `actions`."""
        return {
            "tool": self.tool,
            "arguments": dict(self.arguments),
            "outcome": self.outcome,
            DATA_RULE_ID: self.rule_id,
            "message": self.message,
        }


def report_for(action: Action, result: WriteResult) -> ActionReport:
    """The report of `action` given the server's result; nothing is claimed that the result does not say."""
    if result.refused:
        reasons = list(dict.fromkeys(refusal.reason for refusal in result.refused))
        # The rule named is the one about the request itself: that this agent may not write a signal
        # at all (GR-16) is named only when no other rule refused it ("shift into reverse": GR-04).
        specific = [refusal for refusal in result.refused if refusal.rule_id != SCOPE_RULE]
        return ActionReport(
            tool=action.tool,
            arguments=action.arguments,
            driving_state=result.driving_state,
            outcome="refused",
            rule_id=(specific or result.refused)[0].rule_id,
            message="; ".join(reasons),
        )
    if result.needs_confirmation is not None:
        request = result.needs_confirmation
        return ActionReport(
            tool=action.tool,
            arguments=action.arguments,
            driving_state=result.driving_state,
            outcome="needs_confirmation",
            rule_id=request.rule_id,
            message=request.question,
            confirm_token=request.token,
        )
    if not result.applied:
        return ActionReport(
            tool=action.tool,
            arguments=action.arguments,
            driving_state=result.driving_state,
            outcome="failed",
            message="the car reported no change",
        )
    return ActionReport(
        tool=action.tool,
        arguments=action.arguments,
        outcome="applied",
        changes=result.applied,
        driving_state=result.driving_state,
    )


def state_changes(reports: Iterable[ActionReport]) -> dict[str, JsonValue]:
    """Every target the car accepted in these reports, `{VSS path: value}` (later writes win)."""
    changes: dict[str, JsonValue] = {}
    for report in reports:
        changes.update(report.changes)
    return changes


def _plain(value: JsonValue) -> JsonValue:
    """Whole floats as int: a spoken "22" and a JSON 22.0 are the same request."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class SchemaChecks:
    """The tool input schemas already found valid against the JSON Schema 2020-12 meta-schema, kept
    in this process and in a file of the template cache's folder, so that a short-lived process
    (`cabin ask`) does not check every listed schema again at each start.

    A schema is known by its key: the sha256 of the schema as canonical JSON (sorted keys, no
    spaces) together with the checker (the validator class and the versions of `jsonschema` and of
    `jsonschema-specifications`, which holds the meta-schemas): exactly what the check depended on,
    so a changed schema or checker is checked again. Only valid schemas are kept (an invalid one is
    refused every time), and only schemas that are plain JSON (a schema that does not come back
    the same from its JSON text is checked every time). The file (`FILE`, one key a line, the
    `KEEP` most recently added) is written to a temporary name and renamed into place; a file that
    cannot be read is treated as empty and a folder that cannot be written keeps the checks in
    this process only: the file never makes a check fail or pass that would not otherwise.
    """

    FILE = "checked-tool-schemas.txt"
    KEEP = 512

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._known: set[str] | None = None
        self._added: list[str] = []

    @classmethod
    def from_env(cls) -> SchemaChecks:
        """The checks kept in the template cache's folder (`$CABIN_TEMPLATE_CACHE`, ...)."""
        from agents.hosting.template_cache import default_directory

        return cls(default_directory() / cls.FILE)

    def _read(self) -> set[str]:
        if self._known is None:
            self._known = set(self._file_keys())
        return self._known

    def invalid(self, schema: Mapping[str, Any]) -> str | None:
        """What the meta-schema finds wrong with `schema` (None: it is a valid JSON Schema 2020-12
        schema); a schema found valid before under the same key is not checked again."""
        key = schema_key(schema)
        if key is not None and key in self._read():
            return None
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

        try:
            Draft202012Validator.check_schema(dict(schema))
        except SchemaError as exc:
            return str(exc.message)
        if key is not None:
            self._read().add(key)
            self._added.append(key)
        return None

    def save(self) -> None:
        """Write the keys added since the last save (with those of the file, the newest `KEEP`)."""
        if not self._added or self.path is None:
            return
        added, self._added = self._added, []
        keys = list(dict.fromkeys([*self._file_keys(), *added]))[-self.KEEP :]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-", suffix=".txt")
        except OSError as exc:
            log.info("not keeping the tool schema checks in %s (%s)", self.path, exc)
            return
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write("".join(f"{key}\n" for key in keys))
            os.replace(temporary, self.path)
        except OSError as exc:
            log.info("not keeping the tool schema checks in %s (%s)", self.path, exc)
            with contextlib.suppress(OSError):
                os.unlink(temporary)

    def _file_keys(self) -> list[str]:
        if self.path is None:
            return []
        try:
            lines = self.path.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError):
            return []
        return [line for line in lines if _is_key(line)]


def _is_key(line: str) -> bool:
    return len(line) == 64 and all(c in "0123456789abcdef" for c in line)


@functools.cache
def _checker() -> str:
    """What a check of a schema depends on besides the schema: the validator and the meta-schemas."""
    versions = []
    for package in ("jsonschema", "jsonschema-specifications"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} unknown")
    return "Draft202012Validator.check_schema\x00" + "\x00".join(versions)


def schema_key(schema: Mapping[str, Any]) -> str | None:
    """The key of a check of `schema` (see `SchemaChecks`); None when it is not plain JSON."""
    try:
        text = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    if json.loads(text) != schema:
        return None  # tuples, non-string keys: what would be checked is not what the text says
    digest = hashlib.sha256(_checker().encode())
    digest.update(b"\x00")
    digest.update(text.encode())
    return digest.hexdigest()


@functools.cache
def shared_schema_checks() -> SchemaChecks:
    """The process's `SchemaChecks` (in the template cache's folder)."""
    return SchemaChecks.from_env()


class ToolCatalog:
    """The vehicle tools this agent may call, with the input schemas the vehicle server lists for them.

    Every listed schema is checked against the JSON Schema 2020-12 meta-schema when the catalog is
    built (an invalid one makes the vehicle server unavailable to the agent); a schema found valid
    before, in this process or an earlier one, is not checked again (`SchemaChecks`, given as
    `checks`, default the process's). `check` validates an action against its tool's schema,
    refuses unknown argument names, a `confirm_token` (only the confirmation flow sets one), and a
    call giving both or neither of a tool's exclusive arguments (`EXCLUSIVE_ARGUMENTS`). The zone
    argument may be "self" (the speaker's seat) or left out (see `ZONE_ARGUMENTS`); `check` writes it
    out either way, so every report names the zone that was asked for.
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]], checks: SchemaChecks | None = None) -> None:
        from agents.vehicle_control.driving import DRIVING_TOOL

        checks = checks if checks is not None else shared_schema_checks()
        self._schemas: dict[str, dict[str, Any]] = {}
        self._validators: dict[str, Draft202012Validator] = {}
        for name in (*AGENT_TOOLS, DRIVING_TOOL):
            schema = schemas.get(name)
            if schema is None:
                continue
            problem = checks.invalid(schema)
            if problem is not None:
                raise VehicleUnavailableError(
                    f"the vehicle server lists tool {name!r} with an invalid schema: {problem}"
                )
            self._schemas[name] = dict(schema)
        checks.save()

    @classmethod
    def from_listing(cls, tools: Sequence[tuple[str, Mapping[str, Any]]]) -> ToolCatalog:
        """A catalog from `(name, input schema)` pairs as `tools/list` returns them."""
        return cls(dict(tools))

    @property
    def names(self) -> tuple[str, ...]:
        """The tools the agent may call that the server offers, in the agent's order (the driving
        functions' `set_signals` is not one of them: only a recognised driving function uses it)."""
        return tuple(name for name in self._schemas if name in AGENT_TOOLS)

    def schema(self, tool: str) -> dict[str, Any]:
        """The input schema of `tool` (raises InvalidActionError for a tool the agent may not call)."""
        if tool not in self._schemas:
            raise InvalidActionError(self._unknown(tool))
        return self._schemas[tool]

    def beyond(self, action: Action) -> Beyond | None:
        """The first argument of `action` whose number lies outside the bounds its tool's schema
        declares ("set the seat heating to 8": ``level`` 0-3), or None."""
        schema = self._schemas.get(action.tool)
        if schema is None:
            return None
        for argument, value in action.arguments.items():
            found = bounds(schema, argument)
            if found is None or not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if not found[0] <= value <= found[1]:
                return Beyond(
                    tool=action.tool, argument=argument, value=value, minimum=found[0], maximum=found[1]
                )
        return None

    def check(self, action: Action, *, seat: Seat) -> Action:
        """`action` with its zone written out for the speaker `seat`; InvalidActionError names any problem."""
        from agents.vehicle_control.driving import DRIVING_PATHS, DRIVING_TOOL

        tool = action.tool
        if tool not in self._schemas:
            raise InvalidActionError(self._unknown(tool))
        if tool == DRIVING_TOOL:
            values = action.arguments.get("values")
            if set(action.arguments) != {"values"} or not isinstance(values, dict) or not values:
                raise InvalidActionError(f"{tool}: takes only values, {{VSS path: value}}")
            others = sorted(set(values) - DRIVING_PATHS)
            if others:
                raise InvalidActionError(
                    f"{tool}: this agent sends only driving functions, not {', '.join(others)}"
                )
        arguments = {name: _plain(value) for name, value in action.arguments.items() if value is not None}
        if "confirm_token" in arguments:
            raise InvalidActionError(f"{tool}: confirm_token is set only when a person confirms")
        properties = self._schemas[tool].get("properties", {})
        unknown = sorted(set(arguments) - set(properties))
        if unknown:
            raise InvalidActionError(
                f"{tool}: unknown argument(s) {', '.join(unknown)}; "
                f"it takes {', '.join(p for p in properties if p != 'confirm_token')}"
            )
        zone = ZONE_ARGUMENTS.get(tool)
        if zone is not None:
            default = "all" if tool in _EVERY_DOOR_BY_DEFAULT else seat
            given = arguments.get(zone, default)
            arguments[zone] = seat if given == "self" else given
        exclusive = EXCLUSIVE_ARGUMENTS.get(tool)
        if exclusive is not None and (exclusive[0] in arguments) == (exclusive[1] in arguments):
            raise InvalidActionError(f"{tool}: give exactly one of {exclusive[0]} or {exclusive[1]}")
        errors = sorted(self._validator(tool).iter_errors(arguments), key=lambda error: list(error.path))
        if errors:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in error.path) or 'arguments'}: {error.message}" for error in errors
            )
            raise InvalidActionError(f"{tool}: {problems}")
        return Action(tool=tool, arguments=arguments)

    def _validator(self, tool: str) -> Draft202012Validator:
        validator = self._validators.get(tool)
        if validator is None:
            from jsonschema import Draft202012Validator

            validator = self._validators[tool] = Draft202012Validator(self._schemas[tool])
        return validator

    def _unknown(self, tool: str) -> str:
        return f"{tool!r} is not a vehicle tool this agent can call; it can call {', '.join(self.names)}"
