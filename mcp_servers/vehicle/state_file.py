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
from .errors import BackendError, InvalidValue, StateFileError, UnknownSignal
from .guardrails.audit import APPLIED_DECISIONS, AuditLog, records_after

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
    audit_seq: int | None = Field(
        default=None,
        description="the seq of the last audit record this state includes: the changes the audit "
        "recorded after it are replayed at start (None: the state includes every change)",
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
      ``fsync`` of the directory).
    - :meth:`after_change` is what the vehicle service calls after every change it makes (a write the
      guardrails let through, an injection), before answering, so that what a caller was told was
      applied survives a crash. Without a ``journal`` it saves the state. With one (the audit on
      disk, whose ``applied``, ``confirmed`` and ``injected`` records are written and ``fsync``-ed
      before the answer too) the state file is a checkpoint: it names the last audit record it
      includes (``audit_seq``), and :meth:`restore_targets` replays the changes recorded after it, so
      a change needs no state write of its own (one flush to disk per change instead of three).
    - :meth:`run` saves what the simulator's clock moves (a window on its way) and, with a journal,
      the changes since the last checkpoint, at most every ``interval_s``, and once more when it ends
      (a clean shutdown).
    """

    def __init__(
        self,
        path: str | Path,
        catalog: Catalog,
        *,
        interval_s: float = 1.0,
        journal: AuditLog | None = None,
    ) -> None:
        self.path = Path(path)
        self.catalog = catalog
        self.backend: VehicleBackend | None = None
        """The backend whose state is kept; set once it is built (from :meth:`load`'s values)."""
        self.interval_s = interval_s
        self.journal = journal if journal is not None and journal.path is not None else None
        """The audit on disk whose records since the last save are replayed at start (None: none)."""
        self.restored = Restored(state_file=str(self.path))
        self._saved: SavedState | None = None
        self._lock = asyncio.Lock()

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
        return SavedState(saved_at=saved.saved_at, current=current, target=target, audit_seq=saved.audit_seq)

    def _reset(self, why: str) -> None:
        reason = f"{self.path}: the saved vehicle state was not restored: {why}"
        self.restored = Restored(state_file=str(self.path), reset=reason)
        logger.error("%s; the simulated car starts afresh (its defaults and --state)", reason)
        return None

    async def restore_targets(self, saved: SavedState) -> None:
        """Set the targets the car had not reached when it was saved (current values are restored
        when the backend is built, through its initial state), then replay, in order, the changes the
        journal recorded after the saved state (writes as targets, injections as current values)."""
        backend = self._backend()
        if saved.target:
            await backend.set_targets(saved.target)
        if self.journal is None or saved.audit_seq is None or self.journal.path is None:
            return
        records = await asyncio.to_thread(
            records_after, self.journal.path, saved.audit_seq, self.journal.backups
        )
        replayed = 0
        for record in records:
            decision = record.get("decision")
            if decision not in APPLIED_DECISIONS and decision != "injected":
                continue
            raw = record.get("values")
            try:
                if not isinstance(raw, dict):
                    raise InvalidValue(str(record.get("seq")), "the record's values are not a mapping")
                values = {path: self.catalog.get(path).coerce(value) for path, value in raw.items()}
                if decision == "injected":
                    await backend.inject(values)
                else:
                    await backend.set_targets(values)
            except (UnknownSignal, InvalidValue, BackendError) as exc:
                logger.error("%s: audit record %s not replayed: %s", self.path, record.get("seq"), exc)
                continue
            replayed += 1
        if replayed:
            logger.info(
                "%s: %d change(s) the audit recorded after the kept state replayed", self.path, replayed
            )

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

    async def save(self, *, force: bool = False) -> None:
        """Write the backend's state now (atomically, durably); nothing when it has not changed,
        unless ``force``."""
        async with self._lock:
            # The journal's seq is read before the snapshot: every record up to it is in the state.
            audit_seq = self.journal.seq if self.journal is not None else None
            state = await self.snapshot()
            state.audit_seq = audit_seq
            if (
                not force
                and self._saved is not None
                and (state.current, state.target) == (self._saved.current, self._saved.target)
            ):
                return
            try:
                # Off the event loop: the flushes to disk take milliseconds, and a checkpoint (the
                # journal holds the changes) need not hold up the requests being served meanwhile.
                await asyncio.to_thread(write_atomically, self.path, state.model_dump_json(indent=1).encode())
            except OSError as exc:
                # The car has changed either way: say loudly that a restart would not find it so.
                logger.error("%s: cannot keep the vehicle state (%s)", self.path, exc.strerror or exc)
                return
            self._saved = state

    async def after_change(self) -> None:
        """Make a change the service just made survive a crash, before it answers: save the state, or
        with a journal, nothing once a saved state names the journal's records (they hold the change)."""
        if self.journal is None or self._saved is None or self._saved.audit_seq is None:
            await self.save()

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
