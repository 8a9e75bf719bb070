"""What people ask of a car that this car cannot do, and how to say so.

Some requests are plainly for this agent but name something the car has no tool for: the child locks,
the screen washer, the seat position, a front trunk. The grammar reads them (intents whose block
metadata says ``lacking: <feature>``), so that they reach this agent and are answered in plain words
("I can't work the child locks in this car.") instead of a guess or "I can't do that yet". Nothing is
ever called for them. :data:`FEATURES` holds each feature's sentence, once. Pure.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FEATURES", "sentence"]

FEATURES: Final[dict[str, str]] = {
    "child_locks": "I can't work the child locks in this car; they're set on the rear doors themselves.",
    "front_trunk": "This car has no front trunk I can open; I can open the trunk at the back.",
    "washer": "I can't run the screen washer in this car; I can only set the wipers.",
    "seat_position": "I can't move the seats in this car; the seat controls are on the seat.",
    "lumbar": "I can't change the lumbar support in this car; the seat controls are on the seat.",
    "light_colour": "I can't change the colour of the ambient light in this car, only switch it on or off.",
    "sunroof_position": (
        "I can't stop the sunroof part of the way in this car; I can open it, tilt it or close it, "
        "and set the sunshade to any position."
    ),
    "unmute": "There's no mute I can lift in this car; tell me how loud you want it, say 30 percent.",
    "copy_what": (
        "I'm not sure which setting to copy; say which, for example the temperature or the seat heating."
    ),
}
"""Per feature the car lacks, what the person hears: what was not done, why, and what can be."""


def sentence(feature: str) -> str:
    """The spoken sentence for a feature the car lacks (a plain fallback for one not in the table)."""
    return FEATURES.get(feature, "I can't do that in this car.")
