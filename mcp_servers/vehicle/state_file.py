"""Vehicle state files.

- ``--state FILE``: a YAML or JSON mapping of VSS path to value, the car's initial state. Errors name
  the file, the line and the key, and say what is wrong, before anything starts.
- ``--persist FILE``: where the server keeps the simulated car's state across its own restarts
  (:class:`StateKeeper`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .backends.base import VehicleBackend
from .catalog import Catalog, Value
from .errors import InvalidValue, StateFileError, UnknownSignal

logger = logging.getLogger(__name__)


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


class SavedState(BaseModel):
    """What :class:`StateKeeper` writes: the simulated car's current values and pending targets."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    saved_at: str
    current: dict[str, Value]
    target: dict[str, Value] = Field(
        default_factory=dict, description="targets the car has not reached yet (a window still moving)"
    )


class Restored(BaseModel):
    """How a vehicle server started: from a kept state, from scratch, or reset because the kept state
    could not be read (``reset`` names why; it is logged as an error at start)."""

    state_file: str | None = None
    restored: bool = False
    saved_at: str | None = None
    reset: str | None = None


class StateKeeper:
    """Keeps a simulated car's state in one JSON file, so a restart of the vehicle server (``kill -9``
    included) finds the car as it was: speed, gear, doors, windows, set points.

    - :meth:`load` reads the file at start. A missing file is a first start. A file that cannot be
      read or no longer fits the catalog is a *reset*: :attr:`restored` says so and why, and the
      server logs it as an error; the car then starts afresh from its defaults and ``--state``.
    - :meth:`save` writes the backend's state atomically (a temporary file, ``fsync``, rename,
      ``fsync`` of the directory). The vehicle service calls it after every change it makes (a write
      the guardrails let through, an injection), before answering, so what a caller was told was
      applied is on disk.
    - :meth:`run` saves what the simulator's clock moves (a window on its way), at most every
      ``interval_s``, and once more when it ends (a clean shutdown).
    """

    def __init__(self, path: str | Path, catalog: Catalog, *, interval_s: float = 1.0) -> None:
        self.path = Path(path)
        self.catalog = catalog
        self.backend: VehicleBackend | None = None
        """The backend whose state is kept; set once it is built (from :meth:`load`'s values)."""
        self.interval_s = interval_s
        self.restored = Restored(state_file=str(self.path))
        self._saved: SavedState | None = None

    def load(self) -> SavedState | None:
        """The kept state, checked against the backend's catalog (None on a first start or a reset)."""
        catalog = self.catalog
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._reset(f"cannot read it ({exc.strerror or exc})")
            return None
        try:
            saved = SavedState.model_validate_json(text)
            current = {path: catalog.get(path).coerce(value) for path, value in saved.current.items()}
            target = {path: catalog.get(path).coerce(value) for path, value in saved.target.items()}
        except ValidationError as exc:
            self._reset(f"not a saved vehicle state ({exc.error_count()} problem(s))")
            return None
        except (UnknownSignal, InvalidValue) as exc:
            self._reset(f"it does not fit the catalog ({exc})")
            return None
        self.restored = Restored(state_file=str(self.path), restored=True, saved_at=saved.saved_at)
        return SavedState(saved_at=saved.saved_at, current=current, target=target)

    def _reset(self, why: str) -> None:
        reason = f"{self.path}: the saved vehicle state was not restored: {why}"
        self.restored = Restored(state_file=str(self.path), reset=reason)
        logger.error("%s; the simulated car starts afresh (its defaults and --state)", reason)
        return None

    async def restore_targets(self, saved: SavedState) -> None:
        """Set the targets the car had not reached when it was saved (current values are restored
        when the backend is built, through its initial state)."""
        if saved.target:
            await self._backend().set_targets(saved.target)

    def _backend(self) -> VehicleBackend:
        if self.backend is None:
            raise StateFileError(f"{self.path}: no backend to keep the state of")
        return self.backend

    async def snapshot(self) -> SavedState:
        backend = self._backend()
        paths = list(self.catalog.paths)
        current = await backend.get_current(paths)
        target = await backend.get_target(paths)
        return SavedState(
            saved_at=datetime.now(UTC).isoformat(),
            current={p: v for p, v in current.items() if v is not None},
            target={p: v for p, v in target.items() if v is not None and v != current.get(p)},
        )

    async def save(self) -> None:
        """Write the backend's state now (atomically, durably); nothing when it has not changed."""
        state = await self.snapshot()
        if self._saved is not None and (state.current, state.target) == (
            self._saved.current,
            self._saved.target,
        ):
            return
        try:
            write_atomically(self.path, state.model_dump_json(indent=1).encode())
        except OSError as exc:
            # The car has changed either way: say loudly that a restart would not find it so.
            logger.error("%s: cannot keep the vehicle state (%s)", self.path, exc.strerror or exc)
            return
        self._saved = state

    async def run(self) -> None:
        """Save what changes without a request (the simulator's clock), at most every ``interval_s``;
        save once more when cancelled."""
        try:
            while True:
                await asyncio.sleep(self.interval_s)
                await self.save()
        finally:
            await self.save()


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash at any moment leaves the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
