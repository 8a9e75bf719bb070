"""The orchestrator as its own process (what ``cabin run`` starts on port 8700).

``python -m orchestrator.server --port 8700 --agent URL [--agent URL ...] --vehicle-mcp-url URL
[--perception-mcp-url URL] [--insecure]``; tokens from the environment: ``CABIN_AGENT_TOKENS`` (a
JSON object: agent URL -> the token sent to that agent), ``CABIN_AGENT_TOKEN`` (sent to any other
agent), ``CABIN_MCP_TOKEN`` (sent to the vehicle server), ``CABIN_PERCEPTION_MCP_TOKEN`` (the
orchestrator's read-only token at the perception server, whose feed the cockpit's perception panel
shows), ``CABIN_OPERATOR_TOKEN`` (the front-end token: required on every ``/v1`` endpoint and by the
orchestrator's own A2A endpoint; without it the server starts only with ``--insecure``).

Nothing a request or a component does ends the server's lifespan: the vehicle connection lives in a
task of its own and reconnects by itself (:class:`~orchestrator.vehicle.VehicleAccess`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping

import uvicorn
from fastapi import FastAPI

from mcp_servers.http import KEEP_ALIVE_S
from models import ModelError, Runtime

from .api import create_app
from .cockpit.perception import McpFeed
from .directory import AgentDirectory
from .routing import Router, TemplateSet, TemplateStage
from .turn import Orchestrator, parked_from
from .vehicle import VehicleAccess

#: How long the orchestrator waits at most between two checks of a model host that did not answer.
MODEL_RETRY_MAX_S = 10.0


async def join_model_path(
    orchestrator: Orchestrator,
    runtime: Runtime,
    first_pause_s: float = 0.5,
    templates: TemplateSet | None = None,
) -> None:
    """Open the routing cascade's model path once ``runtime`` answers (its host was down when the
    orchestrator started): checked with a pause doubling up to ``MODEL_RETRY_MAX_S``, then the router
    is opened once more over ``templates`` (None: the shipped grammars, loaded again), whatever it
    finds (an artefact fitted on another model stays off)."""
    pause = first_pause_s
    while True:
        await asyncio.sleep(pause)
        try:
            await runtime.ping()
        except ModelError:
            pause = min(pause * 2, MODEL_RETRY_MAX_S)
            continue
        orchestrator.router = await Router.open(runtime, templates=templates)
        return


def build(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None, *, warm_templates: bool = False
) -> FastAPI:
    """The orchestrator's app for ``args``, its tokens read from ``environ`` (default: this process's
    environment; the compact profile's shared process gives the orchestrator's own, see the module
    docstring for the names). ``warm_templates``: compile every routing template before serving
    rather than each when a text first reaches it. Off in both profiles: the whole set's compiled
    expressions take about 21 MiB and seconds of CPU, a turn needs a few of them, and the first turn
    that reaches one reads it from the template cache's ``expressions/`` folder (or compiles it:
    milliseconds), docs/performance.md."""
    from models import open_runtime

    env = os.environ if environ is None else environ
    directory = AgentDirectory.from_urls(
        args.agent,
        token=env.get("CABIN_AGENT_TOKEN") or None,
        tokens=json.loads(env.get("CABIN_AGENT_TOKENS") or "{}"),
    )
    # Templates answer from the first request; the model path joins once the lifespan has opened it.
    # One template set for the router of the first requests and the cascade the lifespan opens.
    templates = TemplateSet.load(warm=warm_templates)
    orchestrator = Orchestrator(Router([TemplateStage(templates)]), directory, budget_s=args.budget_ms / 1000)
    vehicle = VehicleAccess(args.vehicle_mcp_url, token=env.get("CABIN_MCP_TOKEN") or None)
    orchestrator.readback = vehicle.turn_writes
    orchestrator.written = vehicle.written
    orchestrator.parked = parked_from(vehicle.state)
    perception = (
        McpFeed(args.perception_mcp_url, token=env.get("CABIN_PERCEPTION_MCP_TOKEN") or None)
        if args.perception_mcp_url
        else None
    )
    base_url = f"http://{args.host}:{args.port}"
    token = None if args.insecure else env.get("CABIN_OPERATOR_TOKEN") or None
    app = create_app(
        orchestrator,
        vehicle,
        front_end_token=token,
        base_url=base_url,
        a2a_token=token,
        ui=not args.no_ui,
        perception=perception,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async with vehicle:
            runtime = open_runtime()
            orchestrator.router = await Router.open(runtime, templates=templates)
            # A model host that was down at the start joins when it answers: not templates for good.
            joining = None
            if not orchestrator.router.model_available:
                joining = asyncio.create_task(join_model_path(orchestrator, runtime, templates=templates))
            await directory.refresh()

            task = asyncio.create_task(directory.watch())
            try:
                yield
            finally:
                task.cancel()
                if joining is not None:
                    joining.cancel()
                await directory.aclose()
                if perception is not None:
                    await perception.aclose()

    app.router.lifespan_context = lifespan
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8700)
    parser.add_argument("--agent", action="append", required=True, help="an agent's base URL (repeatable)")
    parser.add_argument("--vehicle-mcp-url", required=True)
    parser.add_argument(
        "--perception-mcp-url", default=None, help="the perception MCP server the cockpit's feed reads"
    )
    parser.add_argument("--budget-ms", type=float, default=800.0, help="per-turn latency budget")
    parser.add_argument("--no-ui", action="store_true")
    parser.add_argument(
        "--insecure", action="store_true", help="check no front-end token (local experiments only)"
    )
    args = parser.parse_args(argv)
    if not args.insecure and not os.environ.get("CABIN_OPERATOR_TOKEN"):
        print("error: set CABIN_OPERATOR_TOKEN (the front-end token) or pass --insecure", file=sys.stderr)
        return 2
    uvicorn.run(
        build(args), host=args.host, port=args.port, log_level="warning", timeout_keep_alive=KEEP_ALIVE_S
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
