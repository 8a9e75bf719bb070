"""The whole `cabin models tune` run: data, training, GGUF export, manifest.

`run_tune` generates the data (`models.tuning.data`), trains the LoRA adapter over the registered
model's GGUF (`models.tuning.train`), writes it as a GGUF LoRA adapter (`models.tuning.export`) and
a manifest (`models.lora.AdapterManifest`) into the output directory, together with the
run log (`run.jsonl`) and the raw peft weights (`peft/`, not shipped). `cabin models data` writes the
same training data (same seed and size, same hash). The evaluation figures are added by
`cabin models eval --write` (`models.tuning.evaluate`).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from models.lora import AdapterManifest, AdapterTraining
from models.registry import ModelRegistry, sha256_file
from models.tuning.data import generate, tool_schemas
from models.tuning.errors import TuneError
from models.tuning.format import PROMPT_FORMAT, TASK
from models.tuning.train import TrainConfig, load_base, train

__all__ = ["DEFAULT_GATE", "run_tune"]

DEFAULT_GATE = {"exact_match": 0.8, "none_precision": 0.95}
"""What a version must reach on the held-out split to become active (`cabin models use`)."""


def _packages() -> dict[str, str]:
    out = {}
    for name in ("torch", "transformers", "peft", "gguf", "llama_cpp_python"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def run_tune(
    out_dir: Path,
    config: TrainConfig,
    *,
    adapter_id: str = "vehicle-tools",
    version: int = 1,
    model_id: str | None = None,
    registry: ModelRegistry | None = None,
    command: str = "cabin models tune",
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> AdapterManifest:
    """Train and export one adapter version into ``out_dir``; returns its manifest (also written)."""
    registry = registry or ModelRegistry.load()
    spec = registry.get(model_id)
    if spec.sha256 is None:
        raise TuneError(f"model {spec.id!r} has no pinned sha256; pin it so the adapter can name its base")
    base_path = registry.resolve(spec.id)
    tools = tool_schemas()
    examples, report = generate(config.examples, seed=config.seed, tools=tools)
    out_dir.mkdir(parents=True, exist_ok=True)
    log(f"data: {report.examples} examples {json.dumps(report.by_source)}, sha256 {report.sha256[:12]}")
    log(f"loading {spec.id} from {base_path} (dequantised for training) ...")
    tokenizer, model = load_base(base_path)
    peft_model, result = train(
        tokenizer, model, examples, tools.schemas, config, out_dir / "run.jsonl", progress=progress
    )
    log(f"trained {result.steps} steps in {result.seconds:.0f} s, final loss {result.final_loss:.4f}")
    peft_model.save_pretrained(str(out_dir / "peft"))  # the raw LoRA weights, for a re-export
    from models.tuning.export import export_lora

    adapter_file = out_dir / "adapter.gguf"
    architecture = str(getattr(model.config, "model_type", "gemma3")).replace("_text", "")
    export_lora(
        peft_model,
        adapter_file,
        architecture=architecture,
        alpha=config.alpha,
        name=f"{adapter_id}@{version}",
        metadata={"base_sha256": spec.sha256, "task": TASK, "prompt_format": PROMPT_FORMAT},
    )
    manifest = AdapterManifest(
        id=adapter_id,
        version=version,
        task=TASK,
        prompt_format=PROMPT_FORMAT,
        base_model=spec.id,
        base_sha256=spec.sha256,
        file=adapter_file.name,
        sha256=sha256_file(adapter_file),
        size_bytes=adapter_file.stat().st_size,
        rank=config.rank,
        alpha=config.alpha,
        gate=dict(DEFAULT_GATE),
        training=AdapterTraining(
            command=command,
            config=config.model_dump(mode="json"),
            data_sha256=report.sha256,
            examples=report.examples,
            steps=result.steps,
            seconds=round(result.seconds, 1),
            final_loss=round(result.final_loss, 5),
            trainable_parameters=result.trainable_parameters,
            machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
            packages=_packages(),
        ),
        description="Vehicle tool calls: one call of a vehicle tool, or none, for one in-car request.",
    )
    (out_dir / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    log(
        f"adapter {manifest.key}: {adapter_file} ({manifest.size_bytes / 1e6:.1f} MB), "
        f"sha256 {manifest.sha256[:12]}"
    )
    return manifest
