"""``python -m mcp_servers.perception``: run the perception MCP server."""

from mcp_servers.perception.cli import main

raise SystemExit(main())
