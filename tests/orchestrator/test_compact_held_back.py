"""The compact profile's shared process keeps gRPC out (`orchestrator.compact.HELD_BACK`): its apps
build, and its A2A client speaks JSON-RPC, without it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from orchestrator.compact import HELD_BACK


def test_the_shared_process_builds_its_apps_and_a2a_clients_without_grpc() -> None:
    script = textwrap.dedent(
        """
        import argparse, sys
        from orchestrator.compact import HELD_BACK, build_apps, hold_back
        hold_back()
        try:
            import grpc
        except ModuleNotFoundError:
            pass
        else:
            raise SystemExit("grpc was imported")
        args = argparse.Namespace(
            host="127.0.0.1", vehicle_mcp_url="http://127.0.0.1:9/mcp", orchestrator_port=9,
            navigation_mcp_port=9, perception_mcp_port=9, vehicle_control_port=9, navigation_port=9,
            perception_port=9, agent=["http://127.0.0.1:9"], budget_ms=800.0, no_ui=True, pbf=None,
            task_store=None, insecure=True,
        )
        served = build_apps(args, None, None)
        from a2a.client import ClientConfig, ClientFactory
        from a2a.utils.constants import TransportProtocol
        ClientFactory(ClientConfig(supported_protocol_bindings=[TransportProtocol.JSONRPC.value]))
        loaded = sorted(name for name in HELD_BACK if sys.modules.get(name) is not None)
        print(len(served), loaded)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "6 []"
    assert "grpc" in HELD_BACK
