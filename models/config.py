"""Runtime configuration, read from arguments and the environment."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.errors import ManifestError

__all__ = ["RuntimeConfig"]


class RuntimeConfig(BaseModel):
    """How a runtime is opened.

    Environment variables (read by :meth:`from_env`): ``CABIN_MODEL_HOST`` (URL of a running model
    host: use it instead of loading a model in this process), ``CABIN_MODEL_TOKEN`` (bearer token for
    that host), ``CABIN_MODELS`` (YAML file with extra models), ``CABIN_MODEL`` (model id),
    ``CABIN_MODEL_THREADS`` (CPU threads; default: all cores), ``CABIN_ADAPTER`` (the LoRA adapter to
    load with the model, ``<id>[@<version>]``, or ``none``; default: the active one, docs/models.md).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    models_config: str | None = None
    host_url: str | None = None
    token: str | None = None
    threads: int | None = Field(default=None, ge=1, le=256)
    adapter: str | None = Field(default=None, min_length=1, max_length=100)
    # The generation context's KV cache, shared by the prefix slots, the running requests and the score
    # lanes; a cell costs about 18 KiB of resident memory in the model host (gemma-3-270m: 2048 cells
    # 36 MiB, 1536 cells 27). What turns send: replaying scenarios/, the longest prompt was 201 tokens
    # and the sequences together never held more than 622 cells; with the vehicle tool-call adapter a
    # model-routed request is about 30 tokens. Without an adapter the vehicle-control agent's few-shot
    # prefix is 615 tokens, kept cached; with a 500-character utterance (the front end's limit, about
    # 185 tokens of plain words) and 96 generated tokens its longest request takes about 900 cells,
    # and two beside the cached prefixes about 1,200. When the cache fills, cached prefixes are
    # evicted and recomputed; a single request longer than n_ctx is refused.
    n_ctx: int = Field(default=1536, ge=64, le=131072)
    n_batch: int = Field(default=256, ge=8, le=4096)
    parallel: int = Field(default=2, ge=1, le=8)
    prefix_slots: int = Field(default=4, ge=1, le=32)
    score_lanes: int = Field(default=8, ge=1, le=64)
    embed_batch: int = Field(default=64, ge=8, le=1024)
    embed_max_tokens: int = Field(default=512, ge=8, le=8192)
    embed_cache_size: int = Field(default=4096, ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _enough_prefix_slots(self) -> RuntimeConfig:
        if self.prefix_slots < self.parallel:
            raise ValueError("prefix_slots must be at least parallel (each running request may fill one)")
        return self

    @classmethod
    def from_env(cls, **overrides: Any) -> RuntimeConfig:
        """Defaults, then the environment, then ``overrides`` (``None`` values are ignored)."""
        data: dict[str, Any] = {}
        env = os.environ
        if env.get("CABIN_MODEL_HOST"):
            data["host_url"] = env["CABIN_MODEL_HOST"]
        if env.get("CABIN_MODEL_TOKEN"):
            data["token"] = env["CABIN_MODEL_TOKEN"]
        if env.get("CABIN_MODELS"):
            data["models_config"] = env["CABIN_MODELS"]
        if env.get("CABIN_MODEL"):
            data["model"] = env["CABIN_MODEL"]
        if env.get("CABIN_MODEL_THREADS"):
            data["threads"] = env["CABIN_MODEL_THREADS"]
        if env.get("CABIN_ADAPTER"):
            data["adapter"] = env["CABIN_ADAPTER"]
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise ManifestError(f"invalid model runtime configuration: {problems}") from exc

    def resolved_threads(self) -> int:
        return self.threads or os.cpu_count() or 1
