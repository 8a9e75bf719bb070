"""The audit kept in memory when no audit file is configured (GR-20): the records of the last turns,
each turn's records kept or dropped together, and the vehicle service's read-back of a turn, which
answers from its own ledger, unaffected by what the audit dropped."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.guardrails import DEFAULT_PROFILES, AuditLog, CallContext
from mcp_servers.vehicle.guardrails.audit import KEEP_TURNS
from mcp_servers.vehicle.service import TURN_MEMORY, TurnLedger, VehicleService

TEMP = "Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"
DRIVER = CallContext(DEFAULT_PROFILES["operator"], "driver", "occupant")


def _in_turn(turn: str) -> CallContext:
    return dataclasses.replace(DRIVER, turn_id=turn)


def _turns(records: list[dict[str, Any]]) -> list[str | None]:
    return [r.get("turn_id") for r in records]


@pytest.mark.rule("GR-20")
async def test_gr20_the_records_of_the_last_turns_are_kept_whole_and_older_turns_dropped() -> None:
    audit = AuditLog(None, keep_turns=3)
    service = VehicleService(SimulatorBackend(), audit=audit)
    for n in range(1, 6):
        await service.write({TEMP: 18 + n}, _in_turn(f"t-{n}"))
    records = audit.records
    # Each applied write is an intent and its outcome: the last three turns, two records each.
    assert _turns(records) == ["t-3", "t-3", "t-4", "t-4", "t-5", "t-5"]
    assert [r["decision"] for r in records] == ["intent", "applied"] * 3
    assert [r["seq"] for r in records] == sorted(r["seq"] for r in records)
    assert (audit.dropped_turns, audit.dropped_records) == (2, 4)
    assert audit.seq == 10  # seq goes on counting every record written


@pytest.mark.rule("GR-20")
async def test_gr20_a_turn_written_to_again_outlives_turns_written_to_since_it_began() -> None:
    audit = AuditLog(None, keep_turns=2)
    service = VehicleService(SimulatorBackend(), audit=audit)
    await service.write({TEMP: 20}, _in_turn("t-1"))
    await service.write({TEMP: 21}, _in_turn("t-2"))
    await service.write({TEMP: 22}, _in_turn("t-1"))  # t-1 written to last: t-2 is the oldest now
    await service.write({TEMP: 23}, _in_turn("t-3"))
    records = audit.records
    assert _turns(records) == ["t-1", "t-1", "t-1", "t-1", "t-3", "t-3"]
    assert [r["values"][TEMP] for r in records if r["decision"] == "applied"] == [20, 22, 23]
    assert (audit.dropped_turns, audit.dropped_records) == (1, 2)


@pytest.mark.rule("GR-20")
async def test_gr20_a_record_outside_any_turn_counts_as_a_turn_of_its_own() -> None:
    audit = AuditLog(None, keep_turns=2)
    service = VehicleService(SimulatorBackend(), audit=audit)
    await service.write({TEMP: 20}, _in_turn("t-1"))
    await service.inject({"Vehicle.Speed": 30.0}, client="operator")
    await service.inject({"Vehicle.Speed": 0.0}, client="operator")
    records = audit.records
    assert [r["decision"] for r in records] == ["injected", "injected"]
    assert [r["values"]["Vehicle.Speed"] for r in records] == [30.0, 0.0]
    assert (audit.dropped_turns, audit.dropped_records) == (1, 2)


@pytest.mark.rule("GR-20")
def test_gr20_memory_stays_bounded_over_many_turns() -> None:
    audit = AuditLog(None, keep_turns=50)
    for n in range(5_000):
        audit.append("intent", values={TEMP: 20}, turn_id=f"t-{n}")
        audit.append("applied", values={TEMP: 20}, intent_seq=audit.seq, turn_id=f"t-{n}")
    records = audit.records
    assert len(records) == 100
    assert records[0]["turn_id"] == "t-4950" and records[-1]["turn_id"] == "t-4999"
    assert audit.dropped_records + len(records) == audit.seq == 10_000


@pytest.mark.rule("GR-20")
async def test_gr20_the_read_back_of_a_turn_does_not_depend_on_the_audit_in_memory() -> None:
    audit = AuditLog(None, keep_turns=1)
    service = VehicleService(SimulatorBackend(), audit=audit)
    await service.write({TEMP: 20}, _in_turn("t-1"))
    await service.write({TEMP: 21}, _in_turn("t-2"))
    assert _turns(audit.records) == ["t-2", "t-2"]  # t-1's records are gone from the audit
    read = await service.turn_writes("t-1", close=True)
    assert read.source == "memory"  # the service's ledger of recent turns still answers for it
    assert [w.values for w in read.applied] == [{TEMP: 20}]


@pytest.mark.rule("GR-20")
async def test_gr20_a_turn_the_ledger_no_longer_remembers_is_read_back_as_unknown() -> None:
    service = VehicleService(SimulatorBackend(), audit=AuditLog(None, keep_turns=1))
    service.turns = TurnLedger(capacity=1)
    await service.write({TEMP: 20}, _in_turn("t-1"))
    await service.write({TEMP: 21}, _in_turn("t-2"))
    read = await service.turn_writes("t-1", close=True)
    # Nothing is claimed: no writes, and the answer says nothing is known of the turn.
    assert (read.source, read.applied) == ("none", [])


def test_the_default_bound_covers_every_turn_the_ledger_remembers() -> None:
    assert AuditLog(None).keep_turns == KEEP_TURNS >= TURN_MEMORY
    with pytest.raises(ValueError, match="keep_turns"):
        AuditLog(None, keep_turns=0)
