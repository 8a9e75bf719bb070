"""The probe set (``probes.yaml``): in-car requests with what each must lead to, and how a turn is scored.

Loading resolves signal names to VSS paths and checks every path and value against the vehicle
catalog, so a probe that names something the car does not have fails at load with the probe and the
key named (:class:`ProbeFileError`). Scoring (:func:`score`) is pure: it compares the car just before
a probe's turn with the car after it, the agents the turn reached and the map searches it made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mcp_servers.navigation.categories import resolve_category
from mcp_servers.navigation.errors import NavigationError
from mcp_servers.navigation.names import fold
from mcp_servers.vehicle.catalog import Catalog, Value
from mcp_servers.vehicle.errors import VehicleError

from .errors import ProbeFileError

PROBES_FILE = Path(__file__).with_name("probes.yaml")
SEATS = ("driver", "passenger", "rear_left", "rear_right")
AGENTS = ("vehicle-control", "navigation", "perception-summary", "none")
NO_AGENT = "none"
DESTINATION = (
    "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Latitude",
    "Vehicle.Cabin.Infotainment.Navigation.DestinationSet.Longitude",
)
"""A probe that expects a map search may also set the destination (navigating to what was found)."""

Scalar = bool | int | float | str
Direction = Literal["increased", "decreased", "changed"]
_DIRECTIONS: tuple[Direction, ...] = ("increased", "decreased", "changed")


# -- the file, as written ------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeSpec(_Strict):
    min: float
    max: float


class OneOfSpec(_Strict):
    in_: list[Scalar] = Field(alias="in", min_length=1)


ExpectationSpec = Scalar | RangeSpec | OneOfSpec


class TurnSpec(_Strict):
    text: str = Field(min_length=1)
    seat: Literal["driver", "passenger", "rear_left", "rear_right"] | None = None


class SearchSpec(_Strict):
    category: list[str] = Field(default_factory=list)
    name: list[str] = Field(default_factory=list)


class ProbeSpec(_Strict):
    id: str | None = None
    category: str
    text: str = Field(min_length=1)
    seat: Literal["driver", "passenger", "rear_left", "rear_right"] = "driver"
    state: str = "parked"
    vehicle: dict[str, Scalar] = Field(default_factory=dict)
    before: list[str | TurnSpec] = Field(default_factory=list)
    agent: str | list[str] | None = None
    or_agent: str | list[str] | None = None
    expect: dict[str, ExpectationSpec] = Field(default_factory=dict)
    expect_any: dict[str, ExpectationSpec] = Field(default_factory=dict)
    allow: list[str] = Field(default_factory=list)
    confirm: bool = False
    search: SearchSpec | None = None


class ProbeFileSpec(_Strict):
    states: dict[str, dict[str, Scalar]]
    categories: dict[str, str]
    signals: dict[str, str]
    companions: dict[str, list[str]] = Field(default_factory=dict)
    probes: list[ProbeSpec] = Field(min_length=1)


# -- resolved ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expectation:
    """What one signal must do between the car before a turn and after it."""

    kind: Literal["equals", "increased", "decreased", "changed", "range", "one_of"]
    value: Value | None = None
    low: float = 0.0
    high: float = 0.0
    values: tuple[Value, ...] = ()

    def holds(self, before: Value | None, after: Value | None) -> bool:
        if self.kind == "equals":
            return _same(self.value, after)
        if self.kind == "changed":
            return not _same(before, after)
        if self.kind == "one_of":
            return not _same(before, after) and any(_same(v, after) for v in self.values)
        if not _is_number(after):
            return False
        assert isinstance(after, int | float)
        if self.kind == "range":
            return not _same(before, after) and self.low - 0.01 <= after <= self.high + 0.01
        start = float(before) if _is_number(before) else 0.0  # type: ignore[arg-type]
        return after > start + 1e-9 if self.kind == "increased" else after < start - 1e-9

    def describe(self) -> str:
        if self.kind == "equals":
            return repr(self.value)
        if self.kind == "range":
            return f"{self.low:g}..{self.high:g}"
        if self.kind == "one_of":
            return "one of " + ", ".join(map(repr, self.values))
        return self.kind


@dataclass(frozen=True)
class Turn:
    text: str
    seat: str


@dataclass(frozen=True)
class Probe:
    """One probe, its signal names resolved to VSS paths and its values in the signals' datatypes."""

    id: str
    category: str
    text: str
    seat: str
    state: str
    vehicle: Mapping[str, Value]
    before: tuple[Turn, ...]
    agents: tuple[frozenset[str], ...]
    """The acceptable sets of agents the turn reaches (``{"none"}``: none)."""
    expect: Mapping[str, Expectation]
    expect_any: Mapping[str, Expectation]
    allow: frozenset[str]
    confirm: bool
    search_categories: frozenset[str] = frozenset()
    search_names: tuple[str, ...] = ()

    @property
    def searches(self) -> bool:
        return bool(self.search_categories or self.search_names)

    @property
    def changes_nothing(self) -> bool:
        """True when the car must be left as it was (out-of-domain, refusals, questions)."""
        return not (self.expect or self.expect_any or self.allow or self.searches)


@dataclass(frozen=True)
class ProbeSet:
    probes: tuple[Probe, ...]
    states: Mapping[str, Mapping[str, Value]]
    companions: Mapping[str, frozenset[str]]

    def allowed(self, probe: Probe) -> frozenset[str]:
        """Every signal ``probe`` lets change: what it expects, allows, and what those bring along."""
        named = {*probe.expect, *probe.expect_any, *probe.allow}
        if probe.searches:
            named.update(DESTINATION)
        return frozenset(named | {c for path in named for c in self.companions.get(path, ())})

    def initial(self, probe: Probe) -> dict[str, Value]:
        """The signal values a probe starts from on top of the car's default: its state, then its own."""
        return {**self.states[probe.state], **probe.vehicle}


# -- loading -------------------------------------------------------------------------------------------


def load_probes(path: Path = PROBES_FILE, catalog: Catalog | None = None) -> ProbeSet:
    """Read and check a probe file; raises :class:`ProbeFileError` naming the probe and key at fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProbeFileError(f"{path}: cannot be read: {exc}") from exc
    try:
        spec = ProbeFileSpec.model_validate(raw)
    except ValidationError as exc:
        raise ProbeFileError(f"{path}: {exc}") from exc
    catalog = catalog if catalog is not None else Catalog.load()
    return _resolve(spec, catalog, str(path))


def _resolve(spec: ProbeFileSpec, catalog: Catalog, where: str) -> ProbeSet:
    def path_of(name: str, at: str) -> str:
        path = spec.signals.get(name, name)
        if path not in catalog:
            raise ProbeFileError(f"{where}: {at}: {name!r} is neither a signal name nor a VSS path")
        return path

    def values(mapping: Mapping[str, Scalar], at: str) -> dict[str, Value]:
        out: dict[str, Value] = {}
        for name, value in mapping.items():
            path = path_of(name, at)
            try:
                out[path] = catalog.get(path).coerce(value)
            except VehicleError as exc:
                raise ProbeFileError(f"{where}: {at}: {name}: {exc}") from exc
        return out

    def expectation(name: str, raw: ExpectationSpec, at: str) -> tuple[str, Expectation]:
        path = path_of(name, at)
        signal = catalog.get(path)
        try:
            if isinstance(raw, RangeSpec):
                return path, Expectation("range", low=raw.min, high=raw.max)
            if isinstance(raw, OneOfSpec):
                return path, Expectation("one_of", values=tuple(signal.coerce(v) for v in raw.in_))
            if isinstance(raw, str) and raw in _DIRECTIONS:
                return path, Expectation(raw)
            return path, Expectation("equals", value=signal.coerce(raw))
        except VehicleError as exc:
            raise ProbeFileError(f"{where}: {at}: {name}: {exc}") from exc

    for name in spec.signals:
        path_of(name, f"signals.{name}")
    states = {name: values(state, f"states.{name}") for name, state in spec.states.items()}
    companions = {
        path_of(name, f"companions.{name}"): frozenset(path_of(c, f"companions.{name}") for c in items)
        for name, items in spec.companions.items()
    }
    for category, agent in spec.categories.items():
        if agent not in AGENTS:
            raise ProbeFileError(f"{where}: categories.{category}: unknown agent {agent!r}")
    probes: list[Probe] = []
    counters: dict[str, int] = {}
    seen: set[str] = set()
    for number, raw in enumerate(spec.probes, start=1):
        counters[raw.category] = counters.get(raw.category, 0) + 1
        probe_id = raw.id or f"{raw.category}-{counters[raw.category]:03d}"
        at = f"probes[{number}] ({probe_id}: {raw.text!r})"
        if probe_id in seen:
            raise ProbeFileError(f"{where}: {at}: id given twice")
        seen.add(probe_id)
        if raw.category not in spec.categories:
            raise ProbeFileError(f"{where}: {at}: category {raw.category!r} is not under categories")
        if raw.state not in states:
            raise ProbeFileError(f"{where}: {at}: unknown state {raw.state!r}")
        agents = [
            _agent_set(raw.agent if raw.agent is not None else spec.categories[raw.category], at, where)
        ]
        if raw.or_agent is not None:
            agents.append(_agent_set(raw.or_agent, at, where))
        categories: set[str] = set()
        for word in raw.search.category if raw.search else []:
            try:
                categories.add(resolve_category(word))
            except NavigationError as exc:
                raise ProbeFileError(f"{where}: {at}: search.category: {exc}") from exc
        probes.append(
            Probe(
                id=probe_id,
                category=raw.category,
                text=raw.text,
                seat=raw.seat,
                state=raw.state,
                vehicle=values(raw.vehicle, at),
                before=tuple(
                    Turn(t, raw.seat) if isinstance(t, str) else Turn(t.text, t.seat or raw.seat)
                    for t in raw.before
                ),
                agents=tuple(agents),
                expect=dict(expectation(n, e, f"{at}.expect") for n, e in raw.expect.items()),
                expect_any=dict(expectation(n, e, f"{at}.expect_any") for n, e in raw.expect_any.items()),
                allow=frozenset(path_of(n, f"{at}.allow") for n in raw.allow),
                confirm=raw.confirm,
                search_categories=frozenset(categories),
                search_names=tuple(fold(n) for n in (raw.search.name if raw.search else [])),
            )
        )
    return ProbeSet(tuple(probes), states, companions)


def _agent_set(raw: str | list[str], at: str, where: str) -> frozenset[str]:
    names = [raw] if isinstance(raw, str) else raw
    unknown = [n for n in names if n not in AGENTS]
    if unknown or not names:
        raise ProbeFileError(
            f"{where}: {at}: unknown agent(s) {unknown or names}; known: {', '.join(AGENTS)}"
        )
    return frozenset(names)


# -- scoring -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """One map search a turn made (``search_pois``)."""

    category: str | None
    name: str | None


@dataclass
class Observation:
    """What a probe's turn did: the car just before and after it, whom it reached, what it searched."""

    before: Mapping[str, Value | None]
    after: Mapping[str, Value | None]
    agents: frozenset[str]
    confirmation: bool
    searches: list[Search] = field(default_factory=list)
    reply: str = ""
    refused: list[str] = field(default_factory=list)
    """Rule ids (or tools) of the actions refused in the turn."""


@dataclass
class Verdict:
    routed: bool
    acted: bool
    changed: list[str]
    unexpected: list[str]
    problems: list[str]

    @property
    def actuated(self) -> bool:
        return bool(self.changed)


def changed_signals(
    before: Mapping[str, Value | None], after: Mapping[str, Value | None], watched: Iterable[str]
) -> list[str]:
    """The watched signals whose value differs between the two snapshots, in order."""
    return [p for p in watched if not _same(before.get(p), after.get(p))]


def score(probes: ProbeSet, probe: Probe, seen: Observation, watched: Iterable[str]) -> Verdict:
    """Whether the turn reached the right agent and left the car as the probe expects.

    ``watched`` are the signals compared for unexpected changes (the car's actuators); the probe's
    own expected signals are compared as well.
    """
    paths = list(dict.fromkeys([*watched, *probe.expect, *probe.expect_any]))
    changed = changed_signals(seen.before, seen.after, paths)
    allowed = probes.allowed(probe)
    unexpected = [p for p in changed if p not in allowed]
    problems: list[str] = []
    routed = seen.agents in probe.agents
    if not routed:
        wanted = " or ".join("+".join(sorted(a)) for a in probe.agents)
        problems.append(f"reached {'+'.join(sorted(seen.agents))}, expected {wanted}")
    for path, expectation in probe.expect.items():
        was, now = seen.before.get(path), seen.after.get(path)
        if not expectation.holds(was, now):
            problems.append(f"{path}: {was!r} -> {now!r}, expected {expectation.describe()}")
    if probe.expect_any and not any(
        e.holds(seen.before.get(p), seen.after.get(p)) for p, e in probe.expect_any.items()
    ):
        wanted = "; ".join(f"{p} {e.describe()}" for p, e in probe.expect_any.items())
        problems.append(f"none of: {wanted}")
    problems.extend(
        f"unexpected change {p}: {seen.before.get(p)!r} -> {seen.after.get(p)!r}" for p in unexpected
    )
    if probe.confirm and not seen.confirmation:
        problems.append("expected a confirmation question, none was asked")
    if probe.searches and not any(_search_matches(probe, s) for s in seen.searches):
        made = ", ".join(f"category={s.category} name={s.name}" for s in seen.searches) or "none"
        problems.append(f"expected a search for {_describe_search(probe)}; searches made: {made}")
    acted = not [p for p in problems if not p.startswith("reached ")]
    return Verdict(routed=routed, acted=acted, changed=changed, unexpected=unexpected, problems=problems)


def _search_matches(probe: Probe, search: Search) -> bool:
    if search.category is not None:
        try:
            if resolve_category(search.category) in probe.search_categories:
                return True
        except NavigationError:
            pass
    # A name the probe accepts may also be searched as a category word ("the mall" as category mall).
    words = [fold(w) for w in (search.name, search.category) if w]
    return any(part in word for word in words for part in probe.search_names)


def _describe_search(probe: Probe) -> str:
    parts = [f"category {'/'.join(sorted(probe.search_categories))}"] if probe.search_categories else []
    if probe.search_names:
        parts.append(f"a name with {'/'.join(probe.search_names)}")
    return " or ".join(parts)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Value | None, b: Value | None) -> bool:
    if _is_number(a) and _is_number(b):
        return math.isclose(float(a), float(b), abs_tol=0.01)  # type: ignore[arg-type]
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def to_jsonable(value: Any) -> Any:
    """A snapshot value as JSON can hold it."""
    return list(value) if isinstance(value, tuple) else value
