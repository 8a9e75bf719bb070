"""The vehicle-control A2A agent: a person's request in, vehicle MCP tool calls out.

Understanding is deterministic first (`TemplateParser`: hassil sentence templates in
`grammar/sentences.yaml`), then the on-device model (`ModelInterpreter`: schema-constrained
generation over the vehicle tools, acted on only when the request grounds it), then an honest "I can't
do that". Acting goes through the official MCP client (`VehicleLink`) so the vehicle server's
guardrails decide every change; the reply reports each decision (`ActionReport`). Confirmations are
A2A input-required turns. `build_vehicle_control_app` assembles it; `python -m agents.vehicle_control`
serves it.
"""

from agents.vehicle_control.actions import (
    AGENT_TOOLS,
    Action,
    ActionReport,
    Outcome,
    ToolCatalog,
    WriteResult,
)
from agents.vehicle_control.app import HEALTH_PATH, VehicleControlApp, build_vehicle_control_app
from agents.vehicle_control.card import VEHICLE_CONTROL_SPEC
from agents.vehicle_control.dialogue import ConversationMemory, PendingConfirmation, classify_answer
from agents.vehicle_control.errors import (
    InvalidActionError,
    SetupError,
    VehicleControlError,
    VehicleUnavailableError,
)
from agents.vehicle_control.executor import VehicleControlExecutor, call_meta
from agents.vehicle_control.interpreter import Interpretation, ModelInterpreter, RuntimeSource
from agents.vehicle_control.link import ToolError, VehicleLink
from agents.vehicle_control.parser import SENTENCES, Parse, TemplateParser

__all__ = [
    "AGENT_TOOLS",
    "HEALTH_PATH",
    "SENTENCES",
    "VEHICLE_CONTROL_SPEC",
    "Action",
    "ActionReport",
    "ConversationMemory",
    "Interpretation",
    "InvalidActionError",
    "ModelInterpreter",
    "Outcome",
    "Parse",
    "PendingConfirmation",
    "RuntimeSource",
    "SetupError",
    "TemplateParser",
    "ToolCatalog",
    "ToolError",
    "VehicleControlApp",
    "VehicleControlError",
    "VehicleControlExecutor",
    "VehicleLink",
    "VehicleUnavailableError",
    "WriteResult",
    "build_vehicle_control_app",
    "call_meta",
    "classify_answer",
]
