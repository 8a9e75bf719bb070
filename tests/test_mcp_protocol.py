"""The protocol edges every cabin MCP server shares (``mcp_servers.protocol.StrictMCPServer``), through
the official client in both protocol revisions: closed tool inputs, and only the capabilities a server
has (no empty prompts or resources capability whose methods fail with error code 0)."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import METHOD_NOT_FOUND

from mcp_servers.perception.server import build_server as perception_server
from mcp_servers.perception.sources import SimulatedSource
from mcp_servers.protocol import StrictMCPServer

MODES = ["auto", "legacy"]


def tiny() -> StrictMCPServer:
    server = StrictMCPServer("tiny")

    @server.tool()
    def add(a: int, b: int = 0) -> int:
        """Add two numbers."""
        return a + b

    return server


@pytest.mark.parametrize("mode", MODES)
async def test_unknown_arguments_are_errors_naming_them(mode: str) -> None:
    async with Client(tiny(), mode=mode) as client:  # type: ignore[arg-type]
        (tool,) = (await client.list_tools()).tools
        assert tool.input_schema["additionalProperties"] is False
        ok = await client.call_tool("add", {"a": 1, "b": 2})
        assert not ok.is_error and ok.structured_content == {"result": 3}
        typo = await client.call_tool("add", {"a": 1, "bb": 2})
        assert typo.is_error
        text = str(typo.content)
        assert "unknown argument 'bb'" in text and "add takes: a, b" in text


@pytest.mark.parametrize("mode", MODES)
async def test_no_prompts_or_resources_are_advertised_without_any(mode: str) -> None:
    async with Client(tiny(), mode=mode) as client:  # type: ignore[arg-type]
        capabilities = client.server_capabilities
        assert capabilities.prompts is None and capabilities.resources is None
        assert capabilities.tools is not None
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("anything")
        assert prompt.value.code == METHOD_NOT_FOUND
        with pytest.raises(MCPError) as resource:
            await client.read_resource("tiny://nothing")
        assert resource.value.code == METHOD_NOT_FOUND


async def test_a_prompt_or_resource_added_brings_its_methods_back() -> None:
    server = tiny()

    @server.prompt()
    def greet(name: str) -> str:
        """Greet someone."""
        return f"Hello {name}"

    @server.resource("tiny://{name}")
    def thing(name: str) -> str:
        return json.dumps({"name": name})

    async with Client(server) as client:
        assert client.server_capabilities.prompts is not None
        assert client.server_capabilities.resources is not None
        got = await client.get_prompt("greet", {"name": "Ada"})
        assert "Hello Ada" in str(got.messages[0].content)
        read = await client.read_resource("tiny://x")
        assert json.loads(read.contents[0].text) == {"name": "x"}  # type: ignore[union-attr]


@pytest.mark.parametrize("mode", MODES)
async def test_perception_server_edges(mode: str) -> None:
    async with Client(perception_server(SimulatedSource()), mode=mode) as client:  # type: ignore[arg-type]
        assert client.server_capabilities.prompts is None
        assert client.server_capabilities.resources is None
        tools = (await client.list_tools()).tools
        assert tools and all(t.input_schema.get("additionalProperties") is False for t in tools)
        typo = await client.call_tool("get_signs", {"max_age_sec": 5})
        assert typo.is_error and "unknown argument 'max_age_sec'" in str(typo.content)
