"""The whole stack in one process: the car, the MCP servers, the three agents, the router and the
orchestrator, wired in memory (MCP ``Client(server)``, A2A over ``httpx.ASGITransport``).

This is what ``cabin ask``, ``cabin chat`` and scenario replay use: the same components as
``cabin run``, with the protocols kept and only the sockets taken out.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from mcp_servers.navigation.models import MapInfo, PoiDetails, PoiQuery, PoiSearchResult, Route, RouteRequest
from mcp_servers.navigation.provider import MapProvider
from mcp_servers.navigation.server import create_server as create_navigation_server
from mcp_servers.perception.server import build_server as build_perception_server
from mcp_servers.perception.sources import InjectedSource
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog, Value
from mcp_servers.vehicle.guardrails import AuditLog, Guardrails
from mcp_servers.vehicle.server import build_server as build_vehicle_server
from mcp_servers.vehicle.service import VehicleService
from models import Runtime, open_runtime

from .directory import AgentDirectory
from .models import Seat, TurnResult
from .routing import Router
from .routing.templates import TemplateSet
from .turn import AGENT_TIMEOUT_S, Orchestrator, parked_from
from .vehicle import VehicleAccess

if TYPE_CHECKING:
    from mcp_servers.navigation.osm_provider import OsmMapProvider

VEHICLE_CONTROL_URL = "http://vehicle-control.local"
NAVIGATION_URL = "http://navigation.local"
PERCEPTION_URL = "http://perception-summary.local"


@functools.cache
def shared_map() -> OsmMapProvider:
    """The map is read once per process (the Helsinki extract by default)."""
    from mcp_servers.navigation.osm_provider import OsmMapProvider

    return OsmMapProvider()


class MapOnFirstUse(MapProvider):
    """The map ``open()`` returns, opened when a navigation tool first asks it for something.

    Most turns of ``cabin ask`` never reach the map, and reading it (the extract, and SciPy and
    pyosmium to import) is about a third of a second of CPU. Same contract as the provider it opens,
    with one difference: a map that cannot be read (``MapDataError``) fails the first call, which the
    navigation server reports as a tool error, instead of failing construction; the next call tries
    again. Safe to call from several threads at once (the map is opened once).
    """

    def __init__(self, open: Callable[[], MapProvider]) -> None:
        self._open = open
        self._map: MapProvider | None = None
        self._lock = threading.Lock()

    @property
    def opened(self) -> bool:
        """True once a call opened the map."""
        return self._map is not None

    def _target(self) -> MapProvider:
        with self._lock:
            if self._map is None:
                self._map = self._open()
            return self._map

    def info(self) -> MapInfo:
        return self._target().info()

    def search_pois(self, query: PoiQuery) -> PoiSearchResult:
        return self._target().search_pois(query)

    def describe_poi(self, poi_id: str) -> PoiDetails:
        return self._target().describe_poi(poi_id)

    def route(self, request: RouteRequest) -> Route:
        return self._target().route(request)


@functools.cache
def shared_catalog() -> Catalog:
    return Catalog.load()


@functools.cache
def shared_runtime() -> Runtime:
    return open_runtime()


_routers: dict[int, Router] = {}


async def shared_router(templates: TemplateSet | None = None, *, runtime: Runtime | None = None) -> Router:
    """The routing cascade over the shared runtime (its templates and artefact are read once). Its
    templates are not warmed up: an in-process stack serves a few turns, which compile only the
    templates they reach.

    ``templates``: the template set the router reads with when it is built now (one the caller has
    already loaded and asked, so that the expressions it compiled are not compiled again); when the
    process's router already exists it is returned as it is. ``runtime``: the runtime to route with
    when it is not the process's shared one (a :class:`~.lazy_runtime.LazyRuntime` over it)."""
    runtime = runtime if runtime is not None else shared_runtime()
    router = _routers.get(id(runtime))
    if router is None:
        chosen = templates if templates is not None else TemplateSet.load(warm=False)
        router = _routers[id(runtime)] = await Router.open(runtime, templates=chosen)
    return router


class LocalStack:
    """One car and one assistant. Build with :func:`open_local_stack`; close with ``aclose``."""

    def __init__(self, backend: SimulatorBackend, perception: InjectedSource) -> None:
        self.backend = backend
        self.perception = perception
        self.orchestrator: Orchestrator
        self.vehicle: VehicleAccess
        self._stack = contextlib.AsyncExitStack()

    # -- the ReplayStack protocol ---------------------------------------------------------------------

    async def inject(self, values: Mapping[str, Any]) -> None:
        await self.backend.inject(self.backend.catalog.coerce_all(values))

    async def advance(self, seconds: float) -> None:
        await self.backend.advance(seconds)

    async def perceive(self, frame: dict[str, Any], base_dir: Path) -> None:
        from mcp_servers.perception.models import PerceptionFrame

        self.perception.push(PerceptionFrame.model_validate(frame).resolved(base_dir))

    async def say(self, text: str, seat: str, session_id: str | None) -> TurnResult:
        chosen: Seat = seat  # type: ignore[assignment]
        return await self.orchestrator.handle(text, chosen, session_id)

    async def settle(self) -> None:
        await self.backend.settle()

    async def state(self, paths: list[str]) -> dict[str, Any]:
        return dict(await self.backend.get_current(paths))

    async def aclose(self) -> None:
        await self._stack.aclose()


async def open_local_stack(
    state: Mapping[str, Value] | None = None,
    *,
    router: Router | Awaitable[Router] | None = None,
    runtime: Runtime | None = None,
    budget_s: float = 0.8,
    agent_timeout_s: float = AGENT_TIMEOUT_S,
    audit: Path | None = None,
    map_provider: MapProvider | None = None,
) -> LocalStack:
    """The stack over ``runtime`` (default: the process's shared one) routing with ``router``
    (default: the process's shared router). ``router`` may be one still being opened (a coroutine):
    it is awaited after everything else is built, so the stack is built while its model loads."""
    try:
        return await _open_local_stack(state, router, runtime, budget_s, agent_timeout_s, audit, map_provider)
    finally:
        if inspect.iscoroutine(router) and inspect.getcoroutinestate(router) == inspect.CORO_CREATED:
            router.close()  # the stack failed before it was awaited


async def _open_local_stack(
    state: Mapping[str, Value] | None,
    router: Router | Awaitable[Router] | None,
    runtime: Runtime | None,
    budget_s: float,
    agent_timeout_s: float,
    audit: Path | None,
    map_provider: MapProvider | None,
) -> LocalStack:
    from agents.navigation import build_navigation_app
    from agents.perception import build_perception_app
    from agents.vehicle_control import build_vehicle_control_app

    runtime = runtime if runtime is not None else shared_runtime()
    backend = SimulatorBackend(shared_catalog(), state)
    service = VehicleService(
        backend, Guardrails(backend.catalog, clock=lambda: backend.clock), AuditLog(audit)
    )
    perception = InjectedSource(clock=lambda: backend.clock)
    stack = LocalStack(backend, perception)

    def vehicle_for(client: str) -> Any:
        return build_vehicle_server(service, client=client)

    navigation_mcp = create_navigation_server(
        map_provider if map_provider is not None else MapOnFirstUse(shared_map)
    )
    perception_mcp = build_perception_server(perception, inject=True)
    apps: dict[str, Any] = {
        VEHICLE_CONTROL_URL: build_vehicle_control_app(
            vehicle_for("vehicle-control"), base_url=VEHICLE_CONTROL_URL, runtime=runtime
        ),
        NAVIGATION_URL: build_navigation_app(
            vehicle_for("navigation"), navigation_mcp, base_url=NAVIGATION_URL
        ),
        PERCEPTION_URL: build_perception_app(
            vehicle_for("perception-summary"), perception_mcp, runtime, base_url=PERCEPTION_URL
        ),
    }
    clients: dict[str, httpx.AsyncClient] = {}
    for url, app in apps.items():
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=url, timeout=30.0)
        stack._stack.push_async_callback(client.aclose)
        stack._stack.push_async_callback(app.aclose)
        clients[url] = client
    directory = AgentDirectory.from_urls(list(apps), http_clients=clients)
    stack._stack.push_async_callback(directory.aclose)
    await directory.refresh()
    if router is None:
        router = await shared_router()
    elif not isinstance(router, Router):
        router = await router
    stack.orchestrator = Orchestrator(router, directory, budget_s=budget_s, agent_timeout_s=agent_timeout_s)
    stack.vehicle = await stack._stack.enter_async_context(VehicleAccess(vehicle_for("operator")))
    stack.orchestrator.readback = stack.vehicle.turn_writes
    stack.orchestrator.written = stack.vehicle.written
    stack.orchestrator.parked = parked_from(stack.vehicle.state)
    # The SDKs log every in-memory HTTP request and tool error at INFO; a turn's account is the TurnResult.
    for name in ("httpx", "httpcore", "mcp", "a2a"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return stack
