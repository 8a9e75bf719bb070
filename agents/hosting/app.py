"""`build_agent_app`: one cabin agent as an A2A v1.0 ASGI app (Agent Card, JSON-RPC, HTTP+JSON)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Iterable

from a2a.server.context import ServerCallContext
from a2a.server.events import Event
from a2a.server.request_handlers import DefaultRequestHandlerV2
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes, create_rest_routes
from a2a.server.tasks import TaskStore
from a2a.types import AgentCard, Message, SendMessageRequest, Task
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH
from a2a.utils.errors import ContentTypeNotSupportedError, InvalidParamsError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from agents.hosting.auth import BearerTokenMiddleware, check_token
from agents.hosting.errors import ConfigurationError, InvalidMessageError, UnsupportedPartError
from agents.hosting.executor import CabinExecutor
from agents.hosting.guards import (
    DEFAULT_MAX_BODY_BYTES,
    MIN_BODY_BYTES,
    BodySizeLimitMiddleware,
    ErrorStatusMiddleware,
    JsonContentTypeMiddleware,
    JsonMediaTypeMiddleware,
)
from agents.hosting.messages import read_user_message
from agents.hosting.spec import JSONRPC_PATH, REST_PATH, AgentSpec, build_agent_card
from agents.hosting.store import DEFAULT_MAX_TASKS, MEMORY_URL, OpenedTaskStore, open_task_store

__all__ = ["PARKED_TASK_RELEASE_S", "AgentApplication", "build_agent_app"]

PARKED_TASK_RELEASE_S = 60.0
"""How long the SDK keeps the in-memory machinery of a task that waits for an answer (input- or
auth-required: its event queues and their dispatcher coroutine) before releasing it; the task itself
stays in the store, and an answer that comes later recreates that machinery from it. Without a
release every such task would keep its queues for the life of the process."""

WIND_DOWN_S = 2.0
"""How long ``aclose`` waits for the tasks it lets wind down (see ``_CabinRequestHandler.wind_down``)
before it closes whatever is left by force."""


class _CabinRequestHandler(DefaultRequestHandlerV2):
    """The SDK's request handler, plus cabin's message checks before any task is created."""

    def __init__(
        self,
        *,
        executor: CabinExecutor,
        task_store: TaskStore,
        card: AgentCard,
        accepts_files: bool,
        parked_task_release_s: float,
    ) -> None:
        super().__init__(
            agent_executor=executor,
            task_store=task_store,
            agent_card=card,
            validate_input_modes=True,
            interrupted_task_timeout=parked_task_release_s,
        )
        self._accepts_files = accepts_files

    async def _prepare(self, params: SendMessageRequest, context: ServerCallContext) -> None:
        """Refuse a message cabin cannot take; give a follow-up without contextId its task's context."""
        try:
            read_user_message(params.message, accepts_files=self._accepts_files)
        except UnsupportedPartError as exc:
            raise ContentTypeNotSupportedError(message=str(exc)) from exc
        except InvalidMessageError as exc:
            raise InvalidParamsError(message=str(exc)) from exc
        message = params.message
        if message.task_id and not message.context_id and isinstance(self.task_store, TaskStore):
            # The SDK would mint a fresh context id here; the spec says the task's own applies.
            task = await self.task_store.get(message.task_id, context)
            if task is not None:
                message.context_id = task.context_id

    async def wind_down(self, timeout_s: float = WIND_DOWN_S) -> None:
        """Let every task's in-memory machinery end the way it ends while the app serves, before the
        handler is closed by force.

        A task whose last event was delivered (its reply already sent) still closes its event queues
        in the background for a few turns of the event loop; a task parked on a question is released
        after ``PARKED_TASK_RELEASE_S``. The SDK's ``aclose`` closes both by force, cancelling the
        queues' dispatchers while the task's own producer is closing the same queues gracefully, and
        the producer then logs that events may be lost ("Dispatcher task was cancelled or finished",
        "Dispatcher task is not running"): no event is lost then, the order is wrong. Here a parked
        task is released at once by the SDK's own release (the task stays in the store, as after the
        timeout), and every task is given ``timeout_s`` to finish; ``aclose`` then drains what is left
        (a task still running a request). The registry is the SDK's (a2a-sdk 1.x); without one this
        returns at once."""
        registry = getattr(self, "_active_task_registry", None)
        active = getattr(registry, "_active_tasks", None)
        if not isinstance(active, dict):
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        released: set[str] = set()
        while active and loop.time() < deadline:
            for task_id, task in list(active.items()):
                if task_id not in released and not task.is_finished:
                    # The SDK's idle release, due now: it checks under the task's lock that the task
                    # is parked (interrupted, no request running or queued, no subscriber) and only
                    # then ends its producer and consumer the graceful way.
                    task._interrupted_task_timeout = 0.0
                    task.schedule_idle_release()
                    released.add(task_id)
            await asyncio.sleep(0.005)

    async def on_message_send(self, params: SendMessageRequest, context: ServerCallContext) -> Message | Task:
        await self._prepare(params, context)
        result: Message | Task = await super().on_message_send(params, context)
        return result

    async def on_message_send_stream(
        self, params: SendMessageRequest, context: ServerCallContext
    ) -> AsyncGenerator[Event, None]:
        await self._prepare(params, context)
        async for event in super().on_message_send_stream(params, context):
            yield event


class AgentApplication(Starlette):
    """The ASGI app of one agent. `aclose` (also run at ASGI lifespan shutdown) drains running
    tasks and releases the task store; call it when the app is driven without a lifespan, e.g.
    through `httpx.ASGITransport` in tests.
    """

    def __init__(
        self,
        *,
        card: AgentCard,
        handler: _CabinRequestHandler,
        opened_store: OpenedTaskStore | None,
        routes: list[BaseRoute],
        middleware: list[Middleware],
    ) -> None:
        super().__init__(routes=routes, middleware=middleware, lifespan=self._lifespan)
        self.card = card
        self.request_handler = handler
        self._opened_store = opened_store
        self._closed = False

    @property
    def task_store(self) -> TaskStore:
        """The task store the app's request handler reads and writes."""
        store = self.request_handler.task_store
        if not isinstance(store, TaskStore):
            raise TypeError("the request handler holds a versioned store, not a TaskStore")
        return store

    async def aclose(self) -> None:
        """Cancel and drain the tasks still running, then close the task store the app opened."""
        if self._closed:
            return
        self._closed = True
        await self.request_handler.wind_down()
        await self.request_handler.aclose()
        if self._opened_store is not None:
            await self._opened_store.aclose()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.aclose()


def build_agent_app(
    spec: AgentSpec,
    executor: CabinExecutor,
    *,
    base_url: str,
    token: str | None,
    extra_tokens: Iterable[str] = (),
    task_store: TaskStore | str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    max_tasks: int = DEFAULT_MAX_TASKS,
    parked_task_release_s: float = PARKED_TASK_RELEASE_S,
) -> AgentApplication:
    """Build the A2A app of one agent.

    - `base_url` is where the app is reachable (`http://127.0.0.1:8711`); the Agent Card's
      interface URLs are derived from it: JSON-RPC at `base_url`, HTTP+JSON at `base_url/rest`.
    - `token`: every A2A call must carry `Authorization: Bearer <token>` (or one of
      `extra_tokens`) or gets HTTP 401; the card at `/.well-known/agent-card.json` stays public and
      declares the bearer scheme. `token=None` is insecure mode: no scheme in the card, no check
      (then `extra_tokens` must be empty). `extra_tokens` are front-end tokens (the operator's:
      local front-ends and tools, docs/vehicle-server.md): a message sent with one that names no
      `cabin/origin` or `cabin/seat` is taken as a person's words from the driver's seat, as the
      vehicle server does for its console client. A message sent with `token` (another agent, the
      orchestrator) keeps exactly the provenance it states.
    - `task_store`: None or `memory://` for the in-memory store, `sqlite:///path.db` for SQLite
      (tasks survive a restart), or a `TaskStore` the caller owns. A store opened from a URL holds
      at most `max_tasks` tasks and drops finished ones after a while (`agents.hosting.store`).
    - `max_body_bytes` caps request bodies (default 64 KiB).
    - `parked_task_release_s`: a task waiting for an answer keeps its in-memory machinery this long
      (`PARKED_TASK_RELEASE_S`); the answer may still come later, from the store.

    Raises ConfigurationError for a bad base URL, token, task-store URL or release time.
    """
    extra = tuple(check_token(extra_token) for extra_token in extra_tokens)
    if token is None and extra:
        raise ConfigurationError("extra_tokens given without a token: insecure mode checks no token")
    tokens = (check_token(token), *extra) if token is not None else ()
    if max_body_bytes < MIN_BODY_BYTES:
        raise ConfigurationError(f"max_body_bytes must be at least {MIN_BODY_BYTES}, not {max_body_bytes}")
    if not parked_task_release_s > 0:
        raise ConfigurationError(f"parked_task_release_s must be positive, not {parked_task_release_s}")
    card = build_agent_card(spec, base_url=base_url, secured=token is not None)

    opened: OpenedTaskStore | None
    if task_store is None or isinstance(task_store, str):
        opened = open_task_store(task_store or MEMORY_URL, max_tasks=max_tasks)
        store = opened.store
    else:
        opened, store = None, task_store

    handler = _CabinRequestHandler(
        executor=executor,
        task_store=store,
        card=card,
        accepts_files=spec.accepts_files,
        parked_task_release_s=parked_task_release_s,
    )
    routes: list[BaseRoute] = [
        *create_agent_card_routes(card),
        *create_jsonrpc_routes(handler, rpc_url=JSONRPC_PATH),
        *create_rest_routes(handler, path_prefix=REST_PATH),
    ]
    # Outermost first: refuse an unauthenticated caller before reading its body, then a body of
    # the wrong type or size before the SDK parses it.
    middleware = [
        Middleware(JsonContentTypeMiddleware, jsonrpc_path=JSONRPC_PATH),
        Middleware(BodySizeLimitMiddleware, max_bytes=max_body_bytes, jsonrpc_path=JSONRPC_PATH),
        Middleware(JsonMediaTypeMiddleware),
        Middleware(ErrorStatusMiddleware, jsonrpc_path=JSONRPC_PATH),
    ]
    if tokens:
        middleware.insert(
            0,
            Middleware(
                BearerTokenMiddleware,
                tokens=tokens,
                public_paths=[AGENT_CARD_WELL_KNOWN_PATH],
                front_end_tokens=extra,
            ),
        )
    return AgentApplication(
        card=card, handler=handler, opened_store=opened, routes=routes, middleware=middleware
    )
