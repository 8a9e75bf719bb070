"""The front-end HTTP API (docs/orchestrator.md), the web cockpit, and the orchestrator's own A2A door.

Every error answer of the API is an :class:`~orchestrator.models.ErrorBody`, whichever layer gives
it: the guard in front (:mod:`orchestrator.access`: 401, 403, 413, 421), validation (422), a declared
path asked with an undeclared method (405, with ``Allow``), an unknown ``/v1`` path (404), or a handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from google.protobuf import json_format
from sse_starlette import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from agents.hosting import AgentSpec, CabinExecutor, Reply, SkillSpec, build_agent_app, camel_data
from agents.hosting.messages import AgentRequest, Outcome
from mcp_servers.navigation.errors import InvalidQuery, MapDataError, NavigationError, NoRoute
from mcp_servers.navigation.provider import MapProvider
from mcp_servers.perception.errors import NoFrameError, NoImageError, PerceptionError

from .access import (
    LOGIN_CODE_TTL_S,
    SESSION_COOKIE,
    SESSION_TTL_S,
    FrontEndAccess,
    FrontEndGuard,
    error_body,
)
from .cockpit import (
    MapSketch,
    PerceptionFeed,
    PerceptionSnapshot,
    RouteLine,
    default_map_provider,
    route_line,
    sketch_map,
)
from .dialogue import UnknownSession
from .models import (
    AgentInfo,
    ErrorBody,
    Health,
    LoginLink,
    StateWrite,
    TurnResult,
    Utterance,
    printable,
    state_write_schema,
)
from .turn import Orchestrator
from .vehicle import VehicleAccess, VehicleStateError

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 5.0
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")

_DESCRIPTIONS = {
    400: "the body could not be read as JSON text (not UTF-8, or nested too deep)",
    401: "no valid front-end token or session cookie",
    403: "refused: a request from another web origin, or a login code that is not valid",
    404: "not found",
    409: "conflict with the vehicle's state (a real car takes no simulated values)",
    413: "request body larger than the cap",
    415: "request body not JSON",
    421: "Host header names another server",
    422: "malformed request: each bad field is named",
    502: "the vehicle server failed the request",
    503: "the vehicle server is not answering",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses, all with the one error model."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


COCKPIT_ASSETS = {
    "cockpit.css": "text/css; charset=utf-8",
    "cockpit.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
"""The cockpit's files besides its page (``orchestrator/cockpit/``), served at ``/cockpit/<name>``."""

GUARDED = (401, 413, 421)
"""What the guard may answer on any /v1 operation; state-changing ones add 403."""

ORCHESTRATOR_SPEC = AgentSpec(
    name="cabin",
    description="The car's assistant: one door to the vehicle-control, navigation and perception agents.",
    skills=(
        SkillSpec(
            id="converse",
            name="Talk to the car",
            description="Any request a person in the car would make: climate, seats, windows, doors, "
            "lights, volume, places and routes, what is around the car.",
            tags=("car", "assistant", "routing"),
            examples=("set the temperature to 21", "find me a charger", "what's in my blind spot"),
        ),
    ),
)


class OrchestratorExecutor(CabinExecutor):
    """Serves the orchestrator as an A2A agent: each message is one turn of a session kept per A2A
    context. Only messages whose metadata says a person in the car said them may act on the car.

    Which session each A2A context continues is kept while the session can still be continued: an
    entry unused for longer than the session store keeps an idle session (or a pending confirmation,
    whichever is longer) is dropped, and at most `max_contexts` are kept (least recently used go
    first; such a context starts a new session on its next message)."""

    max_contexts: int = 4096

    def __init__(self, orchestrator: Orchestrator) -> None:
        super().__init__()
        self.orchestrator = orchestrator
        self._sessions: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def handle(self, request: AgentRequest) -> Outcome:
        if request.origin != "occupant":
            text = "I only act on requests from the people in the car."
            return Reply(text=text, data={"actions": [], "refused": "GR-18"})
        self._forget_idle()
        known = self._sessions.get(request.context_id)
        session_id = known[0] if known is not None else None
        try:
            result = await self.orchestrator.handle(request.text, request.seat or "driver", session_id)
        except UnknownSession:
            result = await self.orchestrator.handle(request.text, request.seat or "driver", None)
        self._sessions[request.context_id] = (result.session_id, time.monotonic())
        self._sessions.move_to_end(request.context_id)
        while len(self._sessions) > self.max_contexts:
            self._sessions.popitem(last=False)
        # The TurnResult, named as A2A payloads are (camelCase: turnId, stateChanges, ruleId, ...).
        return Reply(text=result.reply, data=camel_data(result))

    def _forget_idle(self) -> None:
        """Drop the contexts whose session has expired (kept in order of last use: stop at the first
        live one)."""
        store = self.orchestrator.sessions
        keep_s = max(store.idle_s, store.confirmation_ttl_s)
        now = time.monotonic()
        while self._sessions:
            context_id, (_, used) = next(iter(self._sessions.items()))
            if now - used <= keep_s:
                break
            del self._sessions[context_id]

    @property
    def contexts(self) -> int:
        """How many A2A contexts are mapped to a session."""
        return len(self._sessions)


def create_app(
    orchestrator: Orchestrator,
    vehicle: VehicleAccess,
    *,
    front_end_token: str | None,
    base_url: str = "http://127.0.0.1:8700",
    a2a_token: str | None = None,
    ui: bool = True,
    map_provider: Callable[[], MapProvider] = default_map_provider,
    perception: PerceptionFeed | None = None,
) -> FastAPI:
    """The orchestrator's app. ``front_end_token`` is required on every ``/v1`` path (``None``: insecure
    mode, no credential checked); ``Host`` must name a loopback address or ``base_url``'s host.
    ``map_provider`` gives the roads the cockpit's routes follow (loaded on first use);
    ``perception`` is the feed the cockpit shows (``None``: ``/v1/perception`` answers 404)."""
    access = FrontEndAccess(front_end_token, hosts=[urlsplit(base_url).netloc])
    app = FastAPI(
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        title="cabin orchestrator",
        version="0.1.0",
        description="Front-end API of cabin: send what a person said, get the full account of the turn. "
        "Every /v1 operation needs the front-end token (`Authorization: Bearer`, the token in "
        ".cabin/run/operator-token) or the cockpit's session cookie, unless the stack runs --insecure.",
    )
    app.state.access = access

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        problems = [_problem(e) for e in exc.errors()]
        detail = "; ".join(f"{field}: {message}" for field, message in problems)
        return _error(422, detail, problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, default=str)
        if exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI's answer to a body that is not even JSON text (not UTF-8, nested too deep)
            detail = f"the body could not be read as JSON ({exc.__cause__})"
        return _error(exc.status_code, printable(detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        return _error(500, "the orchestrator failed unexpectedly; see its log")

    secured: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]

    @app.post(
        "/v1/utterances",
        response_model=TurnResult,
        responses=errors(*GUARDED, 400, 403, 404, 415, 422),
        openapi_extra={"security": secured},
    )
    async def utterances(utterance: Utterance) -> TurnResult:
        try:
            return await orchestrator.handle(utterance.text, utterance.seat, utterance.session_id)
        except UnknownSession as exc:
            raise HTTPException(
                404, f"unknown or expired session_id {utterance.session_id!r}; send null to start one"
            ) from exc

    @app.get(
        "/v1/vehicle/state",
        responses=errors(*GUARDED, 404, 422, 502, 503),
        openapi_extra={"security": secured},
    )
    async def vehicle_state(
        prefix: str = Query("Vehicle", min_length=1, max_length=200, description="a VSS branch or path"),
    ) -> dict[str, Any]:
        try:
            return await vehicle.state(prefix)
        except VehicleStateError as exc:
            raise HTTPException(exc.status, str(exc)) from exc

    @app.put(
        "/v1/vehicle/state",
        responses=errors(*GUARDED, 400, 403, 409, 415, 422, 502, 503),
        openapi_extra={"security": secured},
    )
    async def put_vehicle_state(values: StateWrite) -> dict[str, Any]:
        """Set current values in the simulator (sensors too), for demos and tests; 409 when the vehicle
        server drives a real car, or when the values would make an impossible car with its current
        state (a door open and locked)."""
        try:
            applied = await vehicle.inject(dict(values.root))
        except VehicleStateError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        for key in applied:
            orchestrator.events.publish("state_change", "-", changes={key: applied[key]}, source="api")
        return {"applied": applied}

    @app.get(
        "/v1/agents",
        response_model=list[AgentInfo],
        responses=errors(*GUARDED),
        openapi_extra={"security": secured},
    )
    async def agents() -> list[AgentInfo]:
        await _refresh(orchestrator)
        return [
            AgentInfo(
                name=e.name or e.url,
                url=e.url,
                healthy=e.healthy,
                breaker=e.breaker.state,
                card=json_format.MessageToDict(e.card) if e.card is not None else None,
                error=e.error,
            )
            for e in orchestrator.directory.entries
        ]

    @app.get(
        "/v1/events",
        response_class=EventSourceResponse,
        responses={
            200: {
                "description": "Server-Sent Events, one per routing decision, agent call, tool call, "
                "guardrail verdict, state change and finished turn",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            },
            **errors(*GUARDED),
        },
        openapi_extra={"security": secured},
    )
    async def events() -> EventSourceResponse:
        async def stream() -> AsyncIterator[dict[str, str]]:
            async for event in orchestrator.events.subscribe():
                yield {"event": event["type"], "data": json.dumps(event, default=str)}

        return EventSourceResponse(stream(), ping=15)

    @app.post(
        "/v1/login-codes",
        status_code=201,
        response_model=LoginLink,
        responses=errors(*GUARDED, 403, 415),
        openapi_extra={"security": secured},
    )
    async def login_codes() -> LoginLink:
        """A one-time login link for the cockpit (what `cabin run` and `cabin login` print)."""
        code = access.new_login_code()
        return LoginLink(url=f"{base_url.rstrip('/')}/login?code={code.code}", expires_in_s=LOGIN_CODE_TTL_S)

    @app.get(
        "/v1/map",
        response_model=MapSketch,
        responses=errors(*GUARDED, 503),
        openapi_extra={"security": secured},
    )
    async def map_sketch() -> MapSketch:
        """The OpenStreetMap extract the navigation server reads, as SVG path data in metres (the
        cockpit's map: streets, water, parks; no tile server)."""
        try:
            return await anyio.to_thread.run_sync(sketch_map)
        except MapDataError as exc:
            raise HTTPException(503, f"the map cannot be drawn: {exc}") from exc

    @app.get(
        "/v1/map/route",
        response_model=RouteLine,
        responses=errors(*GUARDED, 404, 422, 503),
        openapi_extra={"security": secured},
    )
    async def map_route(
        from_lat: float = Query(ge=-90, le=90, description="start latitude (the car)"),
        from_lon: float = Query(ge=-180, le=180, description="start longitude"),
        to_lat: float = Query(ge=-90, le=90, description="destination latitude"),
        to_lon: float = Query(ge=-180, le=180, description="destination longitude"),
    ) -> RouteLine:
        """The drivable route between two positions with its road geometry, as the navigation server
        finds it (the cockpit draws the route to the destination set in the car)."""

        def find() -> RouteLine:
            return route_line(map_provider(), (from_lat, from_lon), (to_lat, to_lon))

        try:
            return await anyio.to_thread.run_sync(find)
        except InvalidQuery as exc:
            raise HTTPException(422, str(exc)) from exc
        except NoRoute as exc:
            raise HTTPException(404, str(exc)) from exc
        except MapDataError as exc:
            raise HTTPException(503, f"the map cannot be read: {exc}") from exc
        except NavigationError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get(
        "/v1/perception",
        response_model=PerceptionSnapshot,
        responses=errors(*GUARDED, 404, 502),
        openapi_extra={"security": secured},
    )
    async def perception_snapshot() -> PerceptionSnapshot:
        """The latest perception frame: objects, recognised signs, the camera image's size and the
        text read on it with each line's box. 404 when no feed is connected or no frame came yet."""
        feed = _feed(perception)
        try:
            return await feed.snapshot()
        except NoFrameError as exc:
            raise HTTPException(404, str(exc)) from exc
        except PerceptionError as exc:
            raise HTTPException(502, f"the perception feed failed: {exc}") from exc

    @app.get(
        "/v1/perception/image",
        response_class=Response,
        responses={
            200: {"description": "the latest camera frame", "content": {"image/png": {}, "image/jpeg": {}}},
            **errors(*GUARDED, 404, 502),
        },
        openapi_extra={"security": secured},
    )
    async def perception_image() -> Response:
        """The latest camera frame's image (PNG or JPEG); 404 when there is none."""
        feed = _feed(perception)
        try:
            data, media_type = await feed.image()
        except (NoFrameError, NoImageError) as exc:
            raise HTTPException(404, str(exc)) from exc
        except PerceptionError as exc:
            raise HTTPException(502, f"the perception feed failed: {exc}") from exc
        return Response(data, media_type=media_type, headers={"Cache-Control": "no-store"})

    landing = "/" if ui else "/docs"

    @app.get(
        "/login",
        response_class=RedirectResponse,
        status_code=303,
        responses={
            303: {"description": "logged in: the session cookie is set, on to the cockpit"},
            **errors(403, 413, 421, 422),
        },
    )
    async def login(code: str = Query(min_length=1, max_length=100)) -> Response:
        """Exchange a one-time login code for the cockpit's session cookie (HttpOnly, SameSite=Strict)."""
        response = RedirectResponse(landing, status_code=303)
        if access.insecure:
            return response
        session = access.redeem(code)
        if session is None:
            raise HTTPException(
                403,
                "this login link is not valid: it was used already, it expired, or the orchestrator "
                "restarted since; run `cabin login` for a new one",
            )
        response.set_cookie(
            SESSION_COOKIE, session, max_age=SESSION_TTL_S, httponly=True, samesite="strict", path="/"
        )
        return response

    @app.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": Health, "description": "a component does not answer"}, **errors(413, 421)},
    )
    async def healthz() -> JSONResponse:
        problems: list[str] = []
        failure = await _refresh(orchestrator)
        if failure is not None:
            problems.append(failure)
        agents = {e.name or e.url: e.healthy for e in orchestrator.directory.entries}
        problems += [f"agent {name} does not answer" for name, ok in agents.items() if not ok]
        vehicle_ok = await vehicle.healthy()
        if not vehicle_ok:
            problems.append(f"the vehicle server does not answer ({vehicle.last_error or 'refused'})")
        try:
            model_problem = await orchestrator.router.model_problem()
        except Exception as exc:  # a health check reports; it never fails
            model_problem = f"the on-device model could not be checked ({type(exc).__name__})"
        if model_problem is not None:
            problems.append(model_problem)
        health = Health(
            status="degraded" if problems else "ok",
            vehicle=vehicle_ok,
            agents=agents,
            model=model_problem is None,
            problems=problems,
        )
        return JSONResponse(health.model_dump(mode="json"), status_code=503 if problems else 200)

    if ui:
        static = resources.files("orchestrator.cockpit")
        page = static.joinpath("index.html").read_text(encoding="utf-8")
        assets = {
            name: (static.joinpath(name).read_bytes(), media_type)
            for name, media_type in COCKPIT_ASSETS.items()
        }

        @app.get("/", response_class=HTMLResponse, include_in_schema=False)
        async def cockpit() -> str:
            return page

        @app.get("/cockpit/{name}", include_in_schema=False)
        async def cockpit_asset(name: str) -> Response:
            if name not in assets:
                raise HTTPException(404, f"no such cockpit file: {printable(name)}")
            data, media_type = assets[name]
            return Response(data, media_type=media_type, headers={"Cache-Control": "no-cache"})

    _document(app, vehicle)
    _refuse_other_methods(app)
    a2a = build_agent_app(
        ORCHESTRATOR_SPEC, OrchestratorExecutor(orchestrator), base_url=base_url, token=a2a_token
    )
    app.state.a2a = a2a
    app.mount("/", a2a)
    app.add_middleware(FrontEndGuard, access=access)
    return app


def _feed(perception: PerceptionFeed | None) -> PerceptionFeed:
    if perception is None:
        raise HTTPException(404, "no perception feed is connected to the orchestrator")
    return perception


async def _refresh(orchestrator: Orchestrator) -> str | None:
    """Re-read every agent's card (within ``HEALTH_TIMEOUT_S``); a sentence when that failed, for
    answers that report the agents as they were last seen rather than fail."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            await orchestrator.directory.refresh()
    except Exception as exc:  # reported, never raised: the health check and the agent list still answer
        logger.warning("refreshing the agent directory failed: %r", exc)
        return f"the agent directory could not be refreshed ({type(exc).__name__})"
    return None


class _Refusal:
    """An ASGI endpoint that answers every method with one error (a Starlette route whose endpoint is
    an ASGI app matches any method, the new ones such as ``QUERY`` included)."""

    def __init__(self, status: int, allow: str | None = None) -> None:
        self.status = status
        self.allow = allow

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = printable(scope["path"])
        if self.allow is None:
            response = _error(self.status, f"no such endpoint: {path}")
        else:
            detail = f"{printable(scope['method'])} is not supported on {path}; use {self.allow}"
            response = _error(self.status, detail, headers={"Allow": self.allow})
        await response(scope, receive, send)


def _refuse_other_methods(app: FastAPI) -> None:
    """405 with ``Allow`` for an undeclared method on a declared path, 404 for an unknown ``/v1`` path
    (both would otherwise fall through to the A2A app mounted at ``/``). The root path is shared with
    A2A's JSON-RPC endpoint and left to it."""
    allowed: dict[str, set[str]] = {}
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods and route.path != "/":
            allowed.setdefault(route.path, set()).update(route.methods)
    for path, methods in allowed.items():
        allow = ", ".join(m for m in METHODS if m in methods)
        app.router.routes.append(Route(path, _Refusal(405, allow), include_in_schema=False))
    app.router.routes.append(Route("/v1/{rest:path}", _Refusal(404), include_in_schema=False))


def _document(app: FastAPI, vehicle: VehicleAccess) -> None:
    """Serve the OpenAPI schema at ``/openapi.json`` (and Swagger UI at ``/docs``): the front-end's
    credentials (the guard enforces them) and, once the vehicle server has described its signals,
    the exact schema of a state write: each signal's path, type, range and allowed values."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "the front-end token"},
            "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
        }
        if vehicle.described is not None:
            body = schema["paths"]["/v1/vehicle/state"]["put"]["requestBody"]["content"]["application/json"]
            body["schema"] = state_write_schema(vehicle.described)
            app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        with contextlib.suppress(VehicleStateError):
            await vehicle.signals()
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} - API")


def _error(
    status: int,
    detail: str,
    problems: Iterable[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(error_body(status, detail, problems), status, headers, media_type="application/json")


def _problem(error: Any) -> tuple[str, str]:
    """``(field, message)`` of one validation error: the body field, VSS path or query parameter."""
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "JSON decode error")
        return "body", f"not valid JSON: {reason} (at character {error['loc'][-1]})"
    parts = [printable(str(p)) for p in error["loc"] if p not in ("body", "query", "[key]")]
    message = printable(str(error["msg"]).removeprefix("Value error, "))
    if error["loc"][-1:] == ("[key]",):
        message = f"not a VSS path ({message})"
    return ".".join(parts) or "body", message
