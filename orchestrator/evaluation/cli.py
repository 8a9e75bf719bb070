"""The ``cabin eval`` command group.

- ``cabin eval understanding [--set probes|kvret|slurp] [--probes FILE] [--json FILE]``: run a set
  through the in-process stack and print its table (see :mod:`orchestrator.evaluation.understanding`);
  ``--probes`` picks the probe file (default ``probes.yaml``; ``probes-later.yaml`` is the second set);
- ``cabin eval understanding --grammar-size``: lines of hand-written grammar and word lists.

Exit status 0 on success, 2 on an error (its message on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["register"]

SETS = ("probes", "kvret", "slurp")


def register(sub: Any) -> None:
    """Add ``cabin eval`` to the top-level parser's sub-commands."""
    evaluation = sub.add_parser("eval", help="measure how well the stack understands what people say")
    commands = evaluation.add_subparsers(dest="eval_command", required=True, metavar="COMMAND")
    understanding = commands.add_parser(
        "understanding", help="run a request set through the in-process stack and score it"
    )
    understanding.add_argument("--set", choices=SETS, default="probes", dest="which")
    understanding.add_argument("--json", metavar="FILE", help="also write the whole report as JSON")
    understanding.add_argument(
        "--probes",
        metavar="FILE",
        help="probes: the probe file (default: orchestrator/evaluation/probes.yaml)",
    )
    understanding.add_argument(
        "--kvret", metavar="FILE", help="KVRET train split (JSON or CSV), for --set kvret"
    )
    understanding.add_argument("--slurp", metavar="FILE", help="SLURP lines (JSONL), for --set slurp")
    understanding.add_argument(
        "--category", action="append", default=[], help="probes: only this category (repeatable)"
    )
    understanding.add_argument(
        "--probe", action="append", default=[], metavar="ID", help="probes: only this one (repeatable)"
    )
    understanding.add_argument("--limit", type=int, help="only the first N items of the set")
    understanding.add_argument(
        "--budget-s", type=float, default=None, help="turn budget in seconds (default: 20, see docs)"
    )
    understanding.add_argument("-v", "--verbose", action="store_true", help="print each item as it runs")
    understanding.add_argument(
        "--grammar-size", action="store_true", help="count lines of hand-written grammar and word lists"
    )
    understanding.set_defaults(func=_cmd_understanding)


def _cmd_understanding(args: argparse.Namespace) -> int:
    from .errors import EvaluationError
    from .grammar_size import format_size, measure

    report: dict[str, Any]
    try:
        if args.grammar_size:
            from .understanding import commit_of

            root = Path(__file__).resolve().parents[2]
            size = measure(root)
            report = {"set": "grammar-size", "commit": commit_of(root), **size.as_json()}
            print(f"at {report['commit']}\n{format_size(size)}")
        else:
            report = _run(args)
        if args.json:
            Path(args.json).write_text(
                json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
    except (EvaluationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace) -> dict[str, Any]:
    from .errors import EvaluationError
    from .probes import PROBES_FILE, load_probes
    from .understanding import TURN_BUDGET_S, evaluate, format_report

    if args.limit is not None and args.limit < 1:
        raise EvaluationError(f"--limit must be at least 1, got {args.limit}")
    if args.budget_s is not None and not args.budget_s > 0:
        raise EvaluationError(f"--budget-s must be more than 0 seconds, got {args.budget_s}")
    probes = None
    if args.probes is not None:
        if args.which != "probes":
            raise EvaluationError(f"--probes FILE is for --set probes, not --set {args.which}")
        # Read and checked before the stack opens: a missing or malformed file fails at once, named.
        probes = load_probes(Path(args.probes))

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = asyncio.run(
        evaluate(
            args.which,
            probes=probes,
            categories=args.category,
            ids=args.probe,
            kvret=Path(args.kvret) if args.kvret else None,
            slurp=Path(args.slurp) if args.slurp else None,
            limit=args.limit,
            budget_s=args.budget_s if args.budget_s is not None else TURN_BUDGET_S,
            progress=progress if args.verbose else None,
        )
    )
    if args.which == "probes":
        report["probes_file"] = str(Path(args.probes) if args.probes is not None else PROBES_FILE)
    print(format_report(report))
    return report
