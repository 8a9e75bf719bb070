"""Servers built over one service for several clients (the in-process stack builds one per client)
derive each tool's schemas once and share them, while every server's tools still act for its own
client: the shared part is the shape, never who is calling."""

from __future__ import annotations

from mcp import Client

from mcp_servers.vehicle.app import VehicleApp
from mcp_servers.vehicle.server import build_server

SPEED = "Vehicle.Speed"


async def test_servers_for_two_clients_list_the_same_tools_and_keep_their_own_caller() -> None:
    app = VehicleApp.create()
    navigation = build_server(app.service, client="navigation")
    operator = build_server(app.service, client="operator")
    async with (
        Client(navigation, raise_exceptions=True) as nav,
        Client(operator, raise_exceptions=True) as op,
    ):
        nav_tools = (await nav.list_tools()).tools
        op_tools = (await op.list_tools()).tools
        assert [t.name for t in nav_tools] == [t.name for t in op_tools]
        assert [t.input_schema for t in nav_tools] == [t.input_schema for t in op_tools]
        assert all(t.input_schema.get("additionalProperties") is False for t in nav_tools)

        refused = await nav.call_tool("simulate_signals", {"values": {SPEED: 30}})
        assert refused.is_error
        assert "navigation" in refused.content[0].text  # type: ignore[union-attr]
        applied = await op.call_tool("simulate_signals", {"values": {SPEED: 30}})
        assert not applied.is_error
        assert (await app.service.get_signals([SPEED]))[SPEED] == 30

        misspelt = await op.call_tool("set_window", {"position": 50, "confirm_tokn": "x"})
        assert misspelt.is_error
        assert "confirm_tokn" in misspelt.content[0].text  # type: ignore[union-attr]
