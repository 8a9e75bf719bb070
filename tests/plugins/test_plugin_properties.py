"""Property: whatever a plugin declares, the registry never serves a write to a signal that none of the
tool's own signal rules covers; it either refuses the plugin (naming the signal) or every signal the tool
can write is covered."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcp_servers.vehicle.catalog import Catalog
from mcp_servers.vehicle.declarations import covering_rules, written_paths
from mcp_servers.vehicle.extend import Args, Proposal, Rule, ToolDeclaration, ToolPlugin, Verdict, WriteSpec
from mcp_servers.vehicle.guardrails.rules import default_rules
from mcp_servers.vehicle.plugins import PluginError, build_registry

CATALOG = Catalog.load()
PATHS = list(CATALOG.paths)
CORE_RULES = default_rules()


def _glob(path: str, cut: int) -> str:
    """``path`` with its last ``cut`` parts (but never its root) replaced by a wildcard."""
    parts = path.split(".")
    keep = max(1, len(parts) - cut)
    return ".".join(parts[:keep]) + (".*" if cut else "")


PATTERNS = st.builds(_glob, st.sampled_from(PATHS), st.integers(min_value=0, max_value=2))


class _Args(Args):
    on: bool = True


def _rule(number: int, concerns: tuple[str, ...]) -> Rule:
    class PluginRule(Rule):
        id = f"GR-P{number}"
        summary = "a plugin's rule"
        source = "tests"

        def check(self, p: Proposal) -> Iterable[Verdict]:
            return ()

    PluginRule.concerns = concerns
    return PluginRule()


@st.composite
def plugins(draw: st.DrawFn) -> ToolPlugin:
    own = [
        _rule(n, tuple(draw(st.lists(PATTERNS, min_size=1, max_size=3))))
        for n in range(draw(st.integers(min_value=0, max_value=2)))
    ]
    core_ids = [r.id for r in CORE_RULES]
    declared = draw(st.lists(st.sampled_from([*core_ids, *(r.id for r in own)]), max_size=4, unique=True))
    return ToolPlugin(
        name="generated",
        tools=(
            ToolDeclaration(
                name="generated_tool",
                description="a generated declaration",
                arguments=_Args,
                writes=tuple(draw(st.lists(PATTERNS, min_size=1, max_size=3))),
                rules=tuple(declared),
                build=lambda _: WriteSpec(),
            ),
        ),
        rules=tuple(own),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plugins())
def test_no_plugin_declaration_serves_an_uncovered_write(plugin: ToolPlugin) -> None:
    try:
        registry = build_registry([plugin], CATALOG)
    except PluginError as exc:
        problem = str(exc)
        registry = None
    if registry is None:
        assert problem.startswith("plugin 'generated': ")
        return
    tool = registry.get("generated_tool")
    assert tool is not None
    rules = {r.id: r for r in [*CORE_RULES, *registry.rules]}
    own = [rules[r] for r in tool.rules if r in rules]
    for path in written_paths(tool, CATALOG):
        assert CATALOG.get(path).writable
        assert covering_rules(path, own), f"{path} is written but no declared rule covers it"
        assert any(fnmatch.fnmatchcase(path, c) for r in own for c in r.concerns)
