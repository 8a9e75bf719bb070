"""What the agent says: short, spoken-style sentences built only from what the car reported.

Each applied change is a clause ("your side's at 20 degrees", "the headlights are on"); the clauses
of a turn become one sentence through the shared reply composer (`agents.spoken.compose`), with
what was not done and why joined by "but" in plain words (no VSS paths, tool names, enum values or
rule ids: those stay in the data part's `actions`). Every sentence describes a report (applied
targets, a refusal's reason, a failure), never the request itself, so nothing is claimed that did
not happen (GR-19). A refused driving function is said the way a person understands it ("I can't
change gear for you; that stays with the driver."). While the car is not parked the replies are
kept shorter still (GR-12): at most two applied changes are named, one refusal reason is given,
and no lists of capabilities are read out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from pydantic import JsonValue

from agents.hosting import Seat
from agents.spoken import Part, can_help_with, compose, join_words, not_done_yet, plain, skill_areas
from agents.spoken import cannot_do as shared_cannot_do
from agents.vehicle_control.actions import SEATS, ZONE_ARGUMENTS, Action, ActionReport, Beyond
from agents.vehicle_control.card import VEHICLE_CONTROL_SPEC
from agents.vehicle_control.driving import refusal_sentence
from agents.vehicle_control.lacking import sentence as _lacking_sentence
from agents.vehicle_control.seats import NOWHERE

__all__ = [
    "CAPABILITIES",
    "already",
    "at_end",
    "beyond",
    "cannot_do",
    "declined",
    "describe",
    "expired",
    "gave_up",
    "lacking",
    "needs_context",
    "nothing_changed",
    "read_nothing",
    "set_apart",
    "summarize",
    "unavailable",
]

_NAMED_WHILE_MOVING = 3
"""How many skill areas a reply names while the car is not parked (GR-12)."""
CAPABILITIES = can_help_with([skill.name for skill in VEHICLE_CONTROL_SPEC.skills])
SHORT_CAPABILITIES = can_help_with(
    skill_areas([[skill.tags for skill in VEHICLE_CONTROL_SPEC.skills]]), at_most=_NAMED_WHILE_MOVING
)
"""What the agent can do while the car is not parked (GR-12): three skill areas, "among others"."""
"""What this agent can do, from the skills of its card (the wording is the shared one, `agents.spoken`)."""

_QUOTABLE_WORDS = 6
"""A part not understood is quoted back only when it is a single short one; otherwise it is summed up."""

_ZONE_PLACES = {
    "driver": "driver side",
    "passenger": "passenger side",
    "rear_left": "rear left",
    "rear_right": "rear right",
    "front": "front",
    "rear": "rear",
    "all": "all zones",
}
_SEAT_OWNERS = {
    "driver": "driver's",
    "passenger": "passenger's",
    "rear_left": "rear left",
    "rear_right": "rear right",
    "front": "front",
    "rear": "rear",
    "all": "all",
}
_LEVELS = {0: "off", 1: "on low", 2: "on medium", 3: "on high"}
_LIGHTS = {
    "low_beam": "headlights",
    "high_beam": "high beams",
    "fog_front": "front fog lights",
    "fog_rear": "rear fog lights",
    "hazard": "hazard lights",
    "parking": "parking lights",
    "dome": "interior light",
    "ambient": "ambient lighting",
}
_DIRECTIONS = {"up": "windshield", "middle": "face", "down": "feet"}
_DEFROST = {"front": "windshield defrost", "rear": "rear defrost", "both": "front and rear defrost"}
_THINGS = {
    "set_cabin_temperature": "temperature",
    "set_fan": "fan",
    "set_air_distribution": "air direction",
    "set_air_conditioning": "A/C",
    "set_recirculation": "recirculation",
    "set_defrost": "defrost",
    "set_seat_heating": "seat heating",
    "set_seat_ventilation": "seat ventilation",
    "set_seat_massage": "massage",
    "set_steering_wheel_heating": "steering wheel heating",
    "set_window": "window",
    "set_sunroof": "sunroof",
    "set_sunshade": "sunshade",
    "lock_doors": "door locks",
    "unlock_doors": "door locks",
    "set_door": "door",
    "set_trunk": "trunk",
    "set_lights": "lights",
    "set_wipers": "wipers",
    "set_media_volume": "volume",
    "set_media_playback": "music",
    "set_navigation_volume": "navigation voice",
    "set_navigation_guidance": "navigation voice",
    "fold_mirrors": "mirrors",
    "set_mirror_heating": "mirror heating",
    "set_window_child_lock": "window child lock",
    "set_hood": "hood",
}


def _number(value: JsonValue) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def _on(value: JsonValue) -> str:
    return "on" if value is True else "off"


def _only_value(changes: Mapping[str, JsonValue]) -> JsonValue | None:
    values = list(dict.fromkeys(repr(v) for v in changes.values()))
    if len(values) != 1:
        return None
    return next(iter(changes.values()))


def _arg(report: ActionReport, name: str) -> JsonValue:
    return report.arguments.get(name)


def _be(subject: str, predicate: str) -> str:
    """`subject is predicate`, or `are` for a plural subject ("all windows", "the headlights")."""
    plural = subject.endswith("s") or subject.startswith("all ")
    return f"{subject} {'are' if plural else 'is'} {predicate}"


def _seat_owner(seat: JsonValue, speaker: Seat | None) -> str:
    if seat == speaker:
        return "your"
    return f"the {_SEAT_OWNERS.get(str(seat), str(seat))}"


def _window_name(window: JsonValue, speaker: Seat | None) -> str:
    if window == speaker:
        return "your window"
    names = {
        "all": "all windows",
        "front": "the front windows",
        "rear": "the rear windows",
        "driver": "the driver's window",
        "passenger": "the passenger window",
        "rear_left": "the rear left window",
        "rear_right": "the rear right window",
    }
    return names.get(str(window), f"the {window} window")


def _door_name(door: JsonValue, speaker: Seat | None) -> str:
    if door == speaker:
        return "your door"
    names = {"all": "all doors", "front": "the front doors", "rear": "the rear doors"}
    return names.get(str(door), f"the {_SEAT_OWNERS.get(str(door), str(door))} door")


def _temperature(report: ActionReport, speaker: Seat | None) -> str:
    zone = _arg(report, "zone")
    value = _only_value(report.changes)
    if value is None:
        delta = _arg(report, "delta")
        warmer = isinstance(delta, int | float) and delta > 0
        state = "warmer" if warmer else "cooler"
    else:
        state = f"at {_number(value)} degrees"
    if zone == speaker:
        return f"your side's {state}"
    if zone == "all":
        return f"every zone is {state}"
    return _be(f"the {_ZONE_PLACES.get(str(zone), str(zone))}", state)


def _fan(report: ActionReport, speaker: Seat | None) -> str:
    zone = _arg(report, "zone")
    owner = "your" if zone == speaker else f"the {_SEAT_OWNERS.get(str(zone), str(zone))}"
    value = _only_value(report.changes)
    if value == 0:
        return f"{owner} fan is off"
    if value is None:
        return f"{owner} fan is adjusted"
    return f"{owner} fan is at {_number(value)} percent"


def _seat_thing(label: str, seat: JsonValue, speaker: Seat | None) -> tuple[str, str]:
    """The subject and what follows the state ("on every seat") of a seat's `label`."""
    if seat == "all":
        return f"the {label}", " on every seat"
    if seat in ("front", "rear"):
        return f"the {seat} seats' {label}", ""
    return f"{_seat_owner(seat, speaker)} {label}", ""


def _seat_level(label: str) -> Callable[[ActionReport, Seat | None], str]:
    def phrase(report: ActionReport, speaker: Seat | None) -> str:
        level = _arg(report, "level")
        state = _LEVELS.get(level, f"at level {level}") if isinstance(level, int) else "changed"
        subject, where = _seat_thing(label, _arg(report, "seat"), speaker)
        return f"{subject} is {state}{where}"

    return phrase


def _massage(report: ActionReport, speaker: Seat | None) -> str:
    level = _arg(report, "level")
    subject, where = _seat_thing("massage", _arg(report, "seat"), speaker)
    if level == 0:
        return f"{subject} is off{where}"
    return f"{subject} is on at {_number(level)} percent{where}"


def _window(report: ActionReport, speaker: Seat | None) -> str:
    name = _window_name(_arg(report, "window"), speaker)
    action = _arg(report, "action")
    if action == "open":
        return _be(name, "opening")
    if action == "close":
        return _be(name, "closing")
    if action == "vent":
        return _be(name, "opening a little")
    percent = _arg(report, "percent")
    if percent == 0:
        return _be(name, "closing")
    if percent == 100:
        return _be(name, "opening all the way")
    return _be(name, f"going to {_number(percent)} percent")


def _sunroof(report: ActionReport, _: Seat | None) -> str:
    action = _arg(report, "action")
    states = {"open": "opening", "close": "closing", "tilt": "tilting"}
    return f"the sunroof is {states.get(str(action), 'stopped')}"


def _sunshade(report: ActionReport, _: Seat | None) -> str:
    name = "the rear shade" if _arg(report, "rear") is True else "the sunshade"
    action = _arg(report, "action")
    if action == "open":
        return f"{name} is opening"
    if action == "close":
        return f"{name} is closing"
    return f"{name} is going to {_number(_arg(report, 'percent'))} percent"


def _locks(locked: bool) -> Callable[[ActionReport, Seat | None], str]:
    def phrase(report: ActionReport, speaker: Seat | None) -> str:
        doors = _arg(report, "doors")
        state = "locked" if locked else "unlocked"
        if doors == "all":
            return f"the doors are {state}"
        return _be(_door_name(doors, speaker), state)

    return phrase


def _door(report: ActionReport, speaker: Seat | None) -> str:
    # Opening a locked door includes its unlock, which the person confirmed when it was asked
    # ("Unlock and open the door?"); the door reads unlocked either way, so only the opening is said.
    name = _door_name(_arg(report, "door"), speaker)
    return _be(name, "opening" if _arg(report, "open") is True else "closing")


def _trunk(report: ActionReport, _: Seat | None) -> str:
    return "the trunk is opening" if _arg(report, "open") is True else "the trunk is closing"


_BEAMS = {"low_beam": ".Beam.Low.IsOn", "high_beam": ".Beam.High.IsOn"}


def _lights(report: ActionReport, _: Seat | None) -> str:
    light = str(_arg(report, "light"))
    name = _LIGHTS.get(light, light.replace("_", " "))
    phrase = _be(f"the {name}", _on(_arg(report, "on")))
    # A light that needs the beams set a certain way (fog lights) sets them in the same request.
    with_beams = [
        f"the {_LIGHTS[beam]} {_on(value)}"
        for beam, suffix in _BEAMS.items()
        if beam != light
        for path, value in report.changes.items()
        if path.endswith(suffix)
    ]
    if with_beams:
        phrase += f", with {join_words(with_beams)}, as the {name} need"
    return phrase


def _wipers(report: ActionReport, _: Seat | None) -> str:
    name = "the rear wiper is" if _arg(report, "rear") is True else "the wipers are"
    mode = _arg(report, "mode")
    if mode == "off":
        return f"{name} off"
    return f"{name} on {str(mode).replace('_', ' ')}"


def _volume(report: ActionReport, _: Seat | None) -> str:
    value = _only_value(report.changes)
    if value == 0:
        return "the sound is muted"
    if value is None:
        return "the volume is adjusted"
    return f"the volume is at {_number(value)}"


_PLAYBACK = {
    "play": "the music is playing",
    "pause": "the music is paused",
    "stop": "the music is stopped",
    "next": "on to the next track",
    "previous": "back to the previous track",
    "fast_forward": "fast-forwarding",
    "rewind": "rewinding",
}
_GUIDANCE = {
    "voice": "the navigation voice is on",
    "alerts_only": "the navigation gives alerts only",
    "muted": "the navigation voice is muted",
}


def _navigation_volume(report: ActionReport, _: Seat | None) -> str:
    value = _only_value(report.changes)
    if value is None:
        return "the navigation voice is adjusted"
    if value == 0:
        return "the navigation voice is silent"
    return f"the navigation voice is at {_number(value)}"


_PHRASES: dict[str, Callable[[ActionReport, Seat | None], str]] = {
    "set_cabin_temperature": _temperature,
    "set_fan": _fan,
    "set_air_distribution": lambda r, _: (
        f"the air goes to the {_DIRECTIONS.get(str(_arg(r, 'direction')), 'vents')}"
    ),
    "set_air_conditioning": lambda r, _: f"the A/C is {_on(_arg(r, 'on'))}",
    "set_recirculation": lambda r, _: f"recirculation is {_on(_arg(r, 'on'))}",
    "set_defrost": lambda r, _: _be(
        f"the {_DEFROST.get(str(_arg(r, 'where')), 'defrost')}", _on(_arg(r, "on"))
    ),
    "set_seat_heating": _seat_level("seat heating"),
    "set_seat_ventilation": _seat_level("seat ventilation"),
    "set_seat_massage": _massage,
    "set_steering_wheel_heating": lambda r, _: f"the steering wheel heating is {_on(_arg(r, 'on'))}",
    "set_window": _window,
    "set_sunroof": _sunroof,
    "set_sunshade": _sunshade,
    "lock_doors": _locks(True),
    "unlock_doors": _locks(False),
    "set_door": _door,
    "set_trunk": _trunk,
    "set_lights": _lights,
    "set_wipers": _wipers,
    "set_media_volume": _volume,
    "fold_mirrors": lambda r, _: (
        "the mirrors are folded" if _arg(r, "folded") is True else "the mirrors are unfolded"
    ),
    "set_media_playback": lambda r, _: _PLAYBACK.get(str(_arg(r, "action")), "the music is changed"),
    "set_navigation_volume": _navigation_volume,
    "set_navigation_guidance": lambda r, _: _GUIDANCE.get(
        str(_arg(r, "mode")), "the navigation voice is changed"
    ),
    "set_mirror_heating": lambda r, _: f"the mirror heating is {_on(_arg(r, 'on'))}",
    "set_window_child_lock": lambda r, _: (
        "the rear windows are locked; only you can move them"
        if _arg(r, "on") is True
        else "the window child lock is off"
    ),
    "set_hood": lambda r, _: "the hood is opening" if _arg(r, "open") is True else "the hood is closing",
}


def describe(report: ActionReport, speaker: Seat | None) -> str:
    """A clause for an applied report ("your side's at 22 degrees", "all windows are opening")."""
    phrase = _PHRASES.get(report.tool)
    if phrase is None:
        return (
            f"the {_THINGS.get(report.tool, report.tool.removeprefix('set_').replace('_', ' '))} is changed"
        )
    return phrase(report, speaker)


_RULE_REASONS = {
    "GR-16": "that isn't something I'm allowed to change",
    "GR-17": "that's too many changes at once; wait a moment and ask again",
    "GR-18": "only someone in the car can ask for that",
}
"""Refusals whose server reason speaks of internals (a client id, a request origin, a rate), said plainly."""


_GROUPS: dict[frozenset[str], str] = {
    frozenset(SEATS): "all",
    frozenset({"driver", "passenger"}): "front",
    frozenset({"rear_left", "rear_right"}): "rear",
}
"""Seats that one word names: the same change of each is said once, of them all ("all windows")."""


def _grouped(reports: Sequence[ActionReport]) -> list[ActionReport]:
    """`reports` with those that differ only in their seat (the same tool, arguments and outcome for
    each window of "close everything") said once for the group of seats they make, where one word
    names it (:data:`_GROUPS`); the rest as they are, in order."""
    keys: list[tuple[str, ...] | None] = []
    seats: dict[tuple[str, ...], list[str]] = {}
    for report in reports:
        where = ZONE_ARGUMENTS.get(report.tool)
        seat = report.arguments.get(where) if where is not None else None
        if where is None or seat not in SEATS:
            keys.append(None)
            continue
        others = sorted((name, repr(value)) for name, value in report.arguments.items() if name != where)
        same: tuple[str, ...] = (
            report.tool,
            report.outcome,
            str(report.rule_id),
            str(report.message),
            repr(others),
        )
        keys.append(same)
        seats.setdefault(same, []).append(str(seat))
    grouped: list[ActionReport] = []
    said: set[tuple[str, ...]] = set()
    for report, key in zip(reports, keys, strict=True):
        group = _GROUPS.get(frozenset(seats[key])) if key is not None and len(seats[key]) > 1 else None
        if key is None or group is None:
            grouped.append(report)
            continue
        if key in said:
            continue
        said.add(key)
        where = ZONE_ARGUMENTS[report.tool]
        changes = {
            path: value
            for other, k in zip(reports, keys, strict=True)
            if k == key
            for path, value in other.changes.items()
        }
        grouped.append(
            report.model_copy(update={"arguments": {**report.arguments, where: group}, "changes": changes})
        )
    # "close the windows and everything": all windows asked for twice are said once.
    kept: list[ActionReport] = []
    for report in grouped:
        if not any(
            (other.tool, other.arguments, other.outcome) == (report.tool, report.arguments, report.outcome)
            for other in kept
        ):
            kept.append(report)
    return kept


def _what(report: ActionReport, speaker: Seat | None) -> str:
    """What a report's change was of, said as a thing ("the rear left window", "your seat heating")."""
    if report.tool == "set_window":
        return _window_name(_arg(report, "window"), speaker)
    if report.tool in ("set_door", "lock_doors", "unlock_doors"):
        return _door_name(_arg(report, "door" if report.tool == "set_door" else "doors"), speaker)
    where = ZONE_ARGUMENTS.get(report.tool)
    thing = _THINGS.get(report.tool, report.tool)
    if where is None:
        return f"the {thing}"
    subject, place = _seat_thing(thing, _arg(report, where), speaker)
    return f"{subject}{place}"


def _not_done(report: ActionReport) -> str:
    """Why a refused change was not made, in plain words."""
    driving = refusal_sentence(Action(tool=report.tool, arguments=report.arguments))
    if driving is not None:
        return driving
    plain_reason = _RULE_REASONS.get(report.rule_id or "")
    if plain_reason is not None:
        thing = _THINGS.get(report.tool)
        return (
            f"I didn't change the {thing}: {plain_reason}" if thing else f"I didn't do that: {plain_reason}"
        )
    message = report.message or ""
    cleaned = plain(message)
    if cleaned == " ".join(message.split()):
        return cleaned
    # The server's reason speaks of internals (a VSS path, an enum value): say what was not done instead.
    thing = _THINGS.get(report.tool, "that")
    return f"I didn't change the {thing}: the car's safety rules don't allow it right now"


def summarize(
    reports: Sequence[ActionReport],
    *,
    speaker: Seat | None,
    moving: bool,
    not_understood: Sequence[str] = (),
    lacking: Sequence[str] = (),
    unchanged: Sequence[str] = (),
    beyond: Sequence[str] = (),
) -> str:
    """The reply for a finished turn, as one sentence where one will do: what was applied, then what was
    not done and why ("Your side's at 20 degrees, but the trunk can only be opened when the car is
    parked and stopped."), what failed, what this car cannot do (`lacking`: features of
    `agents.vehicle_control.lacking`), and what was not understood.

    `beyond` are clauses of :func:`beyond`: a value said outside its device's range, not sent.

    `unchanged` (clauses of `already`) say that the rest of what a request over every device covers
    was already so; they are said only when every call made was applied, since otherwise what stays
    as it is has already been named with its reason."""
    parts: list[Part] = []
    asked = [report.tool for report in reports]
    several = frozenset(tool for tool in asked if asked.count(tool) > 1)
    reports = _grouped(reports)
    applied = [describe(report, speaker) for report in reports if report.outcome == "applied"]
    if moving and len({_predicate(text) for text in applied}) > 2:
        # Changes said alike are said together ("the sunshade, the sunroof and all windows are
        # opening"), so they count once.
        more = len(applied) - 2
        applied = [*applied[:2], "one more is done" if more == 1 else f"{more} more are done"]
    parts.extend(Part(text=text, kind="done") for text in applied)
    if applied and all(report.outcome == "applied" for report in reports):
        parts.extend(Part(text=text, kind="done") for text in unchanged)
    reasons = _reasons(
        [report for report in reports if report.outcome == "refused" and report.message], speaker, several
    )
    if moving:
        reasons = reasons[:1]
    parts.extend(Part(text=reason, kind="not_done") for reason in reasons if reason)
    failed = [report for report in reports if report.outcome == "failed"]
    if failed:
        things = list(dict.fromkeys(_THINGS.get(report.tool, report.tool) for report in failed))
        text = f"I couldn't change the {join_words(things)}"
        details = list(dict.fromkeys(report.message for report in failed if report.message))
        if details and not moving:
            text += f": {'; '.join(details)}"
        parts.append(Part(text=text, kind="not_done"))
    parts.extend(Part(text=sentence_for(feature), kind="not_done") for feature in lacking)
    parts.extend(Part(text=text, kind="not_done") for text in beyond)
    if not_understood:
        short = len(not_understood) == 1 and len(not_understood[0].split()) <= _QUOTABLE_WORDS
        if moving or not short:
            parts.append(Part(text="I didn't act on the rest", kind="not_done"))
        else:
            parts.append(Part(text=not_done_yet(not_understood[0]), kind="not_done"))
    return compose(parts) if parts else cannot_do(moving=moving)


def _predicate(text: str) -> str:
    """What a clause says of its subject ("opening" of "the sunroof is opening"); the whole clause when
    it has no such form."""
    found = re.match(r"^.+? (?:is|are) (.+)$", text)
    return found.group(1) if found is not None else text


def _reasons(refused: Sequence[ActionReport], speaker: Seat | None, several: frozenset[str]) -> list[str]:
    """Why each refused change was not made, each reason once. Where a request asked the same of
    several seats (`several` names its tools: "open everything"), the reason says which things were
    not changed ("the driver's window and the sunroof stay as they are: ...")."""
    grouped: dict[str, list[ActionReport]] = {}
    for report in refused:
        grouped.setdefault(_not_done(report), []).append(report)
    said: list[str] = []
    for reason, reports in grouped.items():
        named = any(
            report.tool in several
            and ZONE_ARGUMENTS.get(report.tool) is not None
            and report.rule_id not in _RULE_REASONS
            and refusal_sentence(Action(tool=report.tool, arguments=report.arguments)) is None
            for report in reports
        )
        if not named:
            said.append(reason)
            continue
        things = list(dict.fromkeys(_what(report, speaker) for report in reports))
        plural = len(things) > 1 or things[0].startswith("all ") or things[0].endswith("s")
        state = "stay as they are" if plural else "stays as it is"
        said.append(f"{join_words(things)} {state}: {reason}")
    return said


_ALREADY = {"close": "closed", "open": "open", "off": "off"}
"""What each kind of request over every device (`agents.vehicle_control.devices.EVERY`) leaves a device as."""


def already(kind: str, *, others: bool) -> str:
    """The clause a request over every device of `kind` ("close everything") says of the devices that
    were already so: "everything is already closed", "nothing was on", or, with `others` (some of them
    did change), "everything else was already closed", "nothing else was on"."""
    if kind not in _ALREADY:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(_ALREADY)}")
    if kind == "off":
        return "nothing else was on" if others else "nothing was on"
    state = _ALREADY[kind]
    return f"everything else was already {state}" if others else f"everything is already {state}"


def nothing_changed(unchanged: Sequence[str]) -> str:
    """The reply when a request over every device found nothing to change: its `already` clauses as one
    sentence ("Everything is already closed.")."""
    return compose([Part(text=text, kind="done") for text in unchanged])


def beyond(said: Beyond) -> str:
    """What was not done for a value outside the device's range, and the range its tool declares, as
    a clause: "the seat heating goes from 0 to 3, so I can't set it to 8"."""
    thing = _THINGS.get(said.tool, "setting")
    return (
        f"the {thing} goes from {_number(said.minimum)} to {_number(said.maximum)}, "
        f"so I can't set it to {_number(said.value)}"
    )


def _owners(zones: Sequence[JsonValue], speaker: Seat | None) -> str:
    """Whose device, as said before its name: "your", "the passenger's", "your and the passenger's";
    "the" for a device of the whole car (no seat or zone)."""
    said = list(
        dict.fromkeys(
            "the" if zone is None else "every" if zone == "all" else _seat_owner(zone, speaker)
            for zone in zones
        )
    )
    return said[0] if len(said) == 1 else join_words(said)


def at_end(tool: str, zones: Sequence[JsonValue], speaker: Seat | None, *, upwards: bool) -> str:
    """What a step from where a device is says when the device is already at that end of its range,
    as a clause: "your seat heating is already as high as it goes", "your window is already closed"."""
    if tool in ("set_window", "set_sunshade"):
        end = "fully open" if upwards else "closed"
    else:
        end = "as high as it goes" if upwards else "off"
    return f"{_owners(zones, speaker)} {_THINGS.get(tool, 'setting')} is already {end}"


def read_nothing(tool: str, zones: Sequence[JsonValue], speaker: Seat | None, *, copied: bool) -> str:
    """What is said when the car did not report where a device is (a step from there) or what it is
    set to (a copy of it), as a clause: nothing was sent for it."""
    thing = f"{_owners(zones, speaker)} {_THINGS.get(tool, 'setting')}"
    if copied:
        return f"I can't tell what {thing} is set to, so I've left it"
    return f"I can't tell where {thing} is, so I've left it"


def set_apart(tool: str, zone: JsonValue, speaker: Seat | None) -> str:
    """What is said when the seats of the zone a setting is copied from are set apart, as a clause."""
    return (
        f"{_owners([zone], speaker)} seats' {_THINGS.get(tool, 'setting')} differs from seat to seat, "
        "so say whose to copy"
    )


_NO_SUCH_PLACE: dict[str, str] = {
    "behind": "There's no seat behind you from where you sit, so I left it as it is.",
    "ahead": "There's no seat in front of you from where you sit, so I left it as it is.",
    "back_here": "You're sitting in the front, so I can't tell which back seat you mean; say which one.",
    "up_here": "You're sitting in the back, so I can't tell which front seat you mean; say which one.",
}
"""Per place relative to the speaker that a seat may have none of (`agents.vehicle_control.seats`), what
the person hears when it was said from such a seat."""


def no_such_place(where: str) -> str:
    """What is said when a request names a place relative to the speaker that the speaker's seat has
    none of ("warmer back here" said by the driver): nothing was done, and why."""
    return _NO_SUCH_PLACE.get(where, "I can't tell which seat you mean from where you sit; say which one.")


def sentence_for(feature: str) -> str:
    """The sentence for one thing a request lacks (`Parse.lacking`): a feature this car does not have
    (`agents.vehicle_control.lacking`), or a place the speaker's seat has none of (`no_such_place`)."""
    if feature.startswith(NOWHERE):
        return no_such_place(feature[len(NOWHERE) :])
    return _lacking_sentence(feature)


def lacking(features: Sequence[str]) -> str:
    """The answer to requests for what this car cannot do ("child locks on"): what, and why, plainly."""
    return compose([Part(text=sentence_for(feature), kind="not_done") for feature in features])


def cannot_do(*, moving: bool) -> str:
    """The honest answer when nothing in the request could be turned into an action: what can be done,
    while the car is not parked only three skill areas of it (GR-12)."""
    return shared_cannot_do(SHORT_CAPABILITIES if moving else CAPABILITIES)


def needs_context(*, moving: bool) -> str:
    """The answer to "a bit more" when the conversation changed nothing before."""
    if moving:
        return "More of what?"
    return "More of what? Say, for example, “warmer” or “louder”."


def unavailable() -> str:
    """The answer when the car's controls cannot be reached."""
    return "I can't reach the car's controls right now."


def model_unavailable() -> str:
    """The answer when only the on-device model could have read the request and it does not answer."""
    return "Sorry, I can't understand that right now: the on-device model is not available."


def declined() -> str:
    """The answer to "no" after a confirmation question."""
    return "Okay, I won't."


def gave_up() -> str:
    """The answer after a second unclear reply to a confirmation question."""
    return "I didn't catch a yes or a no, so I'll leave it as it is."


def expired() -> str:
    """The answer when a confirmation came after the car stopped waiting for it."""
    return "That took too long, so I didn't do it. Please ask again."
