"""Bearer-token protection for the service's HTTP endpoint."""

from __future__ import annotations

from starlette.types import ASGIApp

from mcp_servers.http import BearerAuth
from mcp_servers.perception.errors import ConfigError

TOKEN_ENV = "CABIN_MCP_TOKEN"


def check_token(token: str) -> str:
    """Return ``token`` if it is usable as a bearer token, else raise ``ConfigError``."""
    if not token or any(char.isspace() for char in token) or not token.isprintable():
        raise ConfigError("the bearer token must be a non-empty string without spaces or control characters")
    return token


class BearerTokenMiddleware(BearerAuth):
    """Every HTTP request needs ``Authorization: Bearer <token>``, else 401 (see
    :class:`mcp_servers.http.BearerAuth`); lifespan events pass through untouched."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        super().__init__(app, [check_token(token)], public_paths=())
