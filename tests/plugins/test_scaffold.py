"""cabin new tool|agent writes packages that pass their own tests and cabin tools --check at once;
bad names, taken directories and broken plugins get clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.cli import main
from orchestrator.plugins import PluginCheckError, check_target
from orchestrator.scaffold import ScaffoldError, new_agent, new_tool

from .support import MASSAGE_DIR, ROOT


def run_tests(package: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=package,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.realprocess
def test_a_new_tool_passes_its_tests_and_the_check(tmp_path: Path) -> None:
    package = new_tool("cup_holder", tmp_path)
    assert (package / "pyproject.toml").read_text().count('"cabin.tools"') == 1
    done = run_tests(package)
    assert done.returncode == 0, done.stdout + done.stderr
    report = check_target(str(package))
    assert report.plugins == ["cabin-cup-holder"]
    assert any(line.startswith("ok: cabin-cup-holder/cup_holder:") for line in report.lines)


@pytest.mark.realprocess
def test_a_new_agent_passes_its_tests(tmp_path: Path) -> None:
    package = new_agent("trip-notes", tmp_path)
    assert (package / "cabin_trip_notes" / "__main__.py").exists()
    done = run_tests(package)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bad_names_and_taken_directories_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ScaffoldError, match="lower-case letters"):
        new_tool("Cup Holder", tmp_path)
    new_tool("cup_holder", tmp_path)
    assert main(["new", "tool", "cup_holder", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_the_check_names_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = new_tool("cup_holder", tmp_path)
    module = package / "cabin_cup_holder" / "__init__.py"
    module.write_text(module.read_text().replace('rules=("GR-CUPHOLDER1",),', "rules=(),"))
    with pytest.raises(PluginCheckError, match=r"writes Vehicle\.Cabin\.Infotainment\.Navigation\.Volume"):
        check_target(str(package))
    assert main(["tools", "--check", str(tmp_path / "nowhere")]) == 1
    assert "neither a directory with a pyproject.toml nor an installed package" in capsys.readouterr().err


def test_the_example_plugin_passes_the_check() -> None:
    report = check_target(str(MASSAGE_DIR))
    assert report.plugins == ["cabin-seat-massage"]
    assert any("rule GR-M1" in line for line in report.lines)
