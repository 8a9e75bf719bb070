"""The replay benchmark's own parts (``orchestrator/replay/benchmark.py``): its sample of the matrix,
the comparison of two runs' verdicts and the count of a run's processes' CPU. The benchmark itself
(timings, two Ray nodes) is run by hand."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.replay import load_scenario
from orchestrator.replay.benchmark import RUN_MARK, CpuSampler, verdicts, write_sample


def test_the_sample_takes_every_kind_of_variant(tmp_path: Path) -> None:
    # The matrices list their variants as nested cycles: a sample must not fall in step with them.
    files = write_sample(tmp_path, 300)
    assert len(files) == 300
    phrasings = Counter(f.stem.rsplit("-", 1)[-1] for f in files)
    assert set(phrasings) == {"plain", "polite", "question", "terse", "filler", "indirect"}
    assert max(phrasings.values()) < 100
    assert {f.parent.name for f in files} == {"climate", "doors", "trunk", "windows"}


def test_the_sample_is_evenly_spread_over_the_matrix_and_every_file_loads(tmp_path: Path) -> None:
    files = write_sample(tmp_path / "a", 12)
    assert len(files) == 12
    assert len({f.parent.name for f in files}) >= 3  # several matrices, not the first one's head
    catalog = Catalog.load()
    assert all(load_scenario(f, catalog).steps for f in files)
    again = write_sample(tmp_path / "b", 12)
    assert [f.relative_to(tmp_path / "b") for f in again] == [f.relative_to(tmp_path / "a") for f in files]


def _report() -> dict[str, Any]:
    return {
        "results": [
            {
                "file": "doors/close.yaml",
                "passed": False,
                "skipped": None,
                "error": None,
                "duration_s": 3.2,
                "steps": [
                    {
                        "index": 0,
                        "passed": False,
                        "latency_ms": 812.0,
                        "failures": [
                            "state Vehicle.Cabin.Door.Row1.DriverSide.IsOpen: expected False, actual True",
                            "(said 'close it'; reply 'Done.'; route [vehicle-control via template]; actions [none])",
                        ],
                    }
                ],
            }
        ]
    }


def test_verdicts_leave_out_timings_and_the_turns_trace_but_not_what_failed() -> None:
    first, slower = _report(), _report()
    slower["results"][0]["duration_s"] = 9.9
    slower["results"][0]["steps"][0]["latency_ms"] = 5000.0
    slower["results"][0]["steps"][0]["failures"][1] = (
        "(said 'close it'; reply 'OK.'; route []; actions [none])"
    )
    assert verdicts(slower) == verdicts(first)
    fixed = copy.deepcopy(first)
    fixed["results"][0]["passed"] = True
    fixed["results"][0]["steps"][0] |= {"passed": True, "failures": []}
    assert verdicts(fixed) != verdicts(first)
    other = copy.deepcopy(first)
    other["results"][0]["steps"][0]["failures"][0] = "refused: expected false, actual [GR-07]"
    assert verdicts(other) != verdicts(first)


def test_the_cpu_of_a_runs_processes_is_counted_by_kind_and_no_other_process() -> None:
    # A "command" that spins and starts a child that spins (as a local Ray's processes are its
    # children): both carry the run's mark; a process started beside them without it is not counted.
    spin = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass\n"
    parent = f"import subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', {spin!r}])\n{spin}child.wait()\n"
    mark = "test-sampler"
    with (
        subprocess.Popen([sys.executable, "-c", spin]) as other,
        subprocess.Popen([sys.executable, "-c", parent], env={**os.environ, RUN_MARK: mark}) as process,
    ):
        sampler = CpuSampler(mark, process.pid)
        process.wait()
        other.wait()
    cpu = sampler.stop()
    kinds = sampler.processes
    assert kinds.pop(process.pid) == "driver"
    assert list(kinds.values()) == ["ray"]  # the child, under its own pid; the other process is not there
    assert other.pid not in kinds
    assert cpu["driver"] > 0 and cpu["ray"] > 0 and cpu["workers"] == 0
