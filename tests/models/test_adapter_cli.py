"""`cabin models list / verify / use` with adapters: both sha256s checked, switching with a gate
that rolls back. Uses the adapter that ships in models/adapters/ (skipped when none does)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from models import ModelRegistry
from models.lora import BUILTIN_ADAPTERS

from .test_cli import run


@pytest.fixture
def shipped() -> tuple[ModelRegistry, str]:
    """The newest adapter that ships for the default model (active by default or not)."""
    registry = ModelRegistry.load(None)
    keys = [
        m.key
        for m in registry.adapters(registry.default_id)
        if registry.adapter_path(m.key).parent.parent == BUILTIN_ADAPTERS
    ]
    if not keys:
        pytest.skip("no adapter ships in models/adapters/")
    return registry, keys[-1]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: tuple[ModelRegistry, str]) -> Path:
    """A cache directory of its own (CABIN_HOME) with a link to the prepared model file."""
    registry, _ = shipped
    if not registry.is_installed():
        pytest.skip("the default model is not assembled yet (`cabin models prepare`)")
    models = tmp_path / "models"
    models.mkdir()
    (models / registry.location().name).symlink_to(registry.location())
    monkeypatch.setenv("CABIN_HOME", str(tmp_path))
    monkeypatch.delenv("CABIN_ADAPTER", raising=False)
    return models


def _install_copy(cache: Path, key: str, version: int, gate: dict[str, float]) -> str:
    registry = ModelRegistry.load(None)
    source = registry.adapter_path(key).parent
    target = cache / "adapters" / f"copy-v{version}"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("peft"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(version=version, gate=gate)
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return f"{manifest['id']}@{version}"


def test_list_shows_the_shipped_adapter_and_which_is_active(
    shipped: tuple[ModelRegistry, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, key = shipped
    default_active = registry.adapter(key).default
    monkeypatch.delenv("CABIN_ADAPTER", raising=False)
    assert run(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    listed = next(r for r in rows if r["default"])["adapters"]
    assert [a["active"] for a in listed if a["key"] == key] == [default_active]

    monkeypatch.setenv("CABIN_ADAPTER", key)
    assert run(["models", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    default = next(r for r in rows if r["default"])
    active = [a for a in default["adapters"] if a["active"]]

    assert [a["key"] for a in active] == [key]
    assert active[0]["base_sha256"] == default["sha256"]
    assert active[0]["path"].startswith(str(BUILTIN_ADAPTERS))
    assert run(["models", "list"]) == 0
    assert f"active adapter {key}" in capsys.readouterr().out


@pytest.mark.model
def test_verify_checks_the_model_and_its_adapter(
    cache: Path, shipped: tuple[ModelRegistry, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, key = shipped
    assert run(["models", "verify", "--all", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "OK gemma-3-270m-q4_k_m" in out and f"OK adapter {key}" in out

    broken = _install_copy(cache, key, 80, {})
    (cache / "adapters" / "copy-v80" / "adapter.gguf").write_bytes(b"not the adapter")
    assert run(["models", "verify", "--all", "--quiet"]) == 1
    assert f"FAILED adapter {broken}" in capsys.readouterr().out


@pytest.mark.model
def test_use_switches_only_when_the_gate_passes_and_rolls_back_otherwise(
    cache: Path, shipped: tuple[ModelRegistry, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, key = shipped
    strict = _install_copy(cache, key, 90, {"exact_match": 1.01})
    lenient = _install_copy(cache, key, 91, {"exact_match": 0.0})

    assert run(["models", "use", "none"]) == 0
    assert ModelRegistry.load(None).active_adapter() is None

    assert run(["models", "use", strict, "--limit", "3", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "rolled back to no adapter" in err and "failed its gate (exact_match" in err
    assert ModelRegistry.load(None).active_adapter() is None

    assert run(["models", "use", lenient, "--limit", "3", "--quiet"]) == 0
    assert ModelRegistry.load(None).active_adapter() == lenient
    assert "gate passed" in capsys.readouterr().out


def test_an_adapter_for_another_base_cannot_be_used(
    cache: Path, shipped: tuple[ModelRegistry, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, key = shipped
    before = ModelRegistry.load(None).active_adapter()
    other = _install_copy(cache, key, 70, {})
    path = cache / "adapters" / "copy-v70" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["base_sha256"] = "3" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")

    assert run(["models", "use", other]) == 2
    assert "was trained on base model" in capsys.readouterr().err
    assert ModelRegistry.load(None).active_adapter() == before
