"""A request over every device when the car's state cannot be read: every call is made, as before (they
change nothing that is already so), each still judged by the guardrails, and the reply claims nothing
about what was already so."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import devices
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Value
from mcp_servers.vehicle.errors import BackendError
from mcp_servers.vehicle.guardrails import AuditLog, Guardrails
from mcp_servers.vehicle.service import VehicleService

from .vehicle_control_doubles import OCCUPANT, ManualClock, actions, requested

WINDOWS = [
    "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position",
    "Vehicle.Cabin.Door.Row1.PassengerSide.Window.Position",
    "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position",
    "Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position",
]


class UnreadableService(VehicleService):
    """The vehicle service of a car whose signals cannot be read (`get_signals` fails, as when the
    data broker does not answer); writes go through the guardrails as ever."""

    async def get_signals(self, paths: Sequence[str]) -> dict[str, Value | None]:
        raise BackendError("the data broker did not answer")


@pytest.fixture
def service(backend: SimulatorBackend, clock: ManualClock) -> VehicleService:
    return UnreadableService(backend, Guardrails(backend.catalog, clock=clock), AuditLog(None))


@pytest.mark.parametrize(
    "initial_state", [{"Vehicle.Cabin.Door.Row1.DriverSide.Window.Position": 60}], indirect=True
)
async def test_close_everything_without_the_state_closes_every_window(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    result = await agent.send_text("close everything", seat="driver", **OCCUPANT)

    assert result.state == "completed"
    calls = [(action["tool"], action["arguments"]) for action in actions(result)]
    assert calls == [(tool, arguments) for tool, arguments in devices.every_actions("close")]
    assert all(action["outcome"] == "applied" for action in actions(result))
    assert [await requested(backend, path) for path in WINDOWS] == [0, 0, 0, 0]
    assert result.data is not None and "unchanged" not in result.data
    assert "already" not in result.text
    assert result.text.startswith("All windows")
