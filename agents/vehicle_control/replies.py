"""What the agent says: short, spoken-style sentences built only from what the car reported.

Every sentence describes a report (applied targets, a refusal's reason, a failure), never the
request itself, so nothing is claimed that did not happen (GR-19). A refused driving function is
said the way a person understands it ("I can't change gear for you; that stays with the driver.").
While the car is not parked the replies are kept shorter still (GR-12): at most two applied changes
are named, one refusal reason is given, and no lists of capabilities are read out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import JsonValue

from agents.hosting import Seat
from agents.vehicle_control.actions import Action, ActionReport
from agents.vehicle_control.driving import refusal_sentence

__all__ = [
    "CAPABILITIES",
    "cannot_do",
    "declined",
    "describe",
    "expired",
    "gave_up",
    "needs_context",
    "summarize",
    "unavailable",
]

CAPABILITIES = (
    "I can change the climate, seats, windows and sunroof, doors and trunk, lights and wipers, "
    "and the volume."
)

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
    "fold_mirrors": "mirrors",
}


def _number(value: JsonValue) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1f}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    return str(value)


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _on(value: JsonValue) -> str:
    return "on" if value is True else "off"


def _only_value(changes: Mapping[str, JsonValue]) -> JsonValue | None:
    values = list(dict.fromkeys(repr(v) for v in changes.values()))
    if len(values) != 1:
        return None
    return next(iter(changes.values()))


def _arg(report: ActionReport, name: str) -> JsonValue:
    return report.arguments.get(name)


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
    place = "your side" if zone == speaker else _ZONE_PLACES.get(str(zone), str(zone))
    value = _only_value(report.changes)
    if value is None:
        delta = _arg(report, "delta")
        warmer = isinstance(delta, int | float) and delta > 0
        return f"{place} {'warmer' if warmer else 'cooler'}"
    return f"{place} at {_number(value)} degrees"


def _fan(report: ActionReport, speaker: Seat | None) -> str:
    zone = _arg(report, "zone")
    place = "your" if zone == speaker else _SEAT_OWNERS.get(str(zone), str(zone))
    value = _only_value(report.changes)
    if value == 0:
        return f"{place} fan off"
    if value is None:
        return f"{place} fan adjusted"
    return f"{place} fan at {_number(value)} percent"


def _seat_level(label: str) -> Callable[[ActionReport, Seat | None], str]:
    def phrase(report: ActionReport, speaker: Seat | None) -> str:
        level = _arg(report, "level")
        state = _LEVELS.get(level, f"at level {level}") if isinstance(level, int) else "changed"
        return f"{_seat_owner(_arg(report, 'seat'), speaker)} {label} {state}"

    return phrase


def _massage(report: ActionReport, speaker: Seat | None) -> str:
    level = _arg(report, "level")
    owner = _seat_owner(_arg(report, "seat"), speaker)
    if level == 0:
        return f"{owner} massage off"
    return f"{owner} massage on at {_number(level)} percent"


def _window(report: ActionReport, speaker: Seat | None) -> str:
    name = _window_name(_arg(report, "window"), speaker)
    action = _arg(report, "action")
    if action == "open":
        return f"opening {name}"
    if action == "close":
        return f"closing {name}"
    if action == "vent":
        return f"opening {name} a little"
    return f"{name} to {_number(_arg(report, 'percent'))} percent"


def _sunroof(report: ActionReport, _: Seat | None) -> str:
    action = _arg(report, "action")
    verbs = {"open": "opening the sunroof", "close": "closing the sunroof", "tilt": "tilting the sunroof"}
    return verbs.get(str(action), "sunroof stopped")


def _sunshade(report: ActionReport, _: Seat | None) -> str:
    name = "the rear shade" if _arg(report, "rear") is True else "the sunshade"
    action = _arg(report, "action")
    if action == "open":
        return f"opening {name}"
    if action == "close":
        return f"closing {name}"
    return f"{name} to {_number(_arg(report, 'percent'))} percent"


def _locks(locked: bool) -> Callable[[ActionReport, Seat | None], str]:
    def phrase(report: ActionReport, speaker: Seat | None) -> str:
        doors = _arg(report, "doors")
        state = "locked" if locked else "unlocked"
        if doors == "all":
            return f"doors {state}"
        return f"{_door_name(doors, speaker)} {state}"

    return phrase


def _door(report: ActionReport, speaker: Seat | None) -> str:
    # Opening a locked door includes its unlock, which the person confirmed when it was asked
    # ("Unlock and open the door?"); the door reads unlocked either way, so only the opening is said.
    name = _door_name(_arg(report, "door"), speaker)
    return f"{'opening' if _arg(report, 'open') is True else 'closing'} {name}"


def _trunk(report: ActionReport, _: Seat | None) -> str:
    return "opening the trunk" if _arg(report, "open") is True else "closing the trunk"


_BEAMS = {"low_beam": ".Beam.Low.IsOn", "high_beam": ".Beam.High.IsOn"}


def _lights(report: ActionReport, _: Seat | None) -> str:
    light = str(_arg(report, "light"))
    name = _LIGHTS.get(light, light)
    phrase = f"{name} {_on(_arg(report, 'on'))}"
    # A light that needs the beams set a certain way (fog lights) sets them in the same request.
    with_beams = [
        f"the {_LIGHTS[beam]} {_on(value)}"
        for beam, suffix in _BEAMS.items()
        if beam != light
        for path, value in report.changes.items()
        if path.endswith(suffix)
    ]
    if with_beams:
        phrase += f", with {_join(with_beams)}, as the {name} need"
    return phrase


def _wipers(report: ActionReport, _: Seat | None) -> str:
    name = "rear wiper" if _arg(report, "rear") is True else "wipers"
    mode = _arg(report, "mode")
    if mode == "off":
        return f"{name} off"
    return f"{name} on {mode}"


def _volume(report: ActionReport, _: Seat | None) -> str:
    value = _only_value(report.changes)
    if value == 0:
        return "sound muted"
    if value is None:
        return "volume adjusted"
    return f"volume {_number(value)}"


_PHRASES: dict[str, Callable[[ActionReport, Seat | None], str]] = {
    "set_cabin_temperature": _temperature,
    "set_fan": _fan,
    "set_air_distribution": lambda r, _: f"air to the {_DIRECTIONS.get(str(_arg(r, 'direction')), 'vents')}",
    "set_air_conditioning": lambda r, _: f"A/C {_on(_arg(r, 'on'))}",
    "set_recirculation": lambda r, _: f"recirculation {_on(_arg(r, 'on'))}",
    "set_defrost": lambda r, _: f"{_DEFROST.get(str(_arg(r, 'where')), 'defrost')} {_on(_arg(r, 'on'))}",
    "set_seat_heating": _seat_level("seat heating"),
    "set_seat_ventilation": _seat_level("seat ventilation"),
    "set_seat_massage": _massage,
    "set_steering_wheel_heating": lambda r, _: f"steering wheel heating {_on(_arg(r, 'on'))}",
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
    "fold_mirrors": lambda r, _: "mirrors folded" if _arg(r, "folded") is True else "mirrors unfolded",
}


def describe(report: ActionReport, speaker: Seat | None) -> str:
    """A few words for an applied report ("driver side at 22 degrees", "opening all windows")."""
    phrase = _PHRASES.get(report.tool)
    if phrase is None:
        return f"{report.tool.removeprefix('set_').replace('_', ' ')} changed"
    return phrase(report, speaker)


def summarize(
    reports: Sequence[ActionReport],
    *,
    speaker: Seat | None,
    moving: bool,
    not_understood: Sequence[str] = (),
) -> str:
    """The reply for a finished turn: what was applied, what was refused and why, what failed."""
    sentences: list[str] = []
    applied = [describe(report, speaker) for report in reports if report.outcome == "applied"]
    if applied:
        if moving and len(applied) > 2:
            applied = [*applied[:2], f"{len(applied) - 2} more"]
        sentences.append(_sentence(f"okay, {_join(applied)}"))
    reasons = list(
        dict.fromkeys(
            refusal_sentence(Action(tool=report.tool, arguments=report.arguments)) or report.message or ""
            for report in reports
            if report.outcome == "refused" and report.message
        )
    )
    if moving:
        reasons = reasons[:1]
    sentences.extend(_sentence(reason) for reason in reasons)
    failed = [report for report in reports if report.outcome == "failed"]
    if failed:
        things = list(dict.fromkeys(_THINGS.get(report.tool, report.tool) for report in failed))
        sentence = f"I couldn't change the {_join(things)}"
        details = list(dict.fromkeys(report.message for report in failed if report.message))
        if details and not moving:
            sentence += f": {'; '.join(details)}"
        sentences.append(_sentence(sentence))
    if not_understood:
        short = len(not_understood) == 1 and len(not_understood[0].split()) <= _QUOTABLE_WORDS
        if moving or not short:
            sentences.append("I didn't act on the rest.")
        else:
            sentences.append(_sentence(f"I can't do anything with “{not_understood[0]}” yet"))
    return " ".join(sentences) if sentences else cannot_do(moving=moving)


def cannot_do(*, moving: bool) -> str:
    """The honest answer when nothing in the request could be turned into an action."""
    if moving:
        return "Sorry, I can't do that."
    return f"Sorry, I can't do that yet. {CAPABILITIES}"


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
