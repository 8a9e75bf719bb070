"""The vehicle MCP server: VSS tools over the guarded :class:`VehicleService`.

Generic tools (docs/vehicle-server.md): ``list_signals``, ``get_signals``, ``set_signals``; task-shaped tools
for small models (``set_cabin_temperature``, ``set_window``, ...); the resource template
``vss://{path}``; and change notifications for ``vss://`` resources through ``subscriptions/listen``.

Who is calling: over HTTP the bearer token names the client (:class:`ClientProfile`); over stdio and
in memory the server serves the one client it was built for. The speaker's seat and the request's
origin travel in each call's ``_meta`` (``cabin/seat``, ``cabin/origin``, ``cabin/turn_id``,
``cabin/best_effort``); a call without them is the least-privileged case.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine, Hashable, Mapping, Sequence
from dataclasses import replace
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated
from mcp_types import ToolAnnotations
from pydantic import Field, ValidationError

from mcp_servers.protocol import StrictMCPServer, close_tool

from . import tools as t
from .catalog import Value
from .declarations import ToolDeclaration
from .errors import UnknownSignal, VehicleError
from .guardrails import DEFAULT_PROFILES, CallContext, ClientProfile
from .plugins import Registry, registry_for
from .service import SignalInfo, TurnWrites, VehicleService, WriteResult
from .state_file import Restored

READ_ONLY = ToolAnnotations(
    readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False
)
SET = ToolAnnotations(readOnlyHint=False, destructiveHint=False, idempotentHint=True, openWorldHint=False)
RELATIVE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False
)
DESTRUCTIVE = ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=True, openWorldHint=False
)
ANNOTATIONS: dict[str, ToolAnnotations] = {"set": SET, "relative": RELATIVE, "destructive": DESTRUCTIVE}
"""The MCP annotations of a declared tool's kind."""

#: Clients that act for the stack itself rather than for one agent: they may inject simulator values
#: and read back what a turn wrote.
OPERATOR_CLIENTS = frozenset({"operator", "local"})

#: The resource that says how the server started (a kept state restored, or the car reset).
STATUS_URI = "cabin://vehicle/status"

INSTRUCTIONS = """Reads and changes the car through COVESA VSS signals. Every write is checked by the
car's safety guardrails at the moment it runs; a refusal names its rule (GR-xx) and reason. A result
with needs_confirmation waits for the person's yes: call the same tool again with confirm_token.
Pass the speaker's seat and the request's origin in _meta: cabin/seat, cabin/origin ("occupant" when a
person in the car asked)."""

ConfirmToken = Annotated[
    str | None, Field(description="token from a needs_confirmation result, once the person said yes")
]


SHAPES_KEPT = 256
"""At most this many tool shapes are kept (see :func:`shaped_tool`), the least recently used going first."""

_shapes: OrderedDict[Hashable, Tool] = OrderedDict()
_shapes_lock = threading.Lock()


def shaped_tool(
    fn: Callable[..., Any],
    shape: Hashable,
    *,
    annotations: ToolAnnotations,
    name: str | None = None,
    description: str | None = None,
) -> Tool:
    """``fn`` as a closed MCP tool (:func:`~mcp_servers.protocol.close_tool`).

    What the SDK derives from a tool function's signature, its argument model and the input and
    output JSON schemas, is most of the cost of building the server (about 0.1 s of CPU for its
    27 tools), and an in-process stack builds the server once per client (each copy serves one client
    profile). ``shape`` names everything that derivation depends on besides ``fn``'s body: a tool
    first built under a shape is kept, and a later ``fn`` of the same shape is served as a copy of it
    with only the function replaced. The function is what runs a call (and what identifies the
    caller), so each server's tools act for its own client exactly as when built afresh.
    """
    with _shapes_lock:
        template = _shapes.get(shape)
        if template is not None:
            _shapes.move_to_end(shape)
    if template is None:
        template = Tool.from_function(fn, name=name, description=description, annotations=annotations)
        close_tool(template)
        with _shapes_lock:
            _shapes[shape] = template
            while len(_shapes) > SHAPES_KEPT:
                _shapes.popitem(last=False)
    return template.model_copy(update={"fn": fn})


def bearer_token(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    value = headers.get("authorization") or headers.get("Authorization")
    if value and value.lower().startswith("bearer "):
        return value[7:].strip()
    return None


class VehicleMCP:
    """Builds the MCP server around a service; holds how callers are identified."""

    def __init__(
        self,
        service: VehicleService,
        *,
        client: ClientProfile | str = "operator",
        tokens: Mapping[str, ClientProfile] | None = None,
        background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
        status: Restored | None = None,
        registry: Registry | None = None,
    ) -> None:
        self.service = service
        self.registry = registry if registry is not None else registry_for(service.catalog)
        known = {rule.id for rule in service.guardrails.rules}
        # A plugin's rules judge every write, like the car's own (they come after them).
        service.guardrails.rules.extend(r for r in self.registry.rules if r.id not in known)
        self.background = list(background)
        self.status = status if status is not None else Restored()
        self.default_client = DEFAULT_PROFILES[client] if isinstance(client, str) else client
        self.tokens = dict(tokens or {})
        self.bus = InMemorySubscriptionBus()
        self.server = self._build()

    # -- identity ------------------------------------------------------------------------------------

    def call_context(self, ctx: Context[Any]) -> CallContext:
        client = self.default_client
        if self.tokens:
            token = bearer_token(ctx.headers)
            client = self.tokens.get(token or "", DEFAULT_PROFILES["anonymous"])
        meta: Mapping[str, object] | None = None
        with contextlib.suppress(ValueError, AttributeError):
            meta = ctx.request_context.meta
        return CallContext.from_meta(client, meta)

    # -- change notifications ------------------------------------------------------------------------

    async def publish_changes(self) -> None:
        """Forward backend value changes to ``subscriptions/listen`` streams as ``vss://`` updates."""
        async for changes in self.service.backend.subscribe(self.service.catalog.paths):
            for path in changes:
                await self.bus.publish(ResourceUpdated(uri=f"vss://{path}"))

    @contextlib.asynccontextmanager
    async def lifespan(self, _: MCPServer[Any]) -> AsyncIterator[dict[str, Any]]:
        tasks = [asyncio.create_task(job()) for job in (self.publish_changes, *self.background)]
        try:
            yield {}
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    # -- tools ---------------------------------------------------------------------------------------

    async def _write(
        self,
        ctx: Context[Any],
        spec: t.WriteSpec,
        tool: str,
        arguments: dict[str, object],
        confirm_token: str | None,
    ) -> WriteResult:
        try:
            return await self.service.write(
                spec.values,
                self.call_context(ctx),
                deltas=spec.deltas or None,
                confirm_token=confirm_token,
                tool=tool,
                arguments=arguments,
            )
        except VehicleError as exc:
            raise ToolError(str(exc)) from exc

    def _task_tool(self, declaration: ToolDeclaration) -> Tool:
        """``declaration`` as an MCP tool: its arguments plus ``confirm_token`` as the input schema, a
        body that resolves the zone, builds the request and sends it through the guarded write with
        the caller's scope narrowed to the signals the tool declares."""

        async def task_tool(ctx: Context[Any], **given: Any) -> WriteResult:
            confirm_token = given.pop("confirm_token", None)
            caller = self.call_context(ctx)
            if declaration.zone is not None and given.get(declaration.zone) is None:
                given[declaration.zone] = caller.seat or "driver"
            try:
                spec = declaration.build(declaration.arguments.model_validate(given))
            except (t.ToolArgumentError, ValidationError) as exc:
                raise ToolError(str(exc)) from exc
            scoped = replace(caller, client=caller.client.within(declaration.writes))
            try:
                return await self.service.write(
                    spec.values,
                    scoped,
                    deltas=spec.deltas or None,
                    confirm_token=confirm_token,
                    tool=declaration.name,
                    arguments=given,
                )
            except VehicleError as exc:
                raise ToolError(str(exc)) from exc

        parameters = [
            inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Context[Any])
        ]
        for name, field in declaration.arguments.model_fields.items():
            extras: list[Any] = list(field.metadata)
            if field.description is not None:
                extras.append(Field(description=field.description))
            annotation = Annotated[(field.annotation, *extras)] if extras else field.annotation
            parameters.append(
                inspect.Parameter(
                    name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=annotation,
                    default=inspect.Parameter.empty if field.is_required() else field.default,
                )
            )
        parameters.append(
            inspect.Parameter(
                "confirm_token", inspect.Parameter.KEYWORD_ONLY, annotation=ConfirmToken, default=None
            )
        )
        task_tool.__name__ = task_tool.__qualname__ = declaration.name
        task_tool.__signature__ = inspect.Signature(parameters, return_annotation=WriteResult)  # type: ignore[attr-defined]
        task_tool.__annotations__ = {
            **{p.name: p.annotation for p in parameters},
            "return": WriteResult,
        }
        # The schemas derive from the declaration's name, description, kind and argument model.
        shape = ("task", declaration.name, declaration.description, declaration.kind, declaration.arguments)
        return shaped_tool(
            task_tool,
            shape,
            name=declaration.name,
            description=declaration.description,
            annotations=ANNOTATIONS[declaration.kind],
        )

    def _build(self) -> MCPServer[Any]:
        service = self.service

        def list_signals(
            ctx: Context[Any],
            prefix: Annotated[
                str, Field(description="VSS branch or path, e.g. Vehicle.Cabin.HVAC")
            ] = "Vehicle",
            query: Annotated[
                str | None, Field(description="words that must appear in path or description")
            ] = None,
        ) -> list[SignalInfo]:
            """List signals: type, datatype, unit, min/max/allowed, and whether you may write them."""
            return service.list_signals(self.call_context(ctx), prefix, query)

        async def get_signals(
            paths: Annotated[list[str], Field(description="full VSS paths", min_length=1, max_length=200)],
        ) -> dict[str, Value | None]:
            """Read the current values of signals ({path: value}; null when the car does not report one)."""
            try:
                return await service.get_signals(paths)
            except VehicleError as exc:
                raise ToolError(str(exc)) from exc

        async def set_signals(
            ctx: Context[Any],
            values: Annotated[dict[str, Value], Field(description="{VSS path: new target value}")],
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Request new actuator targets. All-or-nothing unless _meta cabin/best_effort is true."""
            if not values and confirm_token is None:
                raise ToolError(
                    "values is empty: give at least one {VSS path: value} "
                    "(or confirm_token to confirm a pending request)"
                )
            return await self._write(
                ctx, t.WriteSpec(values=dict(values)), "set_signals", {"values": values}, confirm_token
            )

        async def simulate_signals(
            ctx: Context[Any],
            values: Annotated[
                dict[str, Value], Field(description="{VSS path: current value}, sensors included")
            ],
        ) -> dict[str, Value]:
            """Set current values in the simulator (demos, scenario timelines); operator only, refused on
            a real vehicle. This changes what the car reports, not what it is asked to do."""
            caller = self.call_context(ctx).client
            if caller.client_id not in OPERATOR_CLIENTS:
                raise ToolError(f"client {caller.client_id!r} may not inject simulator values")
            try:
                checked = service.catalog.coerce_all(values)
                await service.inject(checked, caller.client_id)
            except VehicleError as exc:
                raise ToolError(str(exc)) from exc
            return checked

        async def turn_writes(
            ctx: Context[Any],
            turn_id: Annotated[str, Field(min_length=1, max_length=200, description="the turn's id")],
            close: Annotated[
                bool, Field(description="end the turn: later writes under its id are refused")
            ] = False,
        ) -> TurnWrites:
            """What a turn wrote to the car, from the audit (operator only). With close, no write under
            this turn id is accepted afterwards: the orchestrator reports exactly what was done."""
            caller = self.call_context(ctx).client
            if caller.client_id not in OPERATOR_CLIENTS:
                raise ToolError(f"client {caller.client_id!r} may not read the audit")
            return await service.turn_writes(turn_id, close=close)

        # Each tool's shape is its function's code (the same for every server built here) and the
        # constant annotations it is served with; the task tools' shapes are their declarations'.
        tools = [
            shaped_tool(list_signals, list_signals.__code__, annotations=READ_ONLY),
            shaped_tool(get_signals, get_signals.__code__, annotations=READ_ONLY),
            shaped_tool(set_signals, set_signals.__code__, annotations=SET),
            *(self._task_tool(declaration) for declaration in self.registry.tools),
            shaped_tool(simulate_signals, simulate_signals.__code__, annotations=SET),
            shaped_tool(turn_writes, turn_writes.__code__, annotations=SET),
        ]
        server: MCPServer[Any] = StrictMCPServer(
            name="cabin-vehicle",
            title="cabin vehicle signals",
            instructions=INSTRUCTIONS,
            version="0.1.0",
            subscriptions=self.bus,
            lifespan=self.lifespan,
            log_level="WARNING",
            tools=tools,
        )

        @server.resource(
            "vss://{path}", mime_type="application/json", description="current value of a VSS signal"
        )
        async def signal_resource(path: str) -> str:
            try:
                signal = service.catalog.get(path)
            except UnknownSignal as exc:
                raise ResourceNotFoundError(str(exc)) from exc
            try:
                value = (await service.backend.get_current([path]))[path]
            except VehicleError as exc:
                raise ResourceError(str(exc)) from exc
            return json.dumps({**signal.describe(), "value": value})

        @server.resource(
            STATUS_URI,
            mime_type="application/json",
            description="how the vehicle server started: simulated or not, and whether a kept state "
            "was restored or the simulated car was reset",
        )
        def status_resource() -> str:
            return json.dumps({"simulated": service.backend.is_simulated, **self.status.model_dump()})

        return server


def build_server(
    service: VehicleService,
    *,
    client: ClientProfile | str = "operator",
    tokens: Mapping[str, ClientProfile] | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
    status: Restored | None = None,
    registry: Registry | None = None,
) -> MCPServer[Any]:
    """The MCP server for ``service``; in memory and over stdio it serves ``client``. ``background``
    jobs (a simulator's real-time clock, keeping its state) run while the server runs; ``status``
    (how it started) is served at :data:`STATUS_URI`. ``registry``: the task tools and plugin rules to
    serve (default: the core tools and the installed ``cabin.tools`` plugins, checked against the
    service's catalog; a plugin that cannot be served raises :class:`~.plugins.PluginError`)."""
    return VehicleMCP(
        service, client=client, tokens=tokens, background=background, status=status, registry=registry
    ).server
