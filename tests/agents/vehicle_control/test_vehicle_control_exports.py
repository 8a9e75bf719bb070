"""The package's public surface is deliberate: pin it."""

from __future__ import annotations

import agents.vehicle_control as package


def test_public_names() -> None:
    assert sorted(package.__all__) == sorted(
        [
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
    )
    assert all(hasattr(package, name) for name in package.__all__)


def test_one_exception_tree() -> None:
    for name in ("SetupError", "InvalidActionError", "VehicleUnavailableError"):
        assert issubclass(getattr(package, name), package.VehicleControlError)
    assert issubclass(package.SetupError, ValueError)
