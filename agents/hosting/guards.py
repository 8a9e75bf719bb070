"""Request guards of an agent app: body-size cap and JSON content type, answered in protocol shape.

Both bindings of A2A 1.0 exchange `application/json` (spec 9.1 and 11.1). A request that breaks
that, or is larger than the cap, is refused before the SDK sees it: on the JSON-RPC path with a
JSON-RPC error object (HTTP 200, as that binding answers every request error), elsewhere with the
HTTP+JSON binding's error payload and HTTP status.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.hosting.errors import ConfigurationError

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "HTTP_STATUS_BY_REASON",
    "MIN_BODY_BYTES",
    "BodySizeLimitMiddleware",
    "ErrorStatusMiddleware",
    "JsonContentTypeMiddleware",
    "JsonMediaTypeMiddleware",
    "is_json_media",
    "replay_body",
]

DEFAULT_MAX_BODY_BYTES = 64 * 1024
"""Largest request body an agent accepts by default: far above any spoken request."""

MIN_BODY_BYTES = 1024
"""Smallest cap that still admits an ordinary A2A request."""

_INVALID_REQUEST = -32600
_CONTENT_TYPE_NOT_SUPPORTED = -32005

HTTP_STATUS_BY_REASON = {"TASK_NOT_CANCELABLE": 409, "CONTENT_TYPE_NOT_SUPPORTED": 415}
"""HTTP+JSON statuses the A2A spec (section 11.6) gives these errors, where the SDK answers 400."""


async def _refuse(
    scope: Scope,
    send: Send,
    *,
    jsonrpc_path: str,
    jsonrpc_code: int,
    http_status: int,
    reason: str,
    problem: str,
) -> None:
    if scope["path"] == jsonrpc_path and scope["method"] == "POST":
        status = 200
        payload: dict[str, object] = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": jsonrpc_code, "message": problem},
        }
    else:
        status = http_status
        payload = {
            "error": {
                "code": http_status,
                "status": "INVALID_ARGUMENT",
                "message": problem,
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": reason,
                        "domain": "a2a-protocol.org",
                        "metadata": {},
                    }
                ],
            }
        }
    body = json.dumps(payload, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    """ASGI middleware that refuses request bodies larger than `max_bytes`.

    The body is read (up to the cap) before the app runs, then handed on unchanged. An oversized
    body gets JSON-RPC error -32600 on the JSON-RPC path, HTTP 413 elsewhere; both name the cap.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, jsonrpc_path: str) -> None:
        if max_bytes < MIN_BODY_BYTES:
            raise ConfigurationError(f"max_body_bytes must be at least {MIN_BODY_BYTES}, not {max_bytes}")
        self._app = app
        self._max_bytes = max_bytes
        self._jsonrpc_path = jsonrpc_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
            await self._too_large(scope, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before sending the whole body.
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_bytes:
                await self._too_large(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self._app(scope, replay_body(b"".join(chunks), receive), send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        await _refuse(
            scope,
            send,
            jsonrpc_path=self._jsonrpc_path,
            jsonrpc_code=_INVALID_REQUEST,
            http_status=413,
            reason="INVALID_REQUEST",
            problem=f"the request body is larger than the {self._max_bytes}-byte limit",
        )


class JsonContentTypeMiddleware:
    """ASGI middleware that refuses a request body declared as anything but JSON.

    A request whose `Content-Type` names a non-JSON media type (`text/plain`, a form, ...) gets
    ContentTypeNotSupportedError: -32005 on the JSON-RPC path, HTTP 415 elsewhere. A request with
    no `Content-Type` header is let through, and so are `application/json` and any `+json` type.
    """

    def __init__(self, app: ASGIApp, *, jsonrpc_path: str) -> None:
        self._app = app
        self._jsonrpc_path = jsonrpc_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            declared = Headers(scope=scope).get("content-type")
            if declared is not None and not is_json_media(declared):
                await _refuse(
                    scope,
                    send,
                    jsonrpc_path=self._jsonrpc_path,
                    jsonrpc_code=_CONTENT_TYPE_NOT_SUPPORTED,
                    http_status=415,
                    reason="CONTENT_TYPE_NOT_SUPPORTED",
                    problem=f"Content-Type {declared.split(';')[0].strip()!r} is not supported; "
                    "send application/json",
                )
                return
        await self._app(scope, receive, send)


class ErrorStatusMiddleware:
    """ASGI middleware that gives HTTP+JSON error answers the status the spec names for their reason.

    The SDK answers TaskNotCancelable and ContentTypeNotSupported with HTTP 400; the spec says 409
    and 415 (`HTTP_STATUS_BY_REASON`). A 400 answer outside the JSON-RPC path is read (it is small),
    and when its `google.rpc.ErrorInfo` reason is one of those, its status and `error.code` are set.
    """

    def __init__(self, app: ASGIApp, *, jsonrpc_path: str) -> None:
        self._app = app
        self._jsonrpc_path = jsonrpc_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == self._jsonrpc_path:
            await self._app(scope, receive, send)
            return
        held: Message | None = None
        chunks: list[bytes] = []

        async def remap(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and message["status"] == 400:
                held = message
                return
            if held is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            start, body = _restatus(held, b"".join(chunks))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self._app(scope, receive, remap)


def _restatus(start: Message, body: bytes) -> tuple[Message, bytes]:
    try:
        error = json.loads(body)["error"]
        reasons = [d.get("reason") for d in error.get("details", []) if isinstance(d, dict)]
    except (ValueError, KeyError, TypeError, AttributeError):
        return start, body
    status = next((HTTP_STATUS_BY_REASON[r] for r in reasons if r in HTTP_STATUS_BY_REASON), None)
    if status is None:
        return start, body
    error["code"] = status
    body = json.dumps({"error": error}, separators=(",", ":")).encode()
    headers = MutableHeaders(raw=list(start.get("headers", [])))
    headers["content-length"] = str(len(body))
    return {**start, "status": status, "headers": headers.raw}, body


class JsonMediaTypeMiddleware:
    """ASGI middleware that labels HTTP+JSON responses `application/json` (spec 11.1).

    The SDK labels them `application/a2a+json`; the binding's protocol requirements name
    `application/json`, and that is what conformance suites check. Streams are left alone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def relabel(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if headers.get("content-type", "").startswith("application/a2a+json"):
                    headers["content-type"] = "application/json"
            await send(message)

        await self._app(scope, receive, relabel)


def is_json_media(content_type: str) -> bool:
    """Whether a Content-Type header names JSON (``application/json`` or any ``+json`` type)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def replay_body(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives an app the already-read `body` once, then passes through."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        # After the body, pass through so the app still learns of a disconnect (streams need it).
        return await receive()

    return replay
