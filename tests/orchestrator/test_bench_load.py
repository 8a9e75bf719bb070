"""The pieces of `cabin bench --memory` and `--sweep` that need no running stack: reading PSS from
/proc, naming the processes of a tree, the level list, and the tables."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.bench_load import (
    BenchError,
    bench_memory,
    growth,
    memory_table,
    parse_levels,
    process_tree,
    smaps_rollup,
    snapshot,
    sweep_table,
)

linux_only = pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="reads /proc")


@linux_only
def test_smaps_rollup_reads_this_process() -> None:
    figures = smaps_rollup(os.getpid())
    assert 0 < figures["Pss"] <= figures["Rss"]
    assert {"Pss_Anon", "Pss_File"} <= set(figures)


@linux_only
def test_a_missing_process_is_a_clear_error() -> None:
    with pytest.raises(BenchError, match="smaps_rollup"):
        smaps_rollup(2**22 + 12345)


@linux_only
def test_the_tree_names_children_by_module() -> None:
    child = subprocess.Popen([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1"])
    try:
        deadline = time.monotonic() + 60  # until the child has started the module
        while process_tree(os.getpid()).get(child.pid) != "http.server" and time.monotonic() < deadline:
            time.sleep(0.05)
        tree = process_tree(os.getpid())
        assert tree[os.getpid()] == "cabin run"
        assert tree[child.pid] == "http.server"
        rows = {row["pid"]: row for row in snapshot(os.getpid())}
        assert rows[child.pid]["Pss"] > 0
    finally:
        child.terminate()
        child.wait(timeout=30)


def test_a_negative_turn_count_is_refused_before_anything_starts() -> None:
    with pytest.raises(BenchError, match="--turns must be 0 or more"):
        bench_memory(-1)


def test_levels_are_parsed_and_bad_ones_named() -> None:
    assert parse_levels("1, 5,10,25,50") == [1, 5, 10, 25, 50]
    with pytest.raises(BenchError, match="'five'"):
        parse_levels("1,five")
    with pytest.raises(BenchError, match="not 0"):
        parse_levels("0")


def test_tables_show_every_process_and_level() -> None:
    fresh = [{"pid": 1, "name": "models.host", "Pss": 400.0, "Pss_Anon": 120.0, "Rss": 420.0}]
    after = [{"pid": 1, "name": "models.host", "Pss": 410.0, "Pss_Anon": 125.0, "Rss": 430.0}]
    report: dict[str, Any] = {
        "fresh": {"processes": fresh, "total": {"Pss": 400.0, "Rss": 420.0}},
        "after_turns": {"processes": after, "total": {"Pss": 410.0, "Rss": 430.0}, "turns": {"turns": 7}},
    }
    report["series"] = [{"turns": 0, "Pss": 400.0, "Rss": 420.0}, {"turns": 7, "Pss": 410.0, "Rss": 430.0}]
    table = memory_table(report).splitlines()
    assert table[-1] == "total PSS along the way: 0 turns 400.0, 7 turns 410.0"
    table = table[:-1]
    assert "after 7 turns" in table[0]
    assert table[1].split() == ["models.host", "400.0", "410.0", "120.0", "125.0", "420.0", "430.0"]
    assert table[-1].split()[0] == "total"
    rows = [
        {"concurrency": 5, "turns": 50, "turns_per_s": 5.0, "p50_ms": 900.0, "p95_ms": 1500.0, "errors": 0}
    ]
    assert sweep_table(rows).splitlines()[1].split() == ["5", "50", "5.00", "900.0", "1500.0", "0"]


def test_growth_is_measured_from_the_first_reading_after_turns_began() -> None:
    series = [
        {"turns": 0, "Pss": 800.0, "pss": {"models.host": 300.0, "agents.navigation": 90.0}},
        {"turns": 100, "Pss": 900.0, "pss": {"models.host": 400.0, "agents.navigation": 100.0}},
        {"turns": 1000, "Pss": 909.0, "pss": {"models.host": 400.0, "agents.navigation": 111.0}},
    ]
    grew = growth(series)
    assert grew == {
        "from_turns": 100,
        "to_turns": 1000,
        "total_percent": 1.0,
        "processes_percent": {"models.host": 0.0, "agents.navigation": 11.0},
    }
    assert growth(series[:2]) is None  # one reading after turns began: nothing to compare


@linux_only
def test_a_mapped_model_file_is_counted_whole_as_well(tmp_path: Path) -> None:
    import mmap

    from orchestrator.bench_load import mapped_elsewhere, model_mappings

    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"\1" * (1 << 20))
    with model.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        assert sum(mapped[::4096]) == 256  # every page read, so resident
        files = model_mappings(os.getpid())  # this process may map a real model too (earlier tests)
        assert 0 < files[str(model)]["Pss"] <= files[str(model)]["Rss"] <= 1.0
        (row,) = [row for row in snapshot(os.getpid()) if row["pid"] == os.getpid()]
        assert str(model) in row["model_files"]
        assert row["Pss_Whole"] == pytest.approx(row["Pss"] - row["Model_Pss"] + row["Model_Rss"], abs=0.11)
        assert mapped_elsewhere({str(model)}, {os.getpid()}) == []
