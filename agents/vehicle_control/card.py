"""The vehicle-control agent's Agent Card: its six skills, as the orchestrator's router sees them.

A skill's examples are the example sentences its tools declare (mcp_servers/vehicle/task_tools.py and
installed plugins, docs/extending.md), so a new tool shows on the card without editing it.
"""

from __future__ import annotations

from agents.hosting import AgentSpec, SkillSpec
from mcp_servers.vehicle.declarations import declarations

__all__ = ["VEHICLE_CONTROL_SPEC", "skill_examples"]


def skill_examples(skill: str) -> tuple[str, ...]:
    """The example sentences of every declared tool of ``skill``, in declaration order, once each."""
    found = (text for d in declarations() if d.skill == skill for text in d.examples)
    return tuple(dict.fromkeys(found))


VEHICLE_CONTROL_SPEC = AgentSpec(
    name="vehicle-control",
    description=(
        "Changes the car's comfort and body functions for the people inside: climate per zone, seats, "
        "windows and sunroof, doors and trunk, lights and wipers, and the media volume. Every change goes "
        "through the vehicle's safety guardrails; refusals and confirmation questions are reported as "
        "they are."
    ),
    intents_together=True,
    skills=(
        SkillSpec(
            id="climate",
            name="Climate",
            description=(
                "Cabin temperature per zone (absolute or warmer/cooler), fan speed, A/C, air direction, "
                "recirculation, defrost and mirror heating; also feeling hot or cold, stuffy air and "
                "fogged-up glass or mirrors."
            ),
            tags=("climate", "temperature", "hvac", "fan", "air conditioning", "defrost", "mirror heating"),
            examples=skill_examples("climate"),
        ),
        SkillSpec(
            id="seats",
            name="Seats",
            description="Seat heating, seat ventilation and massage per seat, and steering-wheel heating.",
            tags=("seats", "seat heating", "seat ventilation", "massage", "steering wheel"),
            examples=skill_examples("seats"),
        ),
        SkillSpec(
            id="windows",
            name="Windows, sunroof and shades",
            description=(
                "Open, close or set windows per seat or all at once, the sunroof and its sunshade, and the "
                "rear shade; the window child lock (the driver's alone); also closing up for rain and "
                "letting fresh air in."
            ),
            tags=("windows", "sunroof", "sunshade", "rain", "window child lock"),
            examples=skill_examples("windows"),
        ),
        SkillSpec(
            id="doors",
            name="Doors, locks, trunk, hood and mirrors",
            description=(
                "Lock and unlock the doors (unlocking asks first), open or close a door, the trunk or the "
                "hood (opening only when parked); fold the side mirrors in or out."
            ),
            tags=("doors", "locks", "trunk", "liftgate", "hood", "mirrors"),
            examples=skill_examples("doors"),
        ),
        SkillSpec(
            id="lights",
            name="Lights and wipers",
            description=(
                "Headlights, high beams, fog lights, hazard lights, parking, interior and ambient lights, "
                "and the front and rear wipers."
            ),
            tags=("lights", "headlights", "hazard lights", "wipers"),
            examples=skill_examples("lights"),
        ),
        SkillSpec(
            id="media",
            name="Music and the navigation voice",
            description=(
                "Pause, resume, skip or go back a track; the media volume: set it, turn it up or down, "
                "mute; the navigation voice apart from it: mute it, alerts only, louder or quieter."
            ),
            tags=("media", "volume", "audio", "playback", "navigation voice"),
            examples=skill_examples("media"),
        ),
    ),
)
"""The card of the vehicle-control agent (skill ids: climate, seats, windows, doors, lights, media)."""
