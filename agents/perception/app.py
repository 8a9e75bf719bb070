"""`build_perception_app`: the perception-summary agent as an ASGI app, with a public `/healthz`."""

from __future__ import annotations

import json
from collections.abc import Iterable

from a2a.server.tasks import TaskStore
from a2a.types import AgentCard
from starlette.types import Message, Receive, Scope, Send

from agents.hosting import DEFAULT_MAX_BODY_BYTES, AgentApplication, base_url_for, build_agent_app
from agents.perception.executor import PerceptionExecutor
from agents.perception.feeds import FactReader, McpTarget
from agents.perception.phrasing import ModelPhraser
from agents.perception.spec import AGENT_NAME, DEFAULT_PORT, PERCEPTION_SPEC
from agents.perception.summary import DEFAULT_SETTINGS, SummarySettings
from models import Runtime

__all__ = ["HEALTH_PATH", "PerceptionApplication", "build_perception_app"]

HEALTH_PATH = "/healthz"

_HEALTH_BODY = json.dumps({"status": "ok", "agent": AGENT_NAME}, separators=(",", ":")).encode()


class PerceptionApplication:
    """The agent's ASGI app: `GET /healthz` answers 200 without a token; everything else is the A2A
    app built on `agents.hosting` (card, JSON-RPC, HTTP+JSON, bearer tokens).

    `aclose` drains running tasks, closes the task store and the connections to the MCP servers;
    the ASGI lifespan shutdown does the same, so call it only when the app is driven without a
    lifespan (`httpx.ASGITransport` in tests).
    A model runtime passed to `build_perception_app` belongs to the caller and is not closed here.
    """

    def __init__(self, agent: AgentApplication, executor: PerceptionExecutor) -> None:
        self.agent = agent
        self.executor = executor

    @property
    def card(self) -> AgentCard:
        """The Agent Card the app serves."""
        return self.agent.card

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.agent(scope, receive, self._closing_send(send))
            return
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(_HEALTH_BODY)).encode()),
                    ],
                }
            )
            await send(
                {"type": "http.response.body", "body": _HEALTH_BODY if scope["method"] == "GET" else b""}
            )
            return
        await self.agent(scope, receive, send)

    async def aclose(self) -> None:
        """Drain running tasks, release the task store, close the MCP connections."""
        await self.agent.aclose()
        await self.executor.aclose()

    def _closing_send(self, send: Send) -> Send:
        """`send` for the lifespan: once the A2A app has shut down, close the MCP connections too."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await self.executor.aclose()
            await send(message)

        return wrapped


def build_perception_app(
    vehicle_mcp: McpTarget,
    perception_mcp: McpTarget,
    runtime: Runtime | None = None,
    *,
    base_url: str | None = None,
    token: str | None = None,
    extra_tokens: Iterable[str] = (),
    mcp_token: str | None = None,
    task_store: TaskStore | str | None = None,
    settings: SummarySettings = DEFAULT_SETTINGS,
    feed_timeout_s: float = 5.0,
    ocr_timeout_s: float = 30.0,
    phrase_timeout_s: float = 2.5,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> PerceptionApplication:
    """Build the perception-summary agent.

    - `vehicle_mcp`, `perception_mcp`: the vehicle and perception MCP servers, as in-process
      `MCPServer` objects or streamable-HTTP URLs (`http://127.0.0.1:8701/mcp`; a URL without a
      path gets `/mcp`). `mcp_token` is the bearer token sent to both URLs.
    - `runtime`: the shared on-device model runtime; when given, answers about objects may be
      rephrased by the model (kept only when grounded in the facts). None: deterministic wording.
    - `base_url` (default `http://127.0.0.1:8713`), `token`, `extra_tokens`, `task_store`,
      `max_body_bytes`: as `agents.hosting.build_agent_app` takes them (`token=None`: no auth).
    - `settings`: thresholds of the answers; `feed_timeout_s`, `ocr_timeout_s`, `phrase_timeout_s`
      bound a turn's reads, its sign-text read and a rephrasing.

    Raises `agents.hosting.ConfigurationError` for a bad base URL, token or task store, and
    `SettingsError` for a bad MCP URL or timeout.
    """
    reader = FactReader(
        vehicle_mcp, perception_mcp, token=mcp_token, timeout_s=feed_timeout_s, ocr_timeout_s=ocr_timeout_s
    )
    phraser = (
        None
        if runtime is None
        else ModelPhraser(runtime, timeout_s=phrase_timeout_s, short_word_limit=settings.short_word_limit)
    )
    executor = PerceptionExecutor(reader, phraser=phraser, settings=settings)
    agent = build_agent_app(
        PERCEPTION_SPEC,
        executor,
        base_url=base_url or base_url_for("127.0.0.1", DEFAULT_PORT),
        token=token,
        extra_tokens=extra_tokens,
        task_store=task_store,
        max_body_bytes=max_body_bytes,
    )
    return PerceptionApplication(agent, executor)
