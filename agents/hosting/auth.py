"""Bearer-token enforcement for an agent app: every A2A call needs the token, the Agent Card does not.

An accepted token may be configured as itself or as its digest, ``sha256:<64 hex digits>``
(:func:`token_digest`): an agent given digests can check what its callers present without holding
any credential that another server would accept, so a leaked environment gives nothing away.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.hosting.errors import ConfigurationError

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

# Starlette is imported by the middleware when it first serves, not with this module: the token
# helpers serve `cabin run`'s supervisor too, which serves nothing (docs/performance.md, "Memory").

__all__ = [
    "FRONT_END_SCOPE",
    "TOKEN_USER",
    "BearerTokenMiddleware",
    "check_token",
    "new_token",
    "token_digest",
]

TOKEN_USER = "cabin"
"""User name the SDK sees for a caller holding a valid token; tasks are stored under it."""

FRONT_END_SCOPE = "front-end"
"""The auth scope of a caller holding a front-end token (the operator's: local front-ends and tools,
docs/orchestrator.md). What such a caller sends is what a person in the car typed or said."""

_MIN_TOKEN_LENGTH = 16
_DIGEST_PREFIX = "sha256:"
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def new_token() -> str:
    """A fresh random bearer token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """``sha256:<hex>`` of `token`: what to give a server that must accept `token` without holding it."""
    return _DIGEST_PREFIX + hashlib.sha256(check_token(token).encode()).hexdigest()


def _accepted(configured: str) -> bytes:
    """The digest bytes to compare a presented token's digest with (a plain token or its digest)."""
    if _DIGEST.fullmatch(configured):
        return bytes.fromhex(configured.removeprefix(_DIGEST_PREFIX))
    return hashlib.sha256(check_token(configured).encode()).digest()


def check_token(token: str) -> str:
    """Return `token` if it can serve as a bearer token; raise ConfigurationError saying why not."""
    if len(token) < _MIN_TOKEN_LENGTH:
        raise ConfigurationError(f"a bearer token needs at least {_MIN_TOKEN_LENGTH} characters")
    if any(char.isspace() for char in token) or not token.isprintable():
        raise ConfigurationError("a bearer token must not contain whitespace or control characters")
    return token


class BearerTokenMiddleware:
    """ASGI middleware: 401 for any request without `Authorization: Bearer <one of the tokens>`.

    Requests for the public paths (the Agent Card) pass untouched. An accepted request carries an
    authenticated user named `TOKEN_USER` in the ASGI scope, which the SDK turns into the call's
    `ServerCallContext.user`, and auth credentials (`ServerCallContext.state["auth"]`) with the scope
    `FRONT_END_SCOPE` when the token is one of `front_end_tokens` (each must also be in `tokens`).
    Each token may be given as itself or as its `token_digest`; the SHA-256 of what a caller presents
    is compared with each in constant time.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        tokens: Iterable[str],
        public_paths: Iterable[str],
        front_end_tokens: Iterable[str] = (),
    ) -> None:
        self._app = app
        self._tokens = tuple(_accepted(token) for token in tokens)
        if not self._tokens:
            raise ConfigurationError("BearerTokenMiddleware needs at least one token")
        self._front_end = tuple(_accepted(token) for token in front_end_tokens)
        if not set(self._front_end) <= set(self._tokens):
            raise ConfigurationError("every front-end token must also be an accepted token")
        self._public_paths = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or (
            scope["type"] == "http"
            and scope["path"] in self._public_paths
            and scope["method"] in ("GET", "HEAD")
        ):
            await self._app(scope, receive, send)
            return
        if scope["type"] != "http":
            # No A2A binding uses WebSockets; refuse the handshake (HTTP 403).
            await send({"type": "websocket.close", "code": 1008})
            return
        from starlette.authentication import AuthCredentials, SimpleUser
        from starlette.datastructures import Headers

        credential = self._credential(Headers(scope=scope).get("authorization"))
        if isinstance(credential, _Refusal):
            await _unauthorized(send, credential.problem)
            return
        front_end = any([hmac.compare_digest(credential, token) for token in self._front_end])
        scope["user"] = SimpleUser(TOKEN_USER)
        scope["auth"] = AuthCredentials([FRONT_END_SCOPE] if front_end else [])
        await self._app(scope, receive, send)

    def _credential(self, header: str | None) -> bytes | _Refusal:
        """The accepted token the header carries, or why it carries none."""
        if header is None:
            return _Refusal("this agent requires an Authorization: Bearer <token> header")
        scheme, _, rest = header.strip().partition(" ")
        presented = rest.strip().encode()
        if scheme.lower() != "bearer" or not presented:
            return _Refusal("the Authorization header must use the Bearer scheme")
        offered = hashlib.sha256(presented).digest()
        if not any([hmac.compare_digest(offered, token) for token in self._tokens]):
            return _Refusal("the bearer token is not valid for this agent")
        return offered


@dataclass(frozen=True, slots=True)
class _Refusal:
    problem: str


async def _unauthorized(send: Send, problem: str) -> None:
    body = json.dumps(
        {"error": {"code": 401, "status": "UNAUTHENTICATED", "message": problem}},
        separators=(",", ":"),
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="cabin"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
