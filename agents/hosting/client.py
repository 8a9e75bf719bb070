"""A thin typed A2A client for calling one cabin agent over JSON-RPC (what the orchestrator uses)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Literal, Self

import httpx
from a2a.client import (
    A2ACardResolver,
    A2AClientError,
    A2AClientTimeoutError,
    AgentCardResolutionError,
    AuthInterceptor,
    Client,
    ClientCallContext,
    ClientCallInterceptor,
    ClientConfig,
    ClientFactory,
    CredentialService,
)
from a2a.types import (
    AgentCard,
    CancelTaskRequest,
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskState,
)
from a2a.utils.constants import PROTOCOL_VERSION_1_0, VERSION_HEADER, TransportProtocol
from a2a.utils.errors import JSON_RPC_ERROR_CODE_MAP, A2AError
from google.protobuf import json_format, struct_pb2
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents.hosting.errors import (
    AgentAuthError,
    AgentCallError,
    AgentProtocolError,
    AgentUnreachableError,
    TaskNotCancelableError,
    UnknownTaskError,
)
from agents.hosting.messages import (
    METADATA_ORIGIN,
    METADATA_SEAT,
    Origin,
    Seat,
    data_part,
    struct_to_python,
    value_to_python,
)
from agents.hosting.spec import normalize_base_url

__all__ = ["AgentClient", "AgentResult", "TaskStateName"]

TaskStateName = Literal[
    "submitted",
    "working",
    "input_required",
    "completed",
    "canceled",
    "failed",
    "rejected",
    "auth_required",
    "unknown",
]

_STATE_NAMES: dict[int, TaskStateName] = {
    TaskState.TASK_STATE_SUBMITTED: "submitted",
    TaskState.TASK_STATE_WORKING: "working",
    TaskState.TASK_STATE_INPUT_REQUIRED: "input_required",
    TaskState.TASK_STATE_COMPLETED: "completed",
    TaskState.TASK_STATE_CANCELED: "canceled",
    TaskState.TASK_STATE_FAILED: "failed",
    TaskState.TASK_STATE_REJECTED: "rejected",
    TaskState.TASK_STATE_AUTH_REQUIRED: "auth_required",
}
_TERMINAL: frozenset[TaskStateName] = frozenset({"completed", "canceled", "failed", "rejected"})
_CODE_ERRORS: dict[int, type[AgentProtocolError]] = {-32001: UnknownTaskError, -32002: TaskNotCancelableError}


class AgentResult(BaseModel):
    """Where a task stands after a call: its state, the agent's last words and structured data.

    `text` and `data` come from the latest agent message (the status message; for a reply sent as
    a bare Message, that message). `data` is None when that message had no data part.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    state: TaskStateName
    text: str = ""
    data: dict[str, JsonValue] | None = None
    task_id: str | None = None
    context_id: str | None = None
    metadata: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def is_terminal(self) -> bool:
        """True for completed, canceled, failed and rejected: the task will not change again."""
        return self.state in _TERMINAL

    @property
    def needs_input(self) -> bool:
        """True when the agent asked a question; answer with `send_text(..., task_id=...)`."""
        return self.state == "input_required"


class _StaticToken(CredentialService):
    """Hands the same token to every security scheme the agent's card asks for."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def get_credentials(self, security_scheme_name: str, context: ClientCallContext | None) -> str:
        return self._token


class AgentClient:
    """Client for one agent at `base_url`, speaking A2A 1.0 over JSON-RPC.

    The Agent Card is fetched on first use; the token, when given, is sent as
    `Authorization: Bearer <token>` whenever the card declares a bearer scheme. Pass `http_client`
    to reuse a connection pool or to talk to an app in memory (`httpx.ASGITransport`); the client
    then never closes it. `streaming=True` uses `SendStreamingMessage` when the card allows it.
    `timeout_s` bounds each call (a whole stream included). Every failure is raised as an
    `AgentCallError` subclass.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        streaming: bool = False,
        timeout_s: float = 30.0,
    ) -> None:
        self._base_url = normalize_base_url(base_url)
        self._token = token
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else httpx.AsyncClient(timeout=timeout_s)
        self._streaming = streaming
        self._timeout_s = timeout_s
        self._card: AgentCard | None = None
        self._client: Client | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._client is not None:
            await self._client.close()
            self._client = None
        if self._owns_http and not self._http.is_closed:
            await self._http.aclose()

    async def get_card(self, *, refresh: bool = False) -> AgentCard:
        """The agent's card from `/.well-known/agent-card.json` (cached after the first fetch)."""
        if self._card is None or refresh:
            resolver = A2ACardResolver(self._http, self._base_url)
            try:
                self._card = await resolver.get_agent_card()
            except AgentCardResolutionError as exc:
                raise AgentUnreachableError(f"no Agent Card at {self._base_url}: {exc.message}") from exc
            if self._client is not None:
                await self._client.close()
                self._client = None
        return self._card

    async def send_text(
        self,
        text: str,
        *,
        data: dict[str, JsonValue] | None = None,
        seat: Seat | None = None,
        origin: Origin | None = None,
        metadata: dict[str, JsonValue] | None = None,
        task_id: str | None = None,
        context_id: str | None = None,
    ) -> AgentResult:
        """Send `text` (plus an optional data part, e.g. a parsed intent) and wait for the outcome.

        `seat` and `origin` land in the message metadata as `cabin/seat` / `cabin/origin`, beside
        whatever `metadata` holds. Pass `task_id` (and optionally `context_id`) to answer a
        question the agent asked. Returns once the task is terminal or waits for input.
        """
        result: AgentResult | None = None
        async for update in self.stream_text(
            text,
            data=data,
            seat=seat,
            origin=origin,
            metadata=metadata,
            task_id=task_id,
            context_id=context_id,
        ):
            result = update
        if result is None:
            raise AgentProtocolError("the agent answered with no event", code=None)
        return result

    async def stream_text(
        self,
        text: str,
        *,
        data: dict[str, JsonValue] | None = None,
        seat: Seat | None = None,
        origin: Origin | None = None,
        metadata: dict[str, JsonValue] | None = None,
        task_id: str | None = None,
        context_id: str | None = None,
    ) -> AsyncIterator[AgentResult]:
        """Like `send_text`, but yields an `AgentResult` after every event the agent sends."""
        request = SendMessageRequest(
            message=_user_message(text, data, seat, origin, metadata, task_id, context_id),
            # Only the latest status message is read: the task's history need not travel back.
            configuration=SendMessageConfiguration(history_length=0),
        )
        client = await self._sdk_client()
        tracker = _Tracker()
        try:
            async for event in client.send_message(request, context=self._call_context()):
                yield tracker.apply(event)
        except (A2AError, httpx.HTTPError) as exc:
            raise _translate(exc) from exc

    async def get_task(self, task_id: str) -> AgentResult:
        """The task's current state (GetTask)."""
        client = await self._sdk_client()
        try:
            task = await client.get_task(GetTaskRequest(id=task_id), context=self._call_context())
        except (A2AError, httpx.HTTPError) as exc:
            raise _translate(exc) from exc
        return _from_task(task)

    async def cancel(self, task_id: str) -> AgentResult:
        """Cancel the task (CancelTask). Raises TaskNotCancelableError once it is already final."""
        client = await self._sdk_client()
        try:
            task = await client.cancel_task(CancelTaskRequest(id=task_id), context=self._call_context())
        except (A2AError, httpx.HTTPError) as exc:
            raise _translate(exc) from exc
        return _from_task(task)

    def _call_context(self) -> ClientCallContext:
        return ClientCallContext(
            timeout=self._timeout_s, service_parameters={VERSION_HEADER: PROTOCOL_VERSION_1_0}
        )

    async def _sdk_client(self) -> Client:
        if self._client is None:
            card = await self.get_card()
            factory = ClientFactory(
                ClientConfig(
                    streaming=self._streaming,
                    httpx_client=self._http,
                    supported_protocol_bindings=[TransportProtocol.JSONRPC.value],
                )
            )
            interceptors: list[ClientCallInterceptor] = (
                [AuthInterceptor(_StaticToken(self._token))] if self._token else []
            )
            try:
                self._client = factory.create(card, interceptors=interceptors)
            except ValueError as exc:
                raise AgentProtocolError(
                    f"the agent at {self._base_url} offers no JSON-RPC interface: {exc}", code=None
                ) from exc
        return self._client


def _user_message(
    text: str,
    data: dict[str, JsonValue] | None,
    seat: Seat | None,
    origin: Origin | None,
    metadata: dict[str, JsonValue] | None,
    task_id: str | None,
    context_id: str | None,
) -> Message:
    fields: dict[str, JsonValue] = dict(metadata or {})
    if seat is not None:
        fields[METADATA_SEAT] = seat
    if origin is not None:
        fields[METADATA_ORIGIN] = origin
    parts = [Part(text=text, media_type="text/plain")]
    if data is not None:
        parts.append(data_part(data))
    message = Message(
        message_id=str(uuid.uuid4()),
        role=Role.ROLE_USER,
        parts=parts,
        task_id=task_id or "",
        context_id=context_id or "",
    )
    if fields:
        message.metadata.CopyFrom(json_format.ParseDict(fields, struct_pb2.Struct()))
    return message


def _words(message: Message) -> tuple[str, dict[str, JsonValue] | None]:
    texts = [part.text for part in message.parts if part.WhichOneof("content") == "text"]
    data: dict[str, JsonValue] | None = None
    for part in message.parts:
        if part.WhichOneof("content") == "data":
            value = value_to_python(part.data)
            if isinstance(value, dict):
                data = value
                break
    return "\n".join(texts), data


def _from_task(task: Task) -> AgentResult:
    text, data = _words(task.status.message) if task.status.HasField("message") else ("", None)
    return AgentResult(
        state=_STATE_NAMES.get(task.status.state, "unknown"),
        text=text,
        data=data,
        task_id=task.id,
        context_id=task.context_id,
        metadata=struct_to_python(task.metadata),
    )


class _Tracker:
    """Folds a stream of A2A events into the latest `AgentResult`."""

    def __init__(self) -> None:
        self._result = AgentResult(state="unknown")

    def apply(self, event: StreamResponse) -> AgentResult:
        kind = event.WhichOneof("payload")
        if kind == "task":
            self._result = _from_task(event.task)
        elif kind == "status_update":
            update = event.status_update
            text, data = self._result.text, self._result.data
            if update.status.HasField("message"):
                text, data = _words(update.status.message)
            metadata = dict(self._result.metadata)
            metadata.update(struct_to_python(update.metadata))
            self._result = AgentResult(
                state=_STATE_NAMES.get(update.status.state, "unknown"),
                text=text,
                data=data,
                task_id=update.task_id,
                context_id=update.context_id,
                metadata=metadata,
            )
        elif kind == "message":
            text, data = _words(event.message)
            self._result = AgentResult(
                state="completed",
                text=text,
                data=data,
                task_id=event.message.task_id or None,
                context_id=event.message.context_id or None,
            )
        return self._result


def _translate(exc: A2AError | httpx.HTTPError) -> AgentCallError:
    """The hosting-layer error for an SDK or HTTP failure."""
    if isinstance(exc, A2AClientTimeoutError | httpx.TimeoutException):
        return AgentUnreachableError(f"the agent did not answer in time: {exc}")
    if isinstance(exc, A2AClientError):
        cause = exc.__cause__
        if isinstance(cause, httpx.HTTPStatusError) and cause.response.status_code in (401, 403):
            return AgentAuthError(
                f"the agent refused the call (HTTP {cause.response.status_code}); check the bearer token",
                status_code=cause.response.status_code,
            )
        if isinstance(cause, httpx.RequestError):
            return AgentUnreachableError(f"the agent could not be reached: {cause}")
        return AgentProtocolError(f"the agent's answer was not usable: {exc}", code=None)
    if isinstance(exc, A2AError):
        code = JSON_RPC_ERROR_CODE_MAP.get(type(exc))
        error_type = _CODE_ERRORS.get(code, AgentProtocolError) if code is not None else AgentProtocolError
        return error_type(f"A2A error {code}: {exc.message}", code=code)
    return AgentUnreachableError(f"the agent could not be reached: {exc}")
