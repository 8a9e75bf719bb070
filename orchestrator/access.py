"""Who may use the front-end API, and how: the guard in front of every request (docs/orchestrator.md).

:class:`FrontEndGuard` wraps the whole orchestrator app and, before anything reads a request:

- answers 421 unless the ``Host`` header names a loopback address or the configured host (a web page
  whose own name resolves to 127.0.0.1, DNS rebinding, cannot reach the API);
- on every ``/v1`` path, answers 401 unless the request carries the front-end token
  (``Authorization: Bearer <token>``) or the cockpit's session cookie; ``token=None`` is insecure mode
  (``cabin run --insecure``) and checks no credential;
- answers 403 to a state-changing request (``POST``, ``PUT``, ``PATCH``, ``DELETE``) sent by a web page of
  another origin (its ``Origin`` or ``Sec-Fetch-Site`` header says so);
- answers 415 to a ``/v1`` request with a body not declared as JSON (``Content-Type``);
- answers 413 to a body larger than ``max_body_bytes``, without reading more of it than the cap;
- answers 500 in the API's error shape, keeping the connection open, if the app fails unexpectedly.

The cockpit logs in the Jupyter way: a holder of the token asks ``POST /v1/login-codes`` for a
one-time code (``cabin run`` and ``cabin login`` do, and print the URL); opening
``/login?code=...`` within ``LOGIN_CODE_TTL_S`` exchanges it, once, for an HttpOnly, SameSite=Strict
cookie holding a session credential signed with a key derived from the token. Session credentials
hold no state on the server: they stay valid across a restart of the orchestrator, until they expire.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from agents.hosting.guards import DEFAULT_MAX_BODY_BYTES, is_json_media, replay_body

from .supervisor import RUN_DIR

if TYPE_CHECKING:
    from starlette.datastructures import Headers
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from .models import LoginLink

__all__ = [
    "LOGIN_CODE_TTL_S",
    "LOOPBACK_HOSTS",
    "SESSION_COOKIE",
    "SESSION_TTL_S",
    "TOKEN_ENV",
    "TOKEN_FILE",
    "FrontEndAccess",
    "FrontEndGuard",
    "LoginCode",
    "add_token_option",
    "bearer",
    "error_body",
    "error_response",
    "front_end_token",
    "login_link",
]

logger = logging.getLogger(__name__)

SESSION_COOKIE = "cabin_session"
SESSION_TTL_S = 12 * 3600
LOGIN_CODE_TTL_S = 300
MAX_OPEN_CODES = 32
TOKEN_FILE = RUN_DIR / "operator-token"
TOKEN_ENV = "CABIN_OPERATOR_TOKEN"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    421: "wrong_host",
    422: "invalid_request",
    500: "internal_error",
    502: "bad_gateway",
    503: "unavailable",
}


def error_code(status: int) -> str:
    """The ``error`` code of an :class:`ErrorBody` for an HTTP status."""
    return ERROR_CODES.get(status, "client_error" if status < 500 else "server_error")


def error_body(status: int, detail: str, problems: Iterable[tuple[str, str]] = ()) -> bytes:
    from .models import ErrorBody

    body = ErrorBody.model_validate(
        {
            "error": error_code(status),
            "detail": detail,
            "problems": [{"field": f, "message": m} for f, m in problems],
        }
    )
    return body.model_dump_json().encode()


async def error_response(
    send: Send, status: int, detail: str, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Send an :class:`ErrorBody` answer from ASGI middleware."""
    body = error_body(status, detail)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def host_name(authority: str) -> str | None:
    """The host name of a ``Host`` header value (no port, no IPv6 brackets, lower case); None when it
    is not a well-formed authority."""
    authority = authority.strip().lower()
    if not authority or any(c in authority for c in "/\\@ \t?#"):
        return None
    if authority.startswith("["):
        end = authority.find("]")
        if end < 0 or (authority[end + 1 :] and not _is_port(authority[end + 1 :])):
            return None
        return authority[1:end]
    name, colon, port = authority.partition(":")
    if colon and not port.isdigit():
        return None
    return name.rstrip(".") or None


def _is_port(rest: str) -> bool:
    return rest.startswith(":") and rest[1:].isdigit()


@dataclass(frozen=True)
class LoginCode:
    """A one-time login code and when (``time.monotonic``) it expires."""

    code: str
    expires_at: float


class FrontEndAccess:
    """The front-end's credentials: the token, one-time login codes, and signed session cookies.

    ``token=None`` is insecure mode: every request is admitted. ``hosts`` are the host names accepted
    in ``Host`` besides the loopback names."""

    def __init__(self, token: str | None, hosts: Iterable[str] = ()) -> None:
        self.token = token
        self.hosts = LOOPBACK_HOSTS | {
            name for name in (host_name(h) for h in hosts) if name and name not in ("0.0.0.0", "::")
        }
        self._key = (
            hmac.new(token.encode(), b"cabin front-end session", hashlib.sha256).digest() if token else b""
        )
        self._codes: OrderedDict[str, float] = OrderedDict()

    @property
    def insecure(self) -> bool:
        return self.token is None

    def host_allowed(self, authority: str | None) -> bool:
        name = host_name(authority) if authority is not None else None
        return name is not None and name in self.hosts

    def bearer_valid(self, header: str | None) -> bool:
        if self.token is None or header is None or header[:7].lower() != "bearer ":
            return False
        return hmac.compare_digest(header[7:].strip().encode(errors="replace"), self.token.encode())

    def admits(self, headers: Headers) -> bool:
        """Whether a request with ``headers`` may use the API (token or session cookie)."""
        if self.token is None:
            return True
        if self.bearer_valid(headers.get("authorization")):
            return True
        return self.session_valid(_cookie(headers.get("cookie"), SESSION_COOKIE))

    def new_login_code(self, now: float | None = None) -> LoginCode:
        now = time.monotonic() if now is None else now
        self._expire(now)
        while len(self._codes) >= MAX_OPEN_CODES:
            self._codes.popitem(last=False)
        code = secrets.token_urlsafe(24)
        self._codes[code] = now + LOGIN_CODE_TTL_S
        return LoginCode(code, now + LOGIN_CODE_TTL_S)

    def redeem(self, code: str, now: float | None = None) -> str | None:
        """Exchange a login code (once, before it expires) for a session credential."""
        now = time.monotonic() if now is None else now
        self._expire(now)
        if self.token is None or self._codes.pop(code, None) is None:
            return None
        return self.new_session()

    def new_session(self, now: float | None = None) -> str:
        expires = int((time.time() if now is None else now) + SESSION_TTL_S)
        payload = f"{expires}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{self._sign(payload)}"

    def session_valid(self, credential: str | None, now: float | None = None) -> bool:
        if self.token is None or not credential or len(credential) > 200:
            return False
        payload, _, signature = credential.rpartition(".")
        expires, _, _nonce = payload.partition(".")
        if not expires.isdigit() or not hmac.compare_digest(
            signature.encode(errors="replace"), self._sign(payload).encode()
        ):
            return False
        return int(expires) > (time.time() if now is None else now)

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, payload.encode(errors="replace"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _expire(self, now: float) -> None:
        for code, expires in list(self._codes.items()):
            if expires <= now:
                del self._codes[code]


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


class FrontEndGuard:
    """ASGI middleware: the checks listed in the module docstring, in that order. ``protected`` is the
    path prefix that needs a credential."""

    def __init__(
        self,
        app: ASGIApp,
        access: FrontEndAccess,
        *,
        protected: str = "/v1",
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.access = access
        self.protected = protected
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from starlette.datastructures import Headers

        headers = Headers(scope=scope)
        if not self.access.host_allowed(headers.get("host")):
            await error_response(
                send, 421, "this server answers only for its own address (127.0.0.1 or localhost)"
            )
            return
        path: str = scope["path"]
        protected = path == self.protected or path.startswith(self.protected + "/")
        if protected and not self.access.admits(headers):
            given = headers.get("authorization") or _cookie(headers.get("cookie"), SESSION_COOKIE)
            reason = "the token or session is not valid" if given else "no front-end token was sent"
            await error_response(
                send,
                401,
                f"{reason}: send 'Authorization: Bearer <token>' with the token in "
                ".cabin/run/operator-token, or log in with the URL `cabin login` prints",
                [(b"www-authenticate", b'Bearer realm="cabin"')],
            )
            return
        if scope["method"] in STATE_CHANGING and not self._same_origin(headers):
            await error_response(send, 403, "a request from another web origin may not change anything")
            return
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending the whole body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        declared_type = headers.get("content-type")
        if protected and body and (declared_type is None or not is_json_media(declared_type)):
            what = repr(declared_type.split(";")[0].strip()) if declared_type else "not declared"
            await error_response(send, 415, f"the body's Content-Type is {what}; send application/json")
            return
        await self._run(scope, replay_body(body, receive), send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            # Starlette answered already (500 in the error shape); an exception left to the server
            # would make it drop the connection, and the client's next request with it.
            logger.exception("unexpected failure serving %s %s", scope["method"], scope["path"])
            if not started:
                await error_response(send, 500, "the orchestrator failed unexpectedly; see its log")

    def _same_origin(self, headers: Headers) -> bool:
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True  # not sent by a browser page (curl, httpx): the credential decides
        parts = urlsplit(origin) if origin != "null" else None
        host = headers.get("host")
        return parts is not None and host is not None and parts.netloc.lower() == host.strip().lower()

    async def _too_large(self, send: Send) -> None:
        await error_response(
            send,
            413,
            f"the request body is larger than the {self.max_body_bytes}-byte limit",
            [(b"connection", b"close")],
        )


# -- the client side: what `cabin login`, `cabin run`, `cabin bench --url` and `cabin replay --url` use --


def front_end_token(explicit: str | None = None, token_file: Path = TOKEN_FILE) -> str | None:
    """The token to send: ``explicit`` (a ``--token`` option), else ``$CABIN_OPERATOR_TOKEN``, else the
    file ``cabin run`` wrote in this folder; None when there is none (a stack run with ``--insecure``)."""
    if explicit:
        return explicit
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    try:
        return token_file.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def add_token_option(parser: argparse.ArgumentParser) -> None:
    """``--token`` for a command that talks to a running stack's front-end API."""
    parser.add_argument(
        "--token", help=f"the front-end token (default: ${TOKEN_ENV}, else {TOKEN_FILE} in this folder)"
    )


def bearer(token: str | None) -> dict[str, str]:
    """The ``Authorization`` header for ``token`` (none for an insecure stack)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def login_link(base_url: str, token: str, timeout_s: float = 10.0) -> LoginLink:
    """Ask the orchestrator at ``base_url`` for a one-time cockpit login link. Raises httpx.HTTPError."""
    import httpx

    from .models import LoginLink

    response = httpx.post(f"{base_url.rstrip('/')}/v1/login-codes", headers=bearer(token), timeout=timeout_s)
    response.raise_for_status()
    return LoginLink.model_validate(response.json())
