"""MCP servers: the only way cabin's agents read and change the car, look up maps and read perception."""

# Optional parts of dependencies that no server uses (the MCP SDK's rich log handler, httpx's
# command-line client) stay unloaded: agents/hosting/optional.py, installed by `agents`.
import agents as _agents  # noqa: F401
