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
MCP server's imports these packages) makes them take that fallback. It also holds back the packages
``HOLD_BACK_ENV`` names in the process's environment: ``cabin run`` names gRPC there for the
orchestrator and the agents (``orchestrator/stack.py``), whose A2A SDK imports its gRPC transports
and handlers when gRPC is installed and goes without them when it is not (they are served and
called over JSON-RPC only); the vehicle server, whose KUKSA backend needs gRPC, is not given it.
:func:`sql_task_store_class` (run by ``agents.hosting.store`` for a ``sqlite:///`` URL) lifts the
deferral and imports the real SQL store.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from a2a.server.tasks.database_task_store import DatabaseTaskStore

__all__ = ["DEFERRED", "HOLD_BACK_ENV", "defer_optional_parts", "sql_task_store_class"]

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


HOLD_BACK_ENV = "CABIN_HOLD_BACK"
"""Comma-separated names of packages (with their submodules) this process never loads."""


class _DeferOptionalParts:
    """A meta-path finder that reports the ``DEFERRED`` modules and the packages in ``held`` as
    missing until lifted."""

    def __init__(self) -> None:
        self.held: frozenset[str] = frozenset()

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname in DEFERRED or fullname.partition(".")[0] in self.held:
            raise ModuleNotFoundError(
                f"{fullname} is not loaded by cabin (agents.hosting.optional)", name=fullname
            )
        return None


_FINDER = _DeferOptionalParts()


def defer_optional_parts() -> None:
    """Hold the ``DEFERRED`` modules and the packages ``HOLD_BACK_ENV`` names back (idempotent). No
    effect on a package already imported."""
    named = os.environ.get(HOLD_BACK_ENV, "")
    _FINDER.held = _FINDER.held | {name.strip() for name in named.split(",") if name.strip()}
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def sql_task_store_class() -> type[DatabaseTaskStore]:
    """Lift the deferral and return the SDK's real SQL task store class."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    from a2a.server.tasks.database_task_store import DatabaseTaskStore

    return DatabaseTaskStore
