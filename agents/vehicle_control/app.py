"""`build_vehicle_control_app`: the vehicle-control agent as one ASGI app (A2A v1.0 plus `/healthz`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterable
from typing import Any

from a2a.server.tasks import TaskStore
from a2a.types import AgentCard
from mcp.server import MCPServer
from starlette.types import Receive, Scope, Send

from agents.hosting import AgentApplication, build_agent_app
from agents.vehicle_control.card import VEHICLE_CONTROL_SPEC
from agents.vehicle_control.dialogue import ConversationMemory
from agents.vehicle_control.executor import VehicleControlExecutor
from agents.vehicle_control.interpreter import ModelInterpreter, RuntimeSource
from agents.vehicle_control.link import VehicleLink
from agents.vehicle_control.parser import TemplateParser, shared_parser
from mcp_servers.client import ClientMode

__all__ = ["HEALTH_PATH", "VehicleControlApp", "build_vehicle_control_app"]

HEALTH_PATH = "/healthz"


class VehicleControlApp:
    """The agent's ASGI app: `GET /healthz` (public, 200 while the process serves) in front of the A2A
    app that `agents.hosting.build_agent_app` builds (Agent Card, JSON-RPC, HTTP+JSON, bearer tokens).
    The ASGI lifespan's startup has the model evaluate the interpreter's prompt prefix first; once
    the app serves, the model's warm-up generation runs in the background (`ModelInterpreter.warm_up`).

    The ASGI lifespan's shutdown runs `aclose`; call it yourself when the app is driven without a
    lifespan (through `httpx.ASGITransport` in tests).
    """

    def __init__(self, agent: AgentApplication, executor: VehicleControlExecutor) -> None:
        self.agent = agent
        self.executor = executor
        self._closed = False
        self._warming: asyncio.Task[None] | None = None

    @property
    def card(self) -> AgentCard:
        """The Agent Card the app serves at `/.well-known/agent-card.json`."""
        return self.agent.card

    @property
    def task_store(self) -> TaskStore:
        """Where the app keeps its tasks."""
        return self.agent.task_store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await self._health(scope, send)
        else:
            await self.agent(scope, receive, send)

    async def aclose(self) -> None:
        """Drain running tasks, close the task store, the vehicle connection and the model runtime."""
        if self._closed:
            return
        self._closed = True
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
        try:
            await self.agent.aclose()
        finally:
            await self.executor.aclose()

    async def _health(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _json(send, 405, {"error": "use GET"}, extra=[(b"allow", b"GET, HEAD")])
            return
        await _json(
            send,
            200,
            {
                "status": "ok",
                "agent": VEHICLE_CONTROL_SPEC.name,
                "vehicle": self.executor.link.target,
                "model": self.executor.interpreter is not None,
            },
            body=scope["method"] == "GET",
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # The model's prompt prefix is evaluated before the server listens (and so before
                # `cabin run` sees it healthy): the first request that needs the model does not
                # pay for it, nor time out on it.
                interpreter = self.executor.interpreter
                if interpreter is not None:
                    await interpreter.prepare()
                await send({"type": "lifespan.startup.complete"})
                if interpreter is not None:
                    # After the app is ready, not before: the template path does not wait for it.
                    self._warming = asyncio.create_task(interpreter.warm_up())
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.aclose()
                except Exception as exc:
                    await send({"type": "lifespan.shutdown.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _json(
    send: Send,
    status: int,
    payload: dict[str, Any],
    *,
    body: bool = True,
    extra: Iterable[tuple[bytes, bytes]] = (),
) -> None:
    content = json.dumps(payload, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content if body else b""})


def build_vehicle_control_app(
    mcp_target: str | MCPServer[Any],
    *,
    token: str | None = None,
    base_url: str = "http://127.0.0.1:8711",
    extra_tokens: Iterable[str] = (),
    mcp_token: str | None = None,
    mcp_mode: ClientMode = "auto",
    task_store: TaskStore | str | None = None,
    runtime: RuntimeSource | None = None,
    parser: TemplateParser | None = None,
    memory: ConversationMemory | None = None,
) -> VehicleControlApp:
    """Build the vehicle-control agent.

    - `mcp_target`: the vehicle MCP server, in process (`MCPServer`, for tests) or the URL of its
      streamable HTTP endpoint (`http://127.0.0.1:8701/mcp`), reached with `mcp_token` as bearer token
      (the server maps it to this agent's client profile). `mcp_mode="legacy"` uses the 2025-11-25
      handshake.
    - `token` / `extra_tokens` / `base_url` / `task_store`: as for `agents.hosting.build_agent_app`
      (`token=None`, the default, is insecure mode: no token checked; for in-process stacks and tests).
    - `runtime`: the on-device model, a `Runtime` the caller owns and shares, or a function that opens
      one on first use (e.g. `models.open_runtime`); None keeps the agent to its sentence templates.
    - `parser`: the sentence templates (default: a `TemplateParser` over the packaged `SENTENCES`).

    Raises `agents.hosting.ConfigurationError` for a bad base URL, token or task-store URL, and
    `SetupError` for an unusable sentence file.
    """
    parser = parser if parser is not None else shared_parser()
    link = VehicleLink(mcp_target, token=mcp_token, mode=mcp_mode)
    interpreter = ModelInterpreter(runtime) if runtime is not None else None
    executor = VehicleControlExecutor(link, parser=parser, interpreter=interpreter, memory=memory)
    agent = build_agent_app(
        VEHICLE_CONTROL_SPEC,
        executor,
        base_url=base_url,
        token=token,
        extra_tokens=extra_tokens,
        task_store=task_store,
    )
    return VehicleControlApp(agent, executor)
