"""`cabin --help` and every command's ``--help`` import nothing heavy (the SDKs, the model runtime, OCR,
the map reader, the template matcher, numpy, the web servers): each loads inside the command that uses
it. Checked in a fresh interpreter per command, by the modules loaded after ``main([..., "--help"])``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from orchestrator.cli import build_parser

HEAVY = (
    "a2a",
    "mcp",
    "llama_cpp",
    "rapidocr",
    "rapidocr_onnxruntime",
    "onnxruntime",
    "osmium",
    "hassil",
    "numpy",
    "fastapi",
    "uvicorn",
    "sqlalchemy",
    "google.protobuf",
)

_PROBE = """
import json, sys
from orchestrator.cli import main
try:
    main(json.loads(sys.argv[1]))
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules)))
"""


def _commands(parser: argparse.ArgumentParser | None = None, prefix: tuple[str, ...] = ()) -> list[list[str]]:
    """Every command and nested command of ``cabin`` (``[]`` is ``cabin`` itself)."""
    parser = parser or build_parser()
    found = [list(prefix)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in sorted(action.choices.items()):
                found += _commands(child, (*prefix, name))
    return found


def _heavy_after(argv: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps([*argv, "--help"]), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "usage: cabin" in done.stdout
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("argv", _commands(), ids=lambda argv: " ".join(argv) or "cabin")
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    assert _heavy_after(argv) == []


def test_every_command_is_checked() -> None:
    commands = _commands()
    assert ["ask"] in commands and ["router", "fit"] in commands


def test_the_probe_sees_a_heavy_import() -> None:
    # The check above would pass vacuously if the probe could not see imports: a command that does load
    # the vehicle server's SDK shows up.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; import orchestrator.cli; import mcp_servers.vehicle.server; "
            f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "mcp" in json.loads(done.stdout)
