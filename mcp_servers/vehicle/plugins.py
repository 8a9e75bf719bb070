"""Tools and rules from installed packages: the entry-point group ``cabin.tools``.

A plugin package names, in its ``pyproject.toml``::

    [project.entry-points."cabin.tools"]
    seat-massage = "cabin_seat_massage:PLUGIN"

an object that is a :class:`ToolPlugin` (or a function without arguments returning one). A plugin
brings task tools (:class:`~.declarations.ToolDeclaration`) and, where no rule of the car speaks for
a signal it writes, the guardrail rules that do (:class:`~.guardrails.rules.Rule` subclasses with their
own ``GR-`` id, ``summary``, ``source`` and ``concerns``).

What a plugin can and cannot do:

- its tools are served like the core ones: every write goes through the same guarded write, so every
  rule of the car (and every plugin's rules) judges it, confirmations are asked and audited the same
  way, and the audit names the tool;
- it cannot declare a write to a signal that none of its declared signal rules covers: the server does
  not start, and the error names the tool and the signal (:func:`~.declarations.check_declaration`);
- it cannot take a ``confirm_token`` argument nor confirm for the person: the server adds the token,
  and a token only replays the request the person confirmed, every rule checked again;
- a call of its tool writes only the signals its declaration names (its own scope; anything else is
  refused under GR-16), and only within the scope of the client that called it;
- it cannot replace a core tool or rule: a name or rule id already taken is a startup error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .catalog import Catalog
from .declarations import DeclarationError, ToolDeclaration, check_declaration
from .guardrails.rules import ENGINE_RULES, Rule, default_rules

__all__ = [
    "AGENT_GROUP",
    "TOOL_GROUP",
    "PluginError",
    "Registry",
    "ToolPlugin",
    "build_registry",
    "installed",
    "load_plugins",
]

TOOL_GROUP = "cabin.tools"
"""The entry-point group of tool plugins."""
AGENT_GROUP = "cabin.agents"
"""The entry-point group of agent plugins (``orchestrator/plugins.py`` reads it)."""

_RULE_ID = r"^GR-[0-9A-Z][0-9A-Z-]{1,15}$"


class PluginError(DeclarationError):
    """A plugin that cannot be loaded or served; the message names the plugin and what is wrong."""


class ToolPlugin(BaseModel):
    """What one package contributes: task tools and the guardrail rules that guard them."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(min_length=1, max_length=100)
    tools: tuple[ToolDeclaration, ...] = Field(min_length=1)
    rules: tuple[Rule, ...] = ()


class Registry(BaseModel):
    """Every task tool served and every rule added by plugins, checked against one catalog."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    tools: tuple[ToolDeclaration, ...]
    rules: tuple[Rule, ...] = ()
    plugins: tuple[str, ...] = ()

    def get(self, name: str) -> ToolDeclaration | None:
        return next((d for d in self.tools if d.name == name), None)


def _load_one(entry: EntryPoint) -> ToolPlugin:
    where = f"plugin {entry.name!r} ({entry.value})"
    try:
        loaded: Any = entry.load()
    except Exception as exc:  # an import error of any kind in third-party code
        raise PluginError(f"{where}: cannot be imported: {type(exc).__name__}: {exc}") from exc
    if callable(loaded) and not isinstance(loaded, ToolPlugin):
        try:
            loaded = loaded()
        except Exception as exc:
            raise PluginError(f"{where}: failed to build: {type(exc).__name__}: {exc}") from exc
    if not isinstance(loaded, ToolPlugin):
        raise PluginError(f"{where}: is a {type(loaded).__name__}, not a cabin ToolPlugin")
    return loaded


def load_plugins(group: str = TOOL_GROUP) -> list[ToolPlugin]:
    """Every installed plugin of ``group``, in entry-point name order (not yet checked)."""
    return [_load_one(entry) for entry in sorted(entry_points(group=group), key=lambda e: e.name)]


def build_registry(
    plugins: Sequence[ToolPlugin],
    catalog: Catalog,
    core: Sequence[ToolDeclaration] | None = None,
    core_rules: Sequence[Rule] | None = None,
) -> Registry:
    """The core tools and ``plugins``' tools and rules, every declaration checked against ``catalog``.

    Raises :class:`PluginError` for the first problem: a rule id that is taken or malformed, a tool name
    that is taken, a signal no rule covers (see :func:`~.declarations.check_declaration`)."""
    import re

    from .task_tools import CORE_TOOLS

    base_rules = list(core_rules) if core_rules is not None else default_rules()
    core_tools = tuple(core) if core is not None else CORE_TOOLS
    taken_rules = {rule.id for rule in base_rules} | set(ENGINE_RULES)
    added: list[Rule] = []
    for plugin in plugins:
        for rule in plugin.rules:
            rule_id = getattr(rule, "id", None)
            if not isinstance(rule_id, str) or not re.match(_RULE_ID, rule_id):
                raise PluginError(
                    f"plugin {plugin.name!r}: rule {type(rule).__name__} needs an id like GR-M1 "
                    f"(GR- then 2-16 capitals, digits or dashes), got {rule_id!r}"
                )
            if rule_id in taken_rules:
                raise PluginError(f"plugin {plugin.name!r}: rule id {rule_id} is already taken")
            if not getattr(rule, "summary", "") or not getattr(rule, "source", ""):
                raise PluginError(f"plugin {plugin.name!r}: rule {rule_id} needs a summary and a source")
            if any(pattern == "Vehicle.*" for pattern in rule.concerns):
                raise PluginError(
                    f"plugin {plugin.name!r}: rule {rule_id} must name the signals it concerns, not Vehicle.*"
                )
            taken_rules.add(rule_id)
            added.append(rule)
    every_rule = [*base_rules, *added]
    taken: list[str] = []
    for declaration in core_tools:
        check_declaration(declaration, catalog, every_rule, require_cover=False, taken=taken)
        taken.append(declaration.name)
    tools = list(core_tools)
    for plugin in plugins:
        for declaration in plugin.tools:
            declaration = declaration.model_copy(update={"source": plugin.name})
            try:
                check_declaration(declaration, catalog, every_rule, require_cover=True, taken=taken)
            except DeclarationError as exc:
                raise PluginError(f"plugin {plugin.name!r}: {exc}") from exc
            taken.append(declaration.name)
            tools.append(declaration)
    return Registry(tools=tuple(tools), rules=tuple(added), plugins=tuple(p.name for p in plugins))


@functools.cache
def installed() -> Registry:
    """The registry of the installed plugins on the product's catalog (read once per process)."""
    return build_registry(list(installed_plugins()), Catalog.load())


@functools.cache
def installed_plugins() -> tuple[ToolPlugin, ...]:
    """The installed plugins, loaded once per process."""
    return tuple(load_plugins())


def registry_for(catalog: Catalog, plugins: Iterable[ToolPlugin] | None = None) -> Registry:
    """The registry on ``catalog`` (a server started with another catalog checks against that one)."""
    return build_registry(list(plugins) if plugins is not None else list(installed_plugins()), catalog)


PluginFactory = Callable[[], ToolPlugin]
