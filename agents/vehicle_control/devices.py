"""The car's devices and the ways people work one: templates written once per kind of request, for
every device.

A person says the same few things of any device: switch it on or off ("put our blower on", "seat
heating off for the rear left"), turn it up or down, perhaps by how much ("bump the air flow up a
bit", "lower the temperature a tad on my side"), or set it to a value ("set my fan at maximum", "the
passenger's seat heat to high"). Rather than writing those sentences for each device, this module
holds one table, :data:`DEVICES`, of what each device is called (an expansion rule of the grammar),
which argument says where (a seat or zone) and what each kind of request sets; and one set of frames
per kind of request (:data:`FRAMES`). :func:`grammar_intents` writes every frame for every device
into the grammar's intents at load, as data blocks of the device's tool (no block for a kind the
device does not take: a temperature is not switched on). A request that names every device of a
kind at once with a quantifier ("close everything", "turn it all off") is one intent per kind
(:data:`EVERY`) whose calls are those of every device the kind covers (each device's `every`).

Words are the grammar's and the language layer's: the device names are expansion rules of
``grammar/sentences.yaml``; the zone words (``{zone}``) and how much (``{intensity}``) come from
:mod:`agents.vehicle_control.seats` and :mod:`agents.vehicle_control.amounts`. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from agents.language.lexicon import INTENSITY, QUANTIFIERS
from agents.vehicle_control.actions import DECLARED_RANGES, SEATS
from agents.vehicle_control.amounts import RANGES, beyond_list, end_list

__all__ = [
    "DEVICES",
    "EVERY",
    "EVERY_FRAMES",
    "FRAMES",
    "LOWEST_ON",
    "NOUNS",
    "Device",
    "Kind",
    "every_actions",
    "grammar_intents",
    "grammar_rules",
    "templates_of",
]

Kind = Literal["on", "off", "up", "down", "value", "open", "close", "ajar", "closer"]


class Device(BaseModel):
    """One device of the car as the grammar's frames work it.

    `tool` is the vehicle tool (and grammar intent) that works it; `names` the expansion rule of the
    grammar that says its name (without brackets); `where` the tool's argument that says whose seat or
    zone, None when the device is one for the whole car. `slots` gives per kind of request the
    arguments it sets (a kind left out is one the device does not take); an ``up`` or ``down`` slot
    ``delta`` that is a grade name ("small") is a step of :mod:`~agents.vehicle_control.amounts` and a
    word of how much said with it replaces it. `values` are the grammar fragments of a value it is set
    to (``{seat_level:level}``); `more` and `less` the words that say up and down of it ("warmer");
    `opens` and `closes` its verbs of opening and closing besides "open" and "close" ("roll down"),
    `opened` and `closed` the words said after it ("down": "the window down", "over": "pull the blind
    over"). `before` and `after` say how whose is said before and after its name (a word of the zone
    list and "for the rear left" unless given: the plural "windows" takes the words for several seats or
    a side), `default` whose it is when not said (the speaker's seat unless given). `stepped` is True
    when how much is said as a step (the tool takes ``delta``).

    `every` gives per kind of request the arguments it is set with when a request names every device
    of that kind ("close everything": :data:`EVERY`); a kind left out is one such a request does not
    cover for it. `every_zone` are the seats or zones such a request works it in, one call each, so
    that the guardrails judge each window on its own and what they allow is done.

    `unable` names per kind of request the device cannot do the grammar's intent that says so (a
    ``lacking`` feature): its frames said with how much are written to that intent ("open the sunroof
    a little": the sunroof has no position), so that the reply says what was not done and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str = Field(min_length=1)
    names: str = Field(min_length=1)
    where: str | None = None
    slots: dict[Kind, dict[str, JsonValue]] = Field(default_factory=dict)
    values: tuple[str, ...] = ()
    more: tuple[str, ...] = ()
    less: tuple[str, ...] = ()
    before: str = "{zone:WHERE} [side]"
    after: str = "<for_WHERE>"
    default: str = "self"
    opens: tuple[str, ...] = ()
    opened: tuple[str, ...] = ()
    closes: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()
    stepped: bool = False
    every: dict[Kind, dict[str, JsonValue]] = Field(default_factory=dict)
    every_zone: tuple[str, ...] = SEATS
    unable: dict[Kind, str] = Field(default_factory=dict)


_UP_A_STEP: Final[dict[str, JsonValue]] = {"delta": "small"}
_DOWN_A_STEP: Final[dict[str, JsonValue]] = {"delta": "small", "sign": -1}
_LEVELLED: Final[dict[Kind, dict[str, JsonValue]]] = {
    "on": {"level": 2},
    "off": {"level": 0},
    "up": _UP_A_STEP,
    "down": _DOWN_A_STEP,
    "value": {},
}
"""A device of levels 0-3: on is medium; up and down are one level from where it is (a grade said
with them, "up a lot", moves it as far as :func:`amounts.amount` says)."""
_ON: Final = {"on": True}
_OFF: Final = {"on": False}

_WINDOW: Final[dict[str, Any]] = {
    "where": "window",
    "slots": {
        "open": {"action": "open"},
        "close": {"action": "close"},
        "ajar": _UP_A_STEP,
        "closer": _DOWN_A_STEP,
        "value": {},
    },
    "values": ("{percent} <percent> [open]", "{fraction:percent} [open|down|way]"),
    "opens": ("lower", "roll down", "wind down", "put down", "drop"),
    "opened": ("down",),
    "closes": ("raise", "roll up", "wind up", "put up"),
    "closed": ("up",),
}
"""What one window and the windows share: their actions, values and the verbs that open and close
them (the two frames differ in how they say whose)."""

DEVICES: Final[tuple[Device, ...]] = (
    Device(
        tool="set_cabin_temperature",
        names="temperature_name",
        where="zone",
        slots={"up": {"delta": "small"}, "down": {"delta": "small", "sign": -1}, "value": {}},
        values=("{celsius} [<degrees>]", "{fahrenheit} [<degrees>] <fahrenheit>"),
        more=("warmer", "hotter"),
        less=("cooler", "colder"),
        stepped=True,
    ),
    Device(
        tool="set_fan",
        names="fan_name",
        where="zone",
        slots={
            "on": {"percent": 50},
            "off": {"percent": 0},
            "up": {"delta": "medium"},
            "down": {"delta": "medium", "sign": -1},
            "value": {},
        },
        values=("{fan_level:percent}", "{percent} <percent>", "[level|speed|step] {fan_number:percent}"),
        more=("faster", "stronger"),
        less=("slower", "weaker", "softer", "quieter"),
        stepped=True,
    ),
    Device(tool="set_air_conditioning", names="ac", slots={"on": _ON, "off": _OFF}),
    Device(tool="set_recirculation", names="recirculation_name", slots={"on": _ON, "off": _OFF}),
    Device(
        tool="set_defrost",
        names="defrost_name",
        slots={"on": {**_ON, "where": "front"}, "off": {**_OFF, "where": "front"}},
    ),
    Device(
        tool="set_seat_heating",
        names="seat_heat",
        where="seat",
        slots=_LEVELLED,
        every={"off": {"level": 0}},
        values=("[level] {seat_level:level} [setting|level]",),
        more=("hotter", "warmer"),
        less=("cooler", "lower"),
    ),
    Device(
        tool="set_seat_ventilation",
        names="seat_vent",
        where="seat",
        slots=_LEVELLED,
        every={"off": {"level": 0}},
        values=("[level] {seat_level:level} [setting|level]",),
        more=("cooler", "colder", "stronger"),
        less=("weaker",),
    ),
    Device(
        tool="set_seat_massage",
        names="seat_massage",
        where="seat",
        slots={"on": {"level": 50}, "off": {"level": 0}, "up": _UP_A_STEP, "down": _DOWN_A_STEP, "value": {}},
        values=("{massage_level:level} [setting|level|intensity]", "{percent:level} <percent>"),
        every={"off": {"level": 0}},
        every_zone=("driver", "passenger"),  # the tool's massage is the front seats'.
        more=("stronger", "harder", "firmer"),
        less=("gentler", "softer", "weaker", "lighter"),
    ),
    Device(
        tool="set_steering_wheel_heating",
        names="wheel_heat",
        slots={"on": _ON, "off": _OFF},
        every={"off": _OFF},
    ),
    Device(tool="set_lights", names="{light}", slots={"on": _ON, "off": _OFF}),
    Device(
        tool="set_wipers",
        names="wipers",
        slots={
            "on": {"mode": "slow", "rear": False},
            "off": {"mode": "off", "rear": False},
            "up": {"mode": "fast", "rear": False},
            "down": {"mode": "slow", "rear": False},
            "value": {"rear": False},
        },
        values=("{wiper_mode:mode} [speed|mode|setting]",),
        more=("faster", "quicker"),
        less=("slower",),
    ),
    Device(
        tool="set_wipers",
        names="rear_wiper",
        slots={
            "on": {"mode": "slow", "rear": True},
            "off": {"mode": "off", "rear": True},
            "value": {"rear": True},
        },
        values=("{wiper_mode:mode} [speed|mode|setting]",),
    ),
    Device(
        tool="set_media_volume",
        names="volume",
        slots={
            "off": {"percent": 0},
            "up": {"delta": "medium"},
            "down": {"delta": "medium", "sign": -1},
            "value": {},
        },
        values=("{percent} [<percent>]", "{fraction:percent}"),
        more=("louder",),
        less=("quieter", "softer"),
        stepped=True,
    ),
    Device(tool="set_window", names="window_name", **_WINDOW),
    Device(
        tool="set_window",
        names="windows_name",
        before="{zone_group:WHERE}|{side:WHERE} [side]|{zone_seat:WHERE}",
        after="on [<the>] {side:WHERE} side",
        default="all",
        every={"open": {"action": "open"}, "close": {"action": "close"}},
        **_WINDOW,
    ),
    Device(
        tool="set_sunroof",
        names="sunroof",
        # Opening the sunroof opens its shade too: the grammar's own intent `sunroof_open`. Its tool
        # takes no position: "open the sunroof a little" is said to be what it cannot do.
        slots={"close": {"action": "close"}},
        unable={"ajar": "sunroof_position", "closer": "sunroof_position"},
        closes=("slide shut",),
        every={"open": {"action": "open"}, "close": {"action": "close"}},
    ),
    Device(
        tool="set_sunshade",
        names="shade",
        slots={
            "open": {"action": "open", "rear": False},
            "close": {"action": "close", "rear": False},
            "ajar": {**_UP_A_STEP, "rear": False},
            "closer": {**_DOWN_A_STEP, "rear": False},
            "value": {"rear": False},
        },
        values=("{percent} <percent> [open]", "{fraction:percent} [open|way]"),
        every={"open": {"action": "open", "rear": False}, "close": {"action": "close", "rear": False}},
        opens=("retract", "roll back", "slide back", "pull back", "raise"),
        opened=("back", "up"),
        closes=("extend", "pull", "draw", "roll out", "drop", "lower"),
        closed=("over", "across", "down"),
    ),
    Device(
        tool="set_sunshade",
        names="rear_shade",
        slots={
            "open": {"action": "open", "rear": True},
            "close": {"action": "close", "rear": True},
            "ajar": {**_UP_A_STEP, "rear": True},
            "closer": {**_DOWN_A_STEP, "rear": True},
            "value": {"rear": True},
        },
        values=("{percent} <percent> [open]", "{fraction:percent} [open|way]"),
        opens=("retract", "roll down", "lower", "put down"),
        opened=("down",),
        closes=("raise", "put up", "pull up", "extend", "draw"),
        closed=("up",),
    ),
    Device(
        tool="set_trunk",
        names="trunk",
        slots={"open": {"open": True}, "close": {"open": False}},
        opens=("pop", "raise", "lift", "release", "unlatch"),
        opened=("up",),
        closes=("lower", "pull down", "bring down"),
        closed=("down",),
    ),
    Device(
        tool="set_door",
        names="door_name",
        where="door",
        slots={"open": {"open": True}, "close": {"open": False}},
        opens=("pop",),
    ),
    Device(
        tool="set_door",
        names="doors_name",
        where="door",
        before="{zone_group:WHERE}|{side:WHERE} [side]|{zone_seat:WHERE}",
        after="on [<the>] {side:WHERE} side",
        default="all",
        slots={"open": {"open": True}, "close": {"open": False}},
        opens=("pop",),
    ),
    Device(
        tool="set_hood",
        names="hood",
        slots={"open": {"open": True}, "close": {"open": False}},
        opens=("pop", "raise", "lift", "release", "unlatch"),
        opened=("up",),
        closes=("lower", "pull down", "bring down"),
        closed=("down",),
    ),
    Device(tool="set_mirror_heating", names="mirror_heat", slots={"on": _ON, "off": _OFF}),
    Device(tool="set_window_child_lock", names="window_lock", slots={"on": _ON, "off": _OFF}),
    # The navigation voice is switched on and off, and turned up or down, apart from the media volume.
    Device(
        tool="set_navigation_guidance",
        names="guidance",
        slots={"on": {"mode": "voice"}, "off": {"mode": "muted"}},
    ),
    Device(
        tool="set_navigation_volume",
        names="guidance_volume",
        slots={"up": {"delta": 10}, "down": {"delta": 10, "sign": -1}, "value": {}},
        values=("{percent} [<percent>]",),
        more=("louder",),
        less=("quieter", "softer"),
    ),
)
"""Every device the frames work (a device may appear twice under other names with other arguments:
the front and the rear wiper)."""

LOWEST_ON: Final[frozenset[str]] = frozenset(
    device.tool
    for device in DEVICES
    if device.tool in RANGES
    and device.slots.get("off", {}).get(RANGES[device.tool][0]) == RANGES[device.tool][1]
)
"""The tools of a device that switching off sets to the bottom of its range (the seat heating's level
0, the fan's 0 %): its lowest setting is the lowest one that is on (:func:`amounts.end`)."""

NOUNS: Final[dict[str, str]] = {
    "set_cabin_temperature": "temperature",
    "set_fan": "fan",
    "set_seat_heating": "seat heating",
    "set_seat_ventilation": "seat ventilation",
    "set_seat_massage": "massage",
    "set_media_volume": "volume",
    "set_window": "window",
}
"""Per device tool that is set to a value, the plain name of the device: a clause that says only a
value and whose ("and nineteen for the passenger") is read as said of it."""

_AMOUNT: Final = "AMOUNT"
_NAME: Final = "<NAME>"
_ZONE: Final = "[{zone:WHERE}]"
_FOR: Final = "[<for_WHERE>]"
_SET: Final = (
    "(set|put|turn|change|adjust|switch|bring|take|get|make|have|raise|lower|increase|decrease|drop|reduce)"
)
_SWITCH: Final = "(turn|switch|put|flick|flip|click|pop|have|leave)"
_DOWN: Final = "(turn|bring|knock|put|take|dial|notch|BY)"
_LOWER: Final = "(decrease|lower|reduce|drop|cut|slow down|less|weaker)"
_WANT: Final = "(i want|i need|i'd like|i would like|give me|can i have|can i get)"
_MOVE: Final = "(roll|wind|put|let|bring|get|slide|pull|push|draw)"
_WISH: Final = f"[{_WANT}] [<the>] {_ZONE} {_NAME} {_FOR} to [be]"
"""What the person wants the device to do or be, the device first ("I'd like the rear left door to open")."""
_AJAR: Final = "(<how_much>|{step:delta}|a crack|an inch|a few inches)"
_TO: Final = f"{_SET[:-1]}|crank|bump|push|kick|dial|knock|notch|pump|wind|roll|slide)"
"""The verbs of a target said with a direction ("turn the fan up to 6", "bring the volume down to 3")."""
_OPEN_AT: Final = "({fraction:percent}|{percent} <percent>)"
_SHUT_AT: Final = "({fraction_closed:percent}|{percent_closed:percent} <percent>)"

FRAMES: Final[dict[Kind, tuple[str, ...]]] = {
    "on": (
        f"(<on_verb>|start|start up) [<the>] {_ZONE} {_NAME} {_FOR} [please]",
        f"[{_SWITCH}|{_WANT}] [<the>] {_ZONE} {_NAME} on {_FOR} [please]",
    ),
    "off": (
        f"(<off_verb>|stop|kill|cut|no more) [<the>] {_ZONE} {_NAME} {_FOR} [please]",
        f"[turn|switch|put|flick|flip|click|shut|knock] [<the>] {_ZONE} {_NAME} off {_FOR} [please]",
    ),
    "up": (
        f"(turn|push|put|kick|dial|notch|BY) up [<the>] {_ZONE} {_NAME} [{_AMOUNT}] {_FOR}",
        f"(turn|push|put|kick|dial|notch|BY) [<the>] {_ZONE} {_NAME} [{_AMOUNT}] up [{_AMOUNT}] {_FOR}",
        f"(increase|raise|up|BY|more|stronger) [<the>] {_ZONE} {_NAME} [{_AMOUNT}] {_FOR} [please]",
        f"[make|get] [<the>] {_ZONE} {_NAME} [{_AMOUNT}] (up|higher|MORE) [{_AMOUNT}] {_FOR} [please]",
    ),
    "down": (
        f"(turn|bring|knock|put|take|dial|notch|BY) down [<the>] {_ZONE} {_NAME} [{_AMOUNT}] {_FOR}",
        f"{_DOWN} [<the>] {_ZONE} {_NAME} [{_AMOUNT}] down [{_AMOUNT}] {_FOR}",
        f"{_LOWER} [<the>] {_ZONE} {_NAME} [{_AMOUNT}] {_FOR} [please]",
        f"[make|get] [<the>] {_ZONE} {_NAME} [{_AMOUNT}] (down|lower|LESS) [{_AMOUNT}] {_FOR} [please]",
    ),
    "value": (
        f"{_SET} [<the>] {_ZONE} {_NAME} {_FOR} (to|at|on) VALUE [please]",
        f"[{_WANT}] [<the>] {_ZONE} {_NAME} [to be|to|at|on] VALUE {_FOR} [please]",
        f"[<the>] VALUE {_ZONE} {_NAME} {_FOR} [please]",
        # a target said with a direction or with no word before it ("turn the fan up to 6", "make
        # the volume 8"), then a position said as how far open or closed ("close them halfway")
        f"{_TO} [<the>] {_ZONE} {_NAME} {_FOR} (up|down) (to|at|on) TARGET {_FOR} [please]",
        f"{_TO} (up|down) [<the>] {_ZONE} {_NAME} {_FOR} (to|at|on) TARGET {_FOR} [please]",
        f"(make|set|put|have|leave) [<the>] {_ZONE} {_NAME} {_FOR} TARGET {_FOR} [please]",
        f"(open|OPENS) [<the>] {_ZONE} {_NAME} {_FOR} [to] {_OPEN_AT} [open|OPENED] {_FOR} [please]",
        f"{_MOVE} [<the>] {_ZONE} {_NAME} {_FOR} [to] {_OPEN_AT} (open|OPENED) {_FOR} [please]",
        f"{_MOVE} [<the>] {_ZONE} {_NAME} {_FOR} OPENED [to] {_OPEN_AT} {_FOR} [please]",
        f"(close|shut|CLOSES) [<the>] {_ZONE} {_NAME} {_FOR} {_SHUT_AT} [closed|shut|CLOSED] {_FOR} [please]",
        # a position said after "to" is where the device goes, whichever way the verb moves it
        # ("close the window to 30 percent" leaves it 30 % open)
        f"(close|shut|CLOSES) [<the>] {_ZONE} {_NAME} {_FOR} to {_OPEN_AT} [open|closed|shut] {_FOR}",
        f"{_MOVE} [<the>] {_ZONE} {_NAME} {_FOR} (CLOSED) {_SHUT_AT} {_FOR} [please]",
        f"{_MOVE} [<the>] {_ZONE} {_NAME} {_FOR} {_SHUT_AT} (closed|shut|CLOSED) {_FOR} [please]",
    ),
    "open": (
        f"(open|open up|OPENS) [<the>] {_ZONE} {_NAME} [<fully>] {_FOR} [please]",
        f"[{_MOVE}] [<the>] {_ZONE} {_NAME} (open|opened|OPENED) [<fully>] {_FOR} [please]",
        f"{_WISH} (open|open up|opened|OPENS|OPENED) [<fully>] [please]",
    ),
    "close": (
        f"(close|shut|close up|CLOSES) [<the>] {_ZONE} {_NAME} [<fully>] {_FOR} [please]",
        f"[{_MOVE}] [<the>] {_ZONE} {_NAME} (closed|shut|CLOSED) [<fully>] {_FOR} [please]",
        f"{_WISH} (close|shut|closed|CLOSES|CLOSED) [<fully>] [please]",
    ),
    "ajar": (
        f"(open|crack|crack open|OPENS) [<the>] {_ZONE} {_NAME} [open|OPENED] {_AJAR} {_FOR}",
        f"(roll|wind|put|let|bring) [<the>] {_ZONE} {_NAME} OPENED {_AJAR} {_FOR}",
        f"crack [<the>] {_ZONE} {_NAME} [open] {_FOR}",
    ),
    "closer": (
        f"(close|shut|CLOSES) [<the>] {_ZONE} {_NAME} [closed|shut|CLOSED] {_AJAR} {_FOR}",
        f"{_MOVE} [<the>] {_ZONE} {_NAME} CLOSED {_AJAR} {_FOR}",
    ),
}
"""The templates of each kind of request: ``<NAME>`` is the device's name, ``{zone:WHERE}`` and
``<for_WHERE>`` say whose (left out for a device of the whole car), ``AMOUNT`` how much, ``BY`` a
verb that says how much ("crank", "bump": captured as the step where the device is changed by steps),
``MORE`` /
``LESS`` the device's words for up and down, ``OPENS`` / ``CLOSES`` its verbs of opening and closing,
``OPENED`` / ``CLOSED`` the words said after it, ``VALUE`` one of its values (or a grade of how much,
for a device changed by steps), ``TARGET`` one of its values only. A frame whose only word for a place
the device lacks is left out for it, and so is a frame of a position (how far open or closed) for a
device that is not opened."""

_PLACES: Final = ("MORE", "LESS", "OPENS", "OPENED", "CLOSES", "CLOSED")

_EVERYTHING: Final = "everything"
"""The rule of every word that names every device a verb applies to (the language layer's
quantifiers: "everything", "it all", "all openings")."""

_OPEN_NOW: Final = "(that's|that is|which is) [still] open"
_ON_NOW: Final = "(that's|that is|which is) [still] on"

EVERY: Final[dict[Kind, str]] = {
    "close": "close_everything",
    "open": "open_everything",
    "off": "switch_everything_off",
}
"""The kinds of request that may name every device at once, and the grammar intent that does so.
What "everything" covers is each device's `every`: closing closes the windows, the sunroof and its
sunshade (a car's comfort close); opening opens them, never a door or the trunk (opening those by a
word that names no door is unsafe); switching off switches off the comfort functions of the seats
and the steering wheel (heating, ventilation, massage), never a light or a driving function. Doors
are locked and unlocked as a whole by the grammar's own intents ("lock everything"). No quantifier
covers the hood (opened only when asked for by name, as a door or the trunk), the mirror heating (it
clears the view, as the defroster does), the window child lock, the music or the navigation voice
("turn everything off" leaves them as they are)."""

EVERY_FRAMES: Final[dict[Kind, tuple[str, ...]]] = {
    "close": (
        f"(close|shut|close up|seal|seal up) [<the>] <{_EVERYTHING}> [{_OPEN_NOW}] [up] [<fully>] [please]",
        f"[get|make|have] [<the>] <{_EVERYTHING}> [{_OPEN_NOW}] (closed|shut) [up] [please]",
    ),
    "open": (
        f"(open|open up) [<the>] <{_EVERYTHING}> [up] [<fully>] [please]",
        f"(get|make|have) [<the>] <{_EVERYTHING}> (open|opened) [up] [please]",
    ),
    "off": (
        f"<off_verb> [<the>] <{_EVERYTHING}> [{_ON_NOW}] [please]",
        f"(turn|switch|put|flick|flip|shut|knock|click|power) [<the>] <{_EVERYTHING}> off [please]",
        f"[i want|i'd like] [<the>] <{_EVERYTHING}> off [please]",
    ),
}
"""The templates of a request that names every device of a kind ("close it all up", "turn everything
off"): ``<everything>`` is any quantifier of the language layer."""

_FULLY: Final = "fully"
_PART: Final = "part"
"""The words said after a device's name that name a part or a setting of it ("the wiper speed", "the
volume level", "the window glass"): the device itself is meant."""
_HOW_MUCH: Final = "how_much"
"""The rule of every word of how much, for a device that is not changed by steps (said, not used)."""


def grammar_rules(rules: Mapping[str, Any]) -> dict[str, Any]:
    """The grammar's `expansion_rules` with the rules the frames use: ``<for_seat>``, ``<for_zone>``
    (and one per other `where` argument): "for the rear left", "on my side", "in the back seats";
    ``<how_much>``: any word of how much; ``<fully>``; ``<part>``: a part or setting of a device;
    ``<everything>``: any word that names every device a verb applies to."""
    written = dict(rules)
    for where in sorted({device.where for device in DEVICES if device.where is not None}):
        written[f"for_{where}"] = f"(for|on|in|at) [<the>] {{zone:{where}}} [side|seat|seats|zone|area]"
    words = sorted(INTENSITY, key=len, reverse=True)
    written[_HOW_MUCH] = "(" + "|".join(words) + ")"
    written[_EVERYTHING] = "(" + "|".join(sorted(QUANTIFIERS, key=len, reverse=True)) + ")"
    written[_FULLY] = "(all the way|fully|completely|the whole way|right down|right up|wide|wide open)"
    written[_PART] = "(speed|level|setting|settings|mode|function|system|glass|switch|control|controls)"
    return written


def grammar_intents(
    intents: Mapping[str, Any], rules: Mapping[str, Any], lists: Mapping[str, Any]
) -> dict[str, Any]:
    """The grammar's `intents` with every frame written for every device: one data block per device
    and kind of request it takes, added to the device tool's intent. A device whose tool is no intent
    of the grammar, or whose name is none of its `rules` or `lists`, is left out."""
    written: dict[str, Any] = {name: dict(intent) for name, intent in intents.items()}
    named = set(rules) | set(lists)
    for device in DEVICES:
        intent = written.get(device.tool)
        if intent is None or _name_of(device) not in named:
            continue  # a grammar without the device (a plugin's, a test's) gets no frames for it
        blocks = list(intent.get("data") or [])
        for kind, feature in device.unable.items():
            unable = written.get(feature)
            if unable is not None:
                said = templates_of(device, kind)
                unable["data"] = [
                    *(unable.get("data") or []),
                    {"sentences": said, "metadata": {"lacking": feature}},
                ]
        for kind, slots in device.slots.items():
            sentences = templates_of(device, kind)
            if not sentences:
                continue
            fixed = dict(slots)
            if device.where is not None:
                fixed.setdefault(device.where, device.default)
            blocks.append({"sentences": sentences, "slots": fixed})
        intent["data"] = blocks
    for kind, name in EVERY.items():
        actions = every_actions(kind)
        covered = [device for device in DEVICES if kind in device.every]
        if name in written or any(
            device.tool not in written or _name_of(device) not in named for device in covered
        ):
            continue  # a grammar without every device the request covers gets no such intent
        calls: list[JsonValue] = [{"tool": tool, "arguments": dict(arguments)} for tool, arguments in actions]
        written[name] = {"data": [{"sentences": list(EVERY_FRAMES[kind]), "metadata": {"actions": calls}}]}
    return written


def every_actions(kind: Kind) -> tuple[tuple[str, dict[str, JsonValue]], ...]:
    """The calls of a request that names every device of `kind` ("close everything"), in order: one
    per device whose `every` covers the kind and per zone of its `every_zone`. Closing and switching
    off go in the order of :data:`DEVICES`; opening goes the other way, so the sunshade is open before
    the sunroof opens (GR-09)."""
    order = tuple(reversed(DEVICES)) if kind == "open" else DEVICES
    calls: list[tuple[str, dict[str, JsonValue]]] = []
    for device in order:
        arguments = device.every.get(kind)
        if arguments is None:
            continue
        zones: tuple[str | None, ...] = device.every_zone if device.where is not None else (None,)
        for zone in zones:
            call = (
                dict(arguments) if zone is None or device.where is None else {device.where: zone, **arguments}
            )
            if (device.tool, call) not in calls:
                calls.append((device.tool, call))
    return tuple(calls)


def _name_of(device: Device) -> str:
    """The rule or list that says the device's name."""
    return device.names.strip("{}").split(":")[0]


def _ranged(tool: str) -> tuple[str, ...]:
    """The values every device of a tool with a range takes besides its own: a word of an end of the
    range ("max", "the lowest": :func:`amounts.end`), and a number above the range its tool declares
    ("set the seat heating to 8"), read as of the device so that the reply can say its range."""
    if tool not in RANGES:
        return ()
    argument = RANGES[tool][0]
    said = [f"{{{end_list(tool)}:{argument}}}"]
    if tool in DECLARED_RANGES:
        said.append(f"{{{beyond_list(tool)}:{argument}}} [<percent>]")
    return tuple(said)


def templates_of(device: Device, kind: Kind) -> list[str]:
    """The grammar templates of every frame of `kind` for `device` (empty for a kind it does not take;
    for a kind it is `unable` to do, the frames said with how much)."""
    if kind not in device.slots and kind not in device.unable:
        return []
    name = device.names if device.names.startswith("{") else f"<{device.names}>"
    words = {
        "MORE": device.more,
        "LESS": device.less,
        "OPENS": device.opens,
        "OPENED": device.opened,
        "CLOSES": device.closes,
        "CLOSED": device.closed,
    }
    # A device changed by steps, or moved a step from where it is (a grade in its `delta` slot),
    # captures how much is said: "up a lot", "down one", "crank up".
    graded = device.stepped or any(isinstance(slots.get("delta"), str) for slots in device.slots.values())
    amount = "({intensity:delta}|{step:delta})" if graded else f"<{_HOW_MUCH}>"
    by = "{intensifier:delta}" if graded else "<intensify>"
    sentences: list[str] = []
    for frame in FRAMES[kind]:
        if kind in device.unable and _AJAR not in frame:
            continue
        text = frame
        for place in _PLACES:
            if words[place]:
                text = text.replace(place, "|".join(words[place]))
            else:
                text = text.replace(f"|{place}", "")
        if any(place in text for place in _PLACES) or (
            (_OPEN_AT in text or _SHUT_AT in text) and "open" not in device.slots
        ):
            continue
        text = text.replace(_NAME, f"{name} [<{_PART}>]").replace(_AMOUNT, amount).replace("|BY)", f"|{by})")
        if device.where is None:
            text = text.replace(f" {_ZONE}", "").replace(f" {_FOR}", "")
        else:
            text = text.replace(_ZONE, f"[{device.before}]").replace(_FOR, f"[{device.after}]")
            text = text.replace("WHERE", device.where)
        said = (*device.values, *_ranged(device.tool))
        if "VALUE" in text:
            values = (*said, "{intensity:delta}") if device.stepped else said
            sentences.extend(text.replace("VALUE", f"({value})") for value in values)
        elif "TARGET" in text:
            sentences.extend(text.replace("TARGET", f"({value})") for value in said)
        else:
            sentences.append(text)
    return sentences
