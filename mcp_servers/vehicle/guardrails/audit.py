"""GR-20: the append-only audit log of every guardrail decision, written ahead of every actuation.

One JSON object per line. Each record is written, flushed and ``fsync``-ed before the decision is
acknowledged to the caller, so a record the caller saw survives a crash or ``kill -9``. When the file
grows past ``max_bytes`` it is rotated (``audit.jsonl`` -> ``audit.jsonl.1`` -> ...), keeping
``backups`` old files.

Write-ahead: before the backend is asked to change anything, an ``intent`` record with the values
about to be written is on disk. After the backend call its outcome follows: ``applied`` (or
``confirmed``) when the backend took the values, ``failed`` when it raised. The outcome record
carries ``intent_seq``, the ``seq`` of its intent. A reader pairs them by that field:

- an intent with an outcome record: the outcome says what happened;
- an intent with none (the process died between the two): the write may or may not have reached
  the car. Treat it as *possibly applied* and compare with the vehicle's current state.

Without a file (tests, ``cabin ask``, ``cabin chat``, replay) the records are kept in memory
instead, bounded: the records of the last ``keep_turns`` turns written to (a record without a turn
id counts as a turn of its own), a turn's records kept or dropped together, the least recently
written turn first; :attr:`AuditLog.dropped_turns` and :attr:`AuditLog.dropped_records` count what
went. The vehicle service's read-back of a turn (``turn_writes``) does not read these records: it
answers from its own ledger of recent turns, or from the audit file.

``seq`` increases by one per record and stays monotonic across restarts of the same file: at open
the last ``seq`` is read back from the file, or from the newest rotated file when the current one
holds no complete record. A torn last line (a crash in the middle of a write) is left alone and
ended with a newline, so the next record starts on a line of its own; :func:`read_audit` skips it.
"""

from __future__ import annotations

import heapq
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Decision = Literal[
    "intent", "applied", "refused", "needs_confirmation", "confirmed", "failed", "expired", "injected"
]
#: Decisions that record a change the backend took.
APPLIED_DECISIONS: frozenset[str] = frozenset({"applied", "confirmed"})

_TAIL_CHUNK = 64 * 1024

KEEP_TURNS = 1024
"""How many turns' records an audit without a file keeps in memory: twice the turns the vehicle
service's ledger remembers (``TURN_MEMORY``), at about 0.35 KiB a turn of the bench's mix."""


class AuditLog:
    """A crash-safe JSONL audit trail (thread-safe; one writer per file). Without a file, the records
    of the last ``keep_turns`` turns are kept in memory (see the module's docstring)."""

    def __init__(
        self,
        path: str | Path | None,
        max_bytes: int = 10 * 1024 * 1024,
        backups: int = 5,
        *,
        keep_turns: int = KEEP_TURNS,
    ) -> None:
        if keep_turns < 1:
            raise ValueError(f"keep_turns must be at least 1, got {keep_turns}")
        self.path = Path(path) if path is not None else None
        self.max_bytes = max_bytes
        self.backups = backups
        self.keep_turns = keep_turns
        self._lock = threading.Lock()
        self._seq = 0
        self._fd: int | None = None
        self._turns: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self.dropped_turns = 0
        """Turns whose records were dropped from memory to keep the bound."""
        self.dropped_records = 0
        """Records dropped from memory with their turns."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._seq = self._last_seq()
            self._open()

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records kept in memory when no file is configured, in ``seq`` order (a copy of the
        list; the records themselves are the ones written)."""
        with self._lock:
            return list(heapq.merge(*self._turns.values(), key=lambda record: int(record["seq"])))

    @property
    def seq(self) -> int:
        """The ``seq`` of the last record written (0 before the first)."""
        return self._seq

    def _last_seq(self) -> int:
        assert self.path is not None
        candidates = [self.path, *(self.path.with_name(f"{self.path.name}.{i}") for i in (1, 2))]
        for file in candidates:
            found = _last_seq_of(file)
            if found is not None:
                return found
        return 0

    def _open(self) -> None:
        assert self.path is not None
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            # A record torn by a crash: end its line so the next record does not join it.
            os.write(self._fd, b"\n")
            os.fsync(self._fd)

    def append(self, decision: Decision, **fields: Any) -> dict[str, Any]:
        """Write one record durably and return it."""
        with self._lock:
            self._seq += 1
            record = {"ts": datetime.now(UTC).isoformat(), "seq": self._seq, "decision": decision, **fields}
            if self._fd is None:
                self._keep(record)
                return record
            line = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode()
            os.write(self._fd, line)
            os.fsync(self._fd)
            if os.fstat(self._fd).st_size >= self.max_bytes:
                self._rotate()
            return record

    def _keep(self, record: dict[str, Any]) -> None:
        """Keep ``record`` in memory with its turn's; drop the least recently written turns beyond
        ``keep_turns`` (the caller holds the lock)."""
        turn = record.get("turn_id")
        key = f"turn {turn}" if isinstance(turn, str) else f"record {record['seq']}"
        kept = self._turns.get(key)
        if kept is None:
            self._turns[key] = [record]
        else:
            kept.append(record)
            self._turns.move_to_end(key)
        while len(self._turns) > self.keep_turns:
            _, dropped = self._turns.popitem(last=False)
            self.dropped_turns += 1
            self.dropped_records += len(dropped)

    def _rotate(self) -> None:
        assert self.path is not None and self._fd is not None
        os.close(self._fd)
        for index in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{index}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{index + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))
        self._open()

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _last_seq_of(file: Path) -> int | None:
    """The ``seq`` of the last complete record of ``file`` (None when it has none or does not exist)."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        return None
    with handle:
        end = handle.seek(0, os.SEEK_END)
        position = end
        tail = b""
        while position > 0:
            step = min(_TAIL_CHUNK, position)
            position -= step
            handle.seek(position)
            tail = handle.read(step) + tail
            lines = tail.split(b"\n")
            # The first piece may be the end of a line that starts before this chunk: parse it only
            # when the chunk began at the start of the file.
            complete = lines if position == 0 else lines[1:]
            for line in reversed(complete):
                seq = _seq_of(line)
                if seq is not None:
                    return seq
            tail = lines[0] if position > 0 else b""
    return None


def _seq_of(line: bytes) -> int | None:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    seq = record.get("seq") if isinstance(record, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def read_audit(path: str | Path) -> list[Mapping[str, Any]]:
    """All complete records of an audit file (a torn line after a crash is skipped)."""
    records: list[Mapping[str, Any]] = []
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def records_after(path: str | Path, seq: int, backups: int = 5) -> list[Mapping[str, Any]]:
    """The complete records of the audit at ``path`` whose ``seq`` is above ``seq``, in order: read
    from the current file back through its rotated ones (``.1``, ``.2``, ...) until one reaches
    ``seq``. What a kept state that includes the audit up to ``seq`` has not seen yet."""
    base = Path(path)
    found: list[Mapping[str, Any]] = []
    for index in range(backups + 1):
        file = base if index == 0 else base.with_name(f"{base.name}.{index}")
        if not file.exists():
            break
        records = read_audit(file)
        found[:0] = [r for r in records if isinstance(r.get("seq"), int) and r["seq"] > seq]
        if any(isinstance(r.get("seq"), int) and r["seq"] <= seq for r in records):
            break
    return found


def unfinished_intents(records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The intent records no outcome record names (``intent_seq``): writes a crash left unresolved."""
    resolved = {r.get("intent_seq") for r in records if r.get("decision") != "intent"}
    return [r for r in records if r.get("decision") == "intent" and r.get("seq") not in resolved]
