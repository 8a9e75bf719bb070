"""``cabin run --profile compact``: the orchestrator and the non-safety components in one process
(docs/performance.md).

``python -m orchestrator.compact --vehicle-mcp-url URL --orchestrator-port P --navigation-mcp-port P
--perception-mcp-port P --vehicle-control-port P --navigation-port P --perception-port P [--agent URL ...]
[--budget-ms MS] [--no-ui] [--pbf FILE] [--task-store URL] [--insecure]``

The orchestrator (with the cockpit), the navigation and perception MCP servers and the three agents
(vehicle control, navigation, perception summary) are six ASGI apps served by six uvicorn servers on
one event loop, each on its own loopback port and behind its own token, exactly as they are served one
per process: the agents still reach the MCP servers, and the orchestrator the agents, over HTTP (A2A
and MCP), so nothing of the protocols or of the tokens' scopes changes. What is shared is the
interpreter: the SDKs, FastAPI, pydantic and the grammars are loaded once instead of six times. The
vehicle MCP server, where safety is decided, and the model host stay processes of their own. The
routing templates are compiled each when a text first reaches it, not all before serving: the whole
set's compiled expressions take about 26 MiB, a turn needs a few of them, and the first turn of each
template pays its compilation (milliseconds) instead.

The servers' and agents' tokens come in one environment variable, ``CABIN_COMPACT_TOKENS`` (JSON,
:class:`CompactTokens`), which only this process receives; the orchestrator's, which are privileged,
on standard input (JSON, :class:`OrchestratorTokens`), so that no privileged token is in the
environment an agent of the process shares. SIGINT or SIGTERM stop every server (each app's lifespan shutdown
runs); a server that stops on its own (its port taken, a crash) stops the others and the process exits
with code 1, so ``cabin run`` restarts the whole of it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, ValidationError

TOKENS_ENV = "CABIN_COMPACT_TOKENS"
_GRACEFUL_SHUTDOWN_S = 3


class CompactError(Exception):
    """The compact process cannot start: a bad setting or token, an app that cannot be built."""


class AgentTokens(BaseModel):
    """One agent's credentials, as its own process would get them in its environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    caller: str
    """Digest of the token the orchestrator presents to this agent (``agents.hosting.token_digest``)."""
    operator: str
    """Digest of the operator token, accepted as well."""
    mcp: str
    """This agent's token at the vehicle server (its client profile) and, unless ``map`` says
    otherwise, at its other MCP server."""
    map: str | None = None
    """The navigation agent's token at the map server."""


class OrchestratorTokens(BaseModel):
    """The orchestrator's credentials, as its own process would get them (``orchestrator/server.py``).

    Privileged (the operator's token, the orchestrator's at the vehicle server), so they do not travel
    in the environment, which an agent of the process could leak whole (GR-16): ``cabin run`` writes
    them to the process's standard input, once per start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    operator: str
    """The front-end token, checked on every ``/v1`` endpoint and on the orchestrator's A2A endpoint."""
    vehicle: str
    """The orchestrator's token at the vehicle server (its turn read-back)."""
    agents: dict[str, str]
    """Agent base URL -> the caller token the orchestrator presents to that agent."""

    def environ(self, perception_read: str) -> dict[str, str]:
        """The variables ``orchestrator.server.build`` reads, with ``perception_read`` the orchestrator's
        read-only token at the perception server (the cockpit's perception panel)."""
        return {
            "CABIN_OPERATOR_TOKEN": self.operator,
            "CABIN_MCP_TOKEN": self.vehicle,
            "CABIN_AGENT_TOKENS": json.dumps(self.agents),
            "CABIN_PERCEPTION_MCP_TOKEN": perception_read,
        }


class CompactTokens(BaseModel):
    """Every token of the compact process: each server and agent keeps its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    navigation_mcp: str
    perception_mcp: str
    perception_mcp_read: str
    """The perception server's read-only token, which the orchestrator presents there."""
    vehicle_control: AgentTokens
    navigation: AgentTokens
    perception: AgentTokens

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> CompactTokens:
        raw = (os.environ if environ is None else environ).get(TOKENS_ENV)
        if not raw:
            raise CompactError(f"no tokens: set {TOKENS_ENV} (cabin run does) or give --insecure")
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise CompactError(f"{TOKENS_ENV}: {problems}") from None


def orchestrator_tokens(stream: TextIO) -> OrchestratorTokens:
    """The orchestrator's tokens from ``stream`` (the process's standard input, which ``cabin run``
    closes after writing them). Raises :class:`CompactError` when they are missing or malformed."""
    raw = "" if stream.isatty() else stream.read()
    if not raw.strip():
        raise CompactError(
            "no orchestrator tokens on standard input (cabin run writes them) or give --insecure"
        )
    try:
        return OrchestratorTokens.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise CompactError(f"orchestrator tokens: {problems}") from None


@dataclass(frozen=True)
class Served:
    """One app of the process and where it listens."""

    name: str
    app: Any
    port: int


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m orchestrator.compact",
        description="The orchestrator, the agents and the map and perception MCP servers as six servers "
        "in one process.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--vehicle-mcp-url", required=True, help="e.g. http://127.0.0.1:8701/mcp")
    for name in (
        "orchestrator",
        "navigation-mcp",
        "perception-mcp",
        "vehicle-control",
        "navigation",
        "perception",
    ):
        parser.add_argument(f"--{name}-port", type=int, required=True)
    parser.add_argument(
        "--agent",
        action="append",
        required=True,
        help="an agent's base URL for the orchestrator (repeatable)",
    )
    parser.add_argument("--budget-ms", type=float, default=800.0, help="the orchestrator's per-turn budget")
    parser.add_argument("--no-ui", action="store_true", help="no cockpit")
    parser.add_argument("--pbf", default=None, help="OSM PBF extract of the map server")
    parser.add_argument("--task-store", default=None, help="the agents' task store (default memory://)")
    parser.add_argument("--insecure", action="store_true", help="no tokens (local experiments only)")
    parser.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info"))
    return parser


def build_apps(
    args: argparse.Namespace, tokens: CompactTokens | None, orchestrator: OrchestratorTokens | None
) -> list[Served]:
    """The six apps, MCP servers first (the agents call them), the orchestrator last (it reads the
    agents' cards when it starts), with their tokens. Raises :class:`CompactError` for a setting or
    token an app refuses."""
    from agents.hosting import ConfigurationError, base_url_for
    from agents.navigation.app import build_navigation_app
    from agents.navigation.errors import SettingsError
    from agents.perception.app import build_perception_app
    from agents.perception.errors import PerceptionAgentError
    from agents.vehicle_control.app import build_vehicle_control_app
    from agents.vehicle_control.errors import SetupError
    from mcp_servers.navigation.errors import MapDataError
    from mcp_servers.navigation.osm_provider import OsmMapProvider
    from mcp_servers.navigation.server import create_http_app, create_server
    from mcp_servers.perception.auth import check_token
    from mcp_servers.perception.errors import PerceptionError
    from mcp_servers.perception.server import build_server, http_app
    from mcp_servers.perception.sources import SimulatedSource
    from models import open_runtime

    from .server import build as build_orchestrator

    host = args.host

    def local(port: int, path: str = "") -> str:
        return f"{base_url_for(host, port)}{path}"

    try:
        provider = OsmMapProvider(args.pbf)
        navigation_mcp = create_http_app(
            create_server(provider), provider, token=tokens.navigation_mcp if tokens else None, host=host
        )
        perception_mcp = http_app(
            build_server(SimulatedSource(seed=0, ego_speed_kmh=30.0), inject=False),
            token=check_token(tokens.perception_mcp) if tokens else None,
            read_token=check_token(tokens.perception_mcp_read) if tokens else None,
            host=host,
        )
        vc = tokens.vehicle_control if tokens else None
        vehicle_control = build_vehicle_control_app(
            args.vehicle_mcp_url,
            token=vc.caller if vc else None,
            base_url=local(args.vehicle_control_port),
            extra_tokens=[vc.operator] if vc else [],
            mcp_token=vc.mcp if vc else None,
            task_store=args.task_store,
            runtime=open_runtime,
        )
        nav = tokens.navigation if tokens else None
        navigation = build_navigation_app(
            args.vehicle_mcp_url,
            local(args.navigation_mcp_port, "/mcp"),
            base_url=local(args.navigation_port),
            token=nav.caller if nav else None,
            operator_token=nav.operator if nav else None,
            mcp_token=nav.mcp if nav else None,
            nav_mcp_token=nav.map if nav else None,
            task_store=args.task_store,
        )
        per = tokens.perception if tokens else None
        perception = build_perception_app(
            args.vehicle_mcp_url,
            local(args.perception_mcp_port, "/mcp"),
            None,
            base_url=local(args.perception_port),
            token=per.caller if per else None,
            extra_tokens=[per.operator] if per else [],
            mcp_token=per.mcp if per else None,
            task_store=args.task_store,
        )
        orchestrator_app = build_orchestrator(
            argparse.Namespace(
                host=host,
                port=args.orchestrator_port,
                agent=args.agent,
                vehicle_mcp_url=args.vehicle_mcp_url,
                perception_mcp_url=local(args.perception_mcp_port, "/mcp"),
                budget_ms=args.budget_ms,
                no_ui=args.no_ui,
                insecure=tokens is None or orchestrator is None,
            ),
            {}
            if tokens is None or orchestrator is None
            else orchestrator.environ(tokens.perception_mcp_read),
            warm_templates=False,
        )
    except (
        ConfigurationError,
        SettingsError,
        PerceptionAgentError,
        SetupError,
        MapDataError,
        PerceptionError,
    ) as exc:
        raise CompactError(str(exc)) from exc
    return [
        Served("navigation MCP server", navigation_mcp, args.navigation_mcp_port),
        Served("perception MCP server", perception_mcp, args.perception_mcp_port),
        Served("vehicle-control agent", vehicle_control, args.vehicle_control_port),
        Served("navigation agent", navigation, args.navigation_port),
        Served("perception agent", perception, args.perception_port),
        Served("orchestrator + cockpit", orchestrator_app, args.orchestrator_port),
    ]


async def serve_all(served: Sequence[Served], *, host: str, log_level: str = "warning") -> int:
    """Serve every app on its port until SIGINT/SIGTERM (0) or until one server stops on its own (1).

    The servers start in order, each once the one before accepts connections; all of them stop
    together, each app's lifespan shutdown included."""
    import uvicorn

    from mcp_servers.http import KEEP_ALIVE_S

    class _Server(uvicorn.Server):
        # One process, several servers: the signals are this function's, not each server's.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    servers: list[uvicorn.Server] = []
    tasks: list[asyncio.Task[None]] = []
    failed = False
    try:
        for item in served:
            config = uvicorn.Config(
                item.app,
                host=host,
                port=item.port,
                log_level=log_level,
                lifespan="on",
                timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
                timeout_keep_alive=KEEP_ALIVE_S,
                access_log=False,
                # No app of the process serves WebSockets: uvicorn's "auto" would import the
                # websockets library (19 modules, about 0.6 MiB) for nothing. A handshake is then
                # an HTTP request, refused by each server's token check or answered as one.
                ws="none",
            )
            server = _Server(config)
            task = asyncio.create_task(server.serve(), name=item.name)
            servers.append(server)
            tasks.append(task)
            while not server.started and not task.done() and not stop.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.01)  # uvicorn's `started` is a plain flag, not an event
            if task.done() or stop.is_set():
                failed = task.done()
                if failed:
                    print(f"compact: {item.name} on port {item.port} did not start", file=sys.stderr)
                break
        else:
            waiter = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            for task in tasks:
                if task in done:
                    failed = True
                    print(f"compact: {task.get_name()} stopped on its own", file=sys.stderr, flush=True)
    finally:
        for running in servers:
            running.should_exit = True
        await asyncio.gather(*tasks, return_exceptions=True)
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        tokens = None if args.insecure else CompactTokens.from_env()
        orchestrator = None if args.insecure else orchestrator_tokens(sys.stdin)
        if args.pbf is not None and not Path(args.pbf).is_file():
            raise CompactError(f"--pbf {args.pbf}: no such file")
        served = build_apps(args, tokens, orchestrator)
    except CompactError as exc:
        print(f"compact: error: {exc}", file=sys.stderr)
        return 2
    from agents.hosting.server import quiet_http_client_logs

    quiet_http_client_logs()
    print(
        "compact: " + ", ".join(f"{s.name} :{s.port}" for s in served) + f" (tokens: {tokens is not None})",
        file=sys.stderr,
        flush=True,
    )
    return asyncio.run(serve_all(served, host=args.host, log_level=args.log_level))


def tokens_json(tokens: CompactTokens) -> str:
    """The value of ``CABIN_COMPACT_TOKENS`` for ``tokens``."""
    return json.dumps(tokens.model_dump(mode="json"))


if __name__ == "__main__":
    sys.exit(main())
