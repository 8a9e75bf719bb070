"""A kept MCP connection holds one object per distinct output schema of the listed tools."""

from __future__ import annotations

import json
from typing import cast

import pytest
from mcp_types import CallToolResult, RequestParamsMeta

from mcp_servers.client import McpLink, share_output_schemas
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

from .conftest import DRIVER

pytestmark = pytest.mark.anyio


async def test_a_link_keeps_one_copy_of_each_distinct_output_schema(service: VehicleService) -> None:
    link = McpLink(
        build_server(service, client="vehicle-control"), name="vehicle", token=None, timeout_s=10.0
    )
    try:
        client = await link.client()
        listing = await client.list_tools()
        declared = {tool.name: tool.output_schema for tool in listing.tools if tool.output_schema is not None}
        distinct = {json.dumps(schema, sort_keys=True) for schema in declared.values()}
        assert len(distinct) < len(declared)  # the write tools share one schema
        assert await link.client() is client  # the next use of the link shares the equal schemas
        kept = client.session._tool_output_schemas
        assert {name: kept[name] for name in declared} == declared  # the same schemas, by value
        assert len({id(kept[name]) for name in declared}) == len(distinct)
        # Results are still checked against the kept schemas.
        result = await client.call_tool(
            "get_signals", {"paths": ["Vehicle.Speed"]}, meta=cast(RequestParamsMeta, DRIVER)
        )
        assert not result.is_error
        write = next(name for name in declared if name.startswith("set_"))
        with pytest.raises(RuntimeError, match=f"Invalid structured content returned by tool {write}"):
            await client.session.validate_tool_result(
                write, CallToolResult(content=[], structured_content={"applied": "not a list"})
            )
        assert share_output_schemas(client)  # sharing again changes nothing
        assert len({id(kept[name]) for name in declared}) == len(distinct)
    finally:
        await link.aclose()
