"""The MCP server every cabin server is built on: the SDK's ``MCPServer`` with stricter protocol edges.

- **Closed tool inputs.** Every tool's input schema has ``additionalProperties: false``, and a call
  that passes an argument the tool does not take is a tool error naming it (``unknown argument
  'confirm_tokn'``) instead of being silently ignored: a misspelt ``confirm_token`` must not turn a
  confirmation into a plain request.
- **Only the capabilities a server has.** A server without prompts neither advertises the ``prompts``
  capability nor serves ``prompts/list`` / ``prompts/get``: a client asking anyway gets JSON-RPC
  -32601 (method not found), never an empty capability whose ``prompts/get`` fails with code 0. The
  same holds for resources (``resources/*``). The first prompt or resource added
  (``@server.prompt()``, ``@server.resource(...)``, ``add_prompt``, ``add_resource``) brings its
  methods back.
- Resource handlers raise ``ResourceNotFoundError`` (-32602, invalid params) for a URI that names
  nothing, and ``ResourceError`` (-32603) only for a failure reading something that exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.resources import Resource
from mcp.server.mcpserver.tools import Tool
from mcp_types import ToolAnnotations
from pydantic import ConfigDict, model_validator

__all__ = ["StrictMCPServer", "close_tool"]

Capability = Literal["prompts", "resources"]
#: The request methods of each capability the SDK serves whether or not the server has any.
CAPABILITY_METHODS: dict[Capability, tuple[str, ...]] = {
    "prompts": ("prompts/list", "prompts/get"),
    "resources": (
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "resources/subscribe",
        "resources/unsubscribe",
    ),
}

_F = TypeVar("_F", bound=Callable[..., Any])


def close_tool(tool: Tool) -> None:
    """Make ``tool`` refuse arguments it does not take, and say so in its input schema."""
    model = tool.fn_metadata.arg_model
    if model.model_config.get("extra") == "forbid":
        return
    known = {field.alias or name for name, field in model.model_fields.items()}
    taking = ", ".join(sorted(known)) or "no arguments"

    class Closed(model):  # type: ignore[misc,valid-type]
        model_config = ConfigDict(**{**model.model_config, "extra": "forbid"})

        @model_validator(mode="before")
        @classmethod
        def _known_arguments(cls, data: Any) -> Any:
            if isinstance(data, dict):
                unknown = sorted(str(key) for key in data if key not in known)
                if unknown:
                    names = ", ".join(repr(name) for name in unknown)
                    noun = "argument" if len(unknown) == 1 else "arguments"
                    raise ValueError(f"unknown {noun} {names}; {tool.name} takes: {taking}")
            return data

    Closed.__name__ = Closed.__qualname__ = model.__name__
    tool.fn_metadata.arg_model = Closed
    tool.parameters = Closed.model_json_schema(by_alias=True)


class StrictMCPServer(MCPServer[Any]):
    """``MCPServer`` with closed tool inputs, serving only the capabilities it has (see the module
    docstring). Constructed and used exactly like ``MCPServer``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The low-level server registers every method at construction and advertises a capability
        # whenever its list method is served; it has no public way to withdraw one, so the entries
        # are held here until the capability has something to serve.
        self._withheld: dict[str, Any] = {}
        for tool in self._tool_manager.list_tools():
            close_tool(tool)
        if not self._prompt_manager.list_prompts():
            self._withhold("prompts")
        if not self._resource_manager.list_resources() and not self._resource_manager.list_templates():
            self._withhold("resources")

    def _withhold(self, capability: Capability) -> None:
        handlers = self._lowlevel_server._request_handlers
        for method in CAPABILITY_METHODS[capability]:
            entry = handlers.pop(method, None)
            if entry is not None:
                self._withheld[method] = entry

    def _serve(self, capability: Capability) -> None:
        handlers = self._lowlevel_server._request_handlers
        for method in CAPABILITY_METHODS[capability]:
            if method in self._withheld:
                handlers[method] = self._withheld.pop(method)

    def add_tool(
        self,
        fn: Any,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        annotations: ToolAnnotations | None = None,
        icons: Any = None,
        meta: dict[str, Any] | None = None,
        structured_output: bool | None = None,
    ) -> None:
        super().add_tool(
            fn,
            name=name,
            title=title,
            description=description,
            annotations=annotations,
            icons=icons,
            meta=meta,
            structured_output=structured_output,
        )
        tool = self._tool_manager.get_tool(name or fn.__name__)
        if tool is not None:
            close_tool(tool)

    def add_prompt(self, prompt: Prompt) -> None:
        super().add_prompt(prompt)
        self._serve("prompts")

    def add_resource(self, resource: Resource) -> None:
        super().add_resource(resource)
        self._serve("resources")

    def resource(self, uri: str, *args: Any, **kwargs: Any) -> Callable[[_F], _F]:
        register = super().resource(uri, *args, **kwargs)

        def decorator(fn: _F) -> _F:
            registered = register(fn)
            self._serve("resources")
            return registered

        return decorator
