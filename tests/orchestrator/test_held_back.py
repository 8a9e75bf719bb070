"""`cabin run`'s orchestrator and agents never load gRPC (`CABIN_HOLD_BACK`,
agents/hosting/optional.py): the A2A SDK does without it, the apps build, and a JSON-RPC client is
made; the vehicle server, whose KUKSA backend needs gRPC, is not given the variable."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agents.hosting.optional import HOLD_BACK_ENV
from orchestrator.stack import CLIENTS, StackConfig, components
from orchestrator.supervisor import Tokens

_BUILD = textwrap.dedent(
    """
    import argparse, sys
    from orchestrator.compact import build_apps
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
    try:
        import grpc.aio
    except ModuleNotFoundError:
        held = True
    else:
        held = False
    print(len(served), "grpc" in sys.modules, held)
    """
)


def _build(held_back: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != HOLD_BACK_ENV}
    if held_back is not None:
        env[HOLD_BACK_ENV] = held_back
    done = subprocess.run(
        [sys.executable, "-c", _BUILD], capture_output=True, text=True, timeout=300, check=False, env=env
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_the_apps_and_a_json_rpc_client_are_built_without_grpc_when_it_is_held_back() -> None:
    assert _build("grpc") == "6 False True"


def test_without_the_variable_grpc_loads_as_before() -> None:
    assert _build(None) == "6 True False"


@pytest.mark.parametrize("profile", ["default", "compact"])
def test_cabin_run_holds_grpc_back_in_every_process_but_the_vehicle_servers_and_the_model_hosts(
    profile: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stack = components(StackConfig(), "127.0.0.1", 8700, Tokens.fresh(CLIENTS), ui=False, profile=profile)
    held = {c.name: c.env.get(HOLD_BACK_ENV) for c in stack}
    assert held.pop("vehicle MCP server") == ""  # not even one inherited from the shell
    assert held.pop("model host") is None
    expected = (
        {"compact"}
        if profile == "compact"
        else {
            "orchestrator + cockpit",
            "vehicle-control agent",
            "navigation agent",
            "perception agent",
        }
    )
    assert {name for name, value in held.items() if value == "grpc"} == expected
