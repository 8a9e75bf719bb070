"""Where an agent keeps its tasks: in memory (default) or in SQLite, chosen by a URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from a2a.server.tasks import DatabaseTaskStore, InMemoryTaskStore, TaskStore
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from agents.hosting.errors import ConfigurationError

__all__ = ["MEMORY_URL", "OpenedTaskStore", "open_task_store"]

MEMORY_URL = "memory://"
"""Task-store URL for the in-memory store: tasks live as long as the process."""

_SQLITE_PREFIX = "sqlite:///"


@dataclass(frozen=True)
class OpenedTaskStore:
    """A task store plus the engine behind it, if any, which `aclose` disposes of."""

    store: TaskStore
    engine: AsyncEngine | None = None

    async def aclose(self) -> None:
        """Release the database connections (no-op for the in-memory store)."""
        if self.engine is not None:
            await self.engine.dispose()


def open_task_store(url: str) -> OpenedTaskStore:
    """Open the task store named by `url`.

    - `memory://` (or an empty string): an in-memory store; tasks are lost when the process stops.
    - `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`: the SDK's SQL store on SQLite
      (through aiosqlite); tasks survive a restart. The table is created on first use and the
      parent folder must exist.

    Raises ConfigurationError for any other URL, naming what was expected.
    """
    text = url.strip()
    if text in ("", MEMORY_URL, "memory"):
        return OpenedTaskStore(store=InMemoryTaskStore())
    if text.startswith(_SQLITE_PREFIX):
        path_text = text.removeprefix(_SQLITE_PREFIX)
        if not path_text or path_text.endswith("/"):
            raise ConfigurationError(f"task store URL {url!r} names no database file")
        if path_text == ":memory:":
            raise ConfigurationError(f"task store URL {url!r}: use {MEMORY_URL!r} for an in-memory store")
        path = Path(path_text)
        if not path.parent.is_dir():
            raise ConfigurationError(f"task store URL {url!r}: folder {str(path.parent)!r} does not exist")
        engine = create_async_engine(f"sqlite+aiosqlite:///{path_text}")
        return OpenedTaskStore(store=DatabaseTaskStore(engine), engine=engine)
    raise ConfigurationError(
        f"task store URL {url!r} is not supported; use {MEMORY_URL!r} or 'sqlite:///path/to/tasks.db'"
    )
