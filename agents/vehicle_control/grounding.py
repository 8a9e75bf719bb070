"""Whether a request supports a proposed tool call: the check every model proposal must pass.

The on-device model only proposes; a proposal is taken only when the request's own words are evidence
for every part of it:

- the request mentions what the tool acts on ("window", "volume", "trunk", ...); words for a symptom
  that may be about something else ("cloudy", "foggy") count only when the request places it on what
  the tool fixes ("the windscreen is cloudy", not "it is cloudy today");
- each chosen value has words that affirm it -- opening a window needs "open", "down", "lower", ...;
  seat heating needs "heat", "warm", "cold", ...; a light kind needs its name; a relative change
  needs words for its direction ("warmer", "up", "too hot" for cooler, ...) and none for the other;
- every absolute number (°C, percent) appears in the request, a relative step stays small unless the
  request says "by <number>";
- a zone other than the speaker's own is named, and no other zone is;
- no seat row is named that the car does not have ("the third row": it has two).

Anything not affirmed is refused: a wrong guess from a small model must not move the car (SOTIF:
a misread is a foreseeable insufficiency, so it has to fail safe).
"""

from __future__ import annotations

import re

from agents.hosting import Seat
from agents.language.lexicon import NUMBERS, TENS
from agents.vehicle_control.actions import ZONE_ARGUMENTS, Action

__all__ = ["grounding_problem", "numbers_in", "tool_problem"]

_MISTED = ("fog", "fogg", "mist", "frost", "steam", "icy", "cloudy")
"""Words for a misted or iced surface: evidence for the defroster only when they are on the glass."""

_GUIDANCE = (
    "navigation", "nav", "navi", "directions", "guidance", "gps", "sat nav", "satnav", "instructions",
    "announcement", "voice", "prompts",
)  # fmt: skip
"""Words that name the navigation voice (its volume and whether it speaks)."""

_TOOL_WORDS: dict[str, tuple[str, ...]] = {
    "set_cabin_temperature": (
        "temperature", "temp", "warm", "cold", "cool", "hot", "heat", "chill", "degree", "freez", "celsius",
        "climate", "toasty", "boiling", "sweat",
    ),
    "set_fan": ("fan", "blower", "air", "breeze", "airflow", "ventilation"),
    "set_air_distribution": ("air", "vent", "airflow", "blow"),
    "set_air_conditioning": ("a/c", "ac", "air con", "aircon", "conditioning", "conditioner"),
    "set_recirculation": (
        "recirc", "outside air", "fresh air", "smell", "stink", "fumes", "smoke", "internal",
    ),
    "set_defrost": ("defrost", "demist", "defog", *_MISTED),
    "set_seat_heating": ("seat", "butt", "bum", "backside", "cushion", "chair"),
    "set_seat_ventilation": ("seat", "chair", "cushion"),
    "set_seat_massage": ("massage",),
    "set_steering_wheel_heating": ("wheel",),
    "set_window": ("window", "glass", "pane"),
    "set_sunroof": ("sunroof", "moonroof", "roof"),
    "set_sunshade": ("shade", "blind"),
    "lock_doors": ("lock",),
    "unlock_doors": ("unlock",),
    "set_door": ("door",),
    "set_trunk": ("trunk", "boot", "tailgate", "liftgate", "hatch"),
    "set_lights": ("light", "lamp", "beam", "hazard", "brights", "flasher", "headlight"),
    "set_wipers": ("wiper", "wipe", "blades"),
    "set_media_volume": (
        "volume", "loud", "quiet", "sound", "music", "radio", "mute", "hear", "audio", "stereo", "tunes",
        "noise", "silent",
    ),
    "fold_mirrors": ("mirror",),
    "set_mirror_heating": ("mirror",),
    "set_media_playback": (
        "play", "pause", "resume", "skip", "next", "previous", "song", "track", "music", "podcast", "episode",
        "audiobook", "rewind", "forward", "tune",
    ),
    "set_navigation_volume": _GUIDANCE,
    "set_navigation_guidance": _GUIDANCE,
    "set_window_child_lock": (
        "window lock", "window child", "windows child", "rear window", "back window", "window switch",
        "window control", "window button",
    ),
    "set_hood": ("hood", "bonnet", "engine bay"),
}  # fmt: skip

_OPEN = ("open", "down", "lower", "drop", "wind down", "roll down")
_CLOSE = ("close", "shut", "up", "raise", "seal")
_ON = ("on", "enable", "activate", "start")
_OFF = ("off", "disable", "deactivate", "stop", "kill", "no more", "cut")
_HEAT = ("heat", "warm", "cold", "chill", "freez", "icy", "frost", "numb")
_COOL = ("cool", "ventilat", "vent", "air", "sweat", "sticky", "stuck", "hot")

_VALUE_EVIDENCE: dict[tuple[str, str], dict[object, tuple[str, ...]]] = {
    ("set_window", "action"): {
        "open": _OPEN,
        "close": _CLOSE,
        "vent": ("crack", "a bit", "a little", "gap", "breeze", "air", "vent"),
    },
    ("set_sunroof", "action"): {
        "open": ("open", "slide"),
        "close": ("close", "shut", "seal"),
        "tilt": ("tilt", "vent", "crack", "pop"),
        "stop": ("stop",),
    },
    ("set_sunshade", "action"): {
        "open": ("open", "retract", "back"),
        "close": ("close", "draw", "across", "glar", "bright", "sun in", "shut"),
    },
    ("set_door", "open"): {True: ("open", "pop"), False: ("close", "shut")},
    ("set_trunk", "open"): {
        True: ("open", "pop", "raise", "lift", "release"),
        False: ("close", "shut", "lower"),
    },
    ("set_air_conditioning", "on"): {True: (*_ON, "cool"), False: _OFF},
    ("set_recirculation", "on"): {
        True: (*_ON, "recirc", "smell", "stink", "fumes", "smoke", "internal", "inside air"),
        False: (*_OFF, "fresh air", "outside air"),
    },
    ("set_defrost", "on"): {
        True: (*_ON, "defrost", "demist", "defog", *_MISTED),
        False: _OFF,
    },
    ("set_defrost", "where"): {"rear": ("rear", "back"), "both": ("both", "all", "front and rear")},
    ("set_steering_wheel_heating", "on"): {True: (*_ON, *_HEAT), False: (*_OFF, "too hot", "sweat")},
    ("set_lights", "on"): {True: (*_ON, "dark", "lit", "light up"), False: (*_OFF, "dazzl", "blind", "dip")},
    ("set_lights", "light"): {
        "low_beam": ("headlight", "head light", "low", "dipped", "lights"),
        "high_beam": ("high", "full beam", "brights", "main beam"),
        "fog_front": ("fog",),
        "fog_rear": ("fog",),
        "hazard": ("hazard", "flasher", "warning", "emergency"),
        "parking": ("parking", "side light", "sidelight", "position"),
        "dome": ("interior", "dome", "cabin", "reading", "inside", "overhead", "courtesy", "roof lamp"),
        "ambient": ("ambient", "mood", "accent"),
    },
    ("set_wipers", "mode"): {
        "off": ("off", "stop"),
        "slow": ("slow", "low", "gentle", "on", "start", "going"),
        "medium": ("medium", "normal", "mid"),
        "fast": ("fast", "quick", "high", "max", "rapid", "full"),
        "auto": ("auto", "rain sens", "sensor"),
        "interval": ("interval", "intermittent", "occasional", "every few"),
    },
    ("set_wipers", "rear"): {True: ("rear", "back")},
    ("set_sunshade", "rear"): {True: ("rear", "back")},
    ("set_air_distribution", "direction"): {
        "up": ("windshield", "windscreen", "glass", "up", "top"),
        "middle": ("face", "body", "chest", "head"),
        "down": ("feet", "foot", "floor", "legs", "toes"),
    },
    ("set_mirror_heating", "on"): {
        True: (*_ON, *_HEAT, "ice", "icy", "frost", "fog", "mist", "demist", "defrost", "clear"),
        False: _OFF,
    },
    ("set_media_playback", "action"): {
        "play": ("play", "resume", "unpause", "continue", "start", "back on", "keep"),
        "pause": ("pause", "hold", "stop", "hang on", "wait"),
        "stop": ("stop", "off", "enough", "quit"),
        "next": ("next", "skip", "hate", "another", "different", "can't stand"),
        "previous": ("previous", "back", "last", "again"),
        "fast_forward": ("forward", "ahead"),
        "rewind": ("rewind", "back"),
    },
    ("set_navigation_guidance", "mode"): {
        "muted": ("mute", "silen", "shush", "hush", "quiet", "shut up", "off", "stop", "enough", "annoying"),
        "voice": ("unmute", "back on", "on", "turn on", "hear", "speak", "talk"),
        "alerts_only": ("alert", "important", "only", "warning", "essential"),
    },
    ("set_window_child_lock", "on"): {
        True: ("lock", "child", "block", "disable", "stop the kids", "stop the children", "keep the kids"),
        False: (
            "unlock", "release", "enable", "allow", "free", "let the kids", "let the children", "let them",
        ),
    },
    ("set_hood", "open"): {
        True: ("open", "pop", "raise", "lift", "release", "check"),
        False: ("close", "shut", "lower"),
    },
    ("fold_mirrors", "folded"): {
        True: ("fold in", "fold the", "fold my", "tuck", "fold mirrors"),
        False: ("unfold", "fold out"),
    },
}  # fmt: skip
"""Words that must appear for a value the model chose (an argument not listed here needs none)."""

_LEVEL_EVIDENCE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "set_seat_heating": (_HEAT, _OFF),
    "set_seat_ventilation": (_COOL, _OFF),
    "set_seat_massage": (("massage",), _OFF),
}
"""For level tools: words for "on at some level" and for "off" (level 0)."""

_DIRECTION_EVIDENCE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "set_cabin_temperature": (
        ("warmer", "warm up", "warm it", "heat", "up", "raise", "increase", "cold", "chill", "freez", "icy"),
        ("cooler", "cool", "down", "lower", "decrease", "reduce", "too hot", "too warm", "sweat", "boiling"),
    ),
    "set_fan": (
        ("up", "more", "harder", "stronger", "increase", "higher", "faster", "max"),
        ("down", "less", "lower", "decrease", "softer", "weaker", "too hard", "too strong", "so hard"),
    ),
    "set_navigation_volume": (
        ("up", "louder", "more", "raise", "increase", "can't hear", "cannot hear", "barely", "boost"),
        ("down", "quieter", "lower", "softer", "reduce", "decrease", "too loud", "blaring", "annoying"),
    ),
    "set_media_volume": (
        (
            "up",
            "louder",
            "more",
            "raise",
            "increase",
            "can't hear",
            "cannot hear",
            "barely",
            "quiet",
            "boost",
        ),
        ("down", "quieter", "lower", "softer", "reduce", "decrease", "too loud", "blaring", "ears"),
    ),
}
"""For relative changes: words for a rise and words for a fall (as the person would say them)."""

_DELTA_LIMITS = {
    "set_cabin_temperature": 3,
    "set_fan": 40,
    "set_media_volume": 20,
    "set_navigation_volume": 20,
}
_ABSOLUTE_NUMBERS = ("celsius", "percent")
_ZONE_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "driver": (("driver",), ("left",)),
    "passenger": (("passenger",), ("right",), ("shotgun",)),
    "rear_left": (("rear", "left"), ("back", "left")),
    "rear_right": (("rear", "right"), ("back", "right")),
    "front": (("front",), ("first", "row")),
    "rear": (("rear",), ("back",), ("kids",), ("children",), ("second", "row")),
    "all": (("all",), ("every",), ("both",), ("whole",)),
}
_SEAT_ROWS: dict[Seat, int] = {"driver": 1, "passenger": 1, "rear_left": 2, "rear_right": 2}
"""The row of each seat the car has (VSS ``Vehicle.Cabin.Seat.Row1`` and ``Row2``)."""
_ROWS = max(_SEAT_ROWS.values())
_ROW_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_NAMED_ROW = re.compile(r"\b(" + "|".join(_ROW_ORDINALS) + r")[\s-]+row\b|\brow\s+(\d+)\b")
_UNITS = {**NUMBERS, "half": 50}
"""Number words below twenty (the language layer's), and "half" (50 %)."""
_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+")


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """Any of `words` at a word start ("freez" matches "freezing"; "up" does not match "cup"). Words of
    three letters or fewer must be whole words ("on" is not "only", "lit" is not "little")."""
    alternatives = [re.escape(word) + (r"\b" if len(word) <= 3 else "") for word in words]
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")")


_TOOL_PATTERNS = {tool: _pattern(words) for tool, words in _TOOL_WORDS.items()}
_OFF_PATTERN = re.compile(r"\b(?:off|disable|deactivate|stop|no more)\b")
_VALUE_PATTERNS = {
    key: {value: _pattern(words) for value, words in values.items()}
    for key, values in _VALUE_EVIDENCE.items()
}
_LEVEL_PATTERNS = {tool: (_pattern(on), _pattern(off)) for tool, (on, off) in _LEVEL_EVIDENCE.items()}
_DIRECTION_PATTERNS = {
    tool: (_pattern(up), _pattern(down)) for tool, (up, down) in _DIRECTION_EVIDENCE.items()
}


def numbers_in(text: str) -> set[float]:
    """The numbers a request mentions, in digits or in words up to ninety-nine ("twenty two" = 22)."""
    found: set[float] = set()
    tokens = _TOKEN.findall(text.lower().replace("-", " "))
    for index, token in enumerate(tokens):
        if token[0].isdigit():
            found.add(float(token))
        elif token in _UNITS:
            found.add(float(_UNITS[token]))
        elif token in TENS:
            tens = TENS[token]
            found.add(float(tens))
            following = tokens[index + 1] if index + 1 < len(tokens) else ""
            if following in _UNITS and 0 < _UNITS[following] < 10:
                found.add(float(tens + _UNITS[following]))
    return found


def _lowered(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").split())


_SYMPTOMS: dict[str, tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]] = {
    # "It is cloudy today" is the weather; "the windscreen is cloudy" is the glass.
    "set_defrost": (
        _pattern(_MISTED),
        _pattern(("defrost", "demist", "defog", "de-ice", "deice")),
        _pattern(("windscreen", "windshield", "window", "glass", "screen", "mirror", "see", "view")),
    ),
}
"""Tools some of whose words describe a symptom that may be about something else: (the symptom words,
the words that name the tool itself, the words that place the symptom on what the tool fixes). A
request that has only symptom words must also say where."""


def tool_problem(text: str, tool: str) -> str | None:
    """Why the request cannot support any call of `tool` (it does not mention what the tool changes),
    or None. The first check of `grounding_problem`, usable before the arguments are known."""
    lowered = _lowered(text)
    pattern = _TOOL_PATTERNS.get(tool)
    if pattern is None or not pattern.search(lowered):
        return f"the request does not mention what {tool} changes"
    symptoms = _SYMPTOMS.get(tool)
    if symptoms is not None:
        symptom, named, where = symptoms
        found = symptom.search(lowered)
        if found is not None and not named.search(lowered) and not where.search(lowered):
            return f"the request does not place '{found.group()}' on the glass"
    return None


def grounding_problem(text: str, action: Action, *, seat: Seat) -> str | None:
    """Why the request does not support `action`, or None when it does (see the module docstring)."""
    problem = tool_problem(text, action.tool)
    if problem is not None:
        return problem
    lowered = _lowered(text)
    for check in (_row_problem, _values_problem, _numbers_problem, _level_problem, _direction_problem):
        problem = check(lowered, action)
        if problem is not None:
            return problem
    return _zone_problem(lowered, action, seat)


def _row_problem(text: str, action: Action) -> str | None:
    """A request about a seat row the car does not have ("heat the third row") supports no call: any
    action would change a row that was not asked for."""
    for found in _NAMED_ROW.finditer(text):
        ordinal, number = found.group(1), found.group(2)
        row = _ROW_ORDINALS[ordinal] if ordinal is not None else int(number)
        if row > _ROWS or row < 1:
            return f"the car has no {found.group(0)}: it has {_ROWS} rows of seats"
    return None


def _values_problem(text: str, action: Action) -> str | None:
    for (tool, argument), patterns in _VALUE_PATTERNS.items():
        if tool != action.tool or argument not in action.arguments:
            continue
        value = action.arguments[argument]
        evidence = patterns.get(value)
        if evidence is not None and not evidence.search(text):
            return f"nothing in the request says {argument}={value}"
    return None


def _numbers_problem(text: str, action: Action) -> str | None:
    mentioned = numbers_in(text)
    for name in _ABSOLUTE_NUMBERS:
        value = action.arguments.get(name)
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        muted = name == "percent" and value == 0 and re.search(r"\b(?:mute|silen|off)", text)
        if float(value) not in mentioned and not muted:
            return f"{name}={value} is not a number the request mentions"
    delta = action.arguments.get("delta")
    limit = _DELTA_LIMITS.get(action.tool)
    if isinstance(delta, int | float) and limit is not None and abs(delta) > limit:
        said = re.search(r"\bby\s+([\w.-]+(?:\s+[\w-]+)?)", text)
        if said is None or float(abs(delta)) not in numbers_in(said.group(1)):
            return f"a change of {delta} is more than the request asks for"
    return None


def _level_problem(text: str, action: Action) -> str | None:
    patterns = _LEVEL_PATTERNS.get(action.tool)
    level = action.arguments.get("level")
    if patterns is None or not isinstance(level, int):
        return None
    on, off = patterns
    if level > 0 and (not on.search(text) or _OFF_PATTERN.search(text)):
        return f"nothing in the request asks to turn {action.tool} on"
    if level == 0 and not off.search(text):
        return f"nothing in the request asks to turn {action.tool} off"
    return None


def _direction_problem(text: str, action: Action) -> str | None:
    patterns = _DIRECTION_PATTERNS.get(action.tool)
    delta = action.arguments.get("delta")
    if patterns is None or not isinstance(delta, int | float):
        return None
    up, down = patterns
    rise, fall = bool(up.search(text)), bool(down.search(text))
    if (delta > 0 and (not rise or fall)) or (delta < 0 and (not fall or rise)):
        return f"the request does not clearly ask for a change of {delta}"
    return None


def _mentions_zone(text: str, zone: str) -> bool:
    words = set(re.findall(r"[a-z]+", text))
    return any(all(word in words for word in group) for group in _ZONE_WORDS.get(zone, ()))


def _zone_problem(text: str, action: Action, seat: Seat) -> str | None:
    argument = ZONE_ARGUMENTS.get(action.tool)
    if argument is None:
        return None
    zone = action.arguments.get(argument)
    named = {name for name in _ZONE_WORDS if _mentions_zone(text, name)}
    if isinstance(zone, str) and zone != seat and zone not in named:
        return f"the request does not name the {zone} zone"
    if named and zone not in named and not named <= {"front", "all"}:
        return f"the request names {', '.join(sorted(named))}, not {zone}"
    # "the back right passenger" names one rear seat: a front zone is not what was meant.
    rear_seats = named & {"rear_left", "rear_right"}
    if rear_seats and zone not in {*rear_seats, "rear", "all"}:
        return f"the request names the {', '.join(sorted(rear_seats))} seat, not {zone}"
    return None
