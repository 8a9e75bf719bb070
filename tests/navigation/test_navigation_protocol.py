"""The navigation MCP server's protocol edges: closed tool inputs, no empty capabilities."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import METHOD_NOT_FOUND

from mcp_servers.navigation import OsmMapProvider, create_server


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_navigation_server_edges(toy_town: OsmMapProvider, mode: str) -> None:
    async with Client(create_server(toy_town), mode=mode) as client:  # type: ignore[arg-type]
        assert client.server_capabilities.prompts is None
        assert client.server_capabilities.resources is None
        with pytest.raises(MCPError) as prompt:
            await client.get_prompt("directions")
        assert prompt.value.code == METHOD_NOT_FOUND
        tools = (await client.list_tools()).tools
        assert tools and all(t.input_schema.get("additionalProperties") is False for t in tools)
        typo = await client.call_tool("categories", {"verbose": True})
        assert typo.is_error and "unknown argument 'verbose'" in str(typo.content)
