"""The perception-summary agent: what the car sees around it, road signs, and how alert the driver seems.

A standalone A2A v1.0 agent on `agents.hosting`. A question ("anything in my blind spot?") is
understood deterministically (`parse_question`, or the orchestrator's parsed intent), the facts it
needs are read from the perception MCP server (objects, signs, on-device OCR of the camera image)
and the vehicle MCP server (`Vehicle.Driver.*`, speed, gear), and the spoken answer is written from
those facts alone (`compose`), short while the car is not parked (GR-12) or the driver is tired or
inattentive (GR-14), saying so where a fact is missing (GR-19). The on-device model may rephrase
answers about objects; its sentence is used only when it names nothing the facts do not hold.

`build_perception_app` builds the ASGI app; `python -m agents.perception` serves it.
"""

from agents.perception.app import HEALTH_PATH, PerceptionApplication, build_perception_app
from agents.perception.errors import (
    FeedError,
    FeedToolError,
    FeedUnreachableError,
    PerceptionAgentError,
    SettingsError,
)
from agents.perception.executor import PHRASED_KINDS, PerceptionExecutor
from agents.perception.facts import (
    DRIVER_SIGNALS,
    DriverState,
    Facts,
    Gap,
    ObjectsView,
    SeenObject,
    SeenSign,
    SignReading,
    SignsView,
)
from agents.perception.feeds import FactReader, McpTarget, mcp_endpoint
from agents.perception.grounding import grounding_problems
from agents.perception.phrasing import ModelPhraser, Phrasing
from agents.perception.spec import AGENT_NAME, DEFAULT_PORT, PERCEPTION_SPEC
from agents.perception.summary import (
    Answer,
    DriverAssessment,
    Policy,
    SummarySettings,
    assess_driver,
    compose,
    policy_of,
)
from agents.perception.understanding import (
    SKILL_OF_KIND,
    Ask,
    AskKind,
    IntentError,
    ask_from_intent,
    parse_question,
)

__all__ = [
    "AGENT_NAME",
    "DEFAULT_PORT",
    "DRIVER_SIGNALS",
    "HEALTH_PATH",
    "PERCEPTION_SPEC",
    "PHRASED_KINDS",
    "SKILL_OF_KIND",
    "Answer",
    "Ask",
    "AskKind",
    "DriverAssessment",
    "DriverState",
    "FactReader",
    "Facts",
    "FeedError",
    "FeedToolError",
    "FeedUnreachableError",
    "Gap",
    "IntentError",
    "McpTarget",
    "ModelPhraser",
    "ObjectsView",
    "PerceptionAgentError",
    "PerceptionApplication",
    "PerceptionExecutor",
    "Phrasing",
    "Policy",
    "SeenObject",
    "SeenSign",
    "SettingsError",
    "SignReading",
    "SignsView",
    "SummarySettings",
    "ask_from_intent",
    "assess_driver",
    "build_perception_app",
    "compose",
    "grounding_problems",
    "mcp_endpoint",
    "parse_question",
    "policy_of",
]
