"""The embedded simulator: defaults, dynamics on the virtual clock, subscriptions."""

from __future__ import annotations

import pytest

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.errors import BackendError, InvalidValue

WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"


async def test_default_state_matches_the_contract(backend: SimulatorBackend) -> None:
    state = await backend.get_current(
        [
            "Vehicle.Speed",
            "Vehicle.Powertrain.Transmission.SelectedGear",
            "Vehicle.LowVoltageSystemState",
            "Vehicle.Cabin.Door.Row1.DriverSide.IsLocked",
            "Vehicle.Cabin.Door.Row2.PassengerSide.IsOpen",
            WINDOW,
            "Vehicle.Cabin.Sunroof.Position",
            "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature",
            "Vehicle.Cabin.Seat.Row1.DriverSide.IsBelted",
            "Vehicle.Body.Lights.Beam.Low.IsOn",
        ]
    )
    assert list(state.values()) == [0.0, 126, "ON", True, False, 0, 0, 21.0, True, False]


async def test_window_moves_about_ten_percent_per_second(backend: SimulatorBackend) -> None:
    await backend.set_targets({WINDOW: 100})
    backend.advance_now(3.0)
    assert (await backend.get_current([WINDOW]))[WINDOW] == 30
    assert (await backend.get_target([WINDOW]))[WINDOW] == 100
    assert WINDOW in backend.moving_parts()
    waited = await backend.settle()
    assert (await backend.get_current([WINDOW]))[WINDOW] == 100
    assert waited == pytest.approx(7.0, abs=0.5)
    assert backend.moving_parts() == []


async def test_sunroof_follows_its_switch_and_stops(backend: SimulatorBackend) -> None:
    await backend.set_targets({"Vehicle.Cabin.Sunroof.Switch": "OPEN"})
    backend.advance_now(4.0)
    await backend.set_targets({"Vehicle.Cabin.Sunroof.Switch": "INACTIVE"})
    backend.advance_now(4.0)
    assert (await backend.get_current(["Vehicle.Cabin.Sunroof.Position"]))[
        "Vehicle.Cabin.Sunroof.Position"
    ] == 40
    await backend.set_targets({"Vehicle.Cabin.Sunroof.Switch": "TILT_UP"})
    await backend.settle()
    assert (await backend.get_current(["Vehicle.Cabin.Sunroof.Position"]))[
        "Vehicle.Cabin.Sunroof.Position"
    ] == -100


async def test_cabin_air_drifts_toward_the_set_point(backend: SimulatorBackend) -> None:
    air = "Vehicle.Cabin.HVAC.AmbientAirTemperature"
    await backend.inject({air: 10.0})
    await backend.set_targets(
        {
            "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": 22.0,
            "Vehicle.Cabin.HVAC.Station.Row1.Passenger.Temperature": 22.0,
        }
    )
    backend.advance_now(60)
    first = (await backend.get_current([air]))[air]
    assert isinstance(first, float) and 10.0 < first < 22.0
    backend.advance_now(1200)
    assert (await backend.get_current([air]))[air] == 22.0


async def test_speed_drives_is_moving(backend: SimulatorBackend) -> None:
    await backend.inject({"Vehicle.Speed": 30.0})
    assert (await backend.get_current(["Vehicle.IsMoving"]))["Vehicle.IsMoving"] is True


async def test_subscribe_yields_initial_values_then_changes(backend: SimulatorBackend) -> None:
    stream = backend.subscribe([WINDOW, "Vehicle.Speed"])
    assert await anext(stream) == {WINDOW: 0, "Vehicle.Speed": 0.0}
    await backend.inject({"Vehicle.Speed": 12.0})
    assert await anext(stream) == {"Vehicle.Speed": 12.0}
    await backend.set_targets({WINDOW: 50})
    backend.advance_now(1.0)
    backend.advance_now(1.0)
    # A slow consumer gets the newest value, merged, not an unbounded backlog.
    assert await anext(stream) == {WINDOW: 20}
    await stream.aclose()


def test_initial_state_is_checked_against_the_catalog() -> None:
    with pytest.raises(InvalidValue, match=r"Vehicle\.Speed"):
        SimulatorBackend(Catalog.load(), {"Vehicle.Speed": "fast"})


def test_clock_cannot_go_backwards(backend: SimulatorBackend) -> None:
    with pytest.raises(ValueError, match="backwards"):
        backend.advance_now(-1)


DOOR = "Vehicle.Cabin.Door.Row1.DriverSide"


async def test_simulator_rejects_a_write_to_open_a_locked_door(backend: SimulatorBackend) -> None:
    before = backend.snapshot()
    with pytest.raises(BackendError, match=r"Row1\.DriverSide cannot be open and locked"):
        await backend.set_targets(
            {f"{DOOR}.IsOpen": True, "Vehicle.Cabin.HVAC.IsAirConditioningActive": True}
        )
    assert backend.snapshot() == before  # nothing of the write was applied


async def test_simulator_rejects_locking_an_open_door(backend: SimulatorBackend) -> None:
    await backend.set_targets({f"{DOOR}.IsLocked": False})
    await backend.set_targets({f"{DOOR}.IsOpen": True})
    with pytest.raises(BackendError, match="cannot be open and locked"):
        await backend.set_targets({f"{DOOR}.IsLocked": True})
    await backend.set_targets({f"{DOOR}.IsOpen": False, f"{DOOR}.IsLocked": True})
    assert await backend.get_current([f"{DOOR}.IsOpen", f"{DOOR}.IsLocked"]) == {
        f"{DOOR}.IsOpen": False,
        f"{DOOR}.IsLocked": True,
    }


async def test_simulator_injected_open_door_reads_unlocked(backend: SimulatorBackend) -> None:
    await backend.inject({f"{DOOR}.IsOpen": True})
    assert await backend.get_current([f"{DOOR}.IsOpen", f"{DOOR}.IsLocked"]) == {
        f"{DOOR}.IsOpen": True,
        f"{DOOR}.IsLocked": False,
    }


@pytest.mark.parametrize(
    "values",
    [
        {f"{DOOR}.IsOpen": True, f"{DOOR}.IsLocked": True},
        {"Vehicle.Body.Trunk.Rear.IsOpen": True, "Vehicle.Body.Trunk.Rear.IsLocked": True},
    ],
)
async def test_simulator_rejects_an_impossible_injection(
    backend: SimulatorBackend, values: dict[str, bool]
) -> None:
    before = backend.snapshot()
    with pytest.raises(BackendError, match="nothing injected"):
        await backend.inject(values)
    assert backend.snapshot() == before


def test_simulator_rejects_an_impossible_initial_state(catalog: Catalog) -> None:
    with pytest.raises(BackendError, match="cannot be open and locked"):
        SimulatorBackend(catalog, {f"{DOOR}.IsOpen": True, f"{DOOR}.IsLocked": True})


@pytest.mark.parametrize(("speed", "moving"), [(-5.0, True), (0.0, False), (30.0, True)])
async def test_simulator_is_moving_follows_speed_either_way(
    backend: SimulatorBackend, speed: float, moving: bool
) -> None:
    await backend.inject({"Vehicle.Speed": speed})
    assert (await backend.get_current(["Vehicle.IsMoving"]))["Vehicle.IsMoving"] is moving
