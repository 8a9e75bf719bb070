"""LoRA adapters in the registry: manifests, integrity and base checks, the active choice."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from models import AdapterMismatch, ManifestError, ModelRegistry, RuntimeConfig, UnknownModel
from models.lora import BUILTIN_ADAPTERS, AdapterManifest, AdapterTraining

BASE_SHA = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"


def _install(cache: Path, version: int, *, base_sha: str = BASE_SHA, payload: bytes = b"lora") -> Path:
    directory = cache / "adapters" / f"demo-v{version}"
    directory.mkdir(parents=True)
    (directory / "adapter.gguf").write_bytes(payload)
    manifest = AdapterManifest(
        id="demo",
        version=version,
        task="vehicle-tool-call",
        prompt_format="vehicle-tool-call/1",
        base_model="gemma-3-270m-q4_k_m",
        base_sha256=base_sha,
        file="adapter.gguf",
        sha256=hashlib.sha256(payload).hexdigest(),
        size_bytes=len(payload),
        rank=8,
        alpha=16.0,
        gate={"exact_match": 0.5},
        training=AdapterTraining(
            command="cabin models tune --out x",
            config={},
            data_sha256="0" * 64,
            examples=10,
            steps=2,
            seconds=1.0,
            final_loss=1.0,
            trainable_parameters=100,
        ),
    )
    (directory / "manifest.json").write_text(manifest.model_dump_json(), encoding="utf-8")
    return directory


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry.load(None, directory=tmp_path)


def test_installed_adapters_are_listed_by_version(registry: ModelRegistry, tmp_path: Path) -> None:
    _install(tmp_path, 1)
    _install(tmp_path, 2)

    keys = [m.key for m in registry.adapters("gemma-3-270m-q4_k_m") if m.id == "demo"]

    assert keys == ["demo@1", "demo@2"]
    assert registry.adapter("demo").key == "demo@2"
    assert registry.adapter("demo@1").version == 1
    with pytest.raises(UnknownModel, match="demo@7"):
        registry.adapter("demo@7")


def test_an_adapter_trained_on_another_base_is_refused(registry: ModelRegistry, tmp_path: Path) -> None:
    _install(tmp_path, 1, base_sha="1" * 64)

    with pytest.raises(AdapterMismatch, match="trained on base model"):
        registry.resolve_adapter("demo@1")
    result = registry.verify_adapter("demo@1")
    assert not result.ok and "trained on base sha256 111111111111" in result.message


def test_an_adapter_file_that_does_not_match_its_manifest_is_refused(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    directory = _install(tmp_path, 1)
    (directory / "adapter.gguf").write_bytes(b"tampered")

    with pytest.raises(AdapterMismatch, match="its manifest says"):
        registry.resolve_adapter("demo@1")
    assert not registry.verify_adapter("demo@1").ok


def test_a_broken_manifest_names_its_file(registry: ModelRegistry, tmp_path: Path) -> None:
    directory = _install(tmp_path, 1)
    data = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    data["sha256"] = "not-a-digest"
    (directory / "manifest.json").write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(ManifestError, match=r"demo-v1/manifest\.json: sha256"):
        registry.adapters()


def test_the_choice_is_recorded_with_what_it_replaced(registry: ModelRegistry, tmp_path: Path) -> None:
    _install(tmp_path, 1)
    _install(tmp_path, 2)
    shipped = registry.active_adapter()

    first = registry.choose_adapter("demo@1")
    second = registry.choose_adapter("demo@2")
    none = registry.choose_adapter("none")

    assert (first.adapter, first.previous) == ("demo@1", shipped or "none")
    assert (second.adapter, second.previous) == ("demo@2", "demo@1")
    assert (none.adapter, none.previous) == ("none", "demo@2")
    assert registry.active_adapter() is None
    assert registry.active_adapter(override="demo@1") == "demo@1"


def test_a_mismatched_adapter_cannot_be_chosen(registry: ModelRegistry, tmp_path: Path) -> None:
    _install(tmp_path, 1, base_sha="2" * 64)
    before = registry.active_adapter()

    with pytest.raises(AdapterMismatch):
        registry.choose_adapter("demo@1")
    assert registry.active_adapter() == before


def test_the_newest_shipped_adapter_is_active_unless_its_manifest_says_otherwise(
    registry: ModelRegistry,
) -> None:
    shipped = [m for m in registry.adapters() if (BUILTIN_ADAPTERS / f"{m.id}-v{m.version}").is_dir()]
    if not shipped:
        pytest.skip("no adapter ships in models/adapters/")
    newest = max(shipped, key=lambda m: m.version)
    by_default = [m for m in shipped if m.default]

    assert registry.active_adapter() == (max(by_default, key=lambda m: m.version).key if by_default else None)
    manifest, path = registry.resolve_adapter(newest.key)
    assert path.stat().st_size == manifest.size_bytes <= 20_000_000
    assert manifest.base_sha256 == BASE_SHA and manifest.evaluation is not None


def test_the_runtime_config_reads_the_adapter_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CABIN_ADAPTER", "none")
    assert RuntimeConfig.from_env().adapter == "none"
    assert RuntimeConfig.from_env(adapter="demo@1").adapter == "demo@1"


def test_copying_a_shipped_adapter_into_the_cache_keeps_it_verifiable(
    registry: ModelRegistry, tmp_path: Path
) -> None:
    shipped = sorted(p for p in BUILTIN_ADAPTERS.glob("*/manifest.json"))
    if not shipped:
        pytest.skip("no adapter ships in models/adapters/")
    target = tmp_path / "adapters" / "copy"
    shutil.copytree(shipped[-1].parent, target)
    data = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    data["version"] = 90
    (target / "manifest.json").write_text(json.dumps(data), encoding="utf-8")

    result = registry.verify_adapter(f"{data['id']}@90")

    assert result.ok, result.message
