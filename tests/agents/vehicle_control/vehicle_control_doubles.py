"""Shared helpers of the vehicle-control tests."""

from __future__ import annotations

from typing import Any

from agents.hosting import AgentResult
from mcp_servers.vehicle.backends.simulator import SimulatorBackend

BASE_URL = "http://vehicle-control.test"
TOKEN = "test-token-vehicle-control-0123456789"

DRIVER_TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
PASSENGER_TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature"
MOVING = {"Vehicle.Speed": 50.0, "Vehicle.Powertrain.Transmission.SelectedGear": 127}
OCCUPANT = {"origin": "occupant"}


class ManualClock:
    """A clock the test moves forward (guardrail confirmations expire on it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def requested(backend: SimulatorBackend, path: str) -> Any:
    """What the car was last asked to do with `path` (its target), else its current value."""
    target = (await backend.get_target([path]))[path]
    if target is not None:
        return target
    return (await backend.get_current([path]))[path]


def actions(result: AgentResult) -> list[dict[str, Any]]:
    """The `actions` of a reply's data part."""
    assert result.data is not None
    listed = result.data["actions"]
    assert isinstance(listed, list)
    return [dict(item) for item in listed if isinstance(item, dict)]
