"""`cabin ask` loads the model only when something asks it: a text the templates read whole is
answered without it, and any request to the runtime opens it first."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from models.errors import ModelNotInstalled
from models.runtime import ModelRuntime
from models.scripted import ScriptedBackend
from models.types import CompletionRequest, EmbedRequest, Priority
from orchestrator.lazy_runtime import LazyRuntime

ROOT = Path(__file__).resolve().parents[2]


class _Opener:
    """Opens a runtime over a scripted backend, counting the calls (failing the first `fail` ones)."""

    def __init__(self, fail: int = 0) -> None:
        self.calls = 0
        self.fail = fail
        self.backend = ScriptedBackend()
        self.runtime = ModelRuntime(self.backend)

    def __call__(self) -> ModelRuntime:
        self.calls += 1
        if self.calls <= self.fail:
            raise ModelNotInstalled("no model file yet")
        return self.runtime


async def test_nothing_is_opened_until_the_first_request() -> None:
    opener = _Opener()
    lazy = LazyRuntime(opener)
    before = (opener.calls, lazy.loaded)
    opener.backend.enqueue("hello")
    done = await lazy.complete(CompletionRequest(prompt="say hello"), priority=Priority.DRIVER, deadline=None)
    assert done.text == "hello"
    assert (await lazy.model_info()).id == "scripted"
    await lazy.embed_request(EmbedRequest(texts=("a", "b")), priority=Priority.DRIVER, deadline=None)
    assert before == (0, False)
    assert (opener.calls, lazy.loaded) == (1, True)
    await lazy.aclose()
    await lazy.ping()  # the opened runtime is shared, not owned: still open
    await opener.runtime.aclose()


async def test_an_error_opening_reaches_the_first_request_and_the_next_tries_again() -> None:
    opener = _Opener(fail=1)
    lazy = LazyRuntime(opener)
    with pytest.raises(ModelNotInstalled):
        await lazy.model_info()
    failed = lazy.loaded
    assert (await lazy.model_info()).id == "scripted"
    assert (failed, lazy.loaded, opener.calls) == (False, True, 2)
    await opener.runtime.aclose()


async def test_started_opening_runs_once_in_the_background_and_the_first_request_gets_it() -> None:
    opener = _Opener()
    lazy = LazyRuntime(opener)
    lazy.start()
    lazy.start()  # a second start while opening (or opened) does nothing
    assert (await lazy.model_info()).id == "scripted"
    assert (opener.calls, lazy.loaded) == (1, True)
    await opener.runtime.aclose()


async def test_a_failed_background_opening_reaches_the_first_request() -> None:
    opener = _Opener(fail=2)
    begun = threading.Event()

    def opening() -> ModelRuntime:
        begun.set()  # the background try holds the opening until it returns or fails
        return opener()

    lazy = LazyRuntime(opening)
    lazy.start()
    assert await asyncio.to_thread(begun.wait, 60)
    with pytest.raises(ModelNotInstalled):
        await lazy.model_info()  # the background try failed; this one opens again and fails too
    assert (await lazy.model_info()).id == "scripted"
    assert opener.calls == 3
    await opener.runtime.aclose()


def _ask(text: str, cache: Path) -> tuple[dict[str, Any], bool, bool]:
    """`cabin ask --json TEXT` in a fresh interpreter: the turn and whether llama.cpp and NumPy were
    loaded."""
    script = (
        "import sys, io, contextlib\n"
        "from orchestrator.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    rc = main(['ask', '--json', {text!r}])\n"
        "assert rc == 0, rc\n"
        "print(out.getvalue())\n"
        "print('LLAMA', 'llama_cpp' in sys.modules, 'numpy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "CABIN_TEMPLATE_CACHE": str(cache)},
        capture_output=True,
        text=True,
        check=True,
    )
    body, _, flags = done.stdout.rpartition("LLAMA ")
    llama, numpy = (flag == "True" for flag in flags.split())
    return json.loads(body), llama, numpy


@pytest.mark.model
def test_a_text_the_templates_read_is_answered_without_the_model(tmp_path: Path) -> None:
    turn, loaded, numpy = _ask("set the temperature to 21", tmp_path)
    assert not loaded
    assert not numpy  # the router's classifier and the runtime's embeddings load it when first used
    assert [(r["agent"], r["via"]) for r in turn["route"]] == [("vehicle-control", "template")]
    assert [a["outcome"] for a in turn["actions"]] == ["applied"]


@pytest.mark.model
def test_a_text_no_template_reads_loads_the_model(tmp_path: Path) -> None:
    turn, loaded, numpy = _ask("the air in here feels rather stale today", tmp_path)
    assert loaded and numpy
    assert turn["reply"]
