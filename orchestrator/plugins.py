"""Plugins seen from the command line: checking tool plugins (``cabin tools --check``) and finding
agent plugins (the entry-point group ``cabin.agents``).

A tool plugin is checked exactly as the vehicle server checks it at startup
(:func:`mcp_servers.vehicle.plugins.build_registry`), then served in memory: its tools must list with
closed input schemas (``additionalProperties: false``) that are valid JSON Schema, and every example
sentence must be new (no other tool declares it). An agent plugin names ``(AgentSpec, executor
class)``; :func:`agent_app` builds its A2A app, which is added to a stack like any agent, by URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sys
import tomllib
from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from pathlib import Path
from typing import Any

__all__ = ["CheckReport", "PluginCheckError", "agent_app", "check_target", "installed_agents"]

AGENT_GROUP = "cabin.agents"


class PluginCheckError(Exception):
    """A plugin that does not pass ``cabin tools --check``; the message says what and where."""


class CheckReport:
    """What a check found: one line per tool, and the plugins checked."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.plugins: list[str] = []


@contextlib.contextmanager
def _importable(path: Path, modules: list[str]) -> Iterator[None]:
    """``path`` importable, and ``modules`` (top-level names) read afresh from it, not from a module
    of the same name imported earlier."""

    def forget() -> None:
        for name in list(sys.modules):
            if name.partition(".")[0] in modules:
                del sys.modules[name]

    forget()
    sys.path.insert(0, str(path))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(path))
        forget()


def _entry_values_of_path(path: Path, group: str) -> dict[str, str]:
    pyproject = path / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PluginCheckError(f"{pyproject}: cannot read it ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PluginCheckError(f"{pyproject}: not valid TOML ({exc})") from exc
    found = data.get("project", {}).get("entry-points", {}).get(group, {})
    if not isinstance(found, dict) or not found:
        raise PluginCheckError(f'{pyproject}: no [project.entry-points."{group}"] table naming a plugin')
    return {str(k): str(v) for k, v in found.items()}


def _load_value(name: str, value: str) -> Any:
    module_name, _, attribute = value.partition(":")
    try:
        module = importlib.import_module(module_name.strip())
        loaded: Any = module
        for part in attribute.strip().split(".") if attribute else ():
            loaded = getattr(loaded, part)
    except Exception as exc:  # third-party code: any failure is reported, not raised through
        raise PluginCheckError(
            f"plugin {name!r} ({value}): cannot be loaded: {type(exc).__name__}: {exc}"
        ) from exc
    return loaded


def _tool_plugins(target: str | None) -> list[Any]:
    from mcp_servers.vehicle.plugins import TOOL_GROUP, PluginError, ToolPlugin, load_plugins

    if target is None:
        try:
            return list(load_plugins())
        except PluginError as exc:
            raise PluginCheckError(str(exc)) from exc
    path = Path(target)
    if path.is_dir():
        values = _entry_values_of_path(path, TOOL_GROUP)
        plugins = []
        tops = [value.partition(":")[0].strip().partition(".")[0] for value in values.values()]
        with _importable(path, tops):
            for name, value in values.items():
                loaded = _load_value(name, value)
                if callable(loaded) and not isinstance(loaded, ToolPlugin):
                    loaded = loaded()
                if not isinstance(loaded, ToolPlugin):
                    raise PluginCheckError(
                        f"plugin {name!r} ({value}): is a {type(loaded).__name__}, not a ToolPlugin"
                    )
                plugins.append(loaded)
        return plugins
    try:
        dist = distribution(target)
    except PackageNotFoundError as exc:
        raise PluginCheckError(
            f"{target!r} is neither a directory with a pyproject.toml nor an installed package"
        ) from exc
    entries = [e for e in dist.entry_points if e.group == TOOL_GROUP]
    if not entries:
        raise PluginCheckError(f"package {target!r} declares no {TOOL_GROUP} entry point")
    plugins = []
    for entry in entries:
        loaded = _load_value(entry.name, entry.value)
        if callable(loaded) and not isinstance(loaded, ToolPlugin):
            loaded = loaded()
        if not isinstance(loaded, ToolPlugin):
            raise PluginCheckError(f"plugin {entry.name!r}: is a {type(loaded).__name__}, not a ToolPlugin")
        plugins.append(loaded)
    return plugins


async def _listed_schemas(registry: Any) -> dict[str, dict[str, Any]]:
    from mcp import Client

    from mcp_servers.vehicle.backends.simulator import SimulatorBackend
    from mcp_servers.vehicle.server import build_server
    from mcp_servers.vehicle.service import VehicleService

    service = VehicleService(SimulatorBackend(registry_catalog()))
    async with Client(build_server(service, registry=registry), raise_exceptions=True) as client:
        listed = await client.list_tools()
    return {tool.name: dict(tool.input_schema) for tool in listed.tools}


def registry_catalog() -> Any:
    from mcp_servers.vehicle.catalog import Catalog

    return Catalog.load()


def check_target(target: str | None) -> CheckReport:
    """Check the tool plugins of ``target`` (a directory with a ``pyproject.toml``, an installed
    package's name, or None: every installed plugin) together with the installed ones. Raises
    :class:`PluginCheckError` naming the first problem."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped]

    from mcp_servers.vehicle.declarations import guarded_by
    from mcp_servers.vehicle.guardrails.rules import default_rules
    from mcp_servers.vehicle.plugins import PluginError, build_registry, load_plugins

    checked = _tool_plugins(target)
    others = [] if target is None else [p for p in load_plugins() if p.name not in {c.name for c in checked}]
    catalog = registry_catalog()
    try:
        registry = build_registry([*others, *checked], catalog)
    except PluginError as exc:
        raise PluginCheckError(str(exc)) from exc
    schemas = asyncio.run(_listed_schemas(registry))
    report = CheckReport()
    rules = [*default_rules(), *registry.rules]
    seen: dict[str, str] = {}
    mine = {c.name for c in checked}
    for declaration in registry.tools:
        for text in declaration.examples:
            other = seen.get(text.lower())
            if other is not None and declaration.source in mine and other != declaration.name:
                # A sentence two tools claim teaches nothing; it is reported for the plugin's tools.
                report.lines.append(f"note: {declaration.name}: example {text!r} is also declared by {other}")
            seen.setdefault(text.lower(), declaration.name)
        if declaration.source not in mine:
            continue
        schema = schemas[declaration.name]
        if schema.get("additionalProperties") is not False:
            raise PluginCheckError(f"tool {declaration.name!r}: its input schema is not closed")
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise PluginCheckError(f"tool {declaration.name!r}: invalid input schema: {exc.message}") from exc
        report.lines.append(
            f"ok: {declaration.source}/{declaration.name}: writes {', '.join(declaration.writes)}; "
            f"guarded by {', '.join(guarded_by(declaration, catalog, rules))}; "
            f"{len(declaration.examples)} example sentence(s)"
        )
    for rule in registry.rules:
        report.lines.append(f"ok: rule {rule.id}: {rule.summary} (source: {rule.source})")
    report.plugins = sorted(mine)
    return report


def installed_agents() -> dict[str, tuple[Any, type[Any]]]:
    """The agent plugins installed: ``{entry-point name: (AgentSpec, executor class)}``."""
    from agents.hosting import AgentSpec, CabinExecutor

    found: dict[str, tuple[Any, type[Any]]] = {}
    for entry in sorted(entry_points(group=AGENT_GROUP), key=lambda e: e.name):
        loaded = _load_value(entry.name, entry.value)
        valid = (
            isinstance(loaded, tuple)
            and len(loaded) == 2
            and isinstance(loaded[0], AgentSpec)
            and isinstance(loaded[1], type)
            and issubclass(loaded[1], CabinExecutor)
        )
        if not valid:
            raise PluginCheckError(
                f"agent plugin {entry.name!r} ({entry.value}): must name (AgentSpec, executor class)"
            )
        found[entry.name] = loaded
    return found


def agent_app(name: str, base_url: str, token: str | None) -> Any:
    """The A2A app of the installed agent plugin ``name``, served at ``base_url``."""
    from agents.hosting import build_agent_app

    agents = installed_agents()
    if name not in agents:
        raise PluginCheckError(f"no agent plugin {name!r}; installed: {', '.join(agents) or 'none'}")
    spec, executor = agents[name]
    return build_agent_app(spec, executor(), base_url=base_url, token=token)
