"""The vehicle-control agent's Agent Card: its six skills, as the orchestrator's router sees them."""

from __future__ import annotations

from agents.hosting import AgentSpec, SkillSpec

__all__ = ["VEHICLE_CONTROL_SPEC"]

VEHICLE_CONTROL_SPEC = AgentSpec(
    name="vehicle-control",
    description=(
        "Changes the car's comfort and body functions for the people inside: climate per zone, seats, "
        "windows and sunroof, doors and trunk, lights and wipers, and the media volume. Every change goes "
        "through the vehicle's safety guardrails; refusals and confirmation questions are reported as "
        "they are."
    ),
    skills=(
        SkillSpec(
            id="climate",
            name="Climate",
            description=(
                "Cabin temperature per zone (absolute or warmer/cooler), fan speed, A/C, air direction, "
                "recirculation and defrost; also feeling hot or cold, stuffy air and fogged-up glass."
            ),
            tags=("climate", "temperature", "hvac", "fan", "air conditioning", "defrost"),
            examples=(
                "set the driver temperature to 22 degrees",
                "make it a bit warmer on the passenger side",
                "I'm freezing",
                "the windshield is fogged up",
                "turn the fan up",
                "switch off the A/C",
                "it's stuffy in here",
            ),
        ),
        SkillSpec(
            id="seats",
            name="Seats",
            description="Seat heating, seat ventilation and massage per seat, and steering-wheel heating.",
            tags=("seats", "seat heating", "seat ventilation", "massage", "steering wheel"),
            examples=(
                "turn on my seat heating",
                "set the passenger seat heating to high",
                "cool my seat",
                "my back is killing me",
                "heat the steering wheel",
                "seat heat off for the rear left",
            ),
        ),
        SkillSpec(
            id="windows",
            name="Windows, sunroof and shades",
            description=(
                "Open, close or set windows per seat or all at once, the sunroof and its sunshade, and the "
                "rear shade; also closing up for rain and letting fresh air in."
            ),
            tags=("windows", "sunroof", "sunshade", "rain"),
            examples=(
                "open my window halfway",
                "close all windows",
                "rear left window down",
                "crack the window a bit",
                "open the sunroof",
                "it's pouring",
            ),
        ),
        SkillSpec(
            id="doors",
            name="Doors, locks, trunk and mirrors",
            description=(
                "Lock and unlock the doors (unlocking asks first), open or close a door, the trunk; "
                "fold the side mirrors in or out."
            ),
            tags=("doors", "locks", "trunk", "liftgate", "mirrors"),
            examples=(
                "lock the car",
                "unlock the doors",
                "open the trunk",
                "pop the boot",
                "close the passenger door",
                "lock my door",
                "fold the mirrors",
            ),
        ),
        SkillSpec(
            id="lights",
            name="Lights and wipers",
            description=(
                "Headlights, high beams, fog lights, hazard lights, parking, interior and ambient lights, "
                "and the front and rear wipers."
            ),
            tags=("lights", "headlights", "hazard lights", "wipers"),
            examples=(
                "lights on",
                "turn on the hazard lights",
                "dip the headlights",
                "wipers on fast",
                "turn off the interior light",
                "rear wiper on",
            ),
        ),
        SkillSpec(
            id="media",
            name="Media volume",
            description="The media volume only: set it, turn it up or down, mute.",
            tags=("media", "volume", "audio"),
            examples=("volume 30", "turn it up", "a bit quieter", "mute the sound", "it's way too loud"),
        ),
    ),
)
"""The card of the vehicle-control agent (skill ids: climate, seats, windows, doors, lights, media)."""
