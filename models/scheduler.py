"""Priority scheduling of backend steps on one worker thread.

One model means one engine, and an engine computes one thing at a time; the scheduler decides which
request's next step runs. Waiting requests start in priority order (FIFO within a priority). Between
two steps of a running request the scheduler checks its deadline, its cancellation flag, and whether
a more urgent request waits; if the backend can keep several requests alive (``max_active > 1``) it
parks the running one and serves the urgent one first, then resumes the parked request where it was.
"""

from __future__ import annotations

import concurrent.futures
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from models.backend import ModelBackend, Step
from models.errors import (
    BackendFailure,
    DeadlineExceeded,
    HostUnavailable,
    ModelError,
    RequestCancelled,
)

__all__ = ["Scheduler", "Ticket"]

_log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(eq=False)
class _Job:
    priority: int
    order: int
    factory: Callable[[], Step[Any]]
    deadline: float | None
    on_text: Callable[[str], None] | None
    future: concurrent.futures.Future[Any]
    what: str
    enqueued: float = field(default_factory=time.monotonic)
    started: float | None = None
    gen: Step[Any] | None = None
    cancelled: bool = False

    def key(self) -> tuple[int, int]:
        return (self.priority, self.order)

    def __lt__(self, other: _Job) -> bool:
        return self.key() < other.key()


class Ticket(Generic[T]):
    """A submitted request: its future result and a way to cancel it."""

    def __init__(self, job: _Job, scheduler: Scheduler) -> None:
        self._job = job
        self._scheduler = scheduler

    @property
    def future(self) -> concurrent.futures.Future[T]:
        return self._job.future

    @property
    def queue_ms(self) -> float:
        """Milliseconds the request waited before its first step (so far, if not started)."""
        start = self._job.started if self._job.started is not None else time.monotonic()
        return (start - self._job.enqueued) * 1000.0

    def cancel(self) -> None:
        """Ask the scheduler to stop this request; it ends with ``RequestCancelled``."""
        self._scheduler._cancel(self._job)


class Scheduler:
    """Runs :class:`ModelBackend` steps in priority order on a dedicated worker thread."""

    def __init__(self, backend: ModelBackend, *, name: str = "model") -> None:
        self._backend = backend
        self._heap: list[_Job] = []
        self._active: set[_Job] = set()
        self._cond = threading.Condition()
        self._counter = itertools.count()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"{name}-scheduler", daemon=True)
        self._thread.start()

    @property
    def backend(self) -> ModelBackend:
        return self._backend

    def pending(self) -> int:
        """Requests waiting or parked (not counting the one running now)."""
        with self._cond:
            return len(self._heap)

    def submit(
        self,
        factory: Callable[[], Step[T]],
        *,
        priority: int,
        deadline: float | None = None,
        on_text: Callable[[str], None] | None = None,
        what: str = "request",
    ) -> Ticket[T]:
        """Queue a request. ``deadline`` is a ``time.monotonic()`` instant; ``on_text`` receives
        streamed text on the worker thread and must not block."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        job = _Job(
            priority=int(priority),
            order=next(self._counter),
            factory=factory,
            deadline=deadline,
            on_text=on_text,
            future=future,
            what=what,
        )
        with self._cond:
            if self._closed:
                raise HostUnavailable("the model runtime is closed; open a new one")
            heapq.heappush(self._heap, job)
            self._cond.notify()
        return Ticket(job, self)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker: queued and parked requests fail with ``HostUnavailable``."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout)

    # -- worker -----------------------------------------------------------------------------------

    def _cancel(self, job: _Job) -> None:
        with self._cond:
            job.cancelled = True
            self._cond.notify()

    def _pick(self) -> _Job | None:
        """Pop the next job to run (caller holds the lock)."""
        if not self._heap:
            return None
        top = self._heap[0]
        if top.gen is not None or len(self._active) < self._backend.max_active or top.cancelled:
            return heapq.heappop(self._heap)
        started = [j for j in self._heap if j.gen is not None]
        if not started:
            return heapq.heappop(self._heap)
        best = min(started)
        self._heap.remove(best)
        heapq.heapify(self._heap)
        return best

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap and not self._closed:
                    self._cond.wait()
                if self._closed:
                    leftovers, self._heap = self._heap, []
                    break
                job = self._pick()
            if job is not None:
                try:
                    self._serve(job)
                except Exception as exc:
                    # A fault in the scheduling itself must not stop the worker that serves everyone.
                    _log.exception("scheduler failed while serving a %s", job.what)
                    self._finish(job, error=BackendFailure(f"internal scheduling failure: {exc}"))
        for job in leftovers:
            self._finish(job, error=HostUnavailable("the model runtime closed before this request ran"))
        for job in list(self._active):
            self._finish(job, error=HostUnavailable("the model runtime closed while this request ran"))

    def _abandoned(self, job: _Job) -> ModelError | None:
        if job.cancelled or job.future.cancelled():
            return RequestCancelled(f"the {job.what} was cancelled")
        if job.deadline is not None and time.monotonic() >= job.deadline:
            where = "while queued" if job.started is None else "while running"
            return DeadlineExceeded(
                f"the {job.what} passed its deadline {where}; give it a longer timeout, "
                "fewer max_tokens, or a higher priority"
            )
        return None

    def _serve(self, job: _Job) -> None:
        problem = self._abandoned(job)
        if problem is not None:
            self._finish(job, error=problem)
            return
        if job.gen is None:
            job.started = time.monotonic()
            try:
                job.gen = job.factory()
            except ModelError as exc:
                self._finish(job, error=exc)
                return
            except Exception as exc:
                _log.exception("backend failed while starting a %s", job.what)
                self._finish(
                    job, error=BackendFailure(f"the inference engine failed: {type(exc).__name__}: {exc}")
                )
                return
            self._active.add(job)
        gen = job.gen
        while True:
            try:
                text = next(gen)
            except StopIteration as stop:
                self._finish(job, result=stop.value)
                return
            except ModelError as exc:
                self._finish(job, error=exc)
                return
            except Exception as exc:
                _log.exception("backend failed while serving a %s", job.what)
                self._finish(
                    job, error=BackendFailure(f"the inference engine failed: {type(exc).__name__}: {exc}")
                )
                return
            if text and job.on_text is not None:
                try:
                    job.on_text(text)
                except Exception:
                    # The receiver is gone (its event loop closed): nobody reads this request any more.
                    job.cancelled = True
            problem = self._abandoned(job)
            if problem is not None:
                self._finish(job, error=problem)
                return
            with self._cond:
                if self._closed:
                    self._finish(
                        job, error=HostUnavailable("the model runtime closed while this request ran")
                    )
                    return
                if self._should_yield(job):
                    heapq.heappush(self._heap, job)
                    return

    def _should_yield(self, job: _Job) -> bool:
        """Whether a more urgent job waits and the backend can keep this one parked (lock held)."""
        if not self._heap or self._backend.max_active <= 1:
            return False
        top = self._heap[0]
        if top.priority >= job.priority:
            return False
        return top.gen is not None or len(self._active) < self._backend.max_active

    def _finish(self, job: _Job, *, result: Any = None, error: ModelError | None = None) -> None:
        self._active.discard(job)
        if job.gen is not None:
            try:
                job.gen.close()
            except Exception:
                _log.exception("backend failed while releasing a %s", job.what)
            job.gen = None
        if job.future.done():
            return
        try:
            if error is not None:
                job.future.set_exception(error)
            else:
                job.future.set_result(result)
        except concurrent.futures.InvalidStateError:
            # The caller cancelled the future at the same moment; nobody waits for the outcome.
            return
