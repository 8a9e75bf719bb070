"""What a `TemplateIndex` derives from its sentence templates, kept on disk between processes.

Building the index of a large grammar parses every template with hassil and writes a regular
expression for each (about a quarter of a second of CPU for the vehicle-control grammar); a
short-lived process (`cabin ask`) pays that on every start. The derived state is a pure function of
the templates, so it is written once to a file named by a key and read back by later processes:

- the key is the sha256 of everything the state depends on: the templates as hassil holds them
  (every intent, sentence text, list, rule, skip word and setting, walked in a fixed order, so a
  grammar built by code as well as one read from YAML is covered), the index's language, the source
  of the index's compiler (`agents/hosting/templates.py`), the hassil, cabin and Python versions and
  the file format. Any change to a grammar gives a new key, so a stale file is never read;
- the folder is ``$CABIN_TEMPLATE_CACHE`` when set, else ``$CABIN_HOME/templates``, else
  ``$XDG_CACHE_HOME/cabin/templates``, else ``~/.cache/cabin/templates``; it is created on first
  write and holds at most `KEEP` files (the least recently used go first). Deleting it clears the
  cache;
- a file is written to a temporary name and renamed into place, so a reader never sees half a file;
- the cache never makes a process fail: a file that cannot be read, does not parse or does not fit
  the templates is ignored with a logged warning and rebuilt, and a folder that cannot be written
  turns the cache off for the process (logged once).

A file holds JSON (validated with pydantic when read), never code.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Literal

from hassil import Intents
from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["ENV_VAR", "FORMAT", "KEEP", "CachedIndex", "TemplateCache", "cache_key", "default_directory"]

log = logging.getLogger(__name__)

ENV_VAR = "CABIN_TEMPLATE_CACHE"
"""The environment variable that names the cache folder."""

FORMAT = 1
"""The file format; part of the key, so a new format never reads an old file."""

KEEP = 32
"""How many index files the folder keeps (each grammar built in a process has one)."""

_SUFFIX = ".json"

Where = tuple[int, int]
"""(block, template) of an index: the position of a template in the intents."""


class CachedIndex(BaseModel):
    """One index file: what `TemplateIndex` derives from its templates, in the intents' order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal[1]
    key: str
    sizes: list[int]
    """How many templates each block (an intent's data block) has."""
    patterns: list[list[str | None]]
    """Each template's regular expression's source; None: the template is always tried."""
    clauses: list[list[list[list[str]]]]
    """Each template's required fragments: every clause must have one of its fragments in the text."""
    by_first: dict[str, list[Where]]
    by_digit: list[Where]
    always: list[Where]


def default_directory() -> Path:
    """The cache folder the environment names (see the module's docstring)."""
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        return Path(explicit).expanduser()
    home = os.environ.get("CABIN_HOME")
    if home:
        return Path(home).expanduser() / "templates"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "cabin" / "templates"


class TemplateCache:
    """Index files in one folder. `load` and `store` never raise; see the module's docstring."""

    def __init__(self, directory: Path, *, keep: int = KEEP) -> None:
        self.directory = directory
        self.keep = keep
        self._writable = True

    @classmethod
    def from_env(cls) -> TemplateCache:
        """The cache in the folder the environment names."""
        return cls(default_directory())

    def path_for(self, key: str) -> Path:
        return self.directory / f"{key}{_SUFFIX}"

    def load(self, key: str) -> CachedIndex | None:
        """The index stored under `key`, or None when there is none or it cannot be used (logged)."""
        path = self.path_for(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("template cache: cannot read %s (%s); building the templates", path, exc)
            return None
        try:
            cached = CachedIndex.model_validate_json(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "file"
            self.discard(key, f"not a template index file ({where}: {first['msg']})")
            return None
        if cached.key != key:
            self.discard(key, "it was written for other templates")
            return None
        with _quietly():
            os.utime(path)  # most recently used: pruned last
        return cached

    def store(self, cached: CachedIndex) -> None:
        """Write `cached` under its key (atomically); a folder that cannot be written turns the cache
        off for this process."""
        if not self._writable:
            return
        text = json.dumps(cached.model_dump(mode="json"), separators=(",", ":"))
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=_SUFFIX)
        except OSError as exc:
            self._off(exc)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, self.path_for(cached.key))
        except OSError as exc:
            with _quietly():
                os.unlink(temporary)
            self._off(exc)
            return
        self._prune()

    def discard(self, key: str, reason: str) -> None:
        """Log why the file under `key` is not used and remove it (it is rebuilt)."""
        path = self.path_for(key)
        log.warning("template cache: ignoring %s: %s; building the templates again", path, reason)
        with _quietly():
            path.unlink()

    def _off(self, exc: OSError) -> None:
        self._writable = False
        log.info("template cache: %s cannot be written (%s); not caching templates", self.directory, exc)

    def _prune(self) -> None:
        with _quietly():
            files = sorted(
                (p for p in self.directory.iterdir() if p.suffix == _SUFFIX and not p.name.startswith(".")),
                key=lambda p: p.stat().st_mtime,
            )
            for old in files[: max(0, len(files) - self.keep)]:
                old.unlink()


class _quietly:
    """Ignore a file-system error (another process removed the file, the folder is read-only)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> bool:
        return kind is not None and issubclass(kind, OSError)


def cache_key(intents: Intents, language: str, compiler: Path) -> str:
    """The key of the index of `intents` in `language` written by the compiler in `compiler`."""
    digest = hashlib.sha256()
    for part in (
        f"format {FORMAT}",
        f"python {sys.version_info.major}.{sys.version_info.minor}",
        f"hassil {_version('hassil')}",
        f"cabin {_version('cabin')}",
        f"compiler {_source_digest(compiler)}",
        f"language {language}",
    ):
        digest.update(part.encode())
        digest.update(b"\x00")
    out: list[str] = []
    _walk(intents, out)
    digest.update("\x00".join(out).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


@functools.cache
def _version(distribution: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def _source_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "unknown"


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(kind: type) -> tuple[str, ...]:
    # The fields that say what a template is: not the caches hassil fills in on use (compare=False),
    # nor a chunk's parent (a back reference), nor a template's deprecated regular expression.
    names = _FIELDS.get(kind)
    if names is None:
        names = _FIELDS[kind] = tuple(
            f.name
            for f in dataclasses.fields(kind)
            if f.compare and not (f.name == "parent" or (kind.__name__ == "Sentence" and f.name == "pattern"))
        )
    return names


def _walk(value: Any, out: list[str]) -> None:
    """Append a description of `value` (hassil's dataclasses, JSON values) in a fixed order."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        out.append(repr(value))
    elif kind in (list, tuple):
        out.append("[")
        for item in value:
            _walk(item, out)
        out.append("]")
    elif kind is dict:
        out.append("{")
        for key in sorted(value, key=repr):
            out.append(repr(key))
            _walk(value[key], out)
        out.append("}")
    elif kind in (set, frozenset):
        out.append("<")
        out.extend(sorted(repr(item) for item in value))
        out.append(">")
    elif isinstance(value, enum.Enum):
        out.append(f"{kind.__name__}.{value.name}")
    elif dataclasses.is_dataclass(value):
        out.append(f"{kind.__module__}.{kind.__qualname__}(")
        for name in _fields(kind):
            _walk(getattr(value, name), out)
        out.append(")")
    else:
        # Something this walk cannot describe in a fixed order: never equal to another run's key.
        out.append(f"{kind.__qualname__}@{id(value)}")
