"""`cabin ask` answers one turn and exits: its threads sleep while they wait instead of spinning, and
a text the model routes is routed with the one template set the command already loaded and asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.runtime import ModelRuntime
from models.scripted import ScriptedBackend
from orchestrator import local
from orchestrator.cli import ONE_SHOT_THREADS
from orchestrator.routing.templates import TemplateSet, TemplateStage

ROOT = Path(__file__).resolve().parents[2]

# `cabin ask` with its turn replaced by a print of the environment it runs in, in a fresh interpreter.
_ENV_SCRIPT = """
import json, os, sys
from orchestrator import cli
seen = {}
def answer(args):
    seen.update({name: os.environ.get(name) for name in cli.ONE_SHOT_THREADS})
    seen["GOMP_SPINCOUNT"] = os.environ.get("GOMP_SPINCOUNT")
    seen["numpy loaded before"] = "numpy" in sys.modules
    return 0
cli._answer = answer
rc = cli.main(["ask", "hello"])
print(json.dumps({"rc": rc, **seen}))
"""


def _ask_environment(env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _ENV_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _without_thread_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {*ONE_SHOT_THREADS, "GOMP_SPINCOUNT"}}


def test_ask_sets_passive_waiting_before_numpy_or_llama_load() -> None:
    found = _ask_environment(_without_thread_settings())
    # No spin count either: the models package bounds the spin only where no wait policy is set, and
    # an explicit GOMP_SPINCOUNT would keep llama.cpp's threads spinning under the passive policy.
    assert found == {"rc": 0, **ONE_SHOT_THREADS, "GOMP_SPINCOUNT": None, "numpy loaded before": False}


def test_a_setting_of_the_user_is_kept() -> None:
    env = {
        **_without_thread_settings(),
        "OMP_WAIT_POLICY": "active",
        "OPENBLAS_NUM_THREADS": "2",
        "GOMP_SPINCOUNT": "10",
    }
    found = _ask_environment(env)
    assert (found["OMP_WAIT_POLICY"], found["OPENBLAS_NUM_THREADS"], found["GOMP_SPINCOUNT"]) == (
        "active",
        "2",
        "10",
    )


@pytest.fixture
def scripted_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModelRuntime]:
    runtime = ModelRuntime(ScriptedBackend())
    monkeypatch.setattr(local, "shared_runtime", lambda: runtime)
    yield runtime
    local._routers.pop(id(runtime), None)


async def test_the_shared_router_reads_with_the_template_set_it_is_given(
    scripted_runtime: ModelRuntime,
) -> None:
    given = TemplateSet([])
    router = await local.shared_router(given)
    (stage, *_) = router.stages
    assert isinstance(stage, TemplateStage)
    assert stage.templates is given
    again = await local.shared_router(TemplateSet([]))
    assert again is router  # built once per runtime; a later set does not rebuild it
    await scripted_runtime.aclose()


# A model-routed `cabin ask` in a fresh interpreter, counting how often the agents' grammars are loaded.
_COUNT_SCRIPT = """
import contextlib, io, json, sys
from orchestrator.routing import templates
loads = []
original = templates.TemplateSet.load.__func__
def counted(cls, *, warm=True):
    loads.append(warm)
    return original(cls, warm=warm)
templates.TemplateSet.load = classmethod(counted)
from orchestrator.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    rc = main(["ask", "--json", sys.argv[1]])
turn = json.loads(out.getvalue())
print(json.dumps({"rc": rc, "loads": loads, "llama": "llama_cpp" in sys.modules,
                  "via": [r["via"] for r in turn["route"]]}))
"""


@pytest.mark.model
def test_a_model_routed_ask_loads_the_grammars_once(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_SCRIPT, "the air in here feels rather stale today"],
        cwd=ROOT,
        env={**os.environ, "CABIN_TEMPLATE_CACHE": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {"rc": 0, "loads": [False], "llama": True, "via": ["model"]}
