"""The task tools of media playback, the navigation voice, mirror heating, the window child lock and the
hood: each writes its own VSS actuator through the guarded write, under the rules that guard it
(GR-06: the hood opens only when parked; GR-15: only the driver changes the window child lock)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend

from .conftest import IDLING, MOVING, PASSENGER, call

pytestmark = pytest.mark.anyio  # its MCP Client fixture is entered and left in one task (docs/testing.md)

HOOD = "Vehicle.Body.Hood.IsOpen"
CHILD_LOCK = "Vehicle.Cabin.IsWindowChildLockEngaged"
MEDIA_ACTION = "Vehicle.Cabin.Infotainment.Media.Action"
MEDIA_VOLUME = "Vehicle.Cabin.Infotainment.Media.Volume"
NAV_VOLUME = "Vehicle.Cabin.Infotainment.Navigation.Volume"
NAV_MUTE = "Vehicle.Cabin.Infotainment.Navigation.Mute"
MIRRORS = ("Vehicle.Body.Mirrors.DriverSide.IsHeatingOn", "Vehicle.Body.Mirrors.PassengerSide.IsHeatingOn")
REAR_LEFT: dict[str, Any] = {"cabin/seat": "rear_left", "cabin/origin": "occupant"}
REAR_RIGHT: dict[str, Any] = {"cabin/seat": "rear_right", "cabin/origin": "occupant"}
PARKED_AT_REST = {"Vehicle.Speed": 0.0, "Vehicle.Powertrain.Transmission.SelectedGear": 126}


def rule_ids(result: dict[str, Any]) -> set[str]:
    return {r["rule_id"] for r in result["refused"]}


@pytest.mark.parametrize(
    ("action", "value"),
    [
        ("play", "PLAY"),
        ("pause", "STOP"),
        ("stop", "STOP"),
        ("next", "SKIP_FORWARD"),
        ("previous", "SKIP_BACKWARD"),
        ("fast_forward", "FAST_FORWARD"),
        ("rewind", "FAST_BACKWARD"),
    ],
)
async def test_playback_writes_the_media_action(
    client: Client, backend: SimulatorBackend, action: str, value: str
) -> None:
    result = await call(client, "set_media_playback", {"action": action}, meta=REAR_LEFT)
    assert result["applied"] == {MEDIA_ACTION: value}
    assert (await backend.get_current([MEDIA_ACTION, MEDIA_VOLUME]))[MEDIA_VOLUME] == 30


async def test_the_navigation_voice_is_apart_from_the_media_volume(
    client: Client, backend: SimulatorBackend
) -> None:
    assert (await call(client, "set_navigation_guidance", {"mode": "muted"}))["applied"] == {
        NAV_MUTE: "MUTED"
    }
    assert (await call(client, "set_navigation_guidance", {"mode": "alerts_only"}))["applied"] == {
        NAV_MUTE: "ALERT_ONLY"
    }
    assert (await call(client, "set_navigation_volume", {"delta": -10}))["applied"] == {NAV_VOLUME: 40}
    assert (await call(client, "set_navigation_volume", {"percent": 70}))["applied"] == {NAV_VOLUME: 70}
    now = await backend.get_current([MEDIA_VOLUME, NAV_VOLUME, NAV_MUTE])
    assert now == {MEDIA_VOLUME: 30, NAV_VOLUME: 70, NAV_MUTE: "ALERT_ONLY"}


async def test_the_navigation_volume_takes_exactly_one_of_percent_or_delta(client: Client) -> None:
    result = await client.call_tool(
        "set_navigation_volume", {"percent": 20, "delta": 5}, meta={"cabin/seat": "driver"}
    )
    assert result.is_error
    assert "exactly one of percent or delta" in str(result.content)


async def test_mirror_heating_heats_both_mirrors(client: Client, backend: SimulatorBackend) -> None:
    result = await call(client, "set_mirror_heating", {"on": True})
    assert result["applied"] == dict.fromkeys(MIRRORS, True)
    assert (await call(client, "set_mirror_heating", {"on": False}))["applied"] == dict.fromkeys(
        MIRRORS, False
    )


@pytest.mark.rule("GR-15")
async def test_gr15_only_the_driver_changes_the_window_child_lock(
    client: Client, backend: SimulatorBackend
) -> None:
    assert (await call(client, "set_window_child_lock", {"on": True}))["applied"] == {CHILD_LOCK: True}
    for meta in (REAR_LEFT, REAR_RIGHT, PASSENGER):
        result = await call(client, "set_window_child_lock", {"on": False}, meta=meta)
        assert rule_ids(result) == {"GR-15"}, meta
        assert result["applied"] == {}
    assert (await backend.get_current([CHILD_LOCK]))[CHILD_LOCK] is True
    # Best effort changes nothing either: the lock is the only thing asked for.
    result = await call(
        client, "set_window_child_lock", {"on": False}, meta={**REAR_LEFT, "cabin/best_effort": True}
    )
    assert result["applied"] == {}
    assert (await backend.get_current([CHILD_LOCK]))[CHILD_LOCK] is True
    # The driver releases it, parked or moving.
    await backend.inject(MOVING)
    assert (await call(client, "set_window_child_lock", {"on": False}))["applied"] == {CHILD_LOCK: False}


@pytest.mark.rule("GR-15")
async def test_gr15_a_passenger_cannot_engage_the_window_child_lock_either(
    client: Client, backend: SimulatorBackend
) -> None:
    result = await call(client, "set_window_child_lock", {"on": True}, meta=PASSENGER)
    assert rule_ids(result) == {"GR-15"}
    assert (await backend.get_current([CHILD_LOCK]))[CHILD_LOCK] is False


@pytest.mark.rule("GR-15")
@pytest.mark.rule("GR-21")
async def test_gr15_gr21_with_the_lock_on_the_back_seat_moves_no_rear_window(
    client: Client, backend: SimulatorBackend
) -> None:
    await call(client, "set_window_child_lock", {"on": True})
    result = await call(client, "set_window", {"action": "open"}, meta=REAR_LEFT)
    assert rule_ids(result) == {"GR-21"}
    assert result["applied"] == {}


@pytest.mark.rule("GR-06")
@pytest.mark.parametrize("state", [MOVING, IDLING, {"Vehicle.Speed": -3.0}])
async def test_gr06_the_hood_stays_shut_unless_parked(
    client: Client, backend: SimulatorBackend, state: dict[str, Any]
) -> None:
    await backend.inject(state)
    result = await call(client, "set_hood", {"open": True})
    assert rule_ids(result) == {"GR-06"}
    assert "hood" in result["refused"][0]["reason"]
    assert (await backend.get_current([HOOD]))[HOOD] is False


@pytest.mark.rule("GR-06")
async def test_gr06_the_hood_opens_when_parked_and_closes_any_time(
    client: Client, backend: SimulatorBackend
) -> None:
    await backend.inject(PARKED_AT_REST)
    assert (await call(client, "set_hood", {"open": True}))["applied"] == {HOOD: True}
    await backend.inject(MOVING)
    assert (await call(client, "set_hood", {"open": False}))["applied"] == {HOOD: False}


@pytest.mark.rule("GR-01")
async def test_gr01_the_door_child_locks_stay_read_only(client: Client) -> None:
    result = await call(
        client, "set_signals", {"values": {"Vehicle.Cabin.Door.Row2.DriverSide.IsChildLockActive": True}}
    )
    assert rule_ids(result) == {"GR-01"}
