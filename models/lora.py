"""LoRA adapters over a registered base model: manifests, integrity checks and the active version.

An adapter is a directory holding a GGUF LoRA adapter and its ``manifest.json``
(:class:`AdapterManifest`): the base model it was trained on (id and sha256), the adapter file's
sha256, the task and prompt format it serves, how it was trained (the exact command, its
configuration, the training data's hash) and its evaluation figures. Adapters ship in
``models/adapters/`` (built in) and may be installed under ``<cache>/adapters/``.

Which adapter a model runs with is the *active* choice, kept per base model in
``<cache>/adapters.json`` and changed by ``cabin models use`` (which evaluates the new version first
and keeps the previous one when it fails its gate). With no choice recorded, the newest built-in
adapter for the model is active. ``CABIN_ADAPTER`` (an adapter key or ``none``) overrides both.

An adapter is loaded only when its file matches its sha256 and its manifest names the base model's
sha256; anything else is :class:`~models.errors.AdapterMismatch`, never a silently different model.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import AdapterMismatch, ManifestError, UnknownModel

__all__ = [
    "BUILTIN_ADAPTERS",
    "NO_ADAPTER",
    "ActiveChoice",
    "AdapterEvaluation",
    "AdapterManifest",
    "AdapterTraining",
    "adapter_dirs",
    "load_manifest",
]

BUILTIN_ADAPTERS = Path(__file__).resolve().parent / "adapters"
"""Adapters that ship with cabin (one directory each)."""

NO_ADAPTER = "none"
"""The active choice that runs the base model alone."""

MANIFEST = "manifest.json"


class AdapterTraining(BaseModel):
    """How an adapter was made: enough to make it again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    command: str
    config: dict[str, Any]
    data_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    examples: int = Field(ge=0)
    steps: int = Field(ge=0)
    seconds: float = Field(ge=0)
    final_loss: float
    trainable_parameters: int = Field(ge=0)
    machine: str = ""
    packages: dict[str, str] = Field(default_factory=dict)


class AdapterEvaluation(BaseModel):
    """Figures on the held-out split, for the base model and with the adapter, side by side."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    split: str
    split_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    examples: int = Field(ge=0)
    base: dict[str, float]
    tuned: dict[str, float]
    command: str = ""


class AdapterManifest(BaseModel):
    """``manifest.json`` of one adapter version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    version: int = Field(ge=1)
    task: str = Field(min_length=1)
    prompt_format: str = Field(min_length=1)
    base_model: str
    base_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    file: str = Field(pattern=r"^[^/\\]+\.gguf$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size_bytes: int = Field(ge=0)
    rank: int = Field(ge=1)
    alpha: float = Field(gt=0)
    gate: dict[str, float] = Field(default_factory=dict)
    """Minimum figures (names of `AdapterEvaluation.tuned`) a version must reach to become active."""
    training: AdapterTraining
    evaluation: AdapterEvaluation | None = None
    description: str = ""
    default: bool = True
    """Shipped built in, whether it is active with no choice recorded; False: only when chosen
    (`cabin models use`, ``CABIN_ADAPTER``), for a version that must not yet change what the car does."""

    @property
    def key(self) -> str:
        """``<id>@<version>``, how commands name one version."""
        return f"{self.id}@{self.version}"


class ActiveChoice(BaseModel):
    """The recorded choice for one base model (``<cache>/adapters.json``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    adapter: str
    previous: str | None = None


def adapter_dirs(cache: Path) -> list[Path]:
    """Where adapters are looked for: the built-in ones, then those installed in the cache."""
    return [BUILTIN_ADAPTERS, cache / "adapters"]


def load_manifest(directory: Path) -> AdapterManifest:
    """The manifest of the adapter in ``directory``; ManifestError naming the file otherwise."""
    path = directory / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"cannot read adapter manifest {path}: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ManifestError(f"{path}: not valid JSON: {exc}") from exc
    try:
        return AdapterManifest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ManifestError(f"{path}: {problems}") from exc


def parse_key(key: str) -> tuple[str, int | None]:
    """``id`` or ``id@version`` -> (id, version or None for the newest)."""
    match = re.fullmatch(r"([a-z0-9][a-z0-9._-]{0,63})(?:@(\d+))?", key.strip())
    if match is None:
        raise UnknownModel(f"{key!r} is not an adapter name; write <id> or <id>@<version>")
    return match.group(1), int(match.group(2)) if match.group(2) else None


def check_base(manifest: AdapterManifest, base_id: str, base_sha256: str | None) -> None:
    """Refuse an adapter trained on another base model (AdapterMismatch with both digests)."""
    if base_sha256 is None or manifest.base_sha256 != base_sha256:
        raise AdapterMismatch(
            f"adapter {manifest.key} was trained on base model {manifest.base_model!r} with sha256 "
            f"{manifest.base_sha256}, but {base_id!r} has sha256 {base_sha256 or 'unpinned'}; "
            "use an adapter trained on this model (`cabin models list`) "
            "or retrain it with `cabin models tune`"
        )


def read_choices(path: Path) -> dict[str, ActiveChoice]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, ActiveChoice] = {}
    for model_id, entry in data.items():
        try:
            out[str(model_id)] = ActiveChoice.model_validate(entry)
        except ValidationError:
            continue
    return out


def write_choices(path: Path, choices: dict[str, ActiveChoice]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".adapters.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({k: v.model_dump() for k, v in choices.items()}, fh, indent=1, sort_keys=True)
    Path(tmp).replace(path)
