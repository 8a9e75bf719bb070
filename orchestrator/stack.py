"""The components of a running cabin stack and how ``cabin run`` starts them (docs/orchestrator.md).

Every component is its own process on loopback: the model host, the vehicle, navigation and
perception MCP servers, the three agents and the orchestrator. Each run gets fresh tokens, and each
process holds only its own (least privilege; GR-16 must contain an agent whose whole environment
leaks):

- the operator token (written to ``.cabin/run/operator-token``) works on the vehicle server, the
  agents and the orchestrator; only the orchestrator and the vehicle server hold it;
- each agent has its own vehicle-server token (its GR-16 client profile) and is called by the
  orchestrator with a caller token of its own, which no other server accepts;
- an agent checks its callers' tokens (the orchestrator's caller token for it, the operator's)
  against their digests (:func:`agents.hosting.token_digest`): it holds neither;
- the map server accepts a token of the navigation agent's that the vehicle server does not; the
  perception-feed server accepts the perception agent's token and, read-only (only the tools that
  change nothing), the orchestrator's token for it, which no other server accepts (the cockpit's
  perception panel); the model host one token of its own.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from agents.hosting import token_digest
from agents.hosting.optional import HOLD_BACK_ENV

from .supervisor import (
    RUN_DIR,
    Component,
    Endpoint,
    Plan,
    RunLock,
    SupervisorError,
    Tokens,
    check_ports,
    exec_supervisor,
    supervise,
)

AGENTS = ("vehicle-control", "navigation", "perception-summary")
"""The agents ``cabin run`` starts, by the name the vehicle server's client profiles use."""
CALLER = "caller:"
"""Prefix of the client name of the token the orchestrator presents to one agent."""
MAP_CLIENT = "navigation-map"
"""The navigation agent's token at the map server (not valid on the vehicle server)."""
PERCEPTION_READER = "orchestrator-perception"
"""The orchestrator's read-only token at the perception server (not valid anywhere else)."""
CLIENTS = (
    *AGENTS,
    "orchestrator",
    "models",
    MAP_CLIENT,
    PERCEPTION_READER,
    *(CALLER + agent for agent in AGENTS),
)


class PortsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orchestrator: int = 8700
    vehicle_mcp: int = 8701
    navigation_mcp: int = 8702
    perception_mcp: int = 8703
    vehicle_control: int = 8711
    navigation: int = 8712
    perception: int = 8713
    model_host: int = 8720


class StackConfig(BaseModel):
    """``cabin run --config FILE`` (YAML); every key is optional."""

    model_config = ConfigDict(extra="forbid")

    ports: PortsConfig = PortsConfig()
    state: Path | None = None
    catalog: Path | None = None
    audit: Path = RUN_DIR / "audit.jsonl"
    vehicle_state: Path = RUN_DIR / "vehicle-state.json"
    """Where the vehicle server keeps the simulated car's state across its restarts within one run."""
    map_pbf: Path | None = None
    budget_ms: float = 800.0
    task_store: str | None = None
    extra_agents: list[str] = []

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


def _vehicle_tokens(tokens: Tokens) -> Path:
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    path = RUN_DIR / "vehicle-tokens.json"
    mapping = {
        tokens.operator: "operator",
        tokens.clients["orchestrator"]: "operator",
        **{tokens.clients[agent]: agent for agent in AGENTS},
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(mapping, handle)
    return path


PROFILES = ("default", "compact")
"""``default``: every component its own process. ``compact``: the orchestrator, the three agents and
the navigation and perception MCP servers share one process (``orchestrator/compact.py``), each still
on its own port with its own token; the model host and the vehicle MCP server stay apart."""


def components(
    config: StackConfig,
    host: str,
    port: int,
    tokens: Tokens | None,
    ui: bool,
    profile: str = "default",
) -> list[Component]:
    if profile not in PROFILES:
        raise SupervisorError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    py = sys.executable
    p = config.ports.model_copy(update={"orchestrator": port})

    def url(port_: int, path: str = "") -> str:
        return f"http://{host}:{port_}{path}"

    def token(name: str) -> dict[str, str]:
        return {} if tokens is None else {"CABIN_MCP_TOKEN": tokens.clients[name]}

    quiet = {"OTEL_INSTRUMENTATION_A2A_SDK_ENABLED": "false"}
    # The orchestrator and the agents (every process that gets model_env) never load gRPC: their A2A
    # SDK does without it, and they speak JSON-RPC only (about 2 MiB anonymous and 12 MiB of library
    # pages each, agents/hosting/optional.py). The vehicle server's KUKSA backend needs it.
    model_env = {"CABIN_MODEL_HOST": url(p.model_host), HOLD_BACK_ENV: "grpc", **quiet}
    if tokens is not None:
        model_env["CABIN_MODEL_TOKEN"] = tokens.clients["models"]

    vehicle = [
        py,
        "-m",
        "mcp_servers.vehicle",
        "--transport",
        "http",
        "--host",
        host,
        "--port",
        str(p.vehicle_mcp),
    ]
    vehicle += ["--audit", str(config.audit), "--persist", str(config.vehicle_state)]
    vehicle += ["--state", str(config.state)] if config.state else []
    vehicle += ["--catalog", str(config.catalog)] if config.catalog else []
    vehicle += ["--tokens", str(_vehicle_tokens(tokens))] if tokens else ["--insecure"]

    navigation_mcp = [
        py,
        "-m",
        "mcp_servers.navigation",
        "--transport",
        "http",
        "--port",
        str(p.navigation_mcp),
    ]
    navigation_mcp += ["--pbf", str(config.map_pbf)] if config.map_pbf else []
    perception_mcp = [
        py,
        "-m",
        "mcp_servers.perception",
        "--transport",
        "http",
        "--port",
        str(p.perception_mcp),
    ]

    def agent_env(name: str) -> dict[str, str]:
        env = dict(model_env)
        if tokens is not None:
            env.update(
                CABIN_AGENT_TOKEN=token_digest(tokens.clients[CALLER + name]),
                CABIN_OPERATOR_TOKEN=token_digest(tokens.operator),
                CABIN_MCP_TOKEN=tokens.clients[name],
            )
        if tokens is not None and name == "navigation":
            env["CABIN_NAV_MCP_TOKEN"] = tokens.clients[MAP_CLIENT]
        return env

    insecure = [] if tokens else ["--insecure"]
    store = ["--task-store", config.task_store] if config.task_store else []
    vehicle_control = [py, "-m", "agents.vehicle_control", "--host", host, "--port", str(p.vehicle_control)]
    vehicle_control += ["--mcp-url", url(p.vehicle_mcp, "/mcp"), *store, *insecure]
    navigation = [py, "-m", "agents.navigation", "--host", host, "--port", str(p.navigation)]
    navigation += [
        "--vehicle-mcp-url",
        url(p.vehicle_mcp, "/mcp"),
        "--nav-mcp-url",
        url(p.navigation_mcp, "/mcp"),
    ]
    navigation += [*store, *insecure]
    perception = [py, "-m", "agents.perception", "--host", host, "--port", str(p.perception)]
    perception += [
        "--vehicle-mcp-url",
        url(p.vehicle_mcp, "/mcp"),
        "--perception-mcp-url",
        url(p.perception_mcp, "/mcp"),
    ]
    perception += [*store, *insecure]

    own_agents = [url(p.vehicle_control), url(p.navigation), url(p.perception)]
    agent_urls = [*own_agents, *config.extra_agents]
    orchestrator = [py, "-m", "orchestrator.server", "--host", host, "--port", str(p.orchestrator)]
    orchestrator += ["--vehicle-mcp-url", url(p.vehicle_mcp, "/mcp"), "--budget-ms", str(config.budget_ms)]
    orchestrator += ["--perception-mcp-url", url(p.perception_mcp, "/mcp")]
    for agent in agent_urls:
        orchestrator += ["--agent", agent]
    orchestrator += [] if ui else ["--no-ui"]
    orchestrator += [] if tokens else ["--insecure"]
    orchestrator_env = dict(model_env)
    if tokens is not None:
        orchestrator_env.update(
            CABIN_AGENT_TOKENS=json.dumps(_caller_tokens(tokens, own_agents)),
            CABIN_MCP_TOKEN=tokens.clients["orchestrator"],
            CABIN_PERCEPTION_MCP_TOKEN=tokens.clients[PERCEPTION_READER],
            CABIN_OPERATOR_TOKEN=tokens.operator,
        )

    host_env = {"CABIN_MODEL_TOKEN": tokens.clients["models"]} if tokens else {}
    model_host = Component(
        "model host",
        [py, "-m", "models.host", "--host", host, "--port", str(p.model_host)],
        p.model_host,
        env=host_env,
    )
    vehicle_server = Component(
        "vehicle MCP server", vehicle, p.vehicle_mcp, url_path="/mcp", env={HOLD_BACK_ENV: ""}
    )
    orchestrator_component = Component(
        "orchestrator + cockpit", orchestrator, p.orchestrator, env=orchestrator_env
    )
    if profile == "compact":
        shared = _compact(config, host, p, tokens, url(p.vehicle_mcp, "/mcp"), py, model_env, agent_urls, ui)
        return [model_host, vehicle_server, shared]
    return [
        model_host,
        vehicle_server,
        Component(
            "navigation MCP server",
            navigation_mcp,
            p.navigation_mcp,
            url_path="/mcp",
            env=token(MAP_CLIENT),
        ),
        Component(
            "perception MCP server",
            perception_mcp,
            p.perception_mcp,
            url_path="/mcp",
            env={}
            if tokens is None
            else {
                "CABIN_MCP_TOKEN": tokens.clients["perception-summary"],
                "CABIN_MCP_READ_TOKEN": tokens.clients[PERCEPTION_READER],
            },
        ),
        Component(
            "vehicle-control agent", vehicle_control, p.vehicle_control, env=agent_env("vehicle-control")
        ),
        Component("navigation agent", navigation, p.navigation, env=agent_env("navigation")),
        Component("perception agent", perception, p.perception, env=agent_env("perception-summary")),
        orchestrator_component,
    ]


def _compact(
    config: StackConfig,
    host: str,
    p: PortsConfig,
    tokens: Tokens | None,
    vehicle_mcp_url: str,
    py: str,
    model_env: dict[str, str],
    agent_urls: list[str],
    ui: bool,
) -> Component:
    """The compact profile's shared process: the six servers it hosts, each with the tokens its own
    process would get: the agents' and servers' in one JSON variable that only this process receives,
    the orchestrator's privileged ones on its standard input (none in the environment an agent shares,
    GR-16). ``agent_urls``: the orchestrator's agents, the three of the process first."""
    from .compact import TOKENS_ENV, AgentTokens, CompactTokens, OrchestratorTokens, tokens_json

    argv = [py, "-m", "orchestrator.compact", "--host", host, "--vehicle-mcp-url", vehicle_mcp_url]
    argv += ["--orchestrator-port", str(p.orchestrator)]
    argv += ["--navigation-mcp-port", str(p.navigation_mcp), "--perception-mcp-port", str(p.perception_mcp)]
    argv += ["--vehicle-control-port", str(p.vehicle_control), "--navigation-port", str(p.navigation)]
    argv += ["--perception-port", str(p.perception), "--budget-ms", str(config.budget_ms)]
    for agent_url in agent_urls:
        argv += ["--agent", agent_url]
    argv += [] if ui else ["--no-ui"]
    argv += ["--pbf", str(config.map_pbf)] if config.map_pbf else []
    argv += ["--task-store", config.task_store] if config.task_store else []
    env = dict(model_env)
    stdin = None
    if tokens is None:
        argv.append("--insecure")
    else:

        def agent(name: str, map_token: str | None = None) -> AgentTokens:
            return AgentTokens(
                caller=token_digest(tokens.clients[CALLER + name]),
                operator=token_digest(tokens.operator),
                mcp=tokens.clients[name],
                map=map_token,
            )

        env[TOKENS_ENV] = tokens_json(
            CompactTokens(
                navigation_mcp=tokens.clients[MAP_CLIENT],
                perception_mcp=tokens.clients["perception-summary"],
                perception_mcp_read=tokens.clients[PERCEPTION_READER],
                vehicle_control=agent("vehicle-control"),
                navigation=agent("navigation", tokens.clients[MAP_CLIENT]),
                perception=agent("perception-summary"),
            )
        )
        stdin = OrchestratorTokens(
            operator=tokens.operator,
            vehicle=tokens.clients["orchestrator"],
            agents=_caller_tokens(tokens, agent_urls),
        ).model_dump_json()
    serves = [
        Endpoint("navigation MCP server", p.navigation_mcp, url_path="/mcp"),
        Endpoint("perception MCP server", p.perception_mcp, url_path="/mcp"),
        Endpoint("vehicle-control agent", p.vehicle_control),
        Endpoint("navigation agent", p.navigation),
        Endpoint("perception agent", p.perception),
        Endpoint("orchestrator + cockpit", p.orchestrator),
    ]
    return Component("compact", argv, p.navigation_mcp, env=env, serves=serves, stdin=stdin)


def _caller_tokens(tokens: Tokens, agent_urls: list[str]) -> dict[str, str]:
    """Agent URL -> the token the orchestrator presents to that agent, for the stack's own agents
    (the first ``len(AGENTS)`` of ``agent_urls``)."""
    return {url_: tokens.clients[CALLER + agent] for url_, agent in zip(agent_urls, AGENTS, strict=False)}


def run_stack(
    config: str | None, host: str, port: int, insecure: bool, ui: bool, profile: str = "default"
) -> int:
    try:
        stack_config = StackConfig.load(config)
        if profile not in PROFILES:
            raise SupervisorError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    except SupervisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lock = RunLock()
    try:
        # Before anything is written to the run folder: a live stack's token files stay as they are.
        lock.acquire()
    except SupervisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return _run(stack_config, host, port, insecure, ui, profile, lock)
    finally:
        lock.release()


def _run(
    stack_config: StackConfig, host: str, port: int, insecure: bool, ui: bool, profile: str, lock: RunLock
) -> int:
    tokens = None if insecure else Tokens.fresh(CLIENTS)
    # A new run starts the simulated car from `state` (or the defaults); only the vehicle server's
    # restarts within this run find the car as it was.
    stack_config.vehicle_state.unlink(missing_ok=True)
    url = f"http://{host}:{port}"
    login = [sys.executable, "-m", "orchestrator.stack", "--login-line", url] if tokens and ui else None
    plan = Plan(
        components(stack_config, host, port, tokens, ui, profile),
        operator=tokens.operator if tokens else None,
        login=login,
    )
    print("starting cabin (the first start loads the model and the map) ...", flush=True)
    try:
        check_ports(plan.components, host)
    except SupervisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # The supervisor goes on in this process without what building the plan loaded; where it cannot
    # (not Linux), here.
    exec_supervisor(plan, keep=[lock.fileno()])
    operator = plan.operator
    return supervise(plan, None if operator is None or not ui else lambda: _login_line(url, operator))


def _login_line(url: str, token: str) -> str:
    import httpx

    from .access import login_link

    try:
        link = login_link(url, token)
    except httpx.HTTPError as exc:
        return f"cockpit login: no one-time link ({exc}); `cabin login` prints one"
    return f"cockpit login (one-time, {link.expires_in_s} s; `cabin login` prints another): {link.url}"


def main(argv: list[str] | None = None) -> int:
    """``python -m orchestrator.stack --login-line URL``: print the cockpit's login line of the stack
    at URL for the operator token read on standard input (what ``cabin run``'s supervisor runs once
    every component is up)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--login-line":
        print(
            "usage: python -m orchestrator.stack --login-line URL (token on standard input)", file=sys.stderr
        )
        return 2
    token = sys.stdin.read().strip()
    if not token:
        print("error: no operator token on standard input", file=sys.stderr)
        return 2
    print(_login_line(args[1], token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
