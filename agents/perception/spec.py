"""The Agent Card of the perception-summary agent: three skills the orchestrator's router reads."""

from __future__ import annotations

from agents.hosting import AgentSpec, SkillSpec

__all__ = ["AGENT_NAME", "DEFAULT_PORT", "PERCEPTION_SPEC"]

AGENT_NAME = "perception-summary"
DEFAULT_PORT = 8713

PERCEPTION_SPEC = AgentSpec(
    name=AGENT_NAME,
    description=(
        "Tells the driver what the car's perception sees and how alert the driver seems: objects "
        "around the car, blind spots, lane changes, traffic signs and speed limits, fatigue and "
        "breaks. Answers are short while the car is not parked and name only what was perceived."
    ),
    version="0.1.0",
    skills=(
        SkillSpec(
            id="surroundings",
            name="What is around the car",
            description=(
                "Objects around the car from its perception: what is ahead, behind, left or right, "
                "what is in the blind spots, and whether anything is in the way of a lane change."
            ),
            tags=("perception", "surroundings", "blind spot", "lane change", "objects"),
            examples=(
                "what's around me",
                "anything in my blind spot",
                "is it safe to change lanes",
                "what's ahead",
                "is there anything on my right",
            ),
        ),
        SkillSpec(
            id="signs",
            name="Traffic signs",
            description=(
                "Traffic signs the car recognised and the text on them, read from the camera image "
                "on the car; the speed limit in force; whether the signs allow parking or stopping here."
            ),
            tags=("perception", "signs", "speed limit", "ocr"),
            examples=(
                "what did that sign say",
                "what's the speed limit",
                "am I speeding",
                "any signs",
                "can I park here",
            ),
        ),
        SkillSpec(
            id="driver",
            name="Driver alertness",
            description=(
                "How alert the driver seems from the car's driver monitoring (fatigue, attentiveness, "
                "eyes on the road), and whether to take a break; a driver who feels unwell is told to "
                "pull over."
            ),
            tags=("driver", "fatigue", "attention", "break"),
            examples=("am I looking tired", "should I take a break", "am I distracted", "I'm tired"),
        ),
    ),
)
