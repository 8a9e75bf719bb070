"""The MCP server every cabin server is built on: the SDK's ``MCPServer`` with stricter protocol edges.

- **Closed tool inputs.** Every tool's input schema has ``additionalProperties: false``, and a call
  that passes an argument the tool does not take is a tool error naming it (``unknown argument
  'confirm_tokn'``) instead of being silently ignored: a misspelt ``confirm_token`` must not turn a
  confirmation into a plain request.
- **Only the capabilities a server has.** A server without prompts neither advertises the ``prompts``
  capability nor serves ``prompts/list`` / ``prompts/get``: a client asking anyway gets JSON-RPC
  -32601 (method not found), never an empty capability whose ``prompts/get`` fails with code 0. The
  first prompt added (``add_prompt`` / ``@server.prompt()``) brings both methods back.
- Resource handlers raise ``ResourceNotFoundError`` (-32602, invalid params) for a URI that names
  nothing, and ``ResourceError`` (-32603) only for a failure reading something that exists.
"""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.tools import Tool
from mcp_types import GetPromptRequestParams, PaginatedRequestParams, ToolAnnotations
from pydantic import ConfigDict, model_validator

__all__ = ["StrictMCPServer", "close_tool"]

_PROMPT_METHODS = ("prompts/list", "prompts/get")


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
    """``MCPServer`` with closed tool inputs and no prompt methods unless it has prompts (see the
    module docstring). Constructed and used exactly like ``MCPServer``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tool in self._tool_manager.list_tools():
            close_tool(tool)
        if not self._prompt_manager.list_prompts():
            # The low-level server registers the prompt methods unconditionally, and advertises the
            # capability whenever prompts/list is served; it has no public way to unregister them.
            for method in _PROMPT_METHODS:
                self._lowlevel_server._request_handlers.pop(method, None)

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
        low = self._lowlevel_server
        if low.get_request_handler("prompts/list") is None:
            low.add_request_handler("prompts/list", PaginatedRequestParams, self._handle_list_prompts)
            low.add_request_handler("prompts/get", GetPromptRequestParams, self._handle_get_prompt)
