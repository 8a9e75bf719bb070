"""The example plugin and agent, installed into a scratch site directory, in real processes: the vehicle
server serves the plugin's tool and enforces its rule over stdio; the manual agent, reached by URL as a
stack configuration adds it, answers through the orchestrator's agent directory; a plugin writing a
signal no rule covers stops the server at start with an error naming the signal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters

from orchestrator.directory import AgentDirectory

from .support import MANUAL_DIR, MASSAGE_DIR, MOVING, ROOT, free_port

pytestmark = pytest.mark.realprocess

DRIVER_MASSAGE = "Vehicle.Cabin.Seat.Row1.DriverSide.Massage.Level"


def install(packages: list[Path], where: Path) -> Path:
    """Install ``packages`` (copied first: a build writes next to the sources) into ``where/site``."""
    where.mkdir(parents=True, exist_ok=True)
    copies = []
    for package in packages:
        copy = where / package.name
        shutil.copytree(package, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        copies.append(str(copy))
    site = where / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            *copies,
        ],
        check=True,
        timeout=600,
    )
    return site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install([MASSAGE_DIR, MANUAL_DIR], tmp_path_factory.mktemp("plugins"))


def env_with(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}


@pytest.mark.rule("GR-M1")
async def test_the_installed_plugin_is_served_and_its_rule_enforced(site: Path, tmp_path: Path) -> None:
    moving = tmp_path / "moving.yaml"
    moving.write_text("".join(f"{path}: {value}\n" for path, value in MOVING.items()))
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "mcp_servers.vehicle", "--transport", "stdio", "--state", str(moving)],
        env=env_with(site),
    )
    async with Client(params) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert tools["start_seat_massage"].input_schema["additionalProperties"] is False
        strong = await client.call_tool("start_seat_massage", {"intensity": "strong"})
        gentle = await client.call_tool("start_seat_massage", {"intensity": "gentle"})
    assert strong.structured_content is not None and gentle.structured_content is not None
    assert [r["rule_id"] for r in strong.structured_content["refused"]] == ["GR-M1"]
    assert gentle.structured_content["applied"] == {DRIVER_MASSAGE: 30}


def test_a_plugin_writing_an_uncovered_signal_stops_the_server(tmp_path: Path) -> None:
    bad = tmp_path / "src" / "cabin-bad"
    (bad / "cabin_bad").mkdir(parents=True)
    (bad / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "cabin-bad"\nversion = "0.1.0"\n'
        '[project.entry-points."cabin.tools"]\nbad = "cabin_bad:PLUGIN"\n'
        '[tool.setuptools]\npackages = ["cabin_bad"]\n'
    )
    (bad / "cabin_bad" / "__init__.py").write_text(
        "from mcp_servers.vehicle.extend import Args, ToolDeclaration, ToolPlugin, WriteSpec\n"
        "class A(Args):\n    on: bool\n"
        "PLUGIN = ToolPlugin(name='cabin-bad', tools=(ToolDeclaration(name='warm_everything', "
        "description='heats every seat fully', arguments=A, writes=('Vehicle.Cabin.Seat.*.HeatingCooling',), "
        "build=lambda a: WriteSpec()),))\n"
    )
    site = install([bad], tmp_path / "installed")
    done = subprocess.run(
        [sys.executable, "-m", "mcp_servers.vehicle", "--transport", "stdio"],
        env=env_with(site),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "plugin 'cabin-bad': tool 'warm_everything'" in done.stderr
    assert "Vehicle.Cabin.Seat.Row1.DriverSide.HeatingCooling" in done.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "orchestrator.cli", "tools", "--check", str(bad)],
        env=env_with(site),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 1 and "none of its rules" in checked.stderr


@pytest.fixture
def manual_agent(site: Path) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cabin_owners_manual", "--port", str(port)],
        env={**env_with(site), "CABIN_AGENT_TOKEN": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/.well-known/agent-card.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the manual agent did not start"
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stderr is not None:
            process.stderr.close()


async def test_the_manual_agent_is_added_by_its_url(manual_agent: str) -> None:
    directory = AgentDirectory.from_urls([manual_agent])
    try:
        await directory.refresh()
        assert directory.healthy() == {"owners-manual"}
        entry = directory.get("owners-manual")
        assert entry is not None and [s["id"] for s in entry.skills] == ["manual"]
        answer = await directory.send("owners-manual", "how do I pair my phone", timeout_s=60)
        unknown = await directory.send("owners-manual", "what is the capital of France", timeout_s=60)
    finally:
        await directory.aclose()
    assert answer.state == "completed" and "Bluetooth" in answer.text
    assert unknown.state == "rejected"
