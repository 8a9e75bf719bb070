"""`cabin models eval`: base and tuned side by side on the held-out split. A small sample runs here
with the real model and the adapter that ships (the full split is a benchmark:
`cabin models eval --write`); the figures must agree with the per-request results they summarise."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from models import ModelRegistry
from models.tuning.data import HELDOUT, load_examples
from models.tuning.evaluate import split_sha256

from .test_cli import run


@pytest.fixture
def adapter() -> str:
    registry = ModelRegistry.load(None)
    keys = [m.key for m in registry.adapters(registry.default_id) if m.base_sha256 == registry.get().sha256]
    if not keys:
        pytest.skip("no adapter ships in models/adapters/")
    key = keys[-1]
    if not registry.is_installed():
        pytest.skip("the default model is not assembled yet (`cabin models prepare`)")
    return key


def _check_figures(variant: dict[str, object]) -> None:
    results = variant["results"]
    figures = variant["figures"]
    assert isinstance(results, list) and isinstance(figures, dict)
    n = len(results)
    exact = sum(r["exact"] for r in results)
    assert figures["exact_match"] == round(exact / n, 4)
    tool_right = [r for r in results if r["proposed"]["tool"] == r["expected"]["tool"]]
    assert figures["tool_accuracy"] == round(len(tool_right) / n, 4)
    said_none = [r for r in results if r["proposed"]["tool"] == "none"]
    if said_none:
        right = sum(r["expected"]["tool"] == "none" for r in said_none)
        assert figures["none_precision"] == round(right / len(said_none), 4)
    for name in ("exact_match", "tool_accuracy", "argument_accuracy", "none_precision", "none_recall"):
        assert 0.0 <= figures[name] <= 1.0, name
    latencies = [r["latency_ms"] for r in results]
    assert all(t > 0 for t in latencies)
    assert figures["latency_ms_p50"] == round(statistics.median(sorted(latencies)), 1)
    # An exact proposal that the agent acted on is the expected call.
    for r in results:
        if r["exact"] and r["acted"] is not None:
            assert r["acted"] == r["expected"]


@pytest.mark.model
def test_eval_runs_base_and_tuned_side_by_side_on_a_sample(
    adapter: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "eval.json"
    sample = ["--limit", "4", "--json", str(out), "--bench", "1", "--repeats", "1", "--quiet"]
    code = run(["models", "eval", "--adapter", adapter, *sample])
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    expected = load_examples(HELDOUT)[:4]

    assert report["split_sha256"] == split_sha256(HELDOUT) and report["examples"] == 4
    assert [v["variant"] for v in report["variants"]] == ["base", "tuned"]
    base, tuned = report["variants"]
    assert base["adapter"] is None and tuned["adapter"] == adapter.split("@")[0]
    for variant in (base, tuned):
        assert [r["text"] for r in variant["results"]] == [e.text for e in expected]
        _check_figures(variant)
    assert set(report["latency"]) == {"base", "tuned"}
    assert all(t["calls"] == 1 and t["median_ms"] > 0 for t in report["latency"].values())

    table = capsys.readouterr().out
    assert "held-out split heldout.jsonl (4 requests)" in table
    header = table.splitlines()[1].split()
    assert header[1:] == ["base", "tuned"]
    assert f"{base['figures']['exact_match']:g}" in table.split("exact_match", 1)[1].splitlines()[0]


def test_eval_refuses_bad_arguments_before_loading_anything(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["models", "eval", "--variants", "tuned,best"]) == 2
    assert "--variants takes base and/or tuned" in capsys.readouterr().err
    assert run(["models", "eval", "--variants", "base", "--adapter", "none", "--write"]) == 2
    assert "--write records figures of a full run of an adapter" in capsys.readouterr().err
    assert run(["models", "eval", "--adapter", "nope@3"]) == 2
    assert "no adapter 'nope@3' is installed" in capsys.readouterr().err
