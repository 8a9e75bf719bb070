"""The model host service: in memory through its ASGI app, and once as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from models import (
    CapabilityNotSupported,
    ContextOverflow,
    DeadlineExceeded,
    GrammarError,
    HostUnavailable,
    ImageInput,
    ModelHostClient,
    ModelRuntime,
    Priority,
    ScriptedBackend,
    choice_grammar,
)
from models.host import create_app
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def served(scripted: ScriptedBackend) -> AsyncIterator[tuple[ModelHostClient, ScriptedBackend]]:
    runtime = ModelRuntime(scripted)
    app = create_app(runtime, token="s3cret")
    client = ModelHostClient("http://host.test", token="s3cret", transport=httpx.ASGITransport(app=app))
    yield client, scripted
    await client.aclose()
    await runtime.aclose()


async def test_generate_chat_score_embed_prefix_over_the_host(
    served: tuple[ModelHostClient, ScriptedBackend],
) -> None:
    client, backend = served
    backend.enqueue("vehicle", "Hello driver.")
    result = await client.generate(
        "Label: ", grammar=choice_grammar(["vehicle", "none"]), priority=Priority.DRIVER
    )
    assert result.text == "vehicle" and result.model == "scripted"
    chat = await client.chat([{"role": "user", "content": "hi"}], timeout=5)
    assert chat.text == "Hello driver."
    backend.enqueue_scores({" b": 0.0})
    score = await client.score("x", [" a", " b"])
    assert score.best == " b"
    vectors = await client.embed(["open the window", "play jazz"])
    direct = await ModelRuntime(ScriptedBackend()).embed(["open the window", "play jazz"])
    np.testing.assert_array_equal(vectors, direct)
    prefix = await client.prefix("static instructions here")
    assert prefix.tokens == 3
    info = await client.model_info()
    assert info.backend == "scripted"
    assert (await client.health())["status"] == "ok"


async def test_streaming_over_the_host(served: tuple[ModelHostClient, ScriptedBackend]) -> None:
    client, backend = served
    backend.enqueue("left then right")
    stream = client.stream("x")
    pieces = [p async for p in stream]
    assert "".join(pieces) == "left then right"
    assert stream.result is not None and stream.result.finish_reason == "eos"


async def test_errors_keep_their_class_across_the_wire(
    served: tuple[ModelHostClient, ScriptedBackend],
) -> None:
    client, backend = served
    with pytest.raises(ContextOverflow):
        await client.generate("w " * 5000)
    image = ImageInput(data_base64="aGVsbG8=")
    with pytest.raises(CapabilityNotSupported):
        await client.chat([{"role": "user", "content": "what is this", "images": [image]}])
    backend.enqueue("maybe")
    with pytest.raises(GrammarError):
        await client.generate("x", grammar=choice_grammar(["yes", "no"]))
    with pytest.raises(ContextOverflow):
        async for _ in client.stream("w " * 5000):
            pass
    backend.enqueue("still serving")
    assert (await client.generate("x")).text == "still serving"


async def test_deadline_over_the_host() -> None:
    backend = ScriptedBackend(token_delay=0.05)
    backend.enqueue(" ".join(["slow"] * 40))
    runtime = ModelRuntime(backend)
    client = ModelHostClient("http://host.test", transport=httpx.ASGITransport(app=create_app(runtime)))
    with pytest.raises(DeadlineExceeded):
        await client.generate("x", timeout=0.2, max_tokens=100)
    await client.aclose()
    await runtime.aclose()


async def test_wrong_token_is_refused_but_health_is_public(scripted: ScriptedBackend) -> None:
    runtime = ModelRuntime(scripted)
    app = create_app(runtime, token="right")
    wrong = ModelHostClient("http://host.test", token="wrong", transport=httpx.ASGITransport(app=app))
    with pytest.raises(HostUnavailable, match="bearer token"):
        await wrong.generate("x")
    assert (await wrong.health())["model"] == "scripted"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://host.test") as raw:
        response = await raw.post("/v1/complete", content=b"{}", headers={"authorization": "Bearer right"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"
        assert "request" in response.json()["error"]["message"]
    await wrong.aclose()
    await runtime.aclose()


async def test_unreachable_host_is_a_typed_error() -> None:
    client = ModelHostClient(f"http://127.0.0.1:{free_port()}", connect_timeout=1.0)
    with pytest.raises(HostUnavailable, match=r"python -m models\.host"):
        await client.generate("x")
    await client.aclose()


async def test_ping_says_whether_the_host_answers(served: tuple[ModelHostClient, ScriptedBackend]) -> None:
    client, _ = served
    await client.ping()  # the in-memory host answers
    dead = ModelHostClient(f"http://127.0.0.1:{free_port()}", connect_timeout=1.0)
    with pytest.raises(HostUnavailable, match="cannot reach the model host"):
        await dead.ping()
    await dead.aclose()


async def test_a_closed_in_process_runtime_does_not_ping(scripted: ScriptedBackend) -> None:
    runtime = ModelRuntime(scripted)
    await runtime.ping()
    await runtime.aclose()
    with pytest.raises(HostUnavailable, match="closed"):
        await runtime.ping()


async def test_the_router_reports_a_dead_model_host_as_unavailable(scripted: ScriptedBackend) -> None:
    from orchestrator.routing import Router
    from orchestrator.routing.model_stage import ModelStage, default_artefact_path, load_artefact

    classifier, settings = load_artefact(default_artefact_path())
    dead = ModelHostClient(f"http://127.0.0.1:{free_port()}", connect_timeout=1.0)
    router = Router([ModelStage(dead, classifier, settings)])
    route = await router.route("my feet are like ice blocks", budget_s=5.0)
    problem = await router.model_problem()
    await dead.aclose()
    assert route.model_unavailable is not None and "model host" in route.model_unavailable
    assert [part.via for part in route.parts] == ["fallback"]
    assert problem is not None and "unavailable" in problem


async def test_the_router_reports_a_hung_model_host_as_unavailable() -> None:
    """A host that takes connections but never answers (stopped, deadlocked) first looks like a slow
    one: the model path runs out of budget. Its health check then tells the two apart."""
    import socket

    from orchestrator.routing import Router
    from orchestrator.routing.model_stage import ModelStage, default_artefact_path, load_artefact

    classifier, settings = load_artefact(default_artefact_path())
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)  # the kernel completes the handshakes; nothing ever reads or answers
        client = ModelHostClient(f"http://127.0.0.1:{hung.getsockname()[1]}", connect_timeout=1.0)
        router = Router([ModelStage(client, classifier, settings)])
        route = await router.route("my feet are like ice blocks", budget_s=0.5)
        await client.aclose()
    assert route.model_unavailable is not None and "model host" in route.model_unavailable
    assert [part.via for part in route.parts] == ["fallback"]


class _LateHost(httpx.AsyncBaseTransport):
    """The host's app in memory, refusing every connection until `up` (a host that starts late)."""

    def __init__(self, app: httpx.ASGITransport) -> None:
        self._app = app
        self.up = False
        self.refused = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            self.refused += 1
            raise httpx.ConnectError("All connection attempts failed")
        return await self._app.handle_async_request(request)


async def test_the_orchestrator_opens_its_model_path_once_a_late_host_answers(
    scripted: ScriptedBackend,
) -> None:
    import asyncio

    from orchestrator.directory import AgentDirectory
    from orchestrator.routing import Router, TemplateStage
    from orchestrator.server import join_model_path
    from orchestrator.turn import Orchestrator

    runtime = ModelRuntime(scripted)
    late = _LateHost(httpx.ASGITransport(app=create_app(runtime)))
    client = ModelHostClient("http://host.test", transport=late)
    templates_only = Router([TemplateStage()])
    orchestrator = Orchestrator(templates_only, AgentDirectory([]))
    joining = asyncio.create_task(join_model_path(orchestrator, client, first_pause_s=0.01))
    async with asyncio.timeout(30):
        while late.refused < 2:  # noqa: ASYNC110 - the host double counts the checks made
            await asyncio.sleep(0.01)
        assert orchestrator.router is templates_only
        late.up = True
        await joining
    await client.aclose()
    await runtime.aclose()
    # Opened again once the host answered (the scripted model matches no router artefact, so the
    # new router says why its model path is off instead of staying the start's templates-only one).
    assert orchestrator.router is not templates_only
    assert orchestrator.router.problems


@pytest.fixture
def host_process(default_model_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "CABIN_MODEL_TOKEN": "proc-token", "PYTHONPATH": str(ROOT)}
    env.pop("CABIN_MODEL_HOST", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "models.host", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"model host exited early: {proc.stdout.read() if proc.stdout else ''}")
            try:
                if httpx.get(url + "/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("model host did not become healthy within 60 s")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.model
@pytest.mark.realprocess
async def test_real_host_process_serves_the_default_model(
    host_process: str, real_runtime: ModelRuntime
) -> None:
    client = ModelHostClient(host_process, token="proc-token")
    info = await client.model_info()
    assert info.id == "gemma-3-270m-q4_k_m" and info.backend == "llama.cpp"
    labels = ["navigation", "vehicle", "none"]
    result = await client.generate(
        "Request: open the window\nLabel: ",
        grammar=choice_grammar(labels),
        priority=Priority.DRIVER,
        timeout=30,
    )
    assert result.text in labels
    with pytest.raises(GrammarError, match="does not compile"):
        await client.generate("x", grammar="root ::= (unclosed")
    remote = await client.embed(["turn the heating up a bit"])
    local = await real_runtime.embed(["turn the heating up a bit"])
    np.testing.assert_allclose(remote, local, rtol=1e-4, atol=1e-4)
    streamed = [p async for p in client.stream("The sky is", max_tokens=5)]
    assert streamed, "the host streamed no text"
    await client.aclose()
