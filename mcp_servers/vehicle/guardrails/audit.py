"""GR-20: the append-only audit log of every guardrail decision.

One JSON object per line. Each record is written, flushed and ``fsync``-ed before the decision is
acknowledged to the caller, so a record the caller saw survives a crash or ``kill -9``. When the file
grows past ``max_bytes`` it is rotated (``audit.jsonl`` -> ``audit.jsonl.1`` -> ...), keeping
``backups`` old files.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

Decision = Literal["applied", "refused", "needs_confirmation", "confirmed", "expired", "injected"]


class AuditLog:
    """A crash-safe JSONL audit trail (thread-safe; one writer per file)."""

    def __init__(self, path: str | Path | None, max_bytes: int = 10 * 1024 * 1024, backups: int = 5) -> None:
        self.path = Path(path) if path is not None else None
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        self._seq = 0
        self._fd: int | None = None
        self.records: list[dict[str, Any]] = []
        """The records of this process when no file is configured (tests, ``cabin ask``)."""
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()

    def _open(self) -> None:
        assert self.path is not None
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def append(self, decision: Decision, **fields: Any) -> dict[str, Any]:
        """Write one record durably and return it."""
        with self._lock:
            self._seq += 1
            record = {"ts": datetime.now(UTC).isoformat(), "seq": self._seq, "decision": decision, **fields}
            if self._fd is None:
                self.records.append(record)
                return record
            line = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode()
            os.write(self._fd, line)
            os.fsync(self._fd)
            if os.fstat(self._fd).st_size >= self.max_bytes:
                self._rotate()
            return record

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


def read_audit(path: str | Path) -> list[Mapping[str, Any]]:
    """All complete records of an audit file (a torn last line after a crash is skipped)."""
    records: list[Mapping[str, Any]] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
