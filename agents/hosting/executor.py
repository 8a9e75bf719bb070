"""The base executor every cabin agent subclasses: one `handle` method, the A2A lifecycle done for it."""

from __future__ import annotations

import asyncio
import logging
from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import final

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Message, Part, Task, TaskState, TaskStatus
from a2a.utils.errors import InternalError
from pydantic import JsonValue, ValidationError
from starlette.authentication import AuthCredentials

from agents.hosting.auth import FRONT_END_SCOPE
from agents.hosting.errors import RequestError
from agents.hosting.messages import (
    METADATA_PENDING,
    AgentRequest,
    Failure,
    Outcome,
    PendingQuestion,
    Question,
    Rejection,
    Reply,
    data_part,
    read_user_message,
    struct_to_python,
)

__all__ = ["CabinExecutor"]

logger = logging.getLogger(__name__)

_CANCELED_TEXT = "Canceled."


@dataclass
class _Run:
    """One running `execute` call, shared with `cancel` so that exactly one of them settles the task."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    handler: asyncio.Task[Outcome] | None = None
    cancel_requested: bool = False
    settled: bool = False
    cancel_published: asyncio.Event = field(default_factory=asyncio.Event)

    def taken_over(self) -> bool:
        """True once `cancel` has claimed the task; `execute` then publishes nothing more."""
        return self.cancel_requested


class CabinExecutor(AgentExecutor):
    """Base class of every cabin agent's executor. Subclasses implement `handle` and nothing else.

    Contract of `handle(request) -> Outcome`:

    - Input: an `AgentRequest` holding the user's text (text parts joined by newlines), the parsed
      intent when the message carried a `data` part `{"intent": ..., "slots": {...}}`, the speaker
      seat (`cabin/seat`) and origin (`cabin/origin`) from the message metadata, the whole metadata,
      and -- when this message answers an earlier `Question` of the same task -- `resumed`, that
      question with the state it saved. The message has already been checked: malformed messages
      and unsupported parts never reach `handle`.
    - Output: exactly one outcome.
      `Reply(text, data)` -> TASK_STATE_COMPLETED; the text (short, spoken style) and `data` are sent
      as a text part and a data part, in the final status message and in a `result` artifact.
      `Question(text, state)` -> TASK_STATE_INPUT_REQUIRED; `state` is kept with the task and handed
      back as `resumed.state` when the next message with the same task id arrives.
      `Rejection(reason)` -> TASK_STATE_REJECTED. `Failure(reason)` -> TASK_STATE_FAILED.
    - Exceptions: an exception escaping `handle` fails the task with a generic sentence (the
      exception is logged, never sent); so does a run longer than `handler_timeout_s`.
    - Cancellation: `CancelTask` cancels the asyncio task running `handle`; `handle` sees
      `asyncio.CancelledError` at its next await, may clean up in `finally` blocks within
      `cancel_grace_s`, and must not swallow the cancellation. The task ends TASK_STATE_CANCELED and
      whatever `handle` returns afterwards is dropped.
    - Concurrency: `handle` may run concurrently for different tasks, never twice at once for the
      same task. The executor holds no per-task state between turns: whatever a turn must remember
      goes into `Question.state`. A subclass that defines `__init__` calls `super().__init__()`.

    The lifecycle this class drives through `TaskUpdater`: a new task is published SUBMITTED (a
    `Task` first, as the SDK requires), then WORKING, then one of COMPLETED, INPUT_REQUIRED,
    REJECTED, FAILED or CANCELED. An answer to a question goes INPUT_REQUIRED -> WORKING -> ...
    """

    handler_timeout_s: float | None = None
    """Longest time `handle` may take before the task fails; None means no limit."""

    cancel_grace_s: float = 2.0
    """How long `cancel` waits for a cancelled `handle` to unwind before reporting CANCELED."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}

    @abstractmethod
    async def handle(self, request: AgentRequest) -> Outcome:
        """Serve one turn of one task; see the class docstring for the contract."""

    @final
    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Run one turn: publish SUBMITTED (new task) and WORKING, call `handle`, publish its outcome."""
        task_id, context_id = _ids(context)
        updater = TaskUpdater(event_queue, task_id, context_id)
        run = _Run()
        self._runs[task_id] = run
        try:
            async with run.lock:
                # Holding the lock keeps `cancel` from publishing CANCELED between these events.
                pending = await self._open(context, event_queue, updater)
            outcome = await self._run_handler(context, run, task_id, context_id, pending)
            if outcome is None:
                return
            async with run.lock:
                if run.taken_over():
                    return
                await _publish(outcome, updater)
                run.settled = True
        finally:
            if self._runs.get(task_id) is run:
                del self._runs[task_id]

    @final
    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Stop the running `handle` of this task, if any, and publish TASK_STATE_CANCELED."""
        task_id, context_id = _ids(context)
        run = self._runs.get(task_id)
        if run is not None:
            async with run.lock:
                if run.settled:
                    return
                run.cancel_requested = True
            handler = run.handler
            if handler is not None and not handler.done():
                handler.cancel()
                await asyncio.wait({handler}, timeout=self.cancel_grace_s)
        updater = TaskUpdater(event_queue, task_id, context_id)
        try:
            await updater.cancel(message=_agent_message(updater, [Part(text=_CANCELED_TEXT)]))
        finally:
            if run is not None:
                run.cancel_published.set()

    async def _open(
        self, context: RequestContext, event_queue: EventQueue, updater: TaskUpdater
    ) -> PendingQuestion | None:
        """Publish the task's opening events; return the question this message answers, if any."""
        task = context.current_task
        if task is None:
            opening = Task(
                id=updater.task_id,
                context_id=updater.context_id,
                status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
            )
            opening.status.timestamp.FromDatetime(datetime.now(UTC))
            if context.message is not None:
                opening.history.append(context.message)
            await event_queue.enqueue_event(opening)
            await updater.start_work()
            return None
        pending = _pending_question(task)
        if pending is None:
            await updater.start_work()
        else:
            await updater.update_status(TaskState.TASK_STATE_WORKING, metadata={METADATA_PENDING: None})
        return pending

    async def _run_handler(
        self,
        context: RequestContext,
        run: _Run,
        task_id: str,
        context_id: str,
        pending: PendingQuestion | None,
    ) -> Outcome | None:
        """The handler's outcome, or None when `cancel` took over the task."""
        if context.message is None:
            return Failure(reason="The request carried no message.")
        try:
            user = read_user_message(context.message, accepts_files=True)
        except RequestError as exc:
            return Rejection(reason=str(exc))
        front_end = _from_front_end(context)
        request = AgentRequest(
            task_id=task_id,
            context_id=context_id,
            message_id=user.message_id,
            text=user.text,
            intent=user.intent,
            files=user.files,
            seat=user.seat or ("driver" if front_end else None),
            origin=user.origin or ("occupant" if front_end else None),
            metadata=user.metadata,
            resumed=pending,
        )
        if run.taken_over():
            await run.cancel_published.wait()
            return None
        run.handler = asyncio.create_task(self._guarded_handle(request), name=f"cabin-handle:{task_id}")
        try:
            return await run.handler
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if (current is not None and current.cancelling()) or not run.taken_over():
                raise
            # `cancel` stopped the handler; it publishes CANCELED, which must land before this
            # turn reports completion to the framework.
            await run.cancel_published.wait()
            return None

    async def _guarded_handle(self, request: AgentRequest) -> Outcome:
        try:
            async with asyncio.timeout(self.handler_timeout_s):
                # Typed as object: a subclass outside mypy's view may return anything.
                outcome: object = await self.handle(request)
        except TimeoutError:
            logger.warning("task %s: handler ran past %s s", request.task_id, self.handler_timeout_s)
            return Failure(reason="That took too long, so I stopped.")
        except Exception:
            logger.exception("task %s: handler raised", request.task_id)
            return Failure(reason="Something went wrong on my side.")
        if not isinstance(outcome, Reply | Question | Rejection | Failure):
            logger.error("task %s: handler returned %r, not an Outcome", request.task_id, outcome)
            return Failure(reason="Something went wrong on my side.")
        return outcome


def _from_front_end(context: RequestContext) -> bool:
    """Whether the call came with a front-end token (see `BearerTokenMiddleware`)."""
    auth = context.call_context.state.get("auth") if context.call_context is not None else None
    return isinstance(auth, AuthCredentials) and FRONT_END_SCOPE in auth.scopes


def _ids(context: RequestContext) -> tuple[str, str]:
    if not context.task_id or not context.context_id:
        raise InternalError(message="the request context carries no task id or context id")
    return context.task_id, context.context_id


def _pending_question(task: Task) -> PendingQuestion | None:
    if task.status.state != TaskState.TASK_STATE_INPUT_REQUIRED:
        return None
    saved = struct_to_python(task.metadata).get(METADATA_PENDING)
    if saved is None:
        return None
    try:
        return PendingQuestion.model_validate(saved)
    except ValidationError:
        logger.warning("task %s: saved question state is unreadable; resuming without it", task.id)
        return None


def _agent_message(updater: TaskUpdater, parts: list[Part]) -> Message:
    return updater.new_agent_message(parts)


def _parts(text: str, data: dict[str, JsonValue]) -> list[Part]:
    return [Part(text=text, media_type="text/plain"), data_part(data)]


async def _publish(outcome: Outcome, updater: TaskUpdater) -> None:
    if isinstance(outcome, Reply):
        # Built once: the artifact and the status message each copy the parts (protobuf fields).
        parts = _parts(outcome.text, outcome.data)
        await updater.add_artifact(parts, name="result")
        await updater.complete(message=_agent_message(updater, parts))
    elif isinstance(outcome, Question):
        pending = PendingQuestion(question=outcome.text, state=outcome.state)
        await updater.update_status(
            TaskState.TASK_STATE_INPUT_REQUIRED,
            message=_agent_message(updater, _parts(outcome.text, outcome.data)),
            metadata={METADATA_PENDING: pending.model_dump(mode="json")},
        )
    elif isinstance(outcome, Rejection):
        await updater.reject(message=_agent_message(updater, _parts(outcome.reason, outcome.data)))
    else:
        await updater.failed(message=_agent_message(updater, _parts(outcome.reason, outcome.data)))
