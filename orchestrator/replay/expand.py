"""Parametrised scenarios (``*.matrix`` files) expanded into scenario files (``cabin scenarios expand``).

A matrix file is YAML with the keys ``name``, ``tags``, ``agent``, ``client``, ``vehicle``, ``say``,
``seat``, ``write`` and ``parameters``. ``parameters`` maps each parameter to its list of variants; a
variant is a mapping of fields (strings, numbers) and may carry ``vehicle`` (signals it sets). Every
combination of one variant per parameter is one scenario: the fields of the chosen variants fill the
``{field}`` placeholders of the name, paths, values, words and seat.

``write`` is what the request asks of the car (VSS path -> value). The expectation is **not written by
hand**: the vehicle server's own guardrails (:class:`mcp_servers.vehicle.guardrails.engine.Guardrails`)
judge that write against the simulator's default state with the variant's vehicle state, for the seat
that speaks, as the client named by ``client``. Refused: ``refused: [GR-..]`` (the first rule that
refuses, the one a turn names) and the paths unchanged;
asking for a confirmation: ``pending_confirmation: true`` and the paths unchanged; allowed:
``refused: false`` and the paths at the written values.

Expansion is deterministic: the same sources give the same files, byte for byte, in the same order.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mcp_servers.vehicle.backends.simulator import DEFAULT_STATE
from mcp_servers.vehicle.catalog import Catalog, Value
from mcp_servers.vehicle.errors import InvalidValue, UnknownSignal
from mcp_servers.vehicle.guardrails.context import DEFAULT_PROFILES, SEATS, CallContext
from mcp_servers.vehicle.guardrails.engine import Guardrails

from .scenario import ScenarioError

MATRIX_SUFFIX = ".matrix"
Scalar = str | int | float | bool


class Matrix(BaseModel):
    """One ``*.matrix`` file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    tags: list[str] = []
    agent: str
    client: str = "vehicle-control"
    vehicle: dict[str, Scalar] = {}
    say: str
    seat: str = "driver"
    write: dict[str, Scalar]
    parameters: dict[str, list[dict[str, Any]]] = Field(min_length=1)

    @field_validator("parameters")
    @classmethod
    def _variants(cls, value: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        for name, variants in value.items():
            if not variants:
                raise ValueError(f"parameter {name!r} has no variants")
        return value

    @field_validator("client")
    @classmethod
    def _client(cls, value: str) -> str:
        if value not in DEFAULT_PROFILES:
            raise ValueError(f"unknown client {value!r} (known: {', '.join(DEFAULT_PROFILES)})")
        return value


@dataclass(frozen=True)
class Variant:
    """One expanded scenario: its file name (relative) and its YAML document."""

    path: str
    document: dict[str, Any]

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.document, sort_keys=False, allow_unicode=True, width=110)


_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _fill(template: Any, fields: Mapping[str, Any], where: str) -> Any:
    if not isinstance(template, str):
        return template
    missing = [m for m in _FIELD.findall(template) if m not in fields]
    if missing:
        raise ScenarioError(f"{where}: no parameter gives {{{missing[0]}}}")
    whole = _FIELD.fullmatch(template)
    if whole:  # a placeholder alone keeps its value's type (a number stays a number)
        return fields[whole.group(1)]
    return _FIELD.sub(lambda m: str(fields[m.group(1)]), template)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def load_matrix(file: Path) -> Matrix:
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{file}: not valid YAML ({exc})") from exc
    try:
        return Matrix.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "matrix"
        raise ScenarioError(f"{file}: {where}: {first['msg']}") from exc


def expand_matrix(file: Path, catalog: Catalog, guardrails: Guardrails | None = None) -> Iterator[Variant]:
    """Every variant of the matrix in ``file``, in the order of its parameters' variants."""
    matrix = load_matrix(file)
    rules = guardrails if guardrails is not None else Guardrails(catalog)
    names = list(matrix.parameters)
    for choice in itertools.product(*(matrix.parameters[n] for n in names)):
        fields: dict[str, Any] = {}
        vehicle_extra: dict[str, Any] = {}
        for variant in choice:
            fields.update({k: v for k, v in variant.items() if k != "vehicle"})
            vehicle_extra.update(variant.get("vehicle") or {})
        # a field may itself hold placeholders ({door_word} inside a phrasing): fill twice
        fields = {k: _fill(v, fields, f"{file}: parameters") for k, v in fields.items()}
        yield _variant(file, matrix, fields, vehicle_extra, catalog, rules)


def _coerce(catalog: Catalog, values: Mapping[str, Any], where: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for path, value in values.items():
        try:
            out[path] = catalog.get(path).coerce(value)
        except UnknownSignal as exc:
            raise ScenarioError(f"{where}.{path}: {exc}") from exc
        except InvalidValue as exc:
            raise ScenarioError(f"{where}.{path}: {exc.reason}") from exc
    return out


def _variant(
    file: Path,
    matrix: Matrix,
    fields: dict[str, Any],
    vehicle_extra: dict[str, Any],
    catalog: Catalog,
    rules: Guardrails,
) -> Variant:
    name = str(_fill(matrix.name, fields, f"{file}: name"))
    vehicle = _coerce(
        catalog,
        {
            **{
                str(_fill(p, fields, f"{file}: vehicle")): _fill(v, fields, f"{file}: vehicle")
                for p, v in matrix.vehicle.items()
            },
            **vehicle_extra,
        },
        f"{file}: vehicle",
    )
    write = _coerce(
        catalog,
        {
            str(_fill(p, fields, f"{file}: write")): _fill(v, fields, f"{file}: write")
            for p, v in matrix.write.items()
        },
        f"{file}: write",
    )
    seat = str(_fill(matrix.seat, fields, f"{file}: seat"))
    if seat not in SEATS:
        raise ScenarioError(f"{file}: seat: expected one of {', '.join(SEATS)}, got {seat!r}")
    say = str(_fill(matrix.say, fields, f"{file}: say"))
    current: dict[str, Value | None] = {**DEFAULT_STATE, **vehicle}
    speaker = next(s for s in SEATS if s == seat)
    ctx = CallContext(client=DEFAULT_PROFILES[matrix.client], seat=speaker, origin="occupant")
    verdict = rules.evaluate(write, current, {}, ctx)
    expect: dict[str, Any] = {"agent": matrix.agent}
    if verdict.refusals:
        # The server answers with its refusals in the rules' order and the turn names the first: where
        # several rules refuse (a rear seat opening the driver's door while moving), that one is expected.
        expect["refused"] = [verdict.refusals[0].rule_id]
        expect["state"] = {p: current.get(p) for p in write}
    elif verdict.confirmations:
        expect["pending_confirmation"] = True
        expect["state"] = {p: current.get(p) for p in write}
    else:
        expect["refused"] = False
        expect["state"] = dict(write)
    step: dict[str, Any] = {"say": say}
    if seat != "driver":
        step["seat"] = seat
    step["expect"] = expect
    document: dict[str, Any] = {
        "name": name,
        "description": f"Expanded from {file.name}; the expectation is the guardrails' verdict on {write}.",
        "tags": [*matrix.tags, "generated"],
    }
    if vehicle:
        document["vehicle"] = vehicle
    document["steps"] = [step]
    return Variant(f"{file.stem}/{_slug(name)}.yaml", document)


def discover_matrices(paths: list[str | Path]) -> list[Path]:
    """``*.matrix`` files under ``paths`` (files or folders), sorted."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob(f"*{MATRIX_SUFFIX}") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise ScenarioError(f"{path}: no such file or folder")
    return found


def expand_all(paths: list[str | Path], catalog: Catalog) -> list[Variant]:
    """Every variant of every matrix under ``paths``; two variants with one file name are an error."""
    rules = Guardrails(catalog)
    variants: list[Variant] = []
    seen: dict[str, str] = {}
    for file in discover_matrices(paths):
        for variant in expand_matrix(file, catalog, rules):
            if variant.path in seen:
                raise ScenarioError(
                    f"{file}: two variants are both named {variant.document['name']!r}: "
                    "put every parameter in the name"
                )
            seen[variant.path] = variant.document["name"]
            variants.append(variant)
    return variants
