"""The async runtime and its scheduler, in memory over the scripted backend.

The real llama.cpp path has its own tests (test_llama_backend.py); these cover scheduling,
streaming, deadlines, cancellation, caching and input validation deterministically.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from models import (
    BackendFailure,
    CompletionRequest,
    ContextOverflow,
    DeadlineExceeded,
    GrammarError,
    HostUnavailable,
    InvalidRequest,
    ModelHostClient,
    ModelRuntime,
    Priority,
    RuntimeConfig,
    ScriptedBackend,
    choice_grammar,
    open_runtime,
)


async def test_generate_returns_the_scripted_reply(runtime: ModelRuntime, scripted: ScriptedBackend) -> None:
    scripted.enqueue("hello there driver")
    result = await runtime.generate("Say hello", max_tokens=10)
    assert result.text == "hello there driver"
    assert result.finish_reason == "eos"
    assert result.completion_tokens == 3
    assert result.timings.queue_ms >= 0.0
    assert isinstance(scripted.requests[-1], CompletionRequest)


async def test_stream_yields_the_text_in_pieces(runtime: ModelRuntime, scripted: ScriptedBackend) -> None:
    scripted.enqueue("one two three four")
    stream = runtime.stream("count", max_tokens=10)
    pieces = [piece async for piece in stream]
    assert pieces == ["one", " two", " three", " four"]
    assert stream.result is not None and stream.result.text == "one two three four"


async def test_stop_sequences_and_max_tokens(runtime: ModelRuntime, scripted: ScriptedBackend) -> None:
    scripted.enqueue("turn left. then right", "a b c d e")
    stopped = await runtime.generate("x", stop=["."])
    assert stopped.text == "turn left" and stopped.finish_reason == "stop"
    cut = await runtime.generate("x", max_tokens=2)
    assert cut.text == "a b" and cut.finish_reason == "length"


async def test_waiting_requests_run_in_priority_order() -> None:
    backend = ScriptedBackend(token_delay=0.02, max_active=1)
    backend.enqueue("background summary of the trip so far", "reply two", "reply three")
    runtime = ModelRuntime(backend)
    finished: list[str] = []

    async def run(priority: Priority) -> None:
        await runtime.generate(f"request from {priority.name}", priority=priority)
        finished.append(priority.name)

    first = asyncio.create_task(run(Priority.BACKGROUND))
    await asyncio.sleep(0.03)
    agent = asyncio.create_task(run(Priority.AGENT))
    await asyncio.sleep(0.005)
    driver = asyncio.create_task(run(Priority.DRIVER))
    await asyncio.gather(first, agent, driver)
    assert finished == ["BACKGROUND", "DRIVER", "AGENT"]
    started = [r.prompt for r in backend.requests if isinstance(r, CompletionRequest)]
    assert started == ["request from BACKGROUND", "request from DRIVER", "request from AGENT"]
    await runtime.aclose()


async def test_an_urgent_request_preempts_a_running_one() -> None:
    backend = ScriptedBackend(token_delay=0.01, max_active=2)
    long_reply = " ".join(f"w{i}" for i in range(40))
    backend.enqueue(long_reply, "open")
    runtime = ModelRuntime(backend)
    done: list[str] = []

    async def run(priority: Priority) -> None:
        result = await runtime.generate("x", priority=priority, max_tokens=64)
        done.append(result.text)

    background = asyncio.create_task(run(Priority.BACKGROUND))
    await asyncio.sleep(0.05)
    await run(Priority.DRIVER)
    assert done == ["open"]
    await background
    assert done == ["open", long_reply]
    await runtime.aclose()


async def test_deadline_while_running_and_the_runtime_keeps_serving() -> None:
    backend = ScriptedBackend(token_delay=0.05)
    backend.enqueue(" ".join(["slow"] * 50), "fast")
    runtime = ModelRuntime(backend)
    started = time.perf_counter()
    with pytest.raises(DeadlineExceeded, match="deadline"):
        await runtime.generate("x", timeout=0.15, max_tokens=100)
    assert time.perf_counter() - started < 1.0
    assert (await runtime.generate("y", timeout=5)).text == "fast"
    await runtime.aclose()


async def test_deadline_while_queued() -> None:
    backend = ScriptedBackend(token_delay=0.05, max_active=1)
    backend.enqueue(" ".join(["busy"] * 10), "never")
    runtime = ModelRuntime(backend)
    busy = asyncio.create_task(runtime.generate("x", priority=Priority.DRIVER))
    await asyncio.sleep(0.02)
    with pytest.raises(DeadlineExceeded):
        await runtime.generate("y", priority=Priority.BACKGROUND, timeout=0.1)
    assert (await busy).text.startswith("busy")
    assert backend.queued == 1, "the expired request never reached the engine"
    await runtime.aclose()


async def test_cancelling_the_caller_cancels_the_request() -> None:
    backend = ScriptedBackend(token_delay=0.02)
    backend.enqueue(" ".join(["tok"] * 100), "after")
    runtime = ModelRuntime(backend)
    task = asyncio.create_task(runtime.generate("x", max_tokens=200))
    await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    started = time.perf_counter()
    assert (await runtime.generate("y")).text == "after"
    assert time.perf_counter() - started < 1.0, "the cancelled request stopped instead of running on"
    await runtime.aclose()


async def test_closing_a_stream_early_cancels_it() -> None:
    backend = ScriptedBackend(token_delay=0.01)
    backend.enqueue(" ".join(["w"] * 100), "next")
    runtime = ModelRuntime(backend)
    async with runtime.stream("x", max_tokens=200) as stream:
        async for _ in stream:
            break
    assert (await runtime.generate("y")).text == "next"
    await runtime.aclose()


async def test_typed_errors_reach_the_caller_and_the_runtime_survives(
    runtime: ModelRuntime, scripted: ScriptedBackend
) -> None:
    with pytest.raises(BackendFailure, match="enqueue"):
        await runtime.generate("nothing queued")
    with pytest.raises(ContextOverflow, match="shorten"):
        await runtime.generate("word " * 5000)
    scripted.enqueue("maybe")
    with pytest.raises(GrammarError):
        await runtime.generate("x", grammar=choice_grammar(["yes", "no"]))
    scripted.enqueue("ok")
    assert (await runtime.generate("x")).text == "ok"


async def test_bad_input_is_rejected_before_it_is_queued(
    runtime: ModelRuntime, scripted: ScriptedBackend
) -> None:
    with pytest.raises(InvalidRequest, match="either grammar or json_schema"):
        await runtime.generate("x", grammar='root ::= "a"', json_schema={"type": "string"})
    with pytest.raises(InvalidRequest, match="max_tokens"):
        await runtime.generate("x", max_tokens=-1)
    with pytest.raises(InvalidRequest, match="distinct"):
        await runtime.score("x", ["a", "a"])
    with pytest.raises(InvalidRequest, match="sequence of texts"):
        await runtime.embed("just a string")
    with pytest.raises(InvalidRequest, match="timeout"):
        await runtime.generate("x", timeout=0)
    with pytest.raises(InvalidRequest, match="role"):
        await runtime.chat([{"role": "robot", "content": "hi"}])
    assert scripted.requests == []


async def test_json_schema_output_is_parsed(runtime: ModelRuntime, scripted: ScriptedBackend) -> None:
    scripted.enqueue('{"zone": "driver", "celsius": 22}')
    schema = {"type": "object", "properties": {"zone": {"type": "string"}, "celsius": {"type": "integer"}}}
    result = await runtime.generate("x", json_schema=schema)
    assert result.data == {"zone": "driver", "celsius": 22}


async def test_prefix_is_declared_once_and_reported_as_cached(
    runtime: ModelRuntime, scripted: ScriptedBackend
) -> None:
    prefix = await runtime.prefix("You route requests. Labels: a b c.")
    assert prefix.tokens == 7
    scripted.enqueue("a")
    result = await runtime.generate(" go", prefix=prefix)
    assert result.cached_tokens == 7


async def test_embeddings_are_cached_per_text(runtime: ModelRuntime, scripted: ScriptedBackend) -> None:
    first = await runtime.embed(["open the window", "play music"])
    calls = len(scripted.requests)
    second = await runtime.embed(["play music", "open the window", "play music"])
    assert len(scripted.requests) == calls, "cached texts must not reach the engine"
    np.testing.assert_array_equal(second[1], first[0])
    np.testing.assert_array_equal(second[0], second[2])
    await runtime.embed(["open the window", "new text"])
    assert scripted.requests[-1] == ("new text",)
    normalised = await runtime.embed(["open the window"], normalize=True)
    assert abs(float(np.linalg.norm(normalised[0])) - 1.0) < 1e-5


async def test_score_ranks_the_options(runtime: ModelRuntime, scripted: ScriptedBackend) -> None:
    scripted.enqueue_scores({" navigation": -0.5, " vehicle": -2.0})
    result = await runtime.score("Label:", [" navigation", " vehicle", " none"])
    assert result.best == " navigation" and result.best_index == 0
    assert abs(sum(o.probability for o in result.options) - 1.0) < 1e-9


def test_one_runtime_serves_several_event_loops(scripted: ScriptedBackend) -> None:
    runtime = ModelRuntime(scripted)
    scripted.enqueue("first", "second")
    assert asyncio.run(runtime.generate("x")).text == "first"
    assert asyncio.run(runtime.generate("x")).text == "second"
    asyncio.run(runtime.aclose())
    assert scripted.closed


async def test_a_closed_runtime_refuses_work(scripted: ScriptedBackend) -> None:
    runtime = ModelRuntime(scripted)
    await runtime.aclose()
    with pytest.raises(HostUnavailable, match="closed"):
        await runtime.generate("x")


def test_open_runtime_returns_a_host_client_when_a_host_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CABIN_MODEL_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("CABIN_MODEL_TOKEN", "secret")
    runtime = open_runtime()
    assert isinstance(runtime, ModelHostClient)
    assert runtime.base_url == "http://127.0.0.1:9"
    assert RuntimeConfig.from_env().token == "secret"
