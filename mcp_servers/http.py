"""Serving an MCP server over streamable HTTP on loopback, with bearer-token authentication."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

import uvicorn
from mcp.server import MCPServer
from starlette.types import ASGIApp, Receive, Scope, Send

ASGIMessage = MutableMapping[str, Any]

KEEP_ALIVE_S = 75
"""How long cabin's servers keep an idle HTTP connection open. Longer than HTTP clients keep theirs
(httpx: 5 s), so a client never sends a request on a connection the server is closing at that moment
(uvicorn's default is also 5 s: under load that race surfaced as "server disconnected")."""


class BearerAuth:
    """ASGI middleware: requests to the MCP endpoint need ``Authorization: Bearer <one of tokens>``.

    With no tokens configured every request passes (insecure mode, for local experiments). A missing
    or wrong token gets 401 with a JSON body that says which.
    """

    def __init__(
        self, app: ASGIApp, tokens: Collection[str], public_paths: Collection[str] = ("/healthz",)
    ) -> None:
        self.app = app
        self.tokens = [t.encode() for t in tokens]
        self.public_paths = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.tokens or scope.get("path") in self.public_paths:
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        token = header[7:].strip() if header[:7].lower() == b"bearer " else b""
        if any(hmac.compare_digest(token, known) for known in self.tokens):
            await self.app(scope, receive, send)
            return
        reason = "missing bearer token" if not header else "invalid bearer token"
        body = json.dumps({"error": "unauthorized", "detail": reason, "error_description": reason}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="cabin"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def health_route(app: ASGIApp) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Wrap ``app`` so ``GET /healthz`` answers 200 without touching the MCP session machinery."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == "/healthz":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"status":"ok"}'})
            return
        await app(scope, receive, send)

    return wrapped


def http_app(server: MCPServer[Any], tokens: Collection[str] = ()) -> ASGIApp:
    """The server's streamable HTTP app at ``/mcp``, guarded by :class:`BearerAuth`, plus ``/healthz``."""
    return health_route(BearerAuth(server.streamable_http_app(), tokens))


def serve_http(server: MCPServer[Any], host: str, port: int, tokens: Collection[str] = ()) -> None:
    """Run until interrupted (SIGINT/SIGTERM stop it cleanly)."""
    uvicorn.run(
        http_app(server, tokens),
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_S,
    )
