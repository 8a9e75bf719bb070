"""Distributed replay on a local Ray (started here as ``--ray auto`` starts one, 2 workers): the same
results as in-process replay, scenarios sent in batches, and a worker that dies has its whole batch
run by another. The replay is bounded in time, and no process of that Ray is left when it ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.replay import load_scenario
from orchestrator.replay.benchmark import ray_processes
from orchestrator.replay.fleet import BATCH_MAX, BATCHES_PER_WORKER, batch_size, cluster_cpus, local_options
from orchestrator.replay.runner import ScenarioResult, report_json

from ..conftest import ROOT

FILES = [
    ROOT / "scenarios" / "doors" / "close_passenger_door.yaml",
    ROOT / "scenarios" / "safety" / "gr07_open_door_while_moving.yaml",
    ROOT / "scenarios" / "doors" / "close_tailgate.yaml",
]


def test_a_batch_is_at_most_batch_max_and_every_worker_gets_several() -> None:
    assert batch_size(2464, 1) == BATCH_MAX  # the whole matrix: 154 calls instead of 2,464
    assert batch_size(200, 2) == 200 // (2 * BATCHES_PER_WORKER)
    assert batch_size(3, 2) == 1  # a handful: one scenario a call, spread over the workers
    assert batch_size(0, 0) == 1


REPLAY_LIMIT_S = 900.0
"""The most the small replay may take, Ray's and the workers' start included, on a busy machine: past
it the test fails instead of waiting for ever."""
STOP_LIMIT_S = 60.0


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason='distributed replay needs Ray (pip install -e ".[fleet]")')
    # address="local": a Ray of its own, even while another one (`ray start`) runs on this machine,
    # started as `--ray auto` starts one, in a folder of its own (a short path: Ray's sockets are in it).
    folder = Path(tempfile.mkdtemp(prefix="cabin-ray-"))
    ray.init(
        address="local",
        _temp_dir=str(folder),
        log_to_driver=False,
        configure_logging=False,
        **local_options(2),
    )
    try:
        yield ray
    finally:
        ray.shutdown()
        # Every process of this Ray is gone once the test ends; one left is stopped, and the test fails.
        deadline = time.monotonic() + STOP_LIMIT_S
        while (left := ray_processes(folder)) and time.monotonic() < deadline:
            time.sleep(0.5)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
        assert not left, f"Ray processes left after ray.shutdown(): {left}"


def test_a_local_ray_has_one_cpu_per_worker_at_most_the_machines() -> None:
    cpus = os.cpu_count() or 1
    assert local_options(1)["num_cpus"] == 1
    assert local_options(cpus + 3)["num_cpus"] == cpus  # more workers than CPUs: they are clamped
    assert local_options(1)["include_dashboard"] is False


@pytest.mark.model
def test_two_workers_give_every_result_in_order_and_survive_a_dead_worker(local_ray: Any) -> None:
    from orchestrator.replay.fleet import replay_on_ray

    scenarios = [load_scenario(f, Catalog.load()) for f in FILES]
    streamed: list[ScenarioResult] = []
    live: list[list[Any]] = []

    def workers(actors: list[Any]) -> None:
        live.append(actors)
        if len(live) == 1:
            local_ray.kill(actors[0])  # the first worker dies holding the batch of the first two

    assert cluster_cpus() == 2
    results = replay_on_ray(
        scenarios,
        workers=2,
        on_result=streamed.append,
        on_workers=workers,
        batch=2,
        timeout_s=REPLAY_LIMIT_S,
    )
    assert [r.file for r in results] == [str(f) for f in FILES]
    assert sorted(r.file for r in streamed) == sorted(str(f) for f in FILES)
    assert len(live) == 2  # one replacement joined, and ran the dead worker's batch
    report = report_json(results)
    assert (report["passed"], report["failed"]) == (3, 0), [r.steps for r in results if not r.passed]
