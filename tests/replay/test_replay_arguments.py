"""``cabin replay`` checks everything it can before it starts anything: a missing path, a malformed
scenario, an empty folder, a bad option value or an output folder that does not exist is named, with
exit status 2, before Ray starts (``--ray``) or the model loads. The ``--ray`` cases run in a process
of their own, so that they can show that Ray was never imported there and wrote no session folder."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli import main
from orchestrator.replay.cli import ray_address_problem

from ..conftest import ROOT

CLOSE = ROOT / "scenarios" / "doors" / "close_passenger_door.yaml"

_RUN_ALL = """
import contextlib, io, json, sys
from orchestrator.cli import main
outcomes = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
    outcomes.append({"code": code, "err": err.getvalue()})
print(json.dumps({"outcomes": outcomes, "ray_imported": "ray" in sys.modules}))
"""


def _cases(tmp: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Each bad ``cabin replay --ray auto`` command line, with what its error must name."""
    malformed = tmp / "malformed.yaml"
    malformed.write_text("name: a door\nsteps:\n  - say: close the door\n    colour: red\n", encoding="utf-8")
    empty = tmp / "empty"
    empty.mkdir()
    missing = tmp / "no-such-folder"
    ray = ["--ray", "auto", "--workers", "1"]
    return {
        "missing path": (["replay", str(missing), *ray], [str(missing), "no such file or folder"]),
        "malformed scenario": (["replay", str(CLOSE), str(malformed), *ray], [f"{malformed}:4", "colour"]),
        "no scenario in the folder": (["replay", str(empty), *ray], [str(empty), "no scenario files"]),
        "bad --ray value": (["replay", str(CLOSE), "--ray", "headnode"], ["--ray 'headnode'", "HOST:PORT"]),
        "bad --ray port": (["replay", str(CLOSE), "--ray", "10.0.0.5:99999"], ["'10.0.0.5:99999'"]),
        "no worker": (["replay", str(CLOSE), "--ray", "auto", "--workers", "0"], ["--workers 0"]),
        "--ray with --url": (
            ["replay", str(CLOSE), *ray, "--url", "http://127.0.0.1:9"],
            ["--ray", "--url"],
        ),
        "missing baseline": (
            ["replay", str(CLOSE), *ray, "--baseline", str(tmp / "base.json")],
            [str(tmp / "base.json"), "cannot read the baseline"],
        ),
        "report in a missing folder": (
            ["replay", str(CLOSE), *ray, "--report", str(missing / "out.json")],
            [f"--report {missing / 'out.json'}", f"no such folder {missing}"],
        ),
        "html is a folder": (
            ["replay", str(CLOSE), *ray, "--html", str(empty)],
            [f"--html {empty}: is a folder"],
        ),
        "not a number": (["replay", str(CLOSE), *ray, "--workers", "two"], ["--workers", "'two'"]),
    }


@pytest.fixture(scope="module")
def ray_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if importlib.util.find_spec("ray") is None:
        pytest.skip('distributed replay needs Ray (pip install -e ".[fleet]")')
    tmp = tmp_path_factory.mktemp("bad-arguments")
    cases = _cases(tmp)
    ray_dir = tmp / "ray-tmp"
    ray_dir.mkdir()
    env = {**os.environ, "RAY_TMPDIR": str(ray_dir)}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_ALL, json.dumps([argv for argv, _ in cases.values()])],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    named = [words for _, words in cases.values()]
    return {
        "cases": dict(zip(cases, zip(result["outcomes"], named, strict=True), strict=True)),
        "ray_imported": result["ray_imported"],
        "ray_dir": sorted(p.name for p in ray_dir.iterdir()),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing path",
        "malformed scenario",
        "no scenario in the folder",
        "bad --ray value",
        "bad --ray port",
        "no worker",
        "--ray with --url",
        "missing baseline",
        "report in a missing folder",
        "html is a folder",
        "not a number",
    ],
)
def test_a_bad_argument_with_ray_exits_2_naming_it(ray_outcomes: dict[str, Any], case: str) -> None:
    outcome, named = ray_outcomes["cases"][case]
    assert outcome["code"] == 2, outcome
    for words in named:
        assert words in outcome["err"], (words, outcome["err"])


def test_no_bad_argument_started_ray(ray_outcomes: dict[str, Any]) -> None:
    # Ray was never imported by the process that ran every bad command, and left no session folder.
    assert ray_outcomes["ray_imported"] is False
    assert ray_outcomes["ray_dir"] == []


def test_in_process_replay_checks_its_options_before_loading_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", str(CLOSE), "--jobs", "0", "--junit", str(tmp_path / "no" / "r.xml")]) == 2
    err = capsys.readouterr().err
    assert "--jobs 0: expected at least 1" in err
    assert f"--junit {tmp_path / 'no' / 'r.xml'}: no such folder {tmp_path / 'no'}" in err


@pytest.mark.parametrize(
    "address", ["auto", "10.0.0.5:6379", "head-node.local:6379", "ray://10.0.0.5:10001", "[::1]:6379"]
)
def test_a_cluster_address_is_accepted(address: str) -> None:
    assert ray_address_problem(address) is None


@pytest.mark.parametrize(
    "address", ["local", "6379", ":6379", "10.0.0.5:", "10.0.0.5:0", "http://x:1", "a b:1"]
)
def test_what_is_not_an_address_is_named(address: str) -> None:
    problem = ray_address_problem(address)
    assert problem is not None and repr(address) in problem
