"""The navigation agent: places near the car, routes, and the car's destination, over A2A v1.0.

"Find me a charger", "is there a pharmacy nearby", "how far is the nearest hospital", "take me
there", "take me to the railway station", "how long will it take", "avoid motorways". The agent
reads the car's position through the vehicle MCP server, searches and routes through the
navigation map MCP server (offline OpenStreetMap data), answers in short spoken sentences with a
data part, and sets the destination through the vehicle MCP server only when a person in the car
asked for it (docs/safety.md GR-18). Skills: `poi` and `route`.

Map data © OpenStreetMap contributors, ODbL.
"""

from agents.navigation.app import DEFAULT_PORT, NavigationApp, build_navigation_app
from agents.navigation.card import NAVIGATION_SPEC
from agents.navigation.dialogue import ATTRIBUTION, ActionRecord, DialogueState, PoiView, RouteView, TurnData
from agents.navigation.errors import (
    NavigationAgentError,
    ServiceError,
    ServiceUnavailable,
    SettingsError,
    ToolFailed,
    UnderstandingError,
)
from agents.navigation.executor import NavigationExecutor
from agents.navigation.services import McpTarget
from agents.navigation.understanding import Understanding, understand_intent, understand_text

__all__ = [
    "ATTRIBUTION",
    "DEFAULT_PORT",
    "NAVIGATION_SPEC",
    "ActionRecord",
    "DialogueState",
    "McpTarget",
    "NavigationAgentError",
    "NavigationApp",
    "NavigationExecutor",
    "PoiView",
    "RouteView",
    "ServiceError",
    "ServiceUnavailable",
    "SettingsError",
    "ToolFailed",
    "TurnData",
    "Understanding",
    "UnderstandingError",
    "build_navigation_app",
    "understand_intent",
    "understand_text",
]
