"""``cabin new tool NAME`` / ``cabin new agent NAME``: a working plugin package to start from.

Each package has a ``pyproject.toml`` naming its entry point (``cabin.tools`` or ``cabin.agents``), one
module, tests that pass as generated (``make test`` in the package, or ``python -m pytest``), and a
README saying what to change. The tool template writes the navigation guidance volume and brings a
rule of its own; the agent template answers from a small table of facts (docs/extending.md).
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["ScaffoldError", "new_agent", "new_tool"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{1,40}$")


class ScaffoldError(Exception):
    """A name or target directory that cannot be used; the message says why."""


def _names(name: str) -> tuple[str, str, str]:
    """``(snake, kebab, rule id)`` of a plugin name."""
    if not _NAME.match(name):
        raise ScaffoldError(
            f"{name!r}: use 2-41 lower-case letters, digits, '_' or '-', starting with a letter"
        )
    snake = name.replace("-", "_")
    kebab = name.replace("_", "-")
    letters = re.sub(r"[^A-Z0-9]", "", snake.upper())[:12]
    return snake, kebab, f"GR-{letters}1"


def _write(root: Path, files: dict[str, str]) -> Path:
    if root.exists():
        raise ScaffoldError(f"{root} already exists; choose another name or --dir")
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), encoding="utf-8")
    return root


_MAKEFILE = """
PYTHON ?= python

test:
\t$(PYTHON) -m pytest -q
"""

_PYPROJECT = """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "cabin-{kebab}"
version = "0.1.0"
description = "{description}"
requires-python = ">=3.11"
dependencies = ["cabin"]

[project.entry-points."{group}"]
{kebab} = "cabin_{snake}:{attribute}"

[tool.setuptools]
packages = ["cabin_{snake}"]

[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
asyncio_default_fixture_loop_scope = "function"
"""

_TOOL_MODULE = '''
"""The {snake} tool: sets the navigation guidance volume (replace with what your tool does).

Change the argument model, the signals in ``writes``, the rule and the example sentences; keep each
written signal covered by a rule of ``rules`` (the vehicle server refuses to start otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import Field

from mcp_servers.vehicle.extend import Args, Proposal, Rule, ToolDeclaration, ToolPlugin, Verdict, WriteSpec

VOLUME = "Vehicle.Cabin.Infotainment.Navigation.Volume"


class {camel}Args(Args):
    percent: Annotated[int, Field(ge=0, le=100, description="guidance volume 0-100")]


class AudibleGuidance(Rule):
    id = "{rule_id}"
    summary = "While the car moves, the guidance voice stays audible: at least 10 %."
    source = "cabin-{kebab}: a silenced guidance voice makes the driver look at the screen"
    concerns = (VOLUME,)
    MINIMUM = 10

    def check(self, p: Proposal) -> Iterable[Verdict]:
        value = p.values.get(VOLUME)
        if isinstance(value, int | float) and value < self.MINIMUM and p.driving.moving:
            yield self.refuse(VOLUME, f"while moving the guidance stays at {{self.MINIMUM}} % or more")


def build(arguments: {camel}Args) -> WriteSpec:
    return WriteSpec(values={{VOLUME: arguments.percent}})


PLUGIN = ToolPlugin(
    name="cabin-{kebab}",
    tools=(
        ToolDeclaration(
            name="{snake}",
            description="Set the volume of the navigation guidance voice.",
            arguments={camel}Args,
            writes=(VOLUME,),
            rules=("{rule_id}",),
            build=build,
            skill="media",
            examples=("make the navigation voice louder", "set the guidance volume to 50"),
        ),
    ),
    rules=(AudibleGuidance(),),
)
'''

_TOOL_TESTS = '''
"""The plugin passes the vehicle server's checks, its tool writes through the guardrails, its rule refuses."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from cabin_{snake} import PLUGIN
from mcp import Client

from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.plugins import build_registry
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

DRIVER = {{"cabin/seat": "driver", "cabin/origin": "occupant"}}
MOVING = {{"Vehicle.Speed": 50.0, "Vehicle.Powertrain.Transmission.SelectedGear": 4}}


def call(arguments: dict[str, Any], state: dict[str, Any] | None = None) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        catalog = Catalog.load()
        registry = build_registry([PLUGIN], catalog)
        server = build_server(VehicleService(SimulatorBackend(catalog)), registry=registry)
        async with Client(server, raise_exceptions=True) as client:
            if state:
                await client.call_tool("simulate_signals", {{"values": state}})
            result = await client.call_tool("{snake}", arguments, meta=DRIVER)
            assert not result.is_error, result.content
            return dict(result.structured_content or {{}})

    return asyncio.run(run())


def test_the_plugin_passes_the_servers_checks() -> None:
    registry = build_registry([PLUGIN], Catalog.load())
    assert registry.get("{snake}") is not None


def test_the_tool_writes_through_the_guardrails() -> None:
    result = call({{"percent": 60}})
    assert result["applied"] == {{"Vehicle.Cabin.Infotainment.Navigation.Volume": 60}}


@pytest.mark.parametrize("percent", [0, 5])
def test_its_rule_refuses_a_silent_guidance_while_moving(percent: int) -> None:
    result = call({{"percent": percent}}, MOVING)
    assert [r["rule_id"] for r in result["refused"]] == ["{rule_id}"]
    assert result["applied"] == {{}}
'''

_AGENT_MODULE = '''
"""The {snake} agent: answers from a small table of facts (replace with what your agent does).

An A2A agent on cabin's hosting layer: the card (``SPEC``) says what it can do, the executor's
``handle`` answers one turn. Serve it with ``python -m cabin_{snake} --port 8791`` and add its URL to
the stack's configuration (``extra_agents``).
"""

from __future__ import annotations

from agents.hosting import AgentRequest, AgentSpec, CabinExecutor, Outcome, Rejection, Reply, SkillSpec
from agents.language.clauses import content_words

FACTS: dict[str, str] = {{
    "opening hours": "The service centre is open from eight to six on weekdays.",
    "service interval": "The car needs a service every 30,000 km or every two years.",
}}

SPEC = AgentSpec(
    name="{kebab}",
    description="Answers questions about the car's service: opening hours and service interval.",
    skills=(
        SkillSpec(
            id="facts",
            name="Service facts",
            description="The service centre's opening hours and the car's service interval.",
            tags=("service",),
            examples=("when is the service centre open", "how often does the car need a service"),
        ),
    ),
)


class FactsExecutor(CabinExecutor):
    async def handle(self, request: AgentRequest) -> Outcome:
        words = set(content_words(request.text))
        for topic, answer in FACTS.items():
            if words & set(topic.split()):
                return Reply(text=answer, data={{"topic": topic}})
        return Rejection(reason="I only know the service centre's hours and the service interval.")


AGENT = (SPEC, FactsExecutor)
'''

_AGENT_MAIN = '''
"""``python -m cabin_{snake} [--host H] [--port P]``: serve the agent over A2A (token: CABIN_AGENT_TOKEN)."""

from __future__ import annotations

import argparse
import os

from agents.hosting import build_agent_app, serve

from . import SPEC, FactsExecutor


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cabin_{snake}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    token = os.environ.get("CABIN_AGENT_TOKEN") or None
    app = build_agent_app(SPEC, FactsExecutor(), base_url=f"http://{{args.host}}:{{args.port}}", token=token)
    serve(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
'''

_AGENT_TESTS = '''
"""The agent answers what its table holds and declines the rest, through real A2A calls."""

from __future__ import annotations

import asyncio

from cabin_{snake} import SPEC, FactsExecutor

from agents.hosting import AgentClient, BackgroundServer, build_agent_app


def ask(text: str) -> tuple[str, str]:
    with BackgroundServer(lambda url: build_agent_app(SPEC, FactsExecutor(), base_url=url, token=None)) as s:

        async def run() -> tuple[str, str]:
            client = AgentClient(s.url)
            try:
                result = await client.send_text(text, origin="occupant")
            finally:
                await client.aclose()
            return result.state, result.text

        return asyncio.run(run())


def test_it_answers_from_its_facts() -> None:
    state, text = ask("when are your opening hours")
    assert state == "completed" and "eight to six" in text


def test_it_declines_what_it_does_not_know() -> None:
    state, _ = ask("what is the weather")
    assert state == "rejected"
'''

_README = """
# cabin-{kebab}

A cabin {kind} plugin made by `cabin new {kind} {name}`. Install it next to cabin with
`pip install --no-deps -e .`, run its tests with `make test`, and read docs/extending.md in the cabin
repository for what each part means.
"""


def new_tool(name: str, where: Path) -> Path:
    """Write the tool plugin package ``cabin-NAME`` under ``where``; return its directory."""
    snake, kebab, rule_id = _names(name)
    camel = "".join(part.capitalize() for part in snake.split("_"))
    fields = {"snake": snake, "kebab": kebab, "rule_id": rule_id, "camel": camel, "name": name}
    return _write(
        where / f"cabin-{kebab}",
        {
            "pyproject.toml": _PYPROJECT.format(
                kebab=kebab,
                snake=snake,
                group="cabin.tools",
                attribute="PLUGIN",
                description=f"A cabin tool plugin: {snake}",
            ),
            f"cabin_{snake}/__init__.py": _TOOL_MODULE.format(**fields),
            f"tests/test_{snake}.py": _TOOL_TESTS.format(**fields),
            "Makefile": _MAKEFILE,
            "README.md": _README.format(kind="tool", **fields),
        },
    )


def new_agent(name: str, where: Path) -> Path:
    """Write the agent plugin package ``cabin-NAME`` under ``where``; return its directory."""
    snake, kebab, _ = _names(name)
    fields = {"snake": snake, "kebab": kebab, "name": name}
    return _write(
        where / f"cabin-{kebab}",
        {
            "pyproject.toml": _PYPROJECT.format(
                kebab=kebab,
                snake=snake,
                group="cabin.agents",
                attribute="AGENT",
                description=f"A cabin agent: {snake}",
            ),
            f"cabin_{snake}/__init__.py": _AGENT_MODULE.format(**fields),
            f"cabin_{snake}/__main__.py": _AGENT_MAIN.format(**fields),
            f"tests/test_{snake}.py": _AGENT_TESTS.format(**fields),
            "Makefile": _MAKEFILE,
            "README.md": _README.format(kind="agent", **fields),
        },
    )
