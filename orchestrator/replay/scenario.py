"""Scenario files (scenarios/README.md): parsing and validation, with file, line and key in every error.

Everything is checked before anything runs: unknown keys, unknown VSS paths, values that do not fit a
signal, malformed matchers, steps that are not exactly one kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from mcp_servers.vehicle.catalog import Catalog, Value
from mcp_servers.vehicle.errors import InvalidValue, UnknownSignal

SEATS = ("driver", "passenger", "rear_left", "rear_right")
STEP_KINDS = ("say", "signals", "wait", "perception")
EXPECT_KEYS = (
    "agent",
    "state",
    "refused",
    "reply_contains",
    "reply_excludes",
    "max_latency_ms",
    "actions",
    "pending_confirmation",
    "via",
    "applied",
)
MATCHERS = ("eq", "ne", "gt", "ge", "lt", "le", "in", "approx")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML has it (a file is read several times faster than by the pure-Python
one: the whole generated matrix is read before a replay starts), with the safe loader's tags."""


class ScenarioError(Exception):
    """A scenario file is malformed: the message names the file, the line and the key."""


@dataclass(frozen=True)
class Matcher:
    op: str
    operand: Any

    def check(self, actual: Any) -> bool:
        op, want = self.op, self.operand
        if op == "eq":
            return _equal(actual, want)
        if op == "ne":
            return not _equal(actual, want)
        if op == "in":
            return any(_equal(actual, w) for w in want)
        if op == "approx":
            return _number(actual) and bool(abs(float(actual) - float(want[0])) <= float(want[1]))
        if not _number(actual):
            return False
        value, bound = float(actual), float(want)
        results = {"gt": value > bound, "ge": value >= bound, "lt": value < bound, "le": value <= bound}
        return results[op]

    def describe(self) -> str:
        if self.op == "eq":
            return repr(self.operand)
        if self.op == "approx":
            return f"{self.operand[0]} ± {self.operand[1]}"
        return f"{self.op} {self.operand!r}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _equal(actual: Any, want: Any) -> bool:
    if _number(actual) and _number(want):
        return math.isclose(float(actual), float(want), abs_tol=1e-6)
    return bool(actual == want)


@dataclass(frozen=True)
class ActionExpect:
    tool: str
    arguments: dict[str, Any]
    outcome: str | None


@dataclass
class Expect:
    agent: str | None = None
    state: dict[str, Matcher] = field(default_factory=dict)
    refused: bool | list[str] | None = None
    reply_contains: list[str] = field(default_factory=list)
    reply_excludes: list[str] = field(default_factory=list)
    max_latency_ms: float | None = None
    actions: list[ActionExpect] | None = None
    pending_confirmation: bool | None = None
    via: str | None = None
    applied: bool | None = None


@dataclass
class Step:
    index: int
    line: int
    kind: str
    say: str | None = None
    seat: str = "driver"
    signals: dict[str, Value] = field(default_factory=dict)
    wait: float = 0.0
    perception: dict[str, Any] | None = None
    expect: Expect | None = None


@dataclass
class Scenario:
    file: Path
    name: str
    tags: list[str]
    vehicle: dict[str, Value]
    steps: list[Step]

    @property
    def has_perception(self) -> bool:
        return any(s.kind == "perception" for s in self.steps)


class _Reader:
    def __init__(self, file: Path, catalog: Catalog) -> None:
        self.file = file
        self.catalog = catalog

    def fail(self, node: yaml.Node | None, key: str, message: str) -> ScenarioError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return ScenarioError(f"{self.file}{line}: {key}: {message}")

    def mapping(self, node: yaml.Node, key: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, key, "expected a mapping")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for k, v in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else None
            if not isinstance(name, str):
                raise self.fail(k, key, "keys must be strings")
            if name in out:
                raise self.fail(k, f"{key}.{name}", "given twice")
            out[name] = (k, v)
        return out

    def known(
        self, entries: dict[str, tuple[yaml.Node, yaml.Node]], allowed: tuple[str, ...], key: str
    ) -> None:
        for name, (k, _) in entries.items():
            if name not in allowed:
                raise self.fail(
                    k, f"{key}.{name}" if key else name, f"unknown key (known: {', '.join(allowed)})"
                )

    @staticmethod
    def value(node: yaml.Node) -> Any:
        """The Python value of ``node``, as ``yaml.safe_load`` gives it for its text."""
        return SafeConstructor().construct_document(node)

    def signals(self, node: yaml.Node, key: str) -> dict[str, Value]:
        values: dict[str, Value] = {}
        for path, (k, v) in self.mapping(node, key).items():
            try:
                values[path] = self.catalog.get(path).coerce(self.value(v))
            except UnknownSignal as exc:
                raise self.fail(k, f"{key}.{path}", str(exc)) from exc
            except InvalidValue as exc:
                raise self.fail(v, f"{key}.{path}", exc.reason) from exc
        return values

    def matcher(self, node: yaml.Node, key: str, path: str) -> Matcher:
        try:
            signal = self.catalog.get(path)
        except UnknownSignal as exc:
            raise self.fail(node, key, str(exc)) from exc
        raw = self.value(node)
        if not isinstance(raw, dict):
            self._fits(signal, raw, node, key)
            return Matcher("eq", raw)
        if len(raw) != 1 or next(iter(raw)) not in MATCHERS:
            raise self.fail(node, key, f"a matcher is one of {{{', '.join(MATCHERS)}}}, got {raw!r}")
        op, operand = next(iter(raw.items()))
        if op in ("gt", "ge", "lt", "le") and not _number(operand):
            raise self.fail(node, key, f"{op} needs a number, got {operand!r}")
        if op == "in" and not isinstance(operand, list):
            raise self.fail(node, key, f"in needs a list, got {operand!r}")
        if op == "approx" and not (
            isinstance(operand, list) and len(operand) == 2 and all(_number(x) for x in operand)
        ):
            raise self.fail(node, key, f"approx needs [value, tolerance], got {operand!r}")
        for candidate in operand if op == "in" else [operand] if op in ("eq", "ne") else []:
            self._fits(signal, candidate, node, key)
        return Matcher(op, operand)

    def _fits(self, signal: Any, value: Any, node: yaml.Node, key: str) -> None:
        try:
            signal.coerce(value)
        except InvalidValue as exc:
            raise self.fail(node, key, f"expected value can never match: {exc.reason}") from exc

    def expect(self, node: yaml.Node, key: str) -> Expect:
        entries = self.mapping(node, key)
        self.known(entries, EXPECT_KEYS, key)
        expect = Expect()
        for name, (_, v) in entries.items():
            where = f"{key}.{name}"
            raw = self.value(v)
            if name == "state":
                expect.state = {
                    p: self.matcher(pv, f"{where}.{p}", p) for p, (_, pv) in self.mapping(v, where).items()
                }
            elif name == "refused":
                if isinstance(raw, bool) or (
                    isinstance(raw, list) and all(isinstance(r, str) and r.startswith("GR-") for r in raw)
                ):
                    expect.refused = raw
                else:
                    raise self.fail(v, where, "expected true, false or a list of rule ids like [GR-06]")
            elif name in ("reply_contains", "reply_excludes"):
                items = [raw] if isinstance(raw, str) else raw
                if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                    raise self.fail(v, where, "expected a string or a list of strings")
                setattr(expect, name, items)
            elif name == "max_latency_ms":
                if not _number(raw) or raw <= 0:
                    raise self.fail(v, where, "expected a positive number of milliseconds")
                expect.max_latency_ms = float(raw)
            elif name == "actions":
                expect.actions = self._actions(v, where)
            elif name in ("pending_confirmation", "applied"):
                if not isinstance(raw, bool):
                    raise self.fail(v, where, "expected true or false")
                setattr(expect, name, raw)
            elif name == "via":
                if raw not in ("template", "model", "fallback"):
                    raise self.fail(v, where, "expected template, model or fallback")
                expect.via = raw
            elif name == "agent":
                if not isinstance(raw, str) or not raw:
                    raise self.fail(v, where, "expected an agent name such as vehicle-control")
                expect.agent = raw
        return expect

    def _actions(self, node: yaml.Node, key: str) -> list[ActionExpect]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, key, "expected a list of {tool, arguments, outcome}")
        actions = []
        for i, item in enumerate(node.value):
            where = f"{key}[{i}]"
            entries = self.mapping(item, where)
            self.known(entries, ("tool", "arguments", "outcome"), where)
            if "tool" not in entries:
                raise self.fail(item, where, "tool is required")
            tool = self.value(entries["tool"][1])
            arguments = self.value(entries["arguments"][1]) if "arguments" in entries else {}
            outcome = self.value(entries["outcome"][1]) if "outcome" in entries else None
            if not isinstance(arguments, dict):
                raise self.fail(entries["arguments"][1], f"{where}.arguments", "expected a mapping")
            if outcome not in (None, "applied", "refused", "needs_confirmation", "failed"):
                raise self.fail(
                    entries["outcome"][1],
                    f"{where}.outcome",
                    "expected applied, refused, needs_confirmation or failed",
                )
            actions.append(ActionExpect(str(tool), arguments, outcome))
        return actions

    def step(self, index: int, node: yaml.Node) -> Step:
        key = f"steps[{index}]"
        entries = self.mapping(node, key)
        kinds = [k for k in STEP_KINDS if k in entries]
        if len(kinds) != 1:
            raise self.fail(
                node, key, f"a step is exactly one of {', '.join(STEP_KINDS)} (got {kinds or 'none'})"
            )
        kind = kinds[0]
        allowed = ("say", "seat", "expect") if kind == "say" else (kind, "expect")
        self.known(entries, allowed, key)
        step = Step(index=index, line=node.start_mark.line + 1, kind=kind)
        _, v = entries[kind]
        raw = self.value(v)
        if kind == "say":
            if not isinstance(raw, str) or not raw.strip():
                raise self.fail(v, f"{key}.say", "expected the words said, as a non-empty string")
            step.say = raw
            if "seat" in entries:
                seat = self.value(entries["seat"][1])
                if seat not in SEATS:
                    raise self.fail(entries["seat"][1], f"{key}.seat", f"expected one of {', '.join(SEATS)}")
                step.seat = seat
        elif kind == "signals":
            step.signals = self.signals(v, f"{key}.signals")
        elif kind == "wait":
            if not _number(raw) or raw < 0 or raw > 3600:
                raise self.fail(v, f"{key}.wait", "expected seconds between 0 and 3600")
            step.wait = float(raw)
        else:
            if not isinstance(raw, dict):
                raise self.fail(v, f"{key}.perception", "expected a frame {objects, signs, image}")
            step.perception = raw
        if "expect" in entries:
            if kind != "say":
                ek, _ = entries["expect"]
                raise self.fail(ek, f"{key}.expect", "only say steps have expectations")
            step.expect = self.expect(entries["expect"][1], f"{key}.expect")
        return step


def load_scenario(file: str | Path, catalog: Catalog) -> Scenario:
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    reader = _Reader(path, catalog)
    if root is None:
        raise ScenarioError(f"{path}: empty scenario file")
    entries = reader.mapping(root, "scenario")
    reader.known(entries, ("name", "tags", "vehicle", "steps", "description"), "")
    if "name" not in entries or not isinstance(reader.value(entries["name"][1]), str):
        raise reader.fail(root, "name", "every scenario needs a name (a string)")
    if (
        "steps" not in entries
        or not isinstance(entries["steps"][1], yaml.SequenceNode)
        or not entries["steps"][1].value
    ):
        raise reader.fail(root, "steps", "every scenario needs a non-empty list of steps")
    tags = reader.value(entries["tags"][1]) if "tags" in entries else []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise reader.fail(entries["tags"][1], "tags", "expected a list of strings")
    vehicle = reader.signals(entries["vehicle"][1], "vehicle") if "vehicle" in entries else {}
    steps = [reader.step(i, node) for i, node in enumerate(entries["steps"][1].value)]
    return Scenario(file=path, name=reader.value(entries["name"][1]), tags=tags, vehicle=vehicle, steps=steps)


def discover(paths: list[str | Path]) -> list[Path]:
    """Scenario files under ``paths`` (files or folders, ``*.yaml``/``*.yml``), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    return found
