"""Optional parts of dependencies that cabin does not use stay unloaded.

Three packages import optional parts when they are first imported or set up, and fall back when
those parts' dependencies are missing:

- the A2A SDK's ``a2a.server.tasks`` and ``a2a.server.cluster`` import their SQL stores and with
  them SQLAlchemy (about 20 MiB per process; the SDK's ``sql`` extra is optional). Every agent
  imports those packages; few use SQLite;
- ``httpx`` imports its command-line client and with it rich, pygments and click (about 5 MiB per
  process; the ``cli`` extra is optional). cabin never runs ``httpx.main``;
- the MCP SDK's server sets up logging with rich's handler when rich is installed, a plain
  ``logging.StreamHandler`` when it is not (every MCP server, about 4 MiB per process). cabin's
  processes configure their own logging and print nothing through rich.

:func:`defer_optional_parts` (run by ``agents/__init__.py``, which ``orchestrator/__init__.py`` and
``mcp_servers/__init__.py`` import first, so before anything of an agent's, the orchestrator's or an
MCP server's imports these packages) makes them take that fallback. :func:`sql_task_store_class`
(run by ``agents.hosting.store`` for a ``sqlite:///`` URL) lifts the deferral and imports the real
SQL store.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from a2a.server.tasks.database_task_store import DatabaseTaskStore

__all__ = ["DEFERRED", "defer_optional_parts", "sql_task_store_class"]

DEFERRED = frozenset(
    {
        "a2a.server.tasks.database_task_store",
        "a2a.server.tasks.database_push_notification_config_store",
        "a2a.server.cluster.database_event_stream",
        "a2a.server.cluster.database_task_store",
        "httpx._main",
        "rich",
    }
)
"""The modules held back (the SQL ones until a SQLite store is asked for)."""


class _DeferOptionalParts:
    """A meta-path finder that reports the ``DEFERRED`` modules as missing until lifted."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname in DEFERRED:
            raise ModuleNotFoundError(
                f"{fullname} is not loaded by cabin (agents.hosting.optional)", name=fullname
            )
        return None


_FINDER = _DeferOptionalParts()


def defer_optional_parts() -> None:
    """Hold the ``DEFERRED`` modules back (idempotent). No effect on a package already imported."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def sql_task_store_class() -> type[DatabaseTaskStore]:
    """Lift the deferral and return the SDK's real SQL task store class."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    from a2a.server.tasks.database_task_store import DatabaseTaskStore

    return DatabaseTaskStore
