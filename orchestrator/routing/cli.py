"""The ``cabin router`` command group.

``register(sub)`` adds it to the top-level parser; each sub-command sets ``func(args) -> int``: 0 on
success, 2 on an error (its message on stderr).

- ``cabin router fit [--data FILE] [--out FILE]``: fit the model path and write the artefact.
- ``cabin router eval``: held-out and probe accuracy, the SLURP out-of-domain check, latencies.
- ``cabin router route TEXT``: route one utterance and print the parts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models import ModelError

from .data import data_file
from .errors import RoutingError

__all__ = ["register"]


def _default_slurp() -> Path | None:
    """``shared/datasets/slurp-devel.jsonl`` inside or beside the project checkout, when present."""
    root = Path(__file__).resolve().parents[2]
    for candidate in (root / "shared", root.parent / "shared"):
        path = candidate / "datasets" / "slurp-devel.jsonl"
        if path.is_file():
            return path
    return None


def _guard(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (RoutingError, ModelError) as exc:
            print(f"error: {exc.message}", file=sys.stderr)
            return 2

    run.__doc__ = func.__doc__
    return run


def _runtime(args: argparse.Namespace) -> Any:
    from models import RuntimeConfig, open_runtime

    return open_runtime(RuntimeConfig.from_env(model=getattr(args, "model", None)))


def _progress(label: str) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        print(f"{label}: {done}/{total}", file=sys.stderr, flush=True)

    return show


def _cmd_fit(args: argparse.Namespace) -> int:
    from .training import fit_router, read_examples

    read_examples(args.data)  # a broken file fails before the model is loaded

    async def run() -> Any:
        runtime = _runtime(args)
        try:
            return await fit_router(
                args.data,
                runtime,
                args.out,
                holdout=args.holdout,
                seed=args.seed,
                progress=None if args.json else _progress("embedding"),
            )
        finally:
            await runtime.aclose()

    report = asyncio.run(run())
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    print(
        f"fitted on {report.n_train} lines of {report.data} with {report.model_id}; "
        f"held-out accuracy {report.held_out_accuracy:.3f} on {report.n_held_out} lines "
        f"(calibration error {report.calibration_error:.3f}, temperature {report.temperature:.2f})"
    )
    for label, figures in report.per_label.items():
        print(
            f"  {label:<26} precision {figures.precision:.2f} recall {figures.recall:.2f} "
            f"f1 {figures.f1:.2f} support {figures.support}"
        )
    thresholds = ", ".join(f"{agent} {value:.2f}" for agent, value in report.thresholds.items())
    held = report.held_out
    print(f"thresholds: {thresholds}")
    print(
        f"held-out with thresholds: in-domain right {held.in_domain_routed_right:.3f}, "
        f"wrong {held.in_domain_routed_wrong:.3f}, fallback {held.in_domain_fallback:.3f}; "
        f"none -> agent {held.none_to_agent:.3f}, -> vehicle-control {held.none_to_vehicle_control:.3f}"
    )
    print(f"embedding {report.embed_s:.1f} s, fitting {report.fit_s:.1f} s")
    print(f"saved {report.artefact} ({report.artefact_bytes} bytes, model sha256 {report.model_sha256[:12]})")
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from .model_stage import default_artefact_path, load_artefact
    from .training import evaluate, read_examples, read_slurp

    slurp = None if args.no_slurp else (Path(args.slurp) if args.slurp else _default_slurp())
    read_examples(args.data)  # broken inputs fail before the model is loaded
    read_examples(args.probe)
    if slurp is not None:
        read_slurp(slurp)
    load_artefact(Path(args.artefact) if args.artefact else default_artefact_path())

    async def run() -> Any:
        runtime = _runtime(args)
        try:
            return await evaluate(
                runtime,
                data=args.data,
                probe=args.probe,
                artefact=args.artefact,
                slurp=slurp,
                progress=None if args.json else (lambda m: print(m, file=sys.stderr, flush=True)),
            )
        finally:
            await runtime.aclose()

    report = asyncio.run(run())
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    held = report.held_out
    print(f"artefact {report.artefact} ({report.model_id}); thresholds {report.thresholds}")
    print(f"held-out accuracy (model, best label) {report.held_out_accuracy:.3f}")
    for label, figures in report.held_out_per_label.items():
        print(
            f"  {label:<26} precision {figures.precision:.2f} recall {figures.recall:.2f} "
            f"support {figures.support}"
        )
    print(
        f"held-out with thresholds: in-domain right {held.in_domain_routed_right:.3f}, "
        f"wrong {held.in_domain_routed_wrong:.3f}, fallback {held.in_domain_fallback:.3f}; "
        f"none -> agent {held.none_to_agent:.3f}, -> vehicle-control {held.none_to_vehicle_control:.3f}"
    )
    print(
        f"templates match {report.held_out_template_coverage:.3f} of held-out in-domain lines "
        f"({report.held_out_template_wrong} to a wrong label)"
    )
    probe = report.probe
    rates = probe.rates
    print(
        f"probe: model alone {report.probe_model_accuracy:.3f}; cascade {probe.accuracy:.3f} "
        f"(in-domain right {rates.in_domain_routed_right:.3f}, wrong {rates.in_domain_routed_wrong:.3f}, "
        f"fallback {rates.in_domain_fallback:.3f}; none -> agent {rates.none_to_agent:.3f}); via {probe.via}"
    )
    for text, expected, routed in probe.wrong:
        print(f"  wrong: {text!r}: {expected} -> {routed}")
    if report.slurp is not None:
        s = report.slurp
        print(
            f"SLURP: {s.strict_n} strictly out-of-domain lines: {s.strict_to_agent:.3f} sent to an agent, "
            f"{s.strict_to_vehicle_control:.3f} to vehicle-control ({s.strict_via_template} by a template)"
        )
        for text, intent, routed in s.strict_routed:
            print(f"  {intent:<24} -> {routed:<26} {text}")
        print(f"SLURP car-plausible intents ({s.in_car_n} lines):")
        for intent, where in s.in_car_to.items():
            print(f"  {intent:<24} {where}")
    print(f"template recognition (warm) ms: {report.template_ms}")
    print(f"model path ms per request: {report.model_ms}")
    print(f"Router.route ms per probe line: {report.route_ms}")
    return 0


def _cmd_route(args: argparse.Namespace) -> int:
    from .router import Router

    async def run() -> Any:
        runtime = None if args.templates_only else _runtime(args)
        router = await Router.open(runtime, artefact=args.artefact)
        try:
            return await router.route(args.text, budget_s=args.budget)
        finally:
            await router.aclose()
            if runtime is not None:
                await runtime.aclose()

    route = asyncio.run(run())
    print(json.dumps(route.model_dump(mode="json"), indent=2))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``router`` command group to ``sub``."""
    parser = sub.add_parser("router", help="the routing cascade: fit, evaluate, try")
    commands = parser.add_subparsers(dest="router_command", required=True, metavar="COMMAND")
    train = str(data_file("train.jsonl"))
    probe = str(data_file("probe.jsonl"))
    artefact = str(data_file("router.npz"))

    p = commands.add_parser("fit", help="fit the model path on labelled data and write the artefact")
    p.add_argument("--data", default=train, help=f"JSONL of {{text, label}} lines (default: {train})")
    p.add_argument("--out", default=artefact, help=f"artefact to write (default: {artefact})")
    p.add_argument("--holdout", type=float, default=0.2, help="held-out fraction (default 0.2)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", default=None, help="model id (default: the default model)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_guard(_cmd_fit))

    p = commands.add_parser("eval", help="held-out and probe accuracy, SLURP out-of-domain check")
    p.add_argument("--data", default=train, help="the training data the artefact was fitted on")
    p.add_argument("--probe", default=probe, help="labelled probe lines")
    p.add_argument("--artefact", default=None, help="artefact to evaluate (default: the shipped one)")
    p.add_argument("--slurp", default=None, help="SLURP JSONL (default: shared/datasets/slurp-devel.jsonl)")
    p.add_argument("--no-slurp", action="store_true", help="skip the out-of-domain check")
    p.add_argument("--model", default=None, help="model id (default: the default model)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_guard(_cmd_eval))

    p = commands.add_parser("route", help="route one utterance and print the parts as JSON")
    p.add_argument("text")
    p.add_argument("--budget", type=float, default=0.8, help="latency budget in seconds (default 0.8)")
    p.add_argument("--artefact", default=None, help="artefact (default: the shipped one)")
    p.add_argument("--templates-only", action="store_true", help="do not load the model")
    p.add_argument("--model", default=None, help="model id (default: the default model)")
    p.set_defaults(func=_guard(_cmd_route))
