"""`build_navigation_app`: the navigation agent as an ASGI app (A2A v1.0 on agents.hosting, plus /healthz)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from a2a.server.tasks import TaskStore
from a2a.types import AgentCard
from mcp.server import MCPServer
from starlette.types import Receive, Scope, Send

from agents.hosting import AgentApplication, build_agent_app
from agents.navigation.card import AGENT_NAME, NAVIGATION_SPEC
from agents.navigation.dialogue import ATTRIBUTION
from agents.navigation.errors import SettingsError
from agents.navigation.executor import NavigationExecutor

__all__ = ["DEFAULT_PORT", "HEALTH_PATH", "NavigationApp", "build_navigation_app"]

DEFAULT_PORT = 8712
HEALTH_PATH = "/healthz"


class NavigationApp:
    """The navigation agent's ASGI app: `GET /healthz` (200, no token needed) in front of the A2A app.

    Everything else, the ASGI lifespan included, goes to the A2A app (`agent`). `aclose` drains the
    running tasks and closes the task store; call it when the app is driven without a lifespan
    (tests through `httpx.ASGITransport`).
    """

    def __init__(self, agent: AgentApplication, executor: NavigationExecutor) -> None:
        self.agent = agent
        self.executor = executor
        self._health = json.dumps({"status": "ok", "agent": AGENT_NAME, "attribution": ATTRIBUTION}).encode()

    @property
    def card(self) -> AgentCard:
        """The Agent Card the app serves at `/.well-known/agent-card.json`."""
        return self.agent.card

    @property
    def task_store(self) -> TaskStore:
        """The store the agent keeps its tasks in."""
        return self.agent.task_store

    async def aclose(self) -> None:
        """Cancel and drain running tasks, then release the task store and the MCP connections."""
        try:
            await self.agent.aclose()
        finally:
            await self.executor.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH and scope["method"] in ("GET", "HEAD"):
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(self._health)).encode()),
                    ],
                }
            )
            await send(
                {"type": "http.response.body", "body": self._health if scope["method"] == "GET" else b""}
            )
            return
        await self.agent(scope, receive, send)


def _target(name: str, target: str | MCPServer[Any]) -> str | MCPServer[Any]:
    """The target as given; a URL without a path gets the MCP endpoint's usual `/mcp`."""
    if not isinstance(target, str):
        return target
    parts = urlsplit(target.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL of an MCP endpoint (…/mcp), not {target!r}")
    if parts.path in ("", "/"):
        return urlunsplit(parts._replace(path="/mcp"))
    return target.strip()


def build_navigation_app(
    vehicle_mcp: str | MCPServer[Any],
    nav_mcp: str | MCPServer[Any],
    *,
    base_url: str = f"http://127.0.0.1:{DEFAULT_PORT}",
    token: str | None = None,
    operator_token: str | None = None,
    mcp_token: str | None = None,
    nav_mcp_token: str | None = None,
    task_store: TaskStore | str | None = None,
    call_timeout_s: float = 10.0,
) -> NavigationApp:
    """Build the navigation agent.

    - `vehicle_mcp`, `nav_mcp`: the vehicle and navigation MCP servers, each an in-process
      `MCPServer` or the URL of its streamable HTTP endpoint (`http://127.0.0.1:8701/mcp`; a URL
      without a path means `/mcp`).
    - `mcp_token`: bearer token for the MCP servers over HTTP (on the vehicle server it names this
      agent's client profile, `navigation`); `nav_mcp_token` overrides it for the map server.
    - `base_url`, `token`, `operator_token` (accepted as well as `token`), `task_store`: as for
      `agents.hosting.build_agent_app`; `token=None` is insecure mode.
    - `call_timeout_s`: the longest one MCP call may take.

    Raises SettingsError for a target that is neither a server nor an http(s) URL, and the hosting
    layer's ConfigurationError for a bad base URL, token or task-store URL.
    """
    vehicle_mcp = _target("vehicle_mcp", vehicle_mcp)
    nav_mcp = _target("nav_mcp", nav_mcp)
    if operator_token is not None and token is None:
        raise SettingsError("an operator token needs an agent token as well (insecure mode checks no token)")
    executor = NavigationExecutor(
        vehicle_mcp,
        nav_mcp,
        vehicle_token=mcp_token,
        map_token=nav_mcp_token if nav_mcp_token is not None else mcp_token,
        call_timeout_s=call_timeout_s,
    )
    agent = build_agent_app(
        NAVIGATION_SPEC,
        executor,
        base_url=base_url,
        token=token,
        extra_tokens=() if operator_token is None else (operator_token,),
        task_store=task_store,
    )
    return NavigationApp(agent, executor)
