"""Shared by the plugin tests: the example plugin loaded from examples/, servers built around plugins."""

from __future__ import annotations

import importlib
import socket
import sys
from pathlib import Path
from typing import Any

from mcp_servers.vehicle.plugins import ToolPlugin

ROOT = Path(__file__).resolve().parents[2]
MASSAGE_DIR = ROOT / "examples" / "cabin-seat-massage"
MANUAL_DIR = ROOT / "examples" / "owners-manual-agent"
DRIVER: dict[str, Any] = {"cabin/seat": "driver", "cabin/origin": "occupant"}
MOVING = {"Vehicle.Speed": 80.0, "Vehicle.Powertrain.Transmission.SelectedGear": 4}


def massage_plugin() -> ToolPlugin:
    """The example plugin's ``PLUGIN``, imported from its directory (no install needed)."""
    if str(MASSAGE_DIR) not in sys.path:
        sys.path.insert(0, str(MASSAGE_DIR))
    module = importlib.import_module("cabin_seat_massage")
    plugin = module.PLUGIN
    assert isinstance(plugin, ToolPlugin)
    return plugin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
