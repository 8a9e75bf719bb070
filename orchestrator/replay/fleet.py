"""Distributed replay on Ray (``cabin replay PATH --ray auto|ADDRESS --workers N``; extra ``[fleet]``).

Each worker is a Ray actor hosting its own in-process stack: the model and router load once, when the
actor starts (``shared_runtime()``/``shared_router()`` are per process), and its scenarios run on the
stacks of one :class:`~orchestrator.replay.runner.StackPool` as in-process replay's do (a fresh car
and conversation for each, the stack kept between them). Each worker holds ``IN_FLIGHT`` scenarios
at a time (the one it runs and the next) and gets another as each finishes, so a fast worker takes
more of them; each result comes back as it finishes (``on_result``). A worker that dies has its
scenarios given to another (a fresh actor replaces it), at most ``MAX_TRIES`` times per scenario,
after which the scenario is an error result. Results are returned in the scenarios' order, so the
report and exit code are the same whatever the worker count.

Workers read scenario files by path: on several machines, each node needs the same checkout.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from .runner import ScenarioResult
from .scenario import Scenario

MAX_TRIES = 3
"""How many workers a scenario is given before it is reported as an error."""
IN_FLIGHT = 2
"""Scenarios handed to a worker ahead of its results: the next one waits in the actor's queue, so the
worker starts it as soon as it finishes one instead of idling while its result travels back and the
next is sent."""
WORKER_NICENESS = "RAY_worker_niceness"
"""Ray's setting of its workers' niceness (read by a node when it starts)."""


class FleetError(Exception):
    """Ray is not installed, or the cluster cannot be joined or used."""


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise FleetError('distributed replay needs Ray: pip install -e ".[fleet]"') from exc
    return ray


class ReplayWorker:
    """The body of one Ray actor: one in-process stack's shared parts, scenarios run on request."""

    def __init__(self) -> None:
        from orchestrator.local import shared_router, shared_runtime

        from .runner import StackPool

        self.loop = asyncio.new_event_loop()
        shared_runtime()
        self.loop.run_until_complete(shared_router())
        self.pool = StackPool()

    def ready(self) -> bool:
        return True

    def run(self, file: str) -> ScenarioResult:
        from mcp_servers.vehicle.catalog import Catalog

        from .runner import run_scenario
        from .scenario import load_scenario

        scenario = load_scenario(file, Catalog.load())
        return self.loop.run_until_complete(run_scenario(scenario, self.pool))


def connect(address: str) -> None:
    """Join the Ray cluster at ``address`` (``auto``: a local Ray, started here when none runs)."""
    ray = _ray()
    if ray.is_initialized():
        return
    try:
        if address == "auto":
            # Ray starts its workers at niceness 15 so that they never starve its own processes; a
            # replay worker is the model work the run is for, and at 15 it gets a fraction of a busy
            # machine's CPU (scenarios/README.md). A Ray started here runs them at 0; a cluster from
            # `ray start` decides for itself (RAY_worker_niceness=0 there too).
            os.environ.setdefault(WORKER_NICENESS, "0")
            ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
        else:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise FleetError(f"cannot join the Ray cluster at {address}: {exc}") from exc


def replay_on_ray(
    scenarios: list[Scenario],
    workers: int,
    on_result: Callable[[ScenarioResult], None] | None = None,
    on_workers: Callable[[list[Any]], None] | None = None,
) -> list[ScenarioResult]:
    """Run ``scenarios`` on ``workers`` Ray actors (Ray must be initialised: :func:`connect`).

    ``on_result`` is called with each result as it arrives; ``on_workers`` with the live actors each
    time the set changes (for monitoring, or for a test that stops one)."""
    ray = _ray()
    from ray.exceptions import RayActorError

    actor_class = ray.remote(num_cpus=1, max_restarts=0)(ReplayWorker)
    actors: list[Any] = [actor_class.remote() for _ in range(max(1, workers))]
    if on_workers is not None:
        on_workers(list(actors))
    queue = list(range(len(scenarios)))
    queue.reverse()
    tries = [0] * len(scenarios)
    results: dict[int, ScenarioResult] = {}
    running: dict[Any, tuple[int, Any]] = {}
    replaced: dict[int, Any] = {}
    """A dead actor's replacement, by ``id()`` of the dead one: its other scenarios fail after it."""

    def submit(actor: Any) -> None:
        if queue:
            index = queue.pop()
            tries[index] += 1
            running[actor.run.remote(str(scenarios[index].file))] = (index, actor)

    for actor in actors:
        for _ in range(IN_FLIGHT):
            submit(actor)
    try:
        while running:
            done, _ = ray.wait(list(running), num_returns=1)
            ref = done[0]
            index, actor = running.pop(ref)
            try:
                result: ScenarioResult = ray.get(ref)
            except RayActorError:
                replacement = replaced.get(id(actor))
                if replacement is None:
                    actors.remove(actor)
                    replacement = replaced[id(actor)] = actor_class.remote()
                    actors.append(replacement)
                    if on_workers is not None:
                        on_workers(list(actors))
                if tries[index] < MAX_TRIES:
                    queue.append(index)
                else:
                    scenario = scenarios[index]
                    results[index] = ScenarioResult(
                        str(scenario.file),
                        scenario.name,
                        scenario.tags,
                        False,
                        [],
                        0.0,
                        error=f"WorkerDied: the Ray worker running it died {MAX_TRIES} times",
                    )
                    if on_result is not None:
                        on_result(results[index])
                submit(replacement)
                continue
            results[index] = result
            if on_result is not None:
                on_result(result)
            submit(actor)
    finally:
        for actor in actors:
            ray.kill(actor)
    return [results[i] for i in range(len(scenarios))]
