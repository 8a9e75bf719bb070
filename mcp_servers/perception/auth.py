"""Bearer-token protection for the service's HTTP endpoint."""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from mcp_servers.perception.errors import ConfigError

TOKEN_ENV = "CABIN_MCP_TOKEN"


def check_token(token: str) -> str:
    """Return ``token`` if it is usable as a bearer token, else raise ``ConfigError``."""
    if not token or any(char.isspace() for char in token) or not token.isprintable():
        raise ConfigError("the bearer token must be a non-empty string without spaces or control characters")
    return token


class BearerTokenMiddleware:
    """ASGI middleware: every HTTP request needs ``Authorization: Bearer <token>``, else 401.

    Lifespan events pass through untouched, so the wrapped application starts and stops as usual.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = check_token(token).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scheme, _, credentials = Headers(scope=scope).get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self._token):
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {
                "error": "unauthorized",
                "error_description": "a valid 'Authorization: Bearer <token>' is required",
            },
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="cabin-perception"'},
        )
        await response(scope, receive, send)
