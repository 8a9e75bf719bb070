"""The components of a running cabin stack and how ``cabin run`` starts them."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .supervisor import RUN_DIR, Component, Supervisor, SupervisorError, Tokens

CLIENTS = ("vehicle-control", "navigation", "perception-summary")


class PortsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vehicle_mcp: int = 8701


class StackConfig(BaseModel):
    """``cabin run --config FILE`` (YAML); every key is optional."""

    model_config = ConfigDict(extra="forbid")

    ports: PortsConfig = PortsConfig()
    state: Path | None = None
    catalog: Path | None = None
    audit: Path = RUN_DIR / "audit.jsonl"

    @classmethod
    def load(cls, path: str | None) -> StackConfig:
        if path is None:
            return cls()
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SupervisorError(f"{path}: cannot read the configuration ({exc})") from exc
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise SupervisorError(f"{path}: {problems}") from exc


def components(config: StackConfig, host: str, tokens: Tokens | None) -> list[Component]:
    python = sys.executable
    vehicle = [python, "-m", "mcp_servers.vehicle", "--transport", "http", "--host", host]
    vehicle += ["--port", str(config.ports.vehicle_mcp), "--audit", str(config.audit)]
    if config.state is not None:
        vehicle += ["--state", str(config.state)]
    if config.catalog is not None:
        vehicle += ["--catalog", str(config.catalog)]
    vehicle += ["--tokens", str(tokens.mcp_token_file())] if tokens else ["--insecure"]
    return [Component("vehicle MCP server", vehicle, config.ports.vehicle_mcp, url_path="/mcp")]


def run_stack(config: str | None, host: str, port: int, insecure: bool, ui: bool) -> int:
    try:
        stack_config = StackConfig.load(config)
    except SupervisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    tokens = None if insecure else Tokens.fresh(CLIENTS)
    supervisor = Supervisor(components(stack_config, host, tokens))
    try:
        supervisor.start()
    except SupervisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(supervisor.table(), flush=True)
    if tokens is not None:
        print(f"operator token: {tokens.write_operator()}", flush=True)
    else:
        print("running without tokens (--insecure)", flush=True)
    print("Ctrl-C stops every component.", flush=True)
    supervisor.run_forever()
    return 0
