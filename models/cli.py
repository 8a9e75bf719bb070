"""The ``cabin models`` command group.

``register(sub)`` adds it to the top-level parser; each sub-command sets ``func(args) -> int``:
0 on success, 1 when a check fails (``verify``), 2 on an error (its message on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from models.errors import ModelError

__all__ = ["ProgressBar", "register"]


class ProgressBar:
    """A one-line text progress bar on a stream (a line per 10 % when the stream is not a terminal)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = -1
        self._last_draw = 0.0
        self._done = False

    def __call__(self, done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        if self._tty:
            now = time.monotonic()
            if fraction < 1.0 and now - self._last_draw < 0.05:
                return
            self._last_draw = now
            filled = int(self.width * fraction)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(
                f"\r{self.label} [{bar}] {fraction * 100:5.1f}% {done / 1e6:7.1f}/{total / 1e6:.1f} MB"
            )
            if fraction >= 1.0 and not self._done:
                self.stream.write("\n")
                self._done = True
        else:
            decile = int(fraction * 10)
            if decile > self._last_decile:
                self._last_decile = decile
                self.stream.write(f"{self.label}: {decile * 10}% ({done / 1e6:.1f}/{total / 1e6:.1f} MB)\n")
        self.stream.flush()


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ModelError as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2

    run.__doc__ = func.__doc__
    return run


def _registry(args: argparse.Namespace) -> Any:
    from models.registry import ModelRegistry

    return ModelRegistry.load(getattr(args, "config", None))


def _cmd_list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    rows = []
    for spec in registry.specs():
        rows.append(
            {
                "id": spec.id,
                "default": spec.id == registry.default_id,
                "kind": spec.kind,
                "installed": registry.is_installed(spec.id),
                "path": str(registry.location(spec.id)),
                "sha256": spec.sha256,
                "quantization": spec.quantization,
                "parameters": spec.parameters,
                "context_length": spec.context_length,
                "license": spec.license,
                "prompt_format": spec.prompt_format,
                "source": spec.source.model_dump(),
                "adapters": _adapter_rows(registry, spec.id) if spec.kind == "text" else [],
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        mark = "*" if row["default"] else " "
        state = "installed" if row["installed"] else "not installed"
        params = f"{row['parameters'] / 1e6:.0f}M" if row["parameters"] else "?"
        print(
            f"{mark} {row['id']:<32} {row['quantization']:<8} {params:>6} "
            f"ctx {row['context_length']:<6} {state}"
        )
        print(f"    sha256 {row['sha256'] or '(not pinned)'}  licence {row['license']}")
        print(f"    {row['path']}")
        for adapter in row["adapters"]:
            mark = "active" if adapter["active"] else "      "
            figures = adapter["evaluation"] or {}
            quality = (
                f"exact match {figures['exact_match']:.3f} (base {adapter['base_exact_match']:.3f})"
                if "exact_match" in figures
                else "not evaluated"
            )
            print(
                f"    {mark} adapter {adapter['key']:<22} {adapter['task']:<18} "
                f"{adapter['size_bytes'] / 1e6:.1f} MB  {quality}"
            )
            print(f"           sha256 {adapter['sha256']}  base {adapter['base_sha256'][:12]}...")
    return 0


def _adapter_rows(registry: Any, model_id: str) -> list[dict[str, Any]]:
    active = registry.active_adapter(model_id, override=_env_adapter())
    rows = []
    for manifest in registry.adapters(model_id):
        evaluation = manifest.evaluation
        rows.append(
            {
                "key": manifest.key,
                "active": manifest.key == active,
                "task": manifest.task,
                "prompt_format": manifest.prompt_format,
                "path": str(registry.adapter_path(manifest.key)),
                "sha256": manifest.sha256,
                "base_sha256": manifest.base_sha256,
                "size_bytes": manifest.size_bytes,
                "rank": manifest.rank,
                "evaluation": evaluation.tuned if evaluation else None,
                "base_exact_match": evaluation.base.get("exact_match", 0.0) if evaluation else None,
                "gate": manifest.gate,
                "command": manifest.training.command,
            }
        )
    return rows


def _env_adapter() -> str | None:
    import os

    return os.environ.get("CABIN_ADAPTER") or None


def _cmd_path(args: argparse.Namespace) -> int:
    registry = _registry(args)
    spec = registry.get(args.id)
    path = registry.location(spec.id)
    print(path)
    if not path.is_file():
        print(f"note: not installed yet: {spec.how_to_install()}", file=sys.stderr)
        return 1
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    registry = _registry(args)
    ids = (
        [s.id for s in registry.specs() if registry.is_installed(s.id)]
        if args.all
        else [args.id or registry.default_id]
    )
    failed = False
    for model_id in ids:
        progress = None if args.quiet else ProgressBar(f"hashing {model_id}")
        result = registry.verify(model_id, progress=progress)
        status = "OK" if result.ok else "FAILED"
        print(f"{status} {result.id} {result.actual or '-'} ({result.message})")
        failed |= not result.ok
        if registry.get(model_id).kind != "text":
            continue
        keys = (
            [m.key for m in registry.adapters(model_id)]
            if args.all
            else [k for k in [registry.active_adapter(model_id, override=_env_adapter())] if k]
        )
        for key in keys:
            checked = registry.verify_adapter(key)
            status = "OK" if checked.ok else "FAILED"
            print(f"{status} {checked.id} {checked.actual or '-'} ({checked.message})")
            failed |= not checked.ok
    return 1 if failed else 0


def _cmd_prepare(args: argparse.Namespace) -> int:
    registry = _registry(args)
    spec = registry.get(args.id)
    already = registry.is_installed(spec.id)
    progress = None if args.quiet else ProgressBar(f"preparing {spec.id}")
    path = registry.prepare(spec.id, progress=progress)
    print(f"{'ready' if already else 'prepared'} {spec.id}: {path}")
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from models.classifier import fit_from_jsonl
    from models.config import RuntimeConfig
    from models.runtime import open_runtime

    config = RuntimeConfig.from_env(model=args.model, models_config=getattr(args, "config", None))

    async def run() -> Any:
        runtime = open_runtime(config)
        try:
            return await fit_from_jsonl(args.data, runtime, args.out, holdout=args.holdout, seed=args.seed)
        finally:
            await runtime.aclose()

    report = asyncio.run(run())
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        accuracy = "n/a (no held-out split)" if report.accuracy is None else f"{report.accuracy:.3f}"
        print(
            f"fitted {len(report.labels)} labels on {report.n_train} examples; held-out accuracy {accuracy} "
            f"on {report.n_test} examples"
        )
        for label, figures in report.per_label.items():
            print(
                f"  {label:<16} precision {figures.precision:.2f} recall {figures.recall:.2f} "
                f"f1 {figures.f1:.2f} support {figures.support}"
            )
        print(
            f"saved {report.artefact} ({report.artefact_bytes} bytes, "
            f"model {report.model_id} {report.model_sha256[:12]})"
        )
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from models.bench import bench_runtime, summary

    result = bench_runtime(args.repeats)
    print(json.dumps(result, indent=2) if args.json else summary(result))
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from models.tuning.data import generate, write_examples

    examples, report = generate(args.examples, seed=args.seed)
    write_examples(examples, Path(args.out))
    print(
        report.model_dump_json(indent=2)
        if args.json
        else f"wrote {report.examples} examples to {args.out} "
        f"(sha256 {report.sha256}); by source {report.by_source}"
    )
    return 0


def _tune_command(args: argparse.Namespace) -> str:
    """The full command line of a run, every training option written out (reproducible as is)."""
    parts = [
        "cabin models tune",
        f"--out {args.out}",
        f"--id {args.id}",
        f"--version {args.version}",
        f"--examples {args.examples}",
        f"--layers {args.layers}",
        f"--seed {args.seed}",
        f"--rank {args.rank}",
        f"--alpha {args.alpha:g}",
        f"--epochs {args.epochs:g}",
        f"--batch-size {args.batch_size}",
        f"--lr {args.lr:g}",
    ]
    if args.max_steps is not None:
        parts.append(f"--max-steps {args.max_steps}")
    if args.threads is not None:
        parts.append(f"--threads {args.threads}")
    return " ".join(parts)


def _cmd_tune(args: argparse.Namespace) -> int:
    from pathlib import Path

    from models.tuning.train import TrainConfig
    from models.tuning.tune import run_tune

    config = TrainConfig(
        examples=args.examples,
        layers=args.layers,
        seed=args.seed,
        rank=args.rank,
        alpha=args.alpha,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        max_steps=args.max_steps,
        threads=args.threads,
    )
    manifest = run_tune(
        Path(args.out),
        config,
        adapter_id=args.id,
        version=args.version,
        model_id=args.model,
        registry=_registry(args),
        command=_tune_command(args),
        progress=not args.quiet,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(
        f"{manifest.key} written to {args.out}; evaluate it with `cabin models eval --adapter {manifest.key}`"
    )
    return 0


def _eval_progress(quiet: bool) -> Callable[[str, int, int], None] | None:
    if quiet:
        return None

    def show(variant: str, done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            print(f"eval {variant}: {done}/{total}", file=sys.stderr)

    return show


def _cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from models.config import RuntimeConfig
    from models.runtime import ModelRuntime
    from models.tuning.data import HELDOUT
    from models.tuning.evaluate import evaluate, table

    registry = _registry(args)
    adapter = registry.active_adapter(args.model, override=args.adapter or _env_adapter())
    variants = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(variants) - {"base", "tuned"})
    if unknown or not variants:
        raise _usage(f"--variants takes base and/or tuned, got {args.variants!r}")
    if "tuned" in variants and adapter is None:
        raise _no_adapter()
    if args.write and (adapter is None or args.limit is not None):
        raise _usage("--write records figures of a full run of an adapter: give no --limit")
    config = RuntimeConfig.from_env(
        model=args.model, models_config=getattr(args, "config", None), adapter=adapter or "none"
    )
    report = evaluate(
        lambda: ModelRuntime.open(config, registry=registry),
        split=Path(args.split) if args.split else HELDOUT,
        limit=args.limit,
        variants=variants,
        progress=_eval_progress(args.quiet),
        bench=args.bench,
        repeats=args.repeats,
    )
    if args.json:
        Path(args.json).write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(table(report))
    if args.write and adapter is not None:
        _write_evaluation(registry, adapter, report, " ".join(["cabin models eval", *sys.argv[3:]]))
    return 0


def _no_adapter() -> ModelError:
    from models.errors import UnknownModel

    return UnknownModel("no adapter is active for this model; name one with --adapter <id>@<version>")


def _usage(message: str) -> ModelError:
    from models.errors import InvalidRequest

    return InvalidRequest(message)


def _write_evaluation(registry: Any, key: str, report: Any, command: str) -> None:
    from models.lora import AdapterEvaluation

    manifest = registry.adapter(key)
    figures = {v.variant: dict(v.figures) for v in report.variants}
    for variant, timing in report.latency.items():
        figures.setdefault(variant, {}).update(
            bench_median_ms=timing["median_ms"], bench_p90_ms=timing["p90_ms"]
        )
    evaluation = AdapterEvaluation(
        split=report.split,
        split_sha256=report.split_sha256,
        examples=report.examples,
        base=figures.get("base", {}),
        tuned=figures.get("tuned", {}),
        command=command,
    )
    path = registry.adapter_path(manifest.key).parent / "manifest.json"
    updated = manifest.model_copy(update={"evaluation": evaluation})
    path.write_text(updated.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(f"recorded the figures in {path}")


def _cmd_use(args: argparse.Namespace) -> int:
    from models.config import RuntimeConfig
    from models.lora import NO_ADAPTER
    from models.runtime import ModelRuntime
    from models.tuning.evaluate import evaluate, table

    registry = _registry(args)
    spec = registry.get(args.model)
    before = registry.active_adapter(spec.id)
    choice = registry.choose_adapter(args.key, spec.id)
    if choice.adapter == NO_ADAPTER:
        print(f"{spec.id} now runs without an adapter (was {before or 'none'})")
        return 0
    manifest = registry.adapter(choice.adapter)
    if args.no_gate:
        print(f"{spec.id} now runs with {manifest.key} (was {before or 'none'}; gate skipped)")
        return 0
    config = RuntimeConfig.from_env(model=spec.id, models_config=getattr(args, "config", None))
    try:
        report = evaluate(
            lambda: ModelRuntime.open(config.model_copy(update={"adapter": manifest.key}), registry=registry),
            limit=args.limit,
            variants=["tuned"],
            progress=_eval_progress(args.quiet),
        )
    except ModelError as exc:
        registry.choose_adapter(before or NO_ADAPTER, spec.id)
        print(
            f"rolled back to {before or 'no adapter'}: {manifest.key} could not be evaluated: {exc}",
            file=sys.stderr,
        )
        return 1
    print(table(report))
    figures = report.variants[0].figures
    failed = {
        name: (figures.get(name, 0.0), floor)
        for name, floor in manifest.gate.items()
        if figures.get(name, 0.0) < floor
    }
    if failed:
        registry.choose_adapter(before or NO_ADAPTER, spec.id)
        detail = ", ".join(f"{n} {got:.3f} < {floor:.3f}" for n, (got, floor) in failed.items())
        print(
            f"rolled back to {before or 'no adapter'}: {manifest.key} failed its gate ({detail})",
            file=sys.stderr,
        )
        return 1
    print(f"{spec.id} now runs with {manifest.key} (was {before or 'none'}); gate passed")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``models`` command group to ``sub``."""
    parser = sub.add_parser("models", help="on-device model registry, preparation and tools")
    parser.add_argument("--config", default=None, help="YAML file with extra models (default: $CABIN_MODELS)")
    commands = parser.add_subparsers(dest="models_command", required=True, metavar="COMMAND")

    p = commands.add_parser("list", help="list the registered models")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_guard(_cmd_list))

    p = commands.add_parser("path", help="print the path of a model file")
    p.add_argument("id", help="model id")
    p.set_defaults(func=_guard(_cmd_path))

    p = commands.add_parser("verify", help="check model files against their pinned sha256")
    p.add_argument("id", nargs="?", default=None, help="model id (default: the default model)")
    p.add_argument("--all", action="store_true", help="verify every installed model")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_guard(_cmd_verify))

    p = commands.add_parser("prepare", help="assemble or copy a packaged model into the cache (idempotent)")
    p.add_argument("id", nargs="?", default=None, help="model id (default: the default model)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_guard(_cmd_prepare))

    p = commands.add_parser("fit-classifier", help="fit the embedding classifier on JSONL training data")
    p.add_argument("--data", required=True, help='JSONL file of {"text": ..., "label": ...} lines')
    p.add_argument("--out", required=True, help="artefact to write (.npz)")
    p.add_argument("--holdout", type=float, default=0.2, help="held-out fraction for the reported accuracy")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default=None, help="model id (default: the default model)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_guard(_cmd_fit))

    p = commands.add_parser("data", help="write the generated tool-call training data (JSONL)")
    p.add_argument("--out", required=True, help="JSONL file to write")
    p.add_argument("--examples", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the generation report as JSON")
    p.set_defaults(func=_guard(_cmd_data))

    p = commands.add_parser(
        "tune", help="LoRA-tune the model for vehicle tool calls (needs the [tune] extra)"
    )
    p.add_argument("--out", required=True, help="directory for adapter.gguf, manifest.json and run.jsonl")
    p.add_argument("--model", default=None, help="base model id (default: the default model)")
    p.add_argument("--id", default="vehicle-tools", help="adapter id")
    p.add_argument("--version", type=int, default=1, help="adapter version")
    p.add_argument("--examples", type=int, default=1200, help="generated training examples")
    p.add_argument("--layers", type=int, default=8, help="adapt the top N decoder layers (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rank", type=int, default=16, help="LoRA rank")
    p.add_argument("--alpha", type=int, default=32, help="LoRA alpha (the update is scaled by alpha / rank)")
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_guard(_cmd_tune))

    p = commands.add_parser("eval", help="tool-call accuracy on the held-out split, base vs tuned")
    p.add_argument("--adapter", default=None, help="adapter <id>[@<version>] (default: the active one)")
    p.add_argument("--model", default=None, help="base model id (default: the default model)")
    p.add_argument("--variants", default="base,tuned", help="comma-separated: base, tuned")
    p.add_argument("--split", default=None, help="JSONL split (default: models/tuning/data/heldout.jsonl)")
    p.add_argument("--limit", type=int, default=None, help="only the first N requests (a quick check)")
    p.add_argument(
        "--json", default=None, metavar="FILE", help="write the full report (every request) as JSON"
    )
    p.add_argument("--write", action="store_true", help="record the figures in the adapter's manifest")
    p.add_argument("--bench", type=int, default=0, metavar="N", help="also time the first N requests")
    p.add_argument("--repeats", type=int, default=3, help="timed rounds of --bench (after a warm-up)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_guard(_cmd_eval))

    p = commands.add_parser("use", help="switch the model's adapter; rolls back if it fails its gate")
    p.add_argument("key", help="adapter <id>[@<version>], or none for the base model alone")
    p.add_argument("--model", default=None, help="base model id (default: the default model)")
    p.add_argument("--limit", type=int, default=None, help="gate on the first N held-out requests only")
    p.add_argument("--no-gate", action="store_true", help="switch without evaluating (not recommended)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=_guard(_cmd_use))

    p = commands.add_parser("bench", help="benchmark the runtime against bare llama-cpp-python")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--repeats", type=int, default=5)
    p.set_defaults(func=_guard(_cmd_bench))
