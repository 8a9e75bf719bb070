"""A client of the model host service with the same interface as the in-process runtime."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from models.backend import Embeddings
from models.errors import DeadlineExceeded, HostUnavailable, error_from_code
from models.runtime import CompletionStream, Prefix, Runtime
from models.types import (
    ChatRequest,
    Completion,
    CompletionRequest,
    EmbedRequest,
    ModelInfo,
    Priority,
    ScoreRequest,
    ScoreResult,
)
from models.wire import (
    ChatCall,
    CompleteCall,
    EmbedCall,
    EmbedResponse,
    PrefixCall,
    PrefixResponse,
    ScoreCall,
    decode_vectors,
)

__all__ = ["ModelHostClient"]

_GRACE_S = 2.0
PING_TIMEOUT_S = 1.0
"""How long :meth:`ModelHostClient.ping` waits for the host's ``/healthz``."""


class ModelHostClient(Runtime):
    """Talks to ``python -m models.host`` at ``base_url``.

    ``transport`` replaces the network (for example ``httpx.ASGITransport(app)`` to run a host
    application in memory). Connection problems raise ``HostUnavailable``; errors reported by the
    host are raised as the same exception classes the in-process runtime raises.
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        connect_timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"authorization": f"Bearer {token}"} if token else {}
        self._transport = transport
        self._connect_timeout = connect_timeout
        self._clients: dict[int, httpx.AsyncClient] = {}
        self._info: ModelInfo | None = None

    def _client(self) -> httpx.AsyncClient:
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(
                base_url=self.base_url,
                headers=self._headers,
                transport=self._transport,
                timeout=httpx.Timeout(None, connect=self._connect_timeout),
            )
            self._clients[loop_id] = client
        return client

    @staticmethod
    def _timeout(deadline: float | None) -> float | None:
        if deadline is None:
            return None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded("the request's deadline passed before it was sent to the model host")
        return remaining

    def _unavailable(self, exc: Exception) -> HostUnavailable:
        return HostUnavailable(
            f"cannot reach the model host at {self.base_url} ({type(exc).__name__}: {exc}); start it with "
            "`python -m models.host --port N` or unset CABIN_MODEL_HOST to load the model in-process"
        )

    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        try:
            detail = response.json()["error"]
            code, message = str(detail["code"]), str(detail["message"])
        except (ValueError, KeyError, TypeError):
            raise HostUnavailable(
                f"the model host answered {response.status_code} without an error body: {response.text[:200]}"
            ) from None
        if code == "unauthorized":
            raise HostUnavailable(f"the model host refused the request: {message}")
        raise error_from_code(code, message)

    async def _post(self, path: str, call: BaseModel, deadline: float | None) -> Any:
        timeout = self._timeout(deadline)
        http_timeout = None if timeout is None else timeout + _GRACE_S
        try:
            response = await self._client().post(
                path,
                content=call.model_dump_json(),
                headers={"content-type": "application/json"},
                timeout=http_timeout,
            )
        except httpx.TimeoutException as exc:
            raise DeadlineExceeded(f"the model host did not answer {path} before the deadline") from exc
        except httpx.HTTPError as exc:
            raise self._unavailable(exc) from exc
        self._raise_for(response)
        return response.json()

    async def model_info(self) -> ModelInfo:
        if self._info is None:
            try:
                response = await self._client().get("/v1/info")
            except httpx.HTTPError as exc:
                raise self._unavailable(exc) from exc
            self._raise_for(response)
            self._info = ModelInfo.model_validate(response.json())
        return self._info

    async def ping(self) -> None:
        """Raise ``HostUnavailable`` unless the host answers ``/healthz`` within ``PING_TIMEOUT_S``."""
        await self.health(timeout_s=PING_TIMEOUT_S)

    async def health(self, *, timeout_s: float | None = None) -> dict[str, Any]:
        """The host's ``/healthz`` answer."""
        try:
            response = await self._client().get(
                "/healthz", timeout=httpx.USE_CLIENT_DEFAULT if timeout_s is None else timeout_s
            )
        except httpx.HTTPError as exc:
            raise self._unavailable(exc) from exc
        self._raise_for(response)
        result: dict[str, Any] = response.json()
        return result

    @staticmethod
    def _call(
        request: CompletionRequest | ChatRequest, priority: int, timeout: float | None
    ) -> tuple[str, BaseModel]:
        if isinstance(request, ChatRequest):
            return "/v1/chat", ChatCall(request=request, priority=priority, timeout=timeout)
        return "/v1/complete", CompleteCall(request=request, priority=priority, timeout=timeout)

    async def complete(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> Completion:
        path, call = self._call(request, priority, self._timeout(deadline))
        return Completion.model_validate(await self._post(path, call, deadline))

    def stream_request(
        self, request: CompletionRequest | ChatRequest, *, priority: int, deadline: float | None
    ) -> CompletionStream:
        async def produce(emit: Callable[[str], None]) -> Completion:
            timeout = self._timeout(deadline)
            path, call = self._call(request, priority, timeout)
            http_timeout = None if timeout is None else timeout + _GRACE_S
            try:
                async with self._client().stream(
                    "POST",
                    path + "/stream",
                    content=call.model_dump_json(),
                    headers={"content-type": "application/json"},
                    timeout=http_timeout,
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        self._raise_for(response)
                    async for line in response.aiter_lines():
                        if not line:
                            continue
                        item = json.loads(line)
                        if "text" in item:
                            emit(str(item["text"]))
                        elif "completion" in item:
                            return Completion.model_validate(item["completion"])
                        elif "error" in item:
                            raise error_from_code(str(item["error"]["code"]), str(item["error"]["message"]))
            except httpx.TimeoutException as exc:
                raise DeadlineExceeded(
                    "the model host did not finish the stream before the deadline"
                ) from exc
            except httpx.HTTPError as exc:
                raise self._unavailable(exc) from exc
            except (ValueError, ValidationError) as exc:
                raise HostUnavailable(f"the model host sent a malformed stream: {exc}") from exc
            raise HostUnavailable("the model host ended the stream without a result")

        return CompletionStream(produce)

    async def score_request(
        self, request: ScoreRequest, *, priority: int, deadline: float | None
    ) -> ScoreResult:
        call = ScoreCall(request=request, priority=priority, timeout=self._timeout(deadline))
        return ScoreResult.model_validate(await self._post("/v1/score", call, deadline))

    async def embed_request(
        self, request: EmbedRequest, *, priority: int, deadline: float | None
    ) -> Embeddings:
        call = EmbedCall(request=request, priority=priority, timeout=self._timeout(deadline))
        payload = EmbedResponse.model_validate(await self._post("/v1/embed", call, deadline))
        return decode_vectors(payload)

    async def prefix(
        self,
        text: str,
        *,
        priority: int = Priority.BACKGROUND,
        timeout: float | None = None,  # noqa: ASYNC109 - enforced by the scheduler, queue time included
    ) -> Prefix:
        deadline = None if timeout is None else time.monotonic() + timeout
        call = PrefixCall(text=text, priority=priority, timeout=timeout)
        payload = PrefixResponse.model_validate(await self._post("/v1/prefix", call, deadline))
        return Prefix(text=payload.text, tokens=payload.tokens)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            if not client.is_closed:
                try:
                    await client.aclose()
                except RuntimeError:
                    # A client bound to an event loop that is already closed has nothing left to release.
                    continue
