"""Every command of docs/extending.md runs: the ``sh`` blocks, in order, as one script from the
repository root (the project's environment first on PATH, a free port for the example agent)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .support import ROOT, free_port

pytestmark = [pytest.mark.realprocess, pytest.mark.model]

DOC = ROOT / "docs" / "extending.md"


def shell_blocks(text: str) -> list[str]:
    """The bodies of the fenced blocks marked ``sh``, in order."""
    return re.findall(r"^```sh\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)


def test_the_doc_has_commands_for_each_step() -> None:
    script = "\n".join(shell_blocks(DOC.read_text(encoding="utf-8")))
    for step in ("pip install", "cabin tools --check", "cabin ask", "cabin new tool", "cabin new agent"):
        assert step in script, step


def test_every_command_in_extending_md_runs(tmp_path: Path) -> None:
    blocks = shell_blocks(DOC.read_text(encoding="utf-8"))
    script = "set -euo pipefail\n" + "\n".join(blocks)
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
        "AGENT_PORT": str(free_port()),
        "TMPDIR": str(tmp_path),
    }
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        start_new_session=True,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-4000:]}"
    assert "ok: cabin-seat-massage/start_seat_massage" in done.stdout
    assert "owners-manual ['manual']" in done.stdout
