"""Vehicle state files (``--state FILE``): a YAML or JSON mapping of VSS path to value.

Errors name the file, the line and the key, and say what is wrong, before anything starts.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .catalog import Catalog, Value
from .errors import InvalidValue, StateFileError, UnknownSignal


def load_state_file(path: str | Path, catalog: Catalog) -> dict[str, Value]:
    """Read and check a state file against ``catalog``; values come back coerced."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise StateFileError(f"{file}: cannot read the state file ({exc.strerror or exc})") from exc
    try:
        root = yaml.compose(text)  # JSON is YAML: one parser gives line numbers for both
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise StateFileError(f"{file}{where}: not valid YAML/JSON ({getattr(exc, 'problem', exc)})") from exc
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise StateFileError(f"{file}:{root.start_mark.line + 1}: expected a mapping of VSS path to value")
    values: dict[str, Value] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        key = key_node.value
        if not isinstance(key_node, yaml.ScalarNode) or not isinstance(key, str):
            raise StateFileError(f"{file}:{line}: keys must be VSS paths")
        if key in values:
            raise StateFileError(f"{file}:{line}: key {key}: given twice")
        try:
            raw = yaml.safe_load(yaml.serialize(value_node))
            values[key] = catalog.get(key).coerce(raw)
        except UnknownSignal as exc:
            raise StateFileError(f"{file}:{line}: key {key}: {exc}") from exc
        except InvalidValue as exc:
            raise StateFileError(f"{file}:{line}: key {key}: {exc.reason}") from exc
    return values
