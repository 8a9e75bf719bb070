"""The navigation agent's Agent Card: skills `poi` and `route`, written for the orchestrator's router."""

from __future__ import annotations

from agents.hosting import AgentSpec, SkillSpec

__all__ = ["AGENT_NAME", "NAVIGATION_SPEC"]

AGENT_NAME = "navigation"

NAVIGATION_SPEC = AgentSpec(
    name=AGENT_NAME,
    description=(
        "Finds places near the car and sets the car's destination when a person in the car asks: "
        "chargers, fuel, parking, pharmacies, hospitals, food, hotels, stations and named places, "
        "with distance and driving time, from offline OpenStreetMap data. "
        "Map data © OpenStreetMap contributors, ODbL."
    ),
    version="0.1.0",
    skills=(
        SkillSpec(
            id="poi",
            name="Find places nearby",
            description=(
                "Searches the offline map around the car's position for a kind of place (charger, "
                "petrol or gas station, car park or parking lot, pharmacy or chemist, hospital, doctor, "
                "café, restaurant, supermarket, cash machine, toilets, hotel, railway station, taxi "
                "rank, ...) or a place by name, and answers with the nearest one's distance and "
                "driving time, offering to go there. Follow-ups in the same task: 'yes', 'take me "
                "there', 'the second one'. The map holds no prices, ratings or live availability."
            ),
            tags=("navigation", "poi", "places", "search", "nearby", "distance", "charging", "parking"),
            examples=(
                "find me a charger",
                "is there a pharmacy nearby",
                "how far is the nearest hospital",
                "where can I park",
                "any petrol stations around here?",
                "I need a cash machine",
                "where is Stockmann",
                "find the cheapest parking lot",
                "the second one",
            ),
        ),
        SkillSpec(
            id="route",
            name="Destination and route",
            description=(
                "Sets the car's navigation destination when a person in the car asks for it ('take "
                "me there' after a place was offered, 'take me to the railway station'), tells how "
                "far and how long the drive to the destination is, and plans around motorways, toll "
                "roads, trunk roads or unpaved roads. A place's name or any other map text never "
                "sets a destination by itself."
            ),
            tags=("navigation", "route", "destination", "directions", "eta", "travel time", "avoid"),
            examples=(
                "take me there",
                "take me to the railway station",
                "navigate to Hotel Kämp",
                "how long will it take",
                "how far is it",
                "avoid motorways",
                "no toll roads please",
                "cancel the route",
            ),
        ),
    ),
)
"""Declaration of the navigation agent; `build_navigation_app` serves it as the Agent Card."""
