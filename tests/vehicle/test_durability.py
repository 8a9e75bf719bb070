"""Durability of the vehicle server without processes: the write-ahead audit (GR-20) and the kept state
of the simulated car (``--persist``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from mcp_servers.vehicle.app import VehicleApp, VehicleConfig
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog, Value
from mcp_servers.vehicle.errors import BackendError
from mcp_servers.vehicle.guardrails import DEFAULT_PROFILES, AuditLog, CallContext, read_audit
from mcp_servers.vehicle.guardrails.audit import records_after, unfinished_intents
from mcp_servers.vehicle.service import VehicleService
from mcp_servers.vehicle.state_file import StateKeeper

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
WINDOW = "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
DRIVER = CallContext(DEFAULT_PROFILES["operator"], "driver", "occupant")


class BrokenBackend(SimulatorBackend):
    async def set_targets(self, values: Mapping[str, Value]) -> None:
        raise BackendError("the broker went away")


# -- the write-ahead audit ---------------------------------------------------------------------------


@pytest.mark.rule("GR-20")
async def test_gr20_an_intent_is_written_before_every_write_and_paired_with_its_outcome(
    tmp_path: Path,
) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    service = VehicleService(SimulatorBackend(), audit=audit)
    await service.write({TEMP: 22}, DRIVER)
    records = read_audit(tmp_path / "audit.jsonl")
    assert [r["decision"] for r in records] == ["intent", "applied"]
    assert records[1]["intent_seq"] == records[0]["seq"] and records[0]["values"] == {TEMP: 22.0}
    assert unfinished_intents(records) == []


@pytest.mark.rule("GR-20")
async def test_gr20_a_failed_backend_write_is_audited_as_failed(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    service = VehicleService(BrokenBackend(), audit=audit)
    with pytest.raises(BackendError):
        await service.write({TEMP: 22}, DRIVER)
    records = read_audit(tmp_path / "audit.jsonl")
    assert [r["decision"] for r in records] == ["intent", "failed"]
    assert records[1]["intent_seq"] == records[0]["seq"] and "broker" in records[1]["error"]


@pytest.mark.rule("GR-20")
def test_gr20_seq_continues_across_reopening_and_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    first = AuditLog(path)
    for _ in range(3):
        first.append("applied", values={})
    first.close()
    with path.open("ab") as file:  # a crash in the middle of a record
        file.write(b'{"ts":"2026-01-01","seq":4,"decis')
    again = AuditLog(path)
    assert again.seq == 3
    again.append("applied", values={})
    again.close()
    records = read_audit(path)
    assert [r["seq"] for r in records] == [1, 2, 3, 4]  # the torn line is skipped, not joined


@pytest.mark.rule("GR-20")
def test_gr20_seq_continues_across_rotation(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=300, backups=3)
    for _ in range(10):
        log.append("applied", values={TEMP: 21.0})
    log.close()
    path.write_bytes(b"")  # rotated just before a crash: the current file is empty
    reopened = AuditLog(path, max_bytes=300, backups=3)
    newest_rotated = read_audit(path.with_name("audit.jsonl.1"))
    assert reopened.seq == newest_rotated[-1]["seq"]
    assert reopened.append("applied", values={})["seq"] == reopened.seq


# -- the kept state ----------------------------------------------------------------------------------


async def test_kept_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "car.json"
    app = VehicleApp.create(VehicleConfig(persist=path))
    await app.service.inject(
        {"Vehicle.Speed": 90.0, "Vehicle.Powertrain.Transmission.SelectedGear": 127}, "t"
    )
    await app.service.write({TEMP: 23}, DRIVER)
    again = VehicleApp.create(VehicleConfig(persist=path))
    assert again.restored.restored and again.restored.reset is None
    got = await again.backend.get_current(
        ["Vehicle.Speed", "Vehicle.Powertrain.Transmission.SelectedGear", TEMP]
    )
    assert got == {"Vehicle.Speed": 90.0, "Vehicle.Powertrain.Transmission.SelectedGear": 127, TEMP: 23.0}


async def test_a_moving_part_keeps_moving_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "car.json"
    app = VehicleApp.create(VehicleConfig(persist=path))
    await app.service.write({WINDOW: 100}, DRIVER)
    assert isinstance(app.backend, SimulatorBackend)
    app.backend.advance_now(3.0)
    assert app.keeper is not None
    await app.keeper.save()
    again = VehicleApp.create(VehicleConfig(persist=path))
    assert again.saved is not None and again.saved.target == {WINDOW: 100}
    assert again.keeper is not None
    await again.keeper.restore_targets(again.saved)
    assert isinstance(again.backend, SimulatorBackend)
    assert 0 < (await again.backend.get_current([WINDOW]))[WINDOW] < 100  # type: ignore[operator]
    await again.backend.settle()
    assert (await again.backend.get_current([WINDOW]))[WINDOW] == 100


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "not a saved vehicle state"),
        (json.dumps({"version": 1, "saved_at": "x", "current": {"Vehicle.Warp": 9}}), "does not fit"),
    ],
)
def test_a_state_that_cannot_be_restored_is_reported_loudly(
    tmp_path: Path, content: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "car.json"
    path.write_text(content)
    app = VehicleApp.create(VehicleConfig(persist=path))
    assert not app.restored.restored
    assert app.restored.reset is not None and why in app.restored.reset
    assert any("starts afresh" in r.getMessage() for r in caplog.records)


def test_a_first_start_is_not_a_reset(tmp_path: Path) -> None:
    keeper = StateKeeper(tmp_path / "car.json", Catalog.load())
    assert keeper.load() is None
    assert keeper.restored.reset is None and not keeper.restored.restored


async def test_with_the_audit_on_disk_a_change_is_kept_by_its_record_and_replayed(tmp_path: Path) -> None:
    # The audit's outcome records are on disk before each answer: the state file is a checkpoint that
    # names the last record it includes, and the records after it are replayed at start.
    path, audit = tmp_path / "car.json", tmp_path / "audit.jsonl"
    app = VehicleApp.create(VehicleConfig(persist=path, audit=audit))
    assert app.keeper is not None
    await app.keeper.save(force=True)  # the checkpoint a server writes at start
    checkpoint = path.read_bytes()
    await app.service.inject({"Vehicle.Speed": 90.0}, "t")
    await app.service.write({TEMP: 23}, DRIVER)
    await app.service.write({WINDOW: 40}, DRIVER)
    assert path.read_bytes() == checkpoint  # no state write of their own: the records hold them
    again = VehicleApp.create(VehicleConfig(persist=path, audit=audit))  # as after a kill -9
    assert again.saved is not None and again.keeper is not None
    await again.keeper.restore_targets(again.saved)
    assert isinstance(again.backend, SimulatorBackend)
    await again.backend.settle()
    got = await again.backend.get_current(["Vehicle.Speed", TEMP, WINDOW])
    assert got == {"Vehicle.Speed": 90.0, TEMP: 23.0, WINDOW: 40}


async def test_with_the_audit_on_disk_a_change_before_any_checkpoint_saves_the_state(tmp_path: Path) -> None:
    path, audit = tmp_path / "car.json", tmp_path / "audit.jsonl"
    app = VehicleApp.create(VehicleConfig(persist=path, audit=audit))
    await app.service.write({TEMP: 24}, DRIVER)
    again = VehicleApp.create(VehicleConfig(persist=path, audit=audit))
    assert again.saved is not None and again.saved.current[TEMP] == 24.0
    # It names the records it includes: the outcome written after it is replayed (the same value).
    assert again.saved.audit_seq is not None and again.keeper is not None
    await again.keeper.restore_targets(again.saved)
    assert (await again.backend.get_current([TEMP]))[TEMP] == 24.0


async def test_a_checkpoint_includes_what_it_names_and_replay_skips_refusals(tmp_path: Path) -> None:
    path, audit = tmp_path / "car.json", tmp_path / "audit.jsonl"
    app = VehicleApp.create(VehicleConfig(persist=path, audit=audit))
    assert app.keeper is not None
    await app.service.write({TEMP: 21}, DRIVER)
    await app.keeper.save(force=True)
    await app.service.write({TEMP: 99}, DRIVER)  # out of range: refused, audited, never replayed
    await app.service.write({TEMP: 22}, DRIVER)
    again = VehicleApp.create(VehicleConfig(persist=path, audit=audit))
    assert again.saved is not None and again.keeper is not None
    assert again.saved.current[TEMP] == 21.0
    await again.keeper.restore_targets(again.saved)
    assert (await again.backend.get_current([TEMP]))[TEMP] == 22.0


def test_records_after_a_seq_are_read_back_through_rotated_files(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_bytes=400)
    for n in range(12):
        log.append("injected", values={TEMP: 16 + n}, client="t")
    log.close()
    assert path.with_name("audit.jsonl.1").exists()
    after = records_after(path, 3)
    assert [r["seq"] for r in after] == list(range(4, 13))
    assert records_after(path, 12) == []
