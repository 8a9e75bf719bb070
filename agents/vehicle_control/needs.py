"""Needs said indirectly ("I'm cold", "it's stuffy", "the sun is in my eyes"), and the devices that
meet them: one table.

A grammar block says which need its sentences express (``metadata: {need: <name>}``) and the zone it
is felt in (slot ``zone``: the speaker by default, "the kids in the back" the rear); :data:`NEEDS`
says what the car does about each need, as tool calls where ``$zone`` is that zone. The sentences are
phrasings; what fixes a need is decided here only, so the same need is met the same way however it is
said.

Kinds of need: air quality (``stuffy``, ``smell_outside``, ``dust``), temperature (``cold``, ``hot``,
``cold_hands``), visibility (``fog_front``, ``fog_rear``, ``fog_mirrors``, ``rain``, ``heavy_rain``),
light (``glare``, ``glare_rear``, ``dark_inside``, ``dark_outside``, ``dazzling``), noise (``noise``,
``draft``) and comfort (``back_pain``).
"""

from __future__ import annotations

from typing import Final

from pydantic import JsonValue

__all__ = ["NEEDS", "ZONE", "calls_for"]

ZONE: Final = "$zone"
"""In an argument of :data:`NEEDS`: the zone the need is felt in."""

_Call = tuple[str, dict[str, JsonValue]]

NEEDS: Final[dict[str, tuple[_Call, ...]]] = {
    # temperature
    "cold": (
        ("set_cabin_temperature", {"zone": ZONE, "delta": 2}),
        ("set_seat_heating", {"seat": ZONE, "level": 2}),
    ),
    "hot": (("set_cabin_temperature", {"zone": ZONE, "delta": -2}),),
    "cold_hands": (("set_steering_wheel_heating", {"on": True}),),
    # air quality
    "stuffy": (
        ("set_fan", {"zone": ZONE, "delta": 20}),
        ("set_window", {"window": ZONE, "action": "vent"}),
    ),
    "smell_outside": (("set_recirculation", {"on": True}),),
    "dust": (("set_recirculation", {"on": True}),),
    # visibility
    "fog_front": (("set_defrost", {"where": "front", "on": True}),),
    "fog_rear": (("set_defrost", {"where": "rear", "on": True}),),
    "fog_mirrors": (("set_mirror_heating", {"on": True}),),
    "rain": (
        ("set_window", {"window": "all", "action": "close"}),
        ("set_sunroof", {"action": "close"}),
        ("set_wipers", {"mode": "auto"}),
    ),
    "heavy_rain": (
        ("set_window", {"window": "all", "action": "close"}),
        ("set_sunroof", {"action": "close"}),
        ("set_wipers", {"mode": "fast"}),
    ),
    # light
    "glare": (("set_sunshade", {"action": "close", "rear": False}),),
    "glare_rear": (("set_sunshade", {"action": "close", "rear": True}),),
    "dark_inside": (("set_lights", {"light": "dome", "on": True}),),
    "dark_outside": (("set_lights", {"light": "low_beam", "on": True}),),
    "dazzling": (("set_lights", {"light": "high_beam", "on": False}),),
    # noise
    "noise": (("set_window", {"window": "all", "action": "close"}),),
    "draft": (("set_window", {"window": ZONE, "action": "close"}),),
    # comfort
    "back_pain": (("set_seat_massage", {"seat": ZONE, "level": 50}),),
}
"""Each need and the calls that meet it (tool, arguments; ``$zone``: where it is felt)."""


def calls_for(need: str) -> tuple[_Call, ...] | None:
    """The calls that meet `need` (arguments may hold :data:`ZONE`); None for no need of the table."""
    return NEEDS.get(need)
