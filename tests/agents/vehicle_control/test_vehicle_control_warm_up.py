"""The model's warm-up generation: once the agent serves, the model generates a few tokens for a fixed
request in the request's own prompt format, in the background, so that a person's first request the
templates miss does not pay what a first generation pays once; readiness never waits for it."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import pytest

from agents.vehicle_control.app import build_vehicle_control_app
from agents.vehicle_control.interpreter import (
    PROMPT_PREFIX,
    WARM_UP_REQUEST,
    WARM_UP_TOKENS,
    ModelInterpreter,
)
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from models import CompletionRequest, ModelRuntime, ScriptedBackend
from models.errors import BackendFailure

from .vehicle_control_doubles import BASE_URL, TOKEN


def _completions(scripted: ScriptedBackend) -> list[CompletionRequest]:
    return [request for request in scripted.requests if isinstance(request, CompletionRequest)]


async def test_the_warm_up_asks_for_a_few_tokens_of_a_fixed_request_in_the_prompt_format() -> None:
    scripted = ScriptedBackend().enqueue("set_cabin_temperature")
    runtime = ModelRuntime(scripted)
    interpreter = ModelInterpreter(runtime)
    await interpreter.prepare()
    await interpreter.warm_up()
    await runtime.aclose()

    [request] = _completions(scripted)
    text, _ = WARM_UP_REQUEST
    assert request.prefix == PROMPT_PREFIX  # no adapter loaded: the base model's few-shot format
    assert request.prompt == f'Request: {text}\nCall: {{"tool": "'
    assert request.sampling.max_tokens == WARM_UP_TOKENS
    assert request.adapter is None


class _Failing(ScriptedBackend):
    def complete(self, request: CompletionRequest) -> Any:
        raise BackendFailure("the engine failed")


async def test_a_failing_warm_up_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    runtime = ModelRuntime(_Failing())
    interpreter = ModelInterpreter(runtime)
    with caplog.at_level(logging.WARNING, logger="agents.vehicle_control.interpreter"):
        await interpreter.warm_up()
    await runtime.aclose()
    assert "warm-up generation failed" in caplog.text
    assert "the engine failed" in caplog.text


async def _lifespan(
    app: Any, inbox: asyncio.Queue[dict[str, Any]], outbox: asyncio.Queue[dict[str, Any]]
) -> None:
    await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, outbox.put)


class _Held(ScriptedBackend):
    """Holds every generation until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.release = threading.Event()

    def complete(self, request: CompletionRequest) -> Any:
        self.asked.set()
        self.release.wait(30)
        return (yield from super().complete(request))


async def test_the_agent_is_ready_before_the_warm_up_which_then_runs_in_the_background() -> None:
    held = _Held()
    held.enqueue("set cabin temperature")
    runtime = ModelRuntime(held)
    server = build_server(VehicleService(SimulatorBackend()), client="vehicle-control")
    app = build_vehicle_control_app(server, token=TOKEN, base_url=BASE_URL, runtime=runtime)
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    lifespan = asyncio.create_task(_lifespan(app, inbox, outbox))
    try:
        await inbox.put({"type": "lifespan.startup"})
        # the startup completes while the warm-up's generation is held: readiness does not wait for it
        assert (await asyncio.wait_for(outbox.get(), 10))["type"] == "lifespan.startup.complete"
        assert await asyncio.to_thread(held.asked.wait, 10)
        assert not held.release.is_set()
        # a shutdown while the warm-up still generates cancels it and completes
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await asyncio.wait_for(outbox.get(), 10))["type"] == "lifespan.shutdown.complete"
        await asyncio.wait_for(lifespan, 10)
    finally:
        held.release.set()
        await runtime.aclose()
    [request] = _completions(held)
    assert request.prompt.startswith(f"Request: {WARM_UP_REQUEST[0]}")
