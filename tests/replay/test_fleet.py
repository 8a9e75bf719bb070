"""Distributed replay on a local Ray (started and stopped here, 2 workers): the same results as
in-process replay, and a worker that dies has its scenario run by another."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mcp_servers.vehicle.catalog import Catalog
from orchestrator.replay import load_scenario
from orchestrator.replay.runner import ScenarioResult, report_json

from ..conftest import ROOT

ray = pytest.importorskip("ray", reason='distributed replay needs Ray (pip install -e ".[fleet]")')

from orchestrator.replay.fleet import replay_on_ray  # noqa: E402

FILES = [
    ROOT / "scenarios" / "doors" / "close_passenger_door.yaml",
    ROOT / "scenarios" / "safety" / "gr07_open_door_while_moving.yaml",
    ROOT / "scenarios" / "doors" / "close_tailgate.yaml",
]


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # address="local": a Ray of its own, even while another one (`ray start`) runs on this machine.
    ray.init(
        address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False
    )
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.model
def test_two_workers_give_every_result_in_order_and_survive_a_dead_worker(local_ray: None) -> None:
    scenarios = [load_scenario(f, Catalog.load()) for f in FILES]
    streamed: list[ScenarioResult] = []
    live: list[list[Any]] = []

    def arrived(result: ScenarioResult) -> None:
        streamed.append(result)
        if len(streamed) == 1:
            ray.kill(live[-1][0])  # the first worker dies: whatever it holds is run elsewhere

    results = replay_on_ray(scenarios, workers=2, on_result=arrived, on_workers=live.append)
    assert [r.file for r in results] == [str(f) for f in FILES]
    assert sorted(r.file for r in streamed) == sorted(str(f) for f in FILES)
    assert len(live) >= 2  # a replacement joined after the kill
    report = report_json(results)
    assert (report["passed"], report["failed"]) == (3, 0), [r.steps for r in results if not r.passed]
