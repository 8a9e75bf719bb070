"""MCP servers: the only way cabin's agents read and change the car, look up maps and read perception."""
