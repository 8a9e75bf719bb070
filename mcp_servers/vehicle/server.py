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
import json
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.server.subscriptions import InMemorySubscriptionBus, ResourceUpdated
from mcp_types import ToolAnnotations
from pydantic import Field

from mcp_servers.protocol import StrictMCPServer

from . import tools as t
from .catalog import Value
from .errors import UnknownSignal, VehicleError
from .guardrails import DEFAULT_PROFILES, CallContext, ClientProfile
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

#: Clients that act for the stack itself rather than for one agent: they may inject simulator values
#: and read back what a turn wrote.
OPERATOR_CLIENTS = frozenset({"operator", "local"})

#: The resource that says how the server started (a kept state restored, or the car reset).
STATUS_URI = "cabin://vehicle/status"

#: The signals each tool writes (glob patterns), so tools can be listed with the rules that guard them.
WRITES: dict[str, tuple[str, ...]] = {
    "set_signals": ("Vehicle.*",),
    "set_cabin_temperature": ("Vehicle.Cabin.HVAC.Station.*.Temperature",),
    "set_fan": ("Vehicle.Cabin.HVAC.Station.*.FanSpeed",),
    "set_air_distribution": ("Vehicle.Cabin.HVAC.Station.*.AirDistribution",),
    "set_air_conditioning": ("Vehicle.Cabin.HVAC.IsAirConditioningActive",),
    "set_recirculation": ("Vehicle.Cabin.HVAC.IsRecirculationActive",),
    "set_defrost": ("Vehicle.Cabin.HVAC.Is*DefrosterActive", "Vehicle.Body.Windshield.Rear.IsHeatingOn"),
    "set_seat_heating": ("Vehicle.Cabin.Seat.*.HeatingCooling",),
    "set_seat_ventilation": ("Vehicle.Cabin.Seat.*.HeatingCooling",),
    "set_seat_massage": ("Vehicle.Cabin.Seat.*.Massage.Level",),
    "set_steering_wheel_heating": ("Vehicle.Chassis.SteeringWheel.HeatingCooling",),
    "set_window": ("Vehicle.Cabin.Door.*.Window.Position",),
    "set_sunroof": ("Vehicle.Cabin.Sunroof.Switch",),
    "set_sunshade": ("Vehicle.Cabin.Sunroof.Shade.Position", "Vehicle.Cabin.RearShade.Position"),
    "lock_doors": ("Vehicle.Cabin.Door.*.IsLocked",),
    "unlock_doors": ("Vehicle.Cabin.Door.*.IsLocked",),
    "set_door": ("Vehicle.Cabin.Door.*.IsOpen",),
    "set_trunk": ("Vehicle.Body.Trunk.Rear.IsOpen",),
    "set_lights": ("Vehicle.Body.Lights.*", "Vehicle.Cabin.Light.*"),
    "set_wipers": ("Vehicle.Body.Windshield.*.Wiping.Mode",),
    "set_media_volume": ("Vehicle.Cabin.Infotainment.Media.Volume",),
    "set_navigation_destination": ("Vehicle.Cabin.Infotainment.Navigation.DestinationSet.*",),
    "fold_mirrors": ("Vehicle.Body.Mirrors.*.IsFolded",),
}

INSTRUCTIONS = """Reads and changes the car through COVESA VSS signals. Every write is checked by the
car's safety guardrails at the moment it runs; a refusal names its rule (GR-xx) and reason. A result
with needs_confirmation waits for the person's yes: call the same tool again with confirm_token.
Pass the speaker's seat and the request's origin in _meta: cabin/seat, cabin/origin ("occupant" when a
person in the car asked)."""

ConfirmToken = Annotated[
    str | None, Field(description="token from a needs_confirmation result, once the person said yes")
]
ZoneArg = Annotated[
    t.Zone | None,
    Field(description="whose zone; default: the speaker's seat (driver when unknown)"),
]


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
    ) -> None:
        self.service = service
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

    def _zone(self, ctx: Context[Any], zone: t.Zone | None) -> t.Zone:
        if zone is not None:
            return zone
        return self.call_context(ctx).seat or "driver"

    def _build(self) -> MCPServer[Any]:
        server: MCPServer[Any] = StrictMCPServer(
            name="cabin-vehicle",
            title="cabin vehicle signals",
            instructions=INSTRUCTIONS,
            version="0.1.0",
            subscriptions=self.bus,
            lifespan=self.lifespan,
            log_level="WARNING",
        )
        service = self.service

        def spec_of(build: Any, *args: Any) -> t.WriteSpec:
            try:
                spec: t.WriteSpec = build(*args)
            except t.ToolArgumentError as exc:
                raise ToolError(str(exc)) from exc
            return spec

        @server.tool(annotations=READ_ONLY)
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

        @server.tool(annotations=READ_ONLY)
        async def get_signals(
            paths: Annotated[list[str], Field(description="full VSS paths", min_length=1, max_length=200)],
        ) -> dict[str, Value | None]:
            """Read the current values of signals ({path: value}; null when the car does not report one)."""
            try:
                return await service.get_signals(paths)
            except VehicleError as exc:
                raise ToolError(str(exc)) from exc

        @server.tool(annotations=SET)
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

        @server.tool(annotations=RELATIVE)
        async def set_cabin_temperature(
            ctx: Context[Any],
            zone: ZoneArg = None,
            celsius: Annotated[float | None, Field(description="absolute set point in °C")] = None,
            delta: Annotated[float | None, Field(description="relative change in °C, e.g. 1 or -2")] = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Set the cabin temperature of a zone (absolute celsius or relative delta)."""
            z = self._zone(ctx, zone)
            args: dict[str, object] = {"zone": z, "celsius": celsius, "delta": delta}
            return await self._write(
                ctx,
                spec_of(t.cabin_temperature, z, celsius, delta),
                "set_cabin_temperature",
                args,
                confirm_token,
            )

        @server.tool(annotations=RELATIVE)
        async def set_fan(
            ctx: Context[Any],
            zone: ZoneArg = None,
            percent: Annotated[int | None, Field(ge=0, le=100, description="fan speed 0-100 %")] = None,
            delta: Annotated[int | None, Field(ge=-100, le=100, description="relative change in %")] = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Set the HVAC fan speed of a zone."""
            z = self._zone(ctx, zone)
            return await self._write(
                ctx,
                spec_of(t.fan_speed, z, percent, delta),
                "set_fan",
                {"zone": z, "percent": percent, "delta": delta},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def set_air_distribution(
            ctx: Context[Any],
            direction: Literal["up", "middle", "down"],
            zone: ZoneArg = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Direct the airflow of a zone up (windshield), middle (face) or down (feet)."""
            z = self._zone(ctx, zone)
            return await self._write(
                ctx,
                t.air_distribution(z, direction),
                "set_air_distribution",
                {"zone": z, "direction": direction},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def set_air_conditioning(
            ctx: Context[Any], on: bool, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Switch the air conditioning (compressor) on or off."""
            return await self._write(
                ctx, t.air_conditioning(on), "set_air_conditioning", {"on": on}, confirm_token
            )

        @server.tool(annotations=SET)
        async def set_recirculation(
            ctx: Context[Any], on: bool, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Switch air recirculation on or off."""
            return await self._write(ctx, t.recirculation(on), "set_recirculation", {"on": on}, confirm_token)

        @server.tool(annotations=SET)
        async def set_defrost(
            ctx: Context[Any],
            on: bool,
            where: Literal["front", "rear", "both"] = "front",
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Switch the windshield (front) or rear-window defroster on or off."""
            return await self._write(
                ctx, t.defrost(where, on), "set_defrost", {"where": where, "on": on}, confirm_token
            )

        @server.tool(annotations=SET)
        async def set_seat_heating(
            ctx: Context[Any],
            level: Annotated[int, Field(ge=0, le=3, description="0 = off, 1 low, 2 medium, 3 high")],
            seat: ZoneArg = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Set seat heating (level 0-3) for a seat or zone."""
            z = self._zone(ctx, seat)
            return await self._write(
                ctx,
                spec_of(t.seat_heating, z, level),
                "set_seat_heating",
                {"seat": z, "level": level},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def set_seat_ventilation(
            ctx: Context[Any],
            level: Annotated[int, Field(ge=0, le=3, description="0 = off, 1 low, 2 medium, 3 high")],
            seat: ZoneArg = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Set seat cooling/ventilation (level 0-3) for a seat or zone."""
            z = self._zone(ctx, seat)
            return await self._write(
                ctx,
                spec_of(t.seat_ventilation, z, level),
                "set_seat_ventilation",
                {"seat": z, "level": level},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def set_seat_massage(
            ctx: Context[Any],
            level: Annotated[int, Field(ge=0, le=100, description="massage intensity 0-100, 0 = off")],
            seat: ZoneArg = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Set the massage intensity of a front seat."""
            z = self._zone(ctx, seat)
            return await self._write(
                ctx,
                spec_of(t.seat_massage, z, level),
                "set_seat_massage",
                {"seat": z, "level": level},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def set_steering_wheel_heating(
            ctx: Context[Any], on: bool, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Switch steering-wheel heating on or off."""
            return await self._write(
                ctx, t.steering_wheel_heating(on), "set_steering_wheel_heating", {"on": on}, confirm_token
            )

        @server.tool(annotations=SET)
        async def set_window(
            ctx: Context[Any],
            window: ZoneArg = None,
            percent: Annotated[
                int | None, Field(ge=0, le=100, description="0 = closed, 100 = fully open")
            ] = None,
            action: Annotated[t.WindowAction | None, Field(description="open, close or vent (20 %)")] = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Open, close or set the position of a window (or of all windows in a zone)."""
            z = self._zone(ctx, window)
            return await self._write(
                ctx,
                spec_of(t.window, z, percent, action),
                "set_window",
                {"window": z, "percent": percent, "action": action},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def set_sunroof(
            ctx: Context[Any], action: t.SunroofAction, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Open, close, tilt or stop the sunroof (it opens only when the sunshade is open)."""
            return await self._write(ctx, t.sunroof(action), "set_sunroof", {"action": action}, confirm_token)

        @server.tool(annotations=SET)
        async def set_sunshade(
            ctx: Context[Any],
            percent: Annotated[int | None, Field(ge=0, le=100, description="0 = closed, 100 = open")] = None,
            action: Literal["open", "close"] | None = None,
            rear: Annotated[
                bool, Field(description="the rear-window shade instead of the sunroof's")
            ] = False,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Open, close or position the sunroof's sunshade (or the rear-window shade)."""
            return await self._write(
                ctx,
                spec_of(t.sunshade, percent, action, rear),
                "set_sunshade",
                {"percent": percent, "action": action, "rear": rear},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def lock_doors(
            ctx: Context[Any], doors: t.Zone = "all", confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Lock the doors."""
            return await self._write(
                ctx, t.door_locks(doors, True), "lock_doors", {"doors": doors}, confirm_token
            )

        @server.tool(annotations=DESTRUCTIVE)
        async def unlock_doors(
            ctx: Context[Any], doors: t.Zone = "all", confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Unlock the doors (always asks the person to confirm first)."""
            return await self._write(
                ctx, t.door_locks(doors, False), "unlock_doors", {"doors": doors}, confirm_token
            )

        @server.tool(annotations=DESTRUCTIVE)
        async def set_door(
            ctx: Context[Any], open: bool, door: ZoneArg = None, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Open or close a power door (opening only when parked)."""
            z = self._zone(ctx, door)
            return await self._write(
                ctx, t.door_open(z, open), "set_door", {"door": z, "open": open}, confirm_token
            )

        @server.tool(annotations=DESTRUCTIVE)
        async def set_trunk(ctx: Context[Any], open: bool, confirm_token: ConfirmToken = None) -> WriteResult:
            """Open or close the power trunk / liftgate (opening only when parked and stopped)."""
            return await self._write(ctx, t.trunk(open), "set_trunk", {"open": open}, confirm_token)

        @server.tool(annotations=SET)
        async def set_lights(
            ctx: Context[Any], light: t.LightKind, on: bool, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Switch a light on or off (low/high beam, front/rear fog, hazard, parking, dome, ambient)."""
            return await self._write(
                ctx, t.lights(light, on), "set_lights", {"light": light, "on": on}, confirm_token
            )

        @server.tool(annotations=SET)
        async def set_wipers(
            ctx: Context[Any], mode: t.WiperMode, rear: bool = False, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Set the wipers: off, slow, medium, fast, interval or auto (rain sensor)."""
            return await self._write(
                ctx, t.wipers(mode, rear), "set_wipers", {"mode": mode, "rear": rear}, confirm_token
            )

        @server.tool(annotations=RELATIVE)
        async def set_media_volume(
            ctx: Context[Any],
            percent: Annotated[int | None, Field(ge=0, le=100, description="absolute volume 0-100")] = None,
            delta: Annotated[
                int | None, Field(ge=-100, le=100, description="relative change, e.g. 10 or -10")
            ] = None,
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Set the media volume (absolute or relative; 0 mutes)."""
            return await self._write(
                ctx,
                spec_of(t.media_volume, percent, delta),
                "set_media_volume",
                {"percent": percent, "delta": delta},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def set_navigation_destination(
            ctx: Context[Any],
            latitude: Annotated[float, Field(ge=-90, le=90)],
            longitude: Annotated[float, Field(ge=-180, le=180)],
            confirm_token: ConfirmToken = None,
        ) -> WriteResult:
            """Set the navigation destination of the car's guidance."""
            return await self._write(
                ctx,
                t.navigation_destination(latitude, longitude),
                "set_navigation_destination",
                {"latitude": latitude, "longitude": longitude},
                confirm_token,
            )

        @server.tool(annotations=SET)
        async def fold_mirrors(
            ctx: Context[Any], folded: bool, confirm_token: ConfirmToken = None
        ) -> WriteResult:
            """Fold or unfold both exterior mirrors."""
            return await self._write(
                ctx, t.mirrors_folded(folded), "fold_mirrors", {"folded": folded}, confirm_token
            )

        @server.tool(annotations=SET)
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

        @server.tool(annotations=SET)
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
) -> MCPServer[Any]:
    """The MCP server for ``service``; in memory and over stdio it serves ``client``. ``background``
    jobs (a simulator's real-time clock, keeping its state) run while the server runs; ``status``
    (how it started) is served at :data:`STATUS_URI`."""
    return VehicleMCP(service, client=client, tokens=tokens, background=background, status=status).server
