"""How the navigation agent says things: short, spoken-style sentences with distance and driving time.

Place names are map data: they are quoted into a sentence as they are (trimmed, control characters
removed, length capped) and never read as anything but a name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agents.navigation.dialogue import PoiView, RouteView
from agents.navigation.understanding import Unsupported
from agents.navigation.vocabulary import SPOKEN_AVOID

__all__ = [
    "MAX_NAME_CHARS",
    "UNSUPPORTED_LEADS",
    "avoid_names",
    "avoid_tail",
    "brief",
    "distance",
    "distance_and_time",
    "driving_time",
    "join_words",
    "label_with_article",
    "ordinal_word",
    "place_name",
    "route_sentence",
    "sentence_case",
    "spoken_label",
    "subject",
]

MAX_NAME_CHARS = 60
"""Longest place name spoken; longer names are cut at a word boundary."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_UPPER_WORDS = {"ev": "EV", "atm": "ATM", "wc": "WC", "gp": "GP", "a&e": "A&E", "b&b": "B&B"}
_ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def place_name(name: str | None) -> str | None:
    """A map name made safe to speak: one line, no control characters, at most `MAX_NAME_CHARS`."""
    if name is None:
        return None
    text = " ".join(_CONTROL.sub(" ", name).split())
    if not text:
        return None
    if len(text) > MAX_NAME_CHARS:
        text = text[:MAX_NAME_CHARS].rsplit(" ", 1)[0].rstrip(",;:-") + "…"
    return text


def distance(metres: float) -> str:
    """'240 metres', '1 kilometre', '2.4 kilometres' (rounded the way one would say it)."""
    if metres < 995:
        rounded = max(10, round(metres / 10.0) * 10)
        return f"{rounded} metres"
    kilometres = round(metres / 1000.0, 1 if metres < 9950 else 0)
    shown = f"{kilometres:.1f}".removesuffix(".0") if kilometres < 10 else f"{kilometres:.0f}"
    return "1 kilometre" if shown == "1" else f"{shown} kilometres"


def driving_time(seconds: float) -> str:
    """'under a minute', 'about 1 minute', 'about 12 minutes', 'about 1 hour 5 minutes'."""
    if seconds < 45:
        return "under a minute"
    minutes = max(1, round(seconds / 60.0))
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    hour_text = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"about {hour_text}" if rest == 0 else f"about {hour_text} {rest} minute{'s' if rest != 1 else ''}"


def spoken_label(words: str) -> str:
    """A category phrase as it is spoken ('ev charger' -> 'EV charger', 'fast_food' -> 'fast food')."""
    return " ".join(_UPPER_WORDS.get(word, word) for word in words.replace("_", " ").split())


def label_with_article(label: str) -> str:
    """'a charger', 'an EV charger', 'an ATM'."""
    first = label.split(" ", 1)[0]
    vowel_sound = (
        first[:1].lower() in "aeio" or first in {"EV", "ATM", "A&E", "u"} or first.startswith("hour")
    )
    return f"{'an' if vowel_sound else 'a'} {label}"


def ordinal_word(ordinal: int) -> str:
    """'first', 'second', ..., 'last'; larger numbers as 'number 7'."""
    return _ORDINAL_WORDS.get(ordinal, f"number {ordinal}")


def join_words(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def avoid_names(options: Sequence[str]) -> str:
    """Avoid options as spoken: 'motorways and toll roads'."""
    return join_words([SPOKEN_AVOID.get(option, option.replace("_", " ")) for option in options])


def sentence_case(text: str) -> str:
    """The text with its first letter capitalised."""
    return text[:1].upper() + text[1:]


UNSUPPORTED_LEADS: dict[Unsupported, str] = {
    "price": "I don't have prices",
    "rating": "I don't have ratings",
    "charging_speed": "I don't know how fast each charger is",
    "opening_hours": "I can't check opening hours",
}
"""How to say that the map cannot rank by what the person asked for."""


def subject(poi: PoiView, label: str | None, street: str | None) -> str:
    """How to name a place: its name; else 'the charger on Postikatu', 'the charger at <address>'."""
    name = place_name(poi.name)
    if name is not None:
        return name
    kind = label or "place"
    if street:
        return f"the {kind} on {place_name(street)}"
    address = place_name(poi.address)
    if address:
        return f"the {kind} at {address}"
    return f"the {kind}"


def distance_and_time(metres: float | None, seconds: float | None) -> str:
    """'240 metres, under a minute', '2.1 kilometres', 'about 3 minutes' (whatever is known)."""
    parts = []
    if metres is not None:
        parts.append(distance(metres))
    if seconds is not None:
        parts.append(driving_time(seconds))
    return ", ".join(parts)


def avoid_tail(route: RouteView) -> str:
    """What the avoid options did, as the end of a sentence (', avoiding motorways'), or ''."""
    changed = [effect.option for effect in route.avoid if effect.effect == "changed_route"]
    unaffected = [effect.option for effect in route.avoid if effect.effect == "route_unaffected"]
    missing = [effect.option for effect in route.avoid if effect.effect == "no_such_roads_in_map"]
    if changed:
        return f", avoiding {avoid_names(changed)}"
    if unaffected:
        return f", with no {avoid_names(unaffected)} on the way"
    if missing:
        return f"; the map has no {avoid_names(missing)} around here"
    return ""


def route_sentence(what: str, route: RouteView) -> str:
    """'Kluuvin Apteekki is 360 metres, about 1 minute away.', with what the avoid options did."""
    metrics = distance_and_time(route.distance_m, route.duration_s)
    changed = [effect.option for effect in route.avoid if effect.effect == "changed_route"]
    unaffected = [effect.option for effect in route.avoid if effect.effect == "route_unaffected"]
    missing = [effect.option for effect in route.avoid if effect.effect == "no_such_roads_in_map"]
    if changed:
        return f"Avoiding {avoid_names(changed)}, {what} is {metrics} away."
    if unaffected:
        return f"The fastest route to {what} has no {avoid_names(unaffected)} anyway: {metrics}."
    if missing:
        return f"The map has no {avoid_names(missing)} around here, so the route to {what} stays {metrics}."
    return f"{sentence_case(what)} is {metrics} away."


def brief(sentences: Sequence[str], *, restricted: bool) -> str:
    """The sentences as one reply, a question always last. While the car is not parked (GR-12) at
    most two are kept: the first statement (the answer) and the last question (if any)."""
    kept = [sentence for sentence in sentences if sentence]
    questions = [sentence for sentence in kept if sentence.rstrip().endswith("?")]
    statements = [sentence for sentence in kept if not sentence.rstrip().endswith("?")]
    if restricted:
        statements, questions = statements[:1], questions[-1:]
    return " ".join(statements + questions)
