"""Bearer-token protection for the service's HTTP endpoint: the service's own token, and optionally a
second, read-only one that may call only the tools that change nothing."""

from __future__ import annotations

import hmac
import json
from collections.abc import Collection
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mcp_servers.http import BearerAuth
from mcp_servers.perception.errors import ConfigError

TOKEN_ENV = "CABIN_MCP_TOKEN"
READ_TOKEN_ENV = "CABIN_MCP_READ_TOKEN"


def check_token(token: str) -> str:
    """Return ``token`` if it is usable as a bearer token, else raise ``ConfigError``."""
    if not token or any(char.isspace() for char in token) or not token.isprintable():
        raise ConfigError("the bearer token must be a non-empty string without spaces or control characters")
    return token


def _bearer(scope: Scope) -> bytes:
    header = dict(scope.get("headers") or []).get(b"authorization", b"")
    return header[7:].strip() if header[:7].lower() == b"bearer " else b""


def _called_tools(body: bytes) -> list[str]:
    """The tool names a JSON-RPC message (or batch) calls; a body that is not JSON calls none."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return []
    messages = parsed if isinstance(parsed, list) else [parsed]
    called: list[str] = []
    for message in messages:
        if isinstance(message, dict) and message.get("method") == "tools/call":
            params = message.get("params")
            name = params.get("name") if isinstance(params, dict) else None
            called.append(name if isinstance(name, str) else repr(name))
    return called


class ReadOnlyGate:
    """ASGI middleware: a request bearing ``read_token`` that calls a tool outside ``tools`` gets 403
    (JSON naming the tool) and never reaches the server; every other request passes untouched."""

    def __init__(self, app: ASGIApp, read_token: str, tools: Collection[str]) -> None:
        self.app = app
        self.read_token = read_token.encode()
        self.tools = frozenset(tools)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not hmac.compare_digest(_bearer(scope), self.read_token)
        ):
            await self.app(scope, receive, send)
            return
        received: list[Message] = []
        body = b""
        while True:
            message = await receive()
            received.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        refused = [name for name in _called_tools(body) if name not in self.tools]
        if refused:
            detail = f"the read-only token may not call {', '.join(refused)}"
            payload = json.dumps({"error": "forbidden", "detail": detail, "error_description": detail})
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": payload.encode()})
            return
        replay = iter(received)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


class BearerTokenMiddleware(BearerAuth):
    """Every HTTP request needs ``Authorization: Bearer <token>`` (or ``<read_token>``), else 401 (see
    :class:`mcp_servers.http.BearerAuth`); lifespan events pass through untouched. A request with the
    read-only token may call only ``read_only_tools`` (:class:`ReadOnlyGate`)."""

    def __init__(
        self,
        app: ASGIApp,
        token: str,
        *,
        read_token: str | None = None,
        read_only_tools: Collection[str] = (),
    ) -> None:
        tokens = [check_token(token)]
        if read_token is not None:
            if check_token(read_token) == token:
                raise ConfigError("the read-only token must differ from the server's own token")
            tokens.append(read_token)
            app = ReadOnlyGate(app, read_token, read_only_tools)
        super().__init__(app, tokens, public_paths=())
