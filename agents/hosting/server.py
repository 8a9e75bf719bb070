"""Running an agent app under uvicorn: in the foreground (`serve`) or on a free port in a thread."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Literal, Self

import uvicorn
from starlette.types import ASGIApp

from agents.hosting.errors import ConfigurationError, HostingError
from mcp_servers.http import KEEP_ALIVE_S

__all__ = ["BackgroundServer", "LogLevel", "base_url_for", "quiet_http_client_logs", "serve"]

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]

_GRACEFUL_SHUTDOWN_S = 3


def base_url_for(host: str, port: int) -> str:
    """The base URL of a server on `host:port` (IPv6 literals get their brackets)."""
    if not 0 < port < 65536:
        raise ConfigurationError(f"port {port} is outside 1..65535")
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def quiet_http_client_logs() -> None:
    """Keep the HTTP client libraries' one-line-per-request INFO logs out of a service's log.

    A service calls its MCP servers and agents on every turn; logging each of those requests costs
    more than the request itself on a small machine. Warnings and errors still come through.
    """
    for name in ("httpx", "httpx2", "httpcore", "httpcore2"):
        logging.getLogger(name).setLevel(logging.WARNING)


def serve(app: ASGIApp, *, host: str, port: int, log_level: LogLevel = "info") -> None:
    """Serve `app` with uvicorn on `host:port` until SIGINT or SIGTERM, then shut down cleanly.

    The app's ASGI lifespan runs, so an `AgentApplication` drains its tasks and closes its task
    store on the way out.
    """
    base_url_for(host, port)
    verbose = log_level in ("debug", "trace")
    if not verbose:
        quiet_http_client_logs()
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
        timeout_keep_alive=KEEP_ALIVE_S,
        access_log=verbose,
    )
    uvicorn.Server(config).run()


class BackgroundServer:
    """Runs an ASGI app under uvicorn on a free port of `host`, in a background thread.

    `factory` receives the server's base URL (the port is chosen before the app is built, so an
    Agent Card can name it) and returns the app. Use it as a context manager; the server stops,
    and the app's lifespan shutdown runs, when the block ends::

        with BackgroundServer(lambda url: build_agent_app(spec, executor, base_url=url, token=t)) as s:
            ... s.url ...
    """

    def __init__(
        self,
        factory: Callable[[str], ASGIApp],
        *,
        host: str = "127.0.0.1",
        log_level: LogLevel = "warning",
        startup_timeout_s: float = 10.0,
    ) -> None:
        self._factory = factory
        self._host = host
        self._log_level = log_level
        self._startup_timeout_s = startup_timeout_s
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._url: str | None = None
        self._app: ASGIApp | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        if self._url is None:
            raise HostingError("the server has not been started")
        return self._url

    @property
    def app(self) -> ASGIApp:
        """The app the factory built."""
        if self._app is None:
            raise HostingError("the server has not been started")
        return self._app

    def start(self) -> str:
        """Bind a free port, build the app, start serving; return the base URL once it accepts calls."""
        if self._thread is not None:
            raise HostingError("the server is already running")
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.bind((self._host, 0))
            port = int(sock.getsockname()[1])
            url = base_url_for(self._host, port)
            app = self._factory(url)
        except BaseException:
            sock.close()
            raise
        config = uvicorn.Config(
            app,
            log_level=self._log_level,
            lifespan="on",
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"agent-server:{port}", daemon=True
        )
        self._socket, self._server, self._thread, self._url, self._app = sock, server, thread, url, app
        thread.start()
        deadline = time.monotonic() + self._startup_timeout_s
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise HostingError(f"the server on {url} did not start within {self._startup_timeout_s} s")
            time.sleep(0.01)
        return url

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the server to exit, wait for its thread, release the port. Safe to call twice."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                raise HostingError(f"the server on {self._url} did not stop within {timeout_s} s")
        if self._socket is not None:
            self._socket.close()
        self._server, self._thread, self._socket = None, None, None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
