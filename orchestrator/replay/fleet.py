"""Distributed replay on Ray (``cabin replay PATH --ray auto|ADDRESS --workers N``; extra ``[fleet]``).

Each worker is a Ray actor hosting its own in-process stack: the model and router load once, when the
actor starts (``shared_runtime()``/``shared_router()`` are per process), with the first stack, and
its scenarios run on the stacks of one :class:`~orchestrator.replay.runner.StackPool` as in-process
replay's do (a fresh car and conversation for each, the stack kept between them).

The workers are sent the scenarios the driver has read (not their paths: reading a file again in the
worker cost more than running a template-read scenario), a batch at a time (:func:`batch_size`: one
Ray call carries several scenarios, so its cost is paid once for them). Each worker holds
``IN_FLIGHT`` batches (the one it runs and the next) and gets another as each finishes, so a fast
worker takes more of them; each batch's results come back as it finishes (``on_result``, once per
scenario). A worker that dies has its scenarios given to another (a fresh actor replaces it), at
most ``MAX_TRIES`` times per scenario, after which the scenario is an error result. Results are
returned in the scenarios' order, so the report and exit code are the same whatever the worker
count or batch size.

:func:`start_fleet` returns as soon as Ray is joined and the workers are asked for, before they
have loaded their model. ``cabin replay`` has read and checked every scenario file before it calls
it, so that a bad path or a malformed file stops it before Ray starts.

A local Ray (``--ray auto`` where none runs) is started with what a replay needs and no more
(:func:`local_options`). Workers run scenarios as the driver read them; a perception step's image
is read by the worker from the scenario file's folder: on several machines, each node needs the
same checkout.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

from .runner import ScenarioResult
from .scenario import Scenario

MAX_TRIES = 3
"""How many workers a scenario is given before it is reported as an error."""
IN_FLIGHT = 2
"""Batches handed to a worker ahead of its results: the next one waits in the actor's queue, so the
worker starts it as soon as it finishes one instead of idling while its results travel back and the
next batch is sent."""
BATCH_MAX = 16
"""The most scenarios one Ray call carries (a template-read scenario takes 10-40 ms, a call's round
trip a few ms on a loaded 2-core machine: 16 of them make it about 1 % of the batch)."""
BATCHES_PER_WORKER = 8
"""Batches are made small enough that each worker gets at least this many, so the last ones still
spread over the workers and a dead worker's batch is a small part of the run."""
WORKER_NICENESS = "RAY_worker_niceness"
"""Ray's setting of its workers' niceness (read by a node when it starts)."""


class FleetError(Exception):
    """Ray is not installed, or the cluster cannot be joined or used."""


NO_RAY = 'distributed replay needs Ray: pip install -e ".[fleet]"'


def ray_missing() -> str | None:
    """Why Ray cannot be used here (it is not installed), or ``None``; Ray is not imported."""
    import importlib.util

    return NO_RAY if importlib.util.find_spec("ray") is None else None


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise FleetError(NO_RAY) from exc
    return ray


def batch_size(scenarios: int, workers: int) -> int:
    """Scenarios per Ray call for ``scenarios`` on ``workers``: at most ``BATCH_MAX``, and small enough
    that every worker gets ``BATCHES_PER_WORKER`` batches (1 for a handful of scenarios)."""
    return max(1, min(BATCH_MAX, scenarios // (max(1, workers) * BATCHES_PER_WORKER)))


class ReplayWorker:
    """The body of one Ray actor: one in-process stack's shared parts, scenarios run on request."""

    def __init__(self) -> None:
        from orchestrator.local import shared_router, shared_runtime

        from .runner import StackPool

        self.loop = asyncio.new_event_loop()
        shared_runtime()
        self.loop.run_until_complete(shared_router())
        self.pool = StackPool()
        # The first scenario's stack is built with the model, before any scenario is asked for.
        self.loop.run_until_complete(self.pool.prepare())

    def ready(self) -> bool:
        return True

    def run(self, scenarios: list[Scenario]) -> list[ScenarioResult]:
        """Run ``scenarios`` one after the other; their results in the same order."""
        from .runner import run_scenario

        return [self.loop.run_until_complete(run_scenario(s, self.pool)) for s in scenarios]


LOCAL_SYSTEM_CONFIG: dict[str, Any] = {
    # No worker process is started ahead of need: each replay worker is an actor with a process of
    # its own, and the driver runs no task, so a prestarted worker only loaded Ray and waited.
    "enable_worker_prestart": False,
    "prestart_worker_first_driver": False,
    # Nothing reads Ray's metrics during a replay (no dashboard, no Prometheus).
    "enable_metrics_collection": False,
}
"""Ray's settings for a local Ray started by ``--ray auto`` (scenarios/README.md, "Figures"); a
cluster (``ray start``) keeps its own."""


def local_options(workers: int) -> dict[str, Any]:
    """``ray.init``'s options for a local Ray started for ``workers`` replay workers: no dashboard,
    one CPU per worker (at most the machine's), :data:`LOCAL_SYSTEM_CONFIG`."""
    return {
        "include_dashboard": False,
        "num_cpus": max(1, min(workers, os.cpu_count() or 1)),
        "_system_config": dict(LOCAL_SYSTEM_CONFIG),
    }


def connect(address: str, workers: int = 1) -> None:
    """Join the Ray cluster at ``address`` (``auto``: the Ray running on this machine, else a local
    Ray started here for ``workers`` workers, with :func:`local_options`)."""
    ray = _ray()
    if ray.is_initialized():
        return
    quiet = {"log_to_driver": False, "configure_logging": False}
    try:
        if address == "auto":
            # Ray starts its workers at niceness 15 so that they never starve its own processes; a
            # replay worker is the model work the run is for, and at 15 it gets a fraction of a busy
            # machine's CPU (scenarios/README.md). A Ray started here runs them at 0; a cluster from
            # `ray start` decides for itself (RAY_worker_niceness=0 there too).
            os.environ.setdefault(WORKER_NICENESS, "0")
            try:
                ray.init(**local_options(workers), **quiet)
            except ValueError:
                # A Ray runs here already (`ray start`): joining it, Ray takes none of a new one's
                # options, and raises before it does anything.
                ray.init(**quiet)
        else:
            ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise FleetError(f"cannot join the Ray cluster at {address}: {exc}") from exc


def cluster_cpus() -> int:
    """The CPUs of the cluster joined (every node's)."""
    return int(_ray().cluster_resources().get("CPU", 0))


class Fleet:
    """``workers`` Ray actors (Ray must be initialised: :func:`connect`), started when it is made: each
    loads its model while the caller does something else. ``on_workers`` is called with the live
    actors each time the set changes (for monitoring, or for a test that stops one). :meth:`close`
    stops them."""

    def __init__(self, workers: int, on_workers: Callable[[list[Any]], None] | None = None) -> None:
        ray = _ray()
        self._class = ray.remote(num_cpus=1, max_restarts=0)(ReplayWorker)
        self._on_workers = on_workers
        self.actors: list[Any] = [self._class.remote() for _ in range(max(1, workers))]
        self._changed()

    def _changed(self) -> None:
        if self._on_workers is not None:
            self._on_workers(list(self.actors))

    def _replace(self, dead: Any) -> Any:
        self.actors.remove(dead)
        replacement = self._class.remote()
        self.actors.append(replacement)
        self._changed()
        return replacement

    def replay(
        self,
        scenarios: list[Scenario],
        on_result: Callable[[ScenarioResult], None] | None = None,
        batch: int | None = None,
        timeout_s: float | None = None,
    ) -> list[ScenarioResult]:
        """Run ``scenarios`` on the workers, ``batch`` per Ray call (by default :func:`batch_size`);
        ``on_result`` is called with each result as it arrives. The results come back in the
        scenarios' order. With ``timeout_s``, a :class:`FleetError` when they are not all back
        within that many seconds (no worker started, say: a cluster without a free CPU)."""
        ray = _ray()
        from ray.exceptions import RayActorError

        deadline = None if timeout_s is None else time.monotonic() + timeout_s

        size = max(1, batch) if batch is not None else batch_size(len(scenarios), len(self.actors))
        queue = list(range(len(scenarios)))
        queue.reverse()
        tries = [0] * len(scenarios)
        results: dict[int, ScenarioResult] = {}
        running: dict[Any, tuple[list[int], Any]] = {}
        replaced: dict[int, Any] = {}
        """A dead actor's replacement, by ``id()`` of the dead one: its other batches fail after it."""

        def submit(actor: Any) -> None:
            indices = [queue.pop() for _ in range(min(size, len(queue)))]
            if indices:
                for index in indices:
                    tries[index] += 1
                running[actor.run.remote([scenarios[i] for i in indices])] = (indices, actor)

        def finished(index: int, result: ScenarioResult) -> None:
            results[index] = result
            if on_result is not None:
                on_result(result)

        for _ in range(IN_FLIGHT):
            for actor in list(self.actors):
                submit(actor)
        while running:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = ray.wait(list(running), num_returns=1, timeout=left)
            if not done:
                raise FleetError(
                    f"{len(scenarios) - len(results)} of {len(scenarios)} scenarios not back from "
                    f"the Ray workers after {timeout_s} s"
                )
            indices, actor = running.pop(done[0])
            try:
                batch_results: list[ScenarioResult] = ray.get(done[0])
            except RayActorError:
                replacement = replaced.get(id(actor))
                if replacement is None:
                    replacement = replaced[id(actor)] = self._replace(actor)
                for index in reversed(indices):
                    if tries[index] < MAX_TRIES:
                        queue.append(index)
                    else:
                        scenario = scenarios[index]
                        finished(
                            index,
                            ScenarioResult(
                                str(scenario.file),
                                scenario.name,
                                scenario.tags,
                                False,
                                [],
                                0.0,
                                error=f"WorkerDied: the Ray worker running it died {MAX_TRIES} times",
                            ),
                        )
                submit(replacement)
                continue
            for index, result in zip(indices, batch_results, strict=True):
                finished(index, result)
            submit(actor)
        return [results[i] for i in range(len(scenarios))]

    def close(self) -> None:
        """Stop every worker."""
        ray = _ray()
        for actor in self.actors:
            ray.kill(actor)


def start_fleet(address: str, workers: int) -> Fleet:
    """Join the Ray cluster at ``address`` (:func:`connect`) and start ``workers`` actors, at most one
    per CPU of the cluster (one more would wait for a CPU that the others hold until the end, and
    its scenarios with it); they load their model while the caller goes on."""
    connect(address, workers)
    cpus = cluster_cpus()
    if cpus < 1:
        raise FleetError(f"the Ray cluster at {address} has no CPU for a replay worker")
    return Fleet(min(workers, cpus))


def replay_on_ray(
    scenarios: list[Scenario],
    workers: int,
    on_result: Callable[[ScenarioResult], None] | None = None,
    on_workers: Callable[[list[Any]], None] | None = None,
    batch: int | None = None,
    timeout_s: float | None = None,
) -> list[ScenarioResult]:
    """Run ``scenarios`` on ``workers`` Ray actors started for them (Ray must be initialised:
    :func:`connect`) and stop the actors after; see :class:`Fleet` and :meth:`Fleet.replay`."""
    fleet = Fleet(workers, on_workers)
    try:
        return fleet.replay(scenarios, on_result, batch, timeout_s)
    finally:
        fleet.close()
