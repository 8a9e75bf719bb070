"""The core vehicle task tools, declared once (:mod:`.declarations`): arguments, signals, rules, examples.

Each declaration's ``build`` is a function of :mod:`.tools` applied to the validated arguments; the
server derives the MCP tool from the declaration (docs/vehicle-server.md), the vehicle-control agent
its catalog and the skill examples of its Agent Card, ``cabin router fit`` its extra labelled lines.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import tools as t
from .declarations import ToolDeclaration

__all__ = ["CORE_TOOLS", "ZONE_DESCRIPTION", "Args", "ZoneArg"]

ZONE_DESCRIPTION = "whose zone; default: the speaker's seat (driver when unknown)"
ZoneArg = Annotated[t.Zone | None, Field(description=ZONE_DESCRIPTION)]
"""The zone argument of a tool: left out, the speaker's seat."""


class Args(BaseModel):
    """Base of every tool's arguments: unknown arguments are refused, never ignored."""

    model_config = ConfigDict(extra="forbid")


class CabinTemperature(Args):
    zone: ZoneArg = None
    celsius: Annotated[float | None, Field(description="absolute set point in °C")] = None
    delta: Annotated[float | None, Field(description="relative change in °C, e.g. 1 or -2")] = None


class Fan(Args):
    zone: ZoneArg = None
    percent: Annotated[int | None, Field(ge=0, le=100, description="fan speed 0-100 %")] = None
    delta: Annotated[int | None, Field(ge=-100, le=100, description="relative change in %")] = None


class AirDistribution(Args):
    direction: Literal["up", "middle", "down"]
    zone: ZoneArg = None


class OnOff(Args):
    on: bool


class Defrost(Args):
    on: bool
    where: Literal["front", "rear", "both"] = "front"


_LEVEL_0_3 = Field(ge=0, le=3, description="0 = off, 1 low, 2 medium, 3 high")


class SeatLevel(Args):
    level: Annotated[int, _LEVEL_0_3]
    seat: ZoneArg = None


class SeatMassage(Args):
    level: Annotated[int, Field(ge=0, le=100, description="massage intensity 0-100, 0 = off")]
    seat: ZoneArg = None


class Window(Args):
    window: ZoneArg = None
    percent: Annotated[int | None, Field(ge=0, le=100, description="0 = closed, 100 = fully open")] = None
    action: Annotated[t.WindowAction | None, Field(description="open, close or vent (20 %)")] = None


class Sunroof(Args):
    action: t.SunroofAction


class Sunshade(Args):
    percent: Annotated[int | None, Field(ge=0, le=100, description="0 = closed, 100 = open")] = None
    action: Literal["open", "close"] | None = None
    rear: Annotated[bool, Field(description="the rear-window shade instead of the sunroof's")] = False


class Doors(Args):
    doors: t.Zone = "all"


class Door(Args):
    open: bool
    door: ZoneArg = None


class Trunk(Args):
    open: bool


class Lights(Args):
    light: t.LightKind
    on: bool


class Wipers(Args):
    mode: t.WiperMode
    rear: bool = False


class MediaVolume(Args):
    percent: Annotated[int | None, Field(ge=0, le=100, description="absolute volume 0-100")] = None
    delta: Annotated[int | None, Field(ge=-100, le=100, description="relative change, e.g. 10 or -10")] = None


class MediaPlayback(Args):
    action: Annotated[
        t.MediaAction,
        Field(description="play (or resume), pause, stop, next or previous track, fast_forward, rewind"),
    ]


class NavigationVolume(Args):
    percent: Annotated[
        int | None, Field(ge=0, le=100, description="absolute volume of the voice guidance 0-100")
    ] = None
    delta: Annotated[int | None, Field(ge=-100, le=100, description="relative change, e.g. 10 or -10")] = None


class NavigationGuidance(Args):
    mode: Annotated[
        t.GuidanceMode,
        Field(description="voice: spoken guidance; alerts_only: only important alerts; muted: silent"),
    ]


class Hood(Args):
    open: bool


class Destination(Args):
    latitude: Annotated[float, Field(ge=-90, le=90)]
    longitude: Annotated[float, Field(ge=-180, le=180)]


class Mirrors(Args):
    folded: bool


_DOOR_OPEN = "Vehicle.Cabin.Door.*.IsOpen"
_DOOR_LOCK = "Vehicle.Cabin.Door.*.IsLocked"

CORE_TOOLS: tuple[ToolDeclaration, ...] = (
    ToolDeclaration(
        name="set_cabin_temperature",
        description="Set the cabin temperature of a zone (absolute celsius or relative delta).",
        arguments=CabinTemperature,
        writes=("Vehicle.Cabin.HVAC.Station.*.Temperature",),
        rules=("GR-03",),
        build=lambda a: t.cabin_temperature(a.zone, a.celsius, a.delta),
        zone="zone",
        kind="relative",
        skill="climate",
        exclusive=("celsius", "delta"),
        relative_step=1,
        examples=(
            "set the driver temperature to 22 degrees",
            "make it a bit warmer on the passenger side",
            "I'm freezing",
        ),
    ),
    ToolDeclaration(
        name="set_fan",
        description="Set the HVAC fan speed of a zone.",
        arguments=Fan,
        writes=("Vehicle.Cabin.HVAC.Station.*.FanSpeed",),
        build=lambda a: t.fan_speed(a.zone, a.percent, a.delta),
        zone="zone",
        kind="relative",
        skill="climate",
        exclusive=("percent", "delta"),
        relative_step=20,
        examples=("turn the fan up", "it's stuffy in here"),
    ),
    ToolDeclaration(
        name="set_air_distribution",
        description="Direct the airflow of a zone up (windshield), middle (face) or down (feet).",
        arguments=AirDistribution,
        writes=("Vehicle.Cabin.HVAC.Station.*.AirDistribution",),
        build=lambda a: t.air_distribution(a.zone, a.direction),
        zone="zone",
        skill="climate",
        examples=("air to my feet",),
    ),
    ToolDeclaration(
        name="set_air_conditioning",
        description="Switch the air conditioning (compressor) on or off.",
        arguments=OnOff,
        writes=("Vehicle.Cabin.HVAC.IsAirConditioningActive",),
        rules=("GR-11",),
        build=lambda a: t.air_conditioning(a.on),
        skill="climate",
        examples=("switch off the A/C",),
    ),
    ToolDeclaration(
        name="set_recirculation",
        description="Switch air recirculation on or off.",
        arguments=OnOff,
        writes=("Vehicle.Cabin.HVAC.IsRecirculationActive",),
        build=lambda a: t.recirculation(a.on),
        skill="climate",
        examples=("recirculate the air",),
    ),
    ToolDeclaration(
        name="set_defrost",
        description="Switch the windshield (front) or rear-window defroster on or off.",
        arguments=Defrost,
        writes=("Vehicle.Cabin.HVAC.Is*DefrosterActive", "Vehicle.Body.Windshield.Rear.IsHeatingOn"),
        build=lambda a: t.defrost(a.where, a.on),
        skill="climate",
        examples=("the windshield is fogged up",),
    ),
    ToolDeclaration(
        name="set_seat_heating",
        description="Set seat heating (level 0-3) for a seat or zone.",
        arguments=SeatLevel,
        writes=("Vehicle.Cabin.Seat.*.HeatingCooling",),
        build=lambda a: t.seat_heating(a.seat, a.level),
        zone="seat",
        skill="seats",
        examples=(
            "turn on my seat heating",
            "set the passenger seat heating to high",
            "seat heat off for the rear left",
        ),
    ),
    ToolDeclaration(
        name="set_seat_ventilation",
        description="Set seat cooling/ventilation (level 0-3) for a seat or zone.",
        arguments=SeatLevel,
        writes=("Vehicle.Cabin.Seat.*.HeatingCooling",),
        build=lambda a: t.seat_ventilation(a.seat, a.level),
        zone="seat",
        skill="seats",
        examples=("cool my seat",),
    ),
    ToolDeclaration(
        name="set_seat_massage",
        description="Set the massage intensity of a front seat.",
        arguments=SeatMassage,
        writes=("Vehicle.Cabin.Seat.*.Massage.Level",),
        build=lambda a: t.seat_massage(a.seat, a.level),
        zone="seat",
        skill="seats",
        examples=("my back is killing me",),
    ),
    ToolDeclaration(
        name="set_steering_wheel_heating",
        description="Switch steering-wheel heating on or off.",
        arguments=OnOff,
        writes=("Vehicle.Chassis.SteeringWheel.HeatingCooling",),
        build=lambda a: t.steering_wheel_heating(a.on),
        skill="seats",
        examples=("heat the steering wheel",),
    ),
    ToolDeclaration(
        name="set_window",
        description="Open, close or set the position of a window (or of all windows in a zone).",
        arguments=Window,
        writes=("Vehicle.Cabin.Door.*.Window.Position",),
        rules=("GR-08", "GR-21"),
        build=lambda a: t.window(a.window, a.percent, a.action),
        zone="window",
        skill="windows",
        exclusive=("percent", "action"),
        examples=(
            "open my window halfway",
            "close all windows",
            "rear left window down",
            "crack the window a bit",
            "it's pouring",
        ),
    ),
    ToolDeclaration(
        name="set_sunroof",
        description="Open, close, tilt or stop the sunroof (it opens only when the sunshade is open).",
        arguments=Sunroof,
        writes=("Vehicle.Cabin.Sunroof.Switch",),
        rules=("GR-08", "GR-09"),
        build=lambda a: t.sunroof(a.action),
        skill="windows",
        examples=("open the sunroof",),
    ),
    ToolDeclaration(
        name="set_sunshade",
        description="Open, close or position the sunroof's sunshade (or the rear-window shade).",
        arguments=Sunshade,
        writes=("Vehicle.Cabin.Sunroof.Shade.Position", "Vehicle.Cabin.RearShade.Position"),
        rules=("GR-08", "GR-09"),
        build=lambda a: t.sunshade(a.percent, a.action, a.rear),
        skill="windows",
        exclusive=("percent", "action"),
        examples=("open the sunshade",),
    ),
    ToolDeclaration(
        name="lock_doors",
        description="Lock the doors.",
        arguments=Doors,
        writes=(_DOOR_LOCK,),
        rules=("GR-07", "GR-13", "GR-23"),
        build=lambda a: t.door_locks(a.doors, True),
        zone="doors",
        every_zone_by_default=True,
        skill="doors",
        examples=("lock the car", "lock my door"),
    ),
    ToolDeclaration(
        name="unlock_doors",
        description="Unlock the doors (always asks the person to confirm first).",
        arguments=Doors,
        writes=(_DOOR_LOCK,),
        rules=("GR-07", "GR-13", "GR-23"),
        build=lambda a: t.door_locks(a.doors, False),
        zone="doors",
        every_zone_by_default=True,
        kind="destructive",
        skill="doors",
        examples=("unlock the doors",),
    ),
    ToolDeclaration(
        name="set_door",
        description="Open or close a power door (opening only when parked).",
        arguments=Door,
        # Opening includes the unlock (tools.PRECONDITIONS), which GR-13 confirms first.
        writes=(_DOOR_OPEN, _DOOR_LOCK),
        rules=("GR-07", "GR-13", "GR-23"),
        build=lambda a: t.door_open(a.door, a.open),
        zone="door",
        kind="destructive",
        skill="doors",
        examples=("close the passenger door",),
    ),
    ToolDeclaration(
        name="set_trunk",
        description="Open or close the power trunk / liftgate (opening only when parked and stopped).",
        arguments=Trunk,
        writes=("Vehicle.Body.Trunk.Rear.IsOpen", "Vehicle.Body.Trunk.Rear.IsLocked"),
        rules=("GR-06", "GR-13", "GR-23"),
        build=lambda a: t.trunk(a.open),
        kind="destructive",
        skill="doors",
        examples=("open the trunk", "pop the boot"),
    ),
    ToolDeclaration(
        name="set_lights",
        description=(
            "Switch a light on or off (low/high beam, front/rear fog, hazard, parking, dome, ambient)."
        ),
        arguments=Lights,
        writes=("Vehicle.Body.Lights.*", "Vehicle.Cabin.Light.*"),
        rules=("GR-10", "GR-22"),
        build=lambda a: t.lights(a.light, a.on),
        skill="lights",
        examples=(
            "lights on",
            "turn on the hazard lights",
            "dip the headlights",
            "turn off the interior light",
        ),
    ),
    ToolDeclaration(
        name="set_wipers",
        description="Set the wipers: off, slow, medium, fast, interval or auto (rain sensor).",
        arguments=Wipers,
        writes=("Vehicle.Body.Windshield.*.Wiping.Mode",),
        build=lambda a: t.wipers(a.mode, a.rear),
        skill="lights",
        examples=("wipers on fast", "rear wiper on"),
    ),
    ToolDeclaration(
        name="set_media_volume",
        description="Set the media volume (absolute or relative; 0 mutes).",
        arguments=MediaVolume,
        writes=("Vehicle.Cabin.Infotainment.Media.Volume",),
        rules=("GR-03",),
        build=lambda a: t.media_volume(a.percent, a.delta),
        kind="relative",
        skill="media",
        exclusive=("percent", "delta"),
        relative_step=10,
        examples=("volume 30", "turn it up", "a bit quieter", "mute the sound", "it's way too loud"),
    ),
    ToolDeclaration(
        name="set_media_playback",
        description=(
            "Control media playback: play or resume, pause, stop, next or previous track, fast forward "
            "or rewind."
        ),
        arguments=MediaPlayback,
        writes=("Vehicle.Cabin.Infotainment.Media.Action",),
        build=lambda a: t.media_playback(a.action),
        kind="relative",  # a skip is not idempotent: "next track" twice skips two tracks
        skill="media",
        examples=("pause the music", "next song", "go back a track", "resume the music"),
    ),
    ToolDeclaration(
        name="set_navigation_volume",
        description="Set the volume of the navigation voice guidance (absolute or relative), not the media.",
        arguments=NavigationVolume,
        writes=("Vehicle.Cabin.Infotainment.Navigation.Volume",),
        build=lambda a: t.navigation_volume(a.percent, a.delta),
        kind="relative",
        skill="media",
        exclusive=("percent", "delta"),
        relative_step=10,
        examples=(
            "make the directions quieter",
            "navigation voice louder",
            "set the navigation volume to 30",
        ),
    ),
    ToolDeclaration(
        name="set_navigation_guidance",
        description="Mute or unmute the navigation voice, or have it give only important alerts.",
        arguments=NavigationGuidance,
        writes=("Vehicle.Cabin.Infotainment.Navigation.Mute",),
        build=lambda a: t.navigation_guidance(a.mode),
        skill="media",
        examples=(
            "mute the navigation voice",
            "only alerts from the navigation",
            "turn the navigation voice back on",
        ),
    ),
    ToolDeclaration(
        name="set_navigation_destination",
        description="Set the navigation destination of the car's guidance.",
        arguments=Destination,
        writes=("Vehicle.Cabin.Infotainment.Navigation.DestinationSet.*",),
        build=lambda a: t.navigation_destination(a.latitude, a.longitude),
    ),
    ToolDeclaration(
        name="fold_mirrors",
        description="Fold or unfold both exterior mirrors.",
        arguments=Mirrors,
        writes=("Vehicle.Body.Mirrors.*.IsFolded",),
        build=lambda a: t.mirrors_folded(a.folded),
        skill="doors",
        examples=("fold the mirrors",),
    ),
    ToolDeclaration(
        name="set_mirror_heating",
        description="Switch the heating of both exterior mirrors on or off (clears fog and ice).",
        arguments=OnOff,
        writes=("Vehicle.Body.Mirrors.*.IsHeatingOn",),
        build=lambda a: t.mirror_heating(a.on),
        skill="climate",
        examples=("heat the mirrors", "mirror heating on", "the mirrors are icy"),
    ),
    ToolDeclaration(
        name="set_window_child_lock",
        description=(
            "Engage or release the window child lock: while engaged only the driver moves the rear windows "
            "(only the driver may change it)."
        ),
        arguments=OnOff,
        writes=("Vehicle.Cabin.IsWindowChildLockEngaged",),
        rules=("GR-15", "GR-21"),
        build=lambda a: t.window_child_lock(a.on),
        skill="windows",
        examples=("lock the rear windows", "child lock the windows", "release the window lock"),
    ),
    ToolDeclaration(
        name="set_hood",
        description="Open or close the power hood (bonnet); opening only when parked and stopped.",
        arguments=Hood,
        writes=("Vehicle.Body.Hood.IsOpen",),
        rules=("GR-06",),
        build=lambda a: t.hood(a.open),
        kind="destructive",
        skill="doors",
        examples=("open the hood", "pop the bonnet"),
    ),
)
"""The core task tools, in the order the server lists them."""
