"""The VSS signal catalog: which signals exist, their datatype, unit, range and allowed values.

The product ships its own catalog (``data/cabin-vss.json``: the signals cabin supports, facts from
COVESA VSS 6.0, descriptions of its own) and loads any full VSS JSON export instead when asked
(``--catalog FILE``). Both use the same format: nodes nested under ``children``; a leaf has ``type``
(sensor | actuator | attribute), ``datatype`` and, where VSS gives them, ``unit``, ``min``, ``max``,
``allowed``, ``default``, ``description``.

Values are checked here against the VSS facts (rule GR-02's datatype/range/allowed part); the
product's own comfort bounds live in the guardrails, not in the catalog.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

from .errors import CatalogError, InvalidValue, UnknownSignal

Scalar: TypeAlias = bool | int | float | str
Value: TypeAlias = Scalar | list[Scalar]
SignalType: TypeAlias = Literal["sensor", "actuator", "attribute"]

DEFAULT_CATALOG = Path(__file__).parent / "data" / "cabin-vss.json"

_INT_RANGES: dict[str, tuple[int, int]] = {
    "uint8": (0, 2**8 - 1),
    "int8": (-(2**7), 2**7 - 1),
    "uint16": (0, 2**16 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "uint32": (0, 2**32 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "uint64": (0, 2**64 - 1),
    "int64": (-(2**63), 2**63 - 1),
}
_FLOATS = frozenset({"float", "double"})
_SCALARS = frozenset({"boolean", "string", *_INT_RANGES, *_FLOATS})
_LEAF_TYPES: frozenset[str] = frozenset({"sensor", "actuator", "attribute"})


@dataclass(frozen=True, slots=True)
class Signal:
    """One VSS leaf."""

    path: str
    type: SignalType
    datatype: str
    description: str = ""
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[Scalar, ...] | None = None
    default: Value | None = None

    @property
    def writable(self) -> bool:
        """Only actuators have a target that can be written (GR-01)."""
        return self.type == "actuator"

    @property
    def is_array(self) -> bool:
        return self.datatype.endswith("[]")

    @property
    def json_type(self) -> str:
        base = self.datatype.removesuffix("[]")
        kind = (
            "boolean"
            if base == "boolean"
            else "string"
            if base == "string"
            else "integer"
            if base in _INT_RANGES
            else "number"
        )
        return f"array of {kind}" if self.is_array else kind

    def coerce(self, value: object) -> Value:
        """Return ``value`` in this signal's datatype, or raise :class:`InvalidValue` saying why.

        Integral floats are accepted for integer signals (JSON has one number type); nothing is clamped.
        """
        if self.is_array:
            if not isinstance(value, list):
                raise InvalidValue(self.path, f"expected a list ({self.datatype}), got {_describe(value)}")
            return [self._coerce_scalar(item) for item in value]
        return self._coerce_scalar(value)

    def _coerce_scalar(self, value: object) -> Scalar:
        base = self.datatype.removesuffix("[]")
        result: Scalar
        if base == "boolean":
            if not isinstance(value, bool):
                raise InvalidValue(self.path, f"expected true or false (boolean), got {_describe(value)}")
            result = value
        elif base == "string":
            if not isinstance(value, str):
                raise InvalidValue(self.path, f"expected a string, got {_describe(value)}")
            result = value
        elif base in _INT_RANGES:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidValue(self.path, f"expected an integer ({base}), got {_describe(value)}")
            if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
                raise InvalidValue(self.path, f"expected an integer ({base}), got {value!r}")
            result = int(value)
            low, high = _INT_RANGES[base]
            if not low <= result <= high:
                raise InvalidValue(self.path, f"{result} does not fit {base} ({low}..{high})")
        elif base in _FLOATS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidValue(self.path, f"expected a number ({base}), got {_describe(value)}")
            if not math.isfinite(value):
                raise InvalidValue(self.path, f"expected a finite number, got {value!r}")
            result = float(value)
        else:  # pragma: no cover - datatypes are checked when the catalog loads
            raise InvalidValue(self.path, f"unsupported datatype {self.datatype}")
        if self.min is not None and isinstance(result, int | float) and result < self.min:
            raise InvalidValue(self.path, f"{result} is below the minimum {_num(self.min)}{self._unit()}")
        if self.max is not None and isinstance(result, int | float) and result > self.max:
            raise InvalidValue(self.path, f"{result} is above the maximum {_num(self.max)}{self._unit()}")
        if self.allowed is not None and result not in self.allowed:
            options = ", ".join(str(a) for a in self.allowed)
            raise InvalidValue(self.path, f"{result!r} is not one of the allowed values: {options}")
        return result

    def _unit(self) -> str:
        return f" {self.unit}" if self.unit else ""

    def describe(self) -> dict[str, Any]:
        """The signal as the MCP tools report it."""
        return {
            "path": self.path,
            "type": self.type,
            "datatype": self.datatype,
            "unit": self.unit,
            "min": self.min,
            "max": self.max,
            "allowed": list(self.allowed) if self.allowed is not None else None,
            "description": self.description,
        }


class Catalog:
    """An immutable set of signals, indexed by path."""

    def __init__(self, signals: Iterable[Signal], source: str = "<memory>") -> None:
        self._signals: dict[str, Signal] = {s.path: s for s in signals}
        self.source = source

    def __len__(self) -> int:
        return len(self._signals)

    def __contains__(self, path: object) -> bool:
        return path in self._signals

    def __iter__(self) -> Any:
        return iter(self._signals.values())

    @property
    def paths(self) -> list[str]:
        return list(self._signals)

    def get(self, path: str) -> Signal:
        """The signal at ``path``; :class:`UnknownSignal` (with the closest known paths) otherwise."""
        try:
            return self._signals[path]
        except KeyError:
            close = difflib.get_close_matches(path, self._signals.keys(), n=3, cutoff=0.75)
            raise UnknownSignal(path, f"did you mean {', '.join(close)}?" if close else None) from None

    def find(self, prefix: str = "Vehicle", query: str | None = None) -> list[Signal]:
        """Signals under ``prefix`` (a branch or a leaf path) whose path or description mentions ``query``."""
        words = [w.lower() for w in query.split()] if query else []
        found: list[Signal] = []
        for signal in self._signals.values():
            if signal.path != prefix and not signal.path.startswith(prefix + "."):
                continue
            haystack = f"{signal.path} {signal.description}".lower()
            if all(word in haystack for word in words):
                found.append(signal)
        return found

    def coerce_all(self, values: Mapping[str, object]) -> dict[str, Value]:
        """Check every path and value; raise on the first problem (for state files and injection)."""
        return {path: self.get(path).coerce(value) for path, value in values.items()}

    @classmethod
    def load(cls, path: str | Path | None = None) -> Catalog:
        """Load a VSS JSON export; the product's own catalog when ``path`` is None."""
        file = Path(path) if path is not None else DEFAULT_CATALOG
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"{file}: cannot read the catalog ({exc.strerror or exc})") from exc
        try:
            tree = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{file}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from exc
        if not isinstance(tree, dict) or not tree:
            raise CatalogError(
                f"{file}: a VSS JSON export must be an object with a root branch such as 'Vehicle'"
            )
        signals: list[Signal] = []
        for name, node in tree.items():
            _walk(file, name, node, signals)
        if not signals:
            raise CatalogError(f"{file}: no signals (sensor, actuator or attribute leaves) found")
        return cls(signals, source=str(file))


def _walk(file: Path, path: str, node: object, out: list[Signal]) -> None:
    if not isinstance(node, dict):
        raise CatalogError(f"{file}: key {path!r}: expected an object, got {_describe(node)}")
    node_type = node.get("type")
    if node_type == "branch" or (node_type is None and "children" in node):
        children = node.get("children", {})
        if not isinstance(children, dict):
            raise CatalogError(f"{file}: key {path}.children: expected an object")
        for name, child in children.items():
            _walk(file, f"{path}.{name}", child, out)
        return
    if node_type == "struct" or node_type == "property":
        return  # VSS struct definitions describe types, not signals
    if node_type not in _LEAF_TYPES:
        raise CatalogError(f"{file}: key {path}.type: unknown node type {node_type!r}")
    datatype = node.get("datatype")
    if not isinstance(datatype, str) or datatype.removesuffix("[]") not in _SCALARS:
        raise CatalogError(f"{file}: key {path}.datatype: unsupported datatype {datatype!r}")
    allowed = node.get("allowed")
    if allowed is not None and not isinstance(allowed, list):
        raise CatalogError(f"{file}: key {path}.allowed: expected a list")
    for bound in ("min", "max"):
        if bound in node and (isinstance(node[bound], bool) or not isinstance(node[bound], int | float)):
            raise CatalogError(f"{file}: key {path}.{bound}: expected a number, got {node[bound]!r}")
    out.append(
        Signal(
            path=path,
            type=node_type,
            datatype=datatype,
            description=str(node.get("description", "")),
            unit=node.get("unit"),
            min=float(node["min"]) if "min" in node else None,
            max=float(node["max"]) if "max" in node else None,
            allowed=tuple(allowed) if allowed is not None else None,
            default=node.get("default"),
        )
    )


def _describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}" if value is not None else "null"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
