"""Where an agent keeps its tasks: in memory (default) or in SQLite, chosen by a URL, and how long.

Every store an agent opens is wrapped in a :class:`BoundedTaskStore`: a finished task is kept for
``finished_ttl_s`` (long enough to read its result or answer ``GetTask``), an idle one that waits for
an answer for ``idle_ttl_s``, and never more than ``max_tasks`` tasks at once: beyond that the least
recently used finished tasks go first, then tasks waiting for input. A task that is still working is
never evicted.

The in-memory store is a :class:`SerializedTaskStore`: it keeps each task as its protobuf encoding and
answers with a task parsed from it, a copy as the SDK's own in-memory store answers. A task held as a
message keeps a protobuf arena of its own, six to eight times its encoded size (measured in a running
agent: about 10 KiB for a vehicle-control or perception task of 1.3-1.9 KB, 21 KiB for a navigation
question of 3.3 KB), so ``max_tasks`` tasks of the three agents of a stack took about 10 MiB.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from a2a.server.context import ServerCallContext
from a2a.server.owner_resolver import OwnerResolver, resolve_user_scope
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.types import ListTasksRequest, ListTasksResponse, Task, TaskState

from agents.hosting.errors import ConfigurationError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "DEFAULT_FINISHED_TTL_S",
    "DEFAULT_IDLE_TTL_S",
    "DEFAULT_MAX_TASKS",
    "MEMORY_URL",
    "BoundedTaskStore",
    "OpenedTaskStore",
    "SerializedTaskStore",
    "open_task_store",
]

MEMORY_URL = "memory://"
"""Task-store URL for the in-memory store: tasks live as long as the process (or their TTL)."""

DEFAULT_MAX_TASKS = 128
"""Most tasks an agent keeps at once (tasks still working are never evicted, so more may be held while
they run). The orchestrator keeps at most 128 sessions (`MAX_SESSIONS` in `orchestrator/dialogue.py`),
and waits on at most one question per session, so every question it waits on fits. A task holds its
history and results: encoded, as the in-memory store keeps it, 1.3-3.3 KB for the stack's agents, so
this bounds what a long-running agent keeps to under 0.5 MiB (a navigation task with its places can be
some 25 KB)."""
DEFAULT_FINISHED_TTL_S = 120.0
"""How long a finished (completed, failed, canceled, rejected) task stays readable (``GetTask``); the
caller has its result from the call itself."""
DEFAULT_IDLE_TTL_S = 600.0
"""How long a task waiting for input (or authorisation) is kept without being touched: the
orchestrator forgets a question it asked after 30 s (``orchestrator/dialogue.py``)."""

_FINISHED = frozenset(
    {
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_REJECTED,
    }
)
_INTERRUPTED = frozenset({TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED})


@dataclass
class _Entry:
    context: ServerCallContext
    state: int
    touched: float


class BoundedTaskStore(TaskStore):
    """A `TaskStore` around another that evicts finished and idle tasks (see the module docstring).

    Only the tasks saved through this object are known to it (tasks a SQLite file held before the
    process started are left alone). `len()` is the number of tasks it holds. Safe for concurrent use
    from one event loop.
    """

    def __init__(
        self,
        inner: TaskStore,
        *,
        max_tasks: int = DEFAULT_MAX_TASKS,
        finished_ttl_s: float = DEFAULT_FINISHED_TTL_S,
        idle_ttl_s: float = DEFAULT_IDLE_TTL_S,
    ) -> None:
        if max_tasks < 1:
            raise ConfigurationError(f"max_tasks must be at least 1, not {max_tasks}")
        if finished_ttl_s <= 0 or idle_ttl_s <= 0:
            raise ConfigurationError("task time-to-live values must be positive")
        self.inner = inner
        self.max_tasks = max_tasks
        self.finished_ttl_s = finished_ttl_s
        self.idle_ttl_s = idle_ttl_s
        self._index: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._index)

    async def save(self, task: Task, context: ServerCallContext) -> None:
        await self.inner.save(task, context)
        key = (context.user.user_name, task.id)
        # Keep only who owns the task: the call's state (its request) must not outlive the call.
        owner = ServerCallContext(user=context.user, tenant=context.tenant)
        self._index[key] = _Entry(owner, task.status.state, time.monotonic())
        self._index.move_to_end(key)
        await self._evict()

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        task = await self.inner.get(task_id, context)
        entry = self._index.get((context.user.user_name, task_id))
        if task is not None and entry is not None:
            entry.touched = time.monotonic()
            self._index.move_to_end((context.user.user_name, task_id))
        return task

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        return await self.inner.list(params, context)

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        self._index.pop((context.user.user_name, task_id), None)
        await self.inner.delete(task_id, context)

    async def _evict(self) -> None:
        # The index is in order of last touch (every save and get moves its task to the end), so the
        # tasks old enough to have expired are at its front: the sweep stops at the first task younger
        # than the shorter time-to-live instead of reading every task on every save.
        async with self._lock:
            now = time.monotonic()
            youngest_ttl_s = min(self.finished_ttl_s, self.idle_ttl_s)
            doomed: dict[tuple[str, str], None] = {}
            for key, entry in self._index.items():
                age = now - entry.touched
                if age <= youngest_ttl_s:
                    break
                if (entry.state in _FINISHED and age > self.finished_ttl_s) or (
                    entry.state in _INTERRUPTED and age > self.idle_ttl_s
                ):
                    doomed[key] = None
            excess = len(self._index) - len(doomed) - self.max_tasks
            for kinds in (_FINISHED, _INTERRUPTED):
                for key, entry in self._index.items():  # least recently used first
                    if excess <= 0:
                        break
                    if entry.state in kinds and key not in doomed:
                        doomed[key] = None
                        excess -= 1
            for key in doomed:
                entry = self._index.pop(key)
                await self.inner.delete(key[1], entry.context)


class SerializedTaskStore(TaskStore):
    """The in-memory task store, each task kept as its protobuf encoding (see the module docstring).

    It answers as the SDK's ``InMemoryTaskStore`` does: per owner (`owner_resolver`, the SDK's by
    default), a copy of the task as last saved (a task parsed from its bytes is equal to the one saved;
    the order of a map's keys, which protobuf does not keep, may differ, as it does between the SDK's
    copies). `ListTasks` parses the owner's tasks and lets the SDK's in-memory store filter, sort and
    page them, so its answer is that store's. Safe for concurrent use from one event loop; `len()` is
    the number of tasks it holds."""

    def __init__(self, owner_resolver: OwnerResolver = resolve_user_scope) -> None:
        self._owner = owner_resolver
        self._tasks: dict[str, dict[str, bytes]] = {}

    def __len__(self) -> int:
        return sum(len(tasks) for tasks in self._tasks.values())

    async def save(self, task: Task, context: ServerCallContext) -> None:
        self._tasks.setdefault(self._owner(context), {})[task.id] = task.SerializeToString()

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        encoded = self._tasks.get(self._owner(context), {}).get(task_id)
        return None if encoded is None else Task.FromString(encoded)

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        owner = self._owner(context)
        view = InMemoryTaskStore(owner_resolver=lambda _context: owner, use_copying=False)
        for encoded in self._tasks.get(owner, {}).values():
            await view.save(Task.FromString(encoded), context)
        return await view.list(params, context)

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        owner = self._owner(context)
        tasks = self._tasks.get(owner)
        if tasks is not None:
            tasks.pop(task_id, None)
            if not tasks:
                del self._tasks[owner]


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


def open_task_store(
    url: str,
    *,
    max_tasks: int = DEFAULT_MAX_TASKS,
    finished_ttl_s: float = DEFAULT_FINISHED_TTL_S,
    idle_ttl_s: float = DEFAULT_IDLE_TTL_S,
) -> OpenedTaskStore:
    """Open the task store named by `url`, bounded as a :class:`BoundedTaskStore` with these limits.

    - `memory://` (or an empty string): an in-memory store (:class:`SerializedTaskStore`); tasks are
      lost when the process stops.
    - `sqlite:///relative/path.db` or `sqlite:////absolute/path.db`: the SDK's SQL store on SQLite
      (through aiosqlite); tasks survive a restart. The table is created on first use and the
      parent folder must exist.

    Raises ConfigurationError for any other URL, naming what was expected.
    """
    opened = _open(url)

    def bounded(inner: TaskStore) -> BoundedTaskStore:
        return BoundedTaskStore(
            inner, max_tasks=max_tasks, finished_ttl_s=finished_ttl_s, idle_ttl_s=idle_ttl_s
        )

    return OpenedTaskStore(store=bounded(opened.store), engine=opened.engine)


def _open(url: str) -> OpenedTaskStore:
    text = url.strip()
    if text in ("", MEMORY_URL, "memory"):
        return OpenedTaskStore(store=SerializedTaskStore())
    if text.startswith(_SQLITE_PREFIX):
        path_text = text.removeprefix(_SQLITE_PREFIX)
        if not path_text or path_text.endswith("/"):
            raise ConfigurationError(f"task store URL {url!r} names no database file")
        if path_text == ":memory:":
            raise ConfigurationError(f"task store URL {url!r}: use {MEMORY_URL!r} for an in-memory store")
        path = Path(path_text)
        if not path.parent.is_dir():
            raise ConfigurationError(f"task store URL {url!r}: folder {str(path.parent)!r} does not exist")
        # SQLAlchemy (about 20 MiB) is imported only for a SQLite store (agents.hosting.optional).
        from sqlalchemy.ext.asyncio import create_async_engine

        from agents.hosting.optional import sql_task_store_class

        engine = create_async_engine(f"sqlite+aiosqlite:///{path_text}")
        return OpenedTaskStore(store=sql_task_store_class()(engine), engine=engine)
    raise ConfigurationError(
        f"task store URL {url!r} is not supported; use {MEMORY_URL!r} or 'sqlite:///path/to/tasks.db'"
    )
