"""The Agent Card, /healthz, the token, and the package's public surface."""

from __future__ import annotations

import httpx
import pytest

import agents.navigation
from agents.hosting import AgentAuthError, AgentClient
from agents.navigation import NAVIGATION_SPEC, SettingsError, build_navigation_app
from mcp_servers.navigation import OsmMapProvider, create_server

from .navigation_agent_support import BASE_URL, TOKEN


async def test_card_names_the_agent_and_its_two_skills(agent: AgentClient) -> None:
    card = await agent.get_card()

    assert card.name == "navigation"
    assert [skill.id for skill in card.skills] == ["poi", "route"]
    for skill in card.skills:
        assert skill.description and skill.tags and len(skill.examples) >= 5
    assert "© OpenStreetMap contributors, ODbL" in card.description
    assert [interface.protocol_binding for interface in card.supported_interfaces] == ["JSONRPC", "HTTP+JSON"]
    assert "bearer" in card.security_schemes


async def test_card_examples_cover_the_phrasings_the_agent_understands() -> None:
    examples = {example for skill in NAVIGATION_SPEC.skills for example in skill.examples}

    assert {"find me a charger", "take me there", "avoid motorways", "how long will it take"} <= examples


async def test_healthz_answers_without_a_token_and_calls_need_one(http: httpx.AsyncClient) -> None:
    health = await http.get("/healthz")
    card = await http.get("/.well-known/agent-card.json")
    async with AgentClient(BASE_URL, http_client=http) as anonymous:
        with pytest.raises(AgentAuthError):
            await anonymous.send_text("find me a charger", seat="driver", origin="occupant")

    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert card.status_code == 200


async def test_the_operator_token_is_accepted_too(helsinki_map: OsmMapProvider) -> None:
    from mcp_servers.vehicle.backends.simulator import SimulatorBackend
    from mcp_servers.vehicle.server import build_server
    from mcp_servers.vehicle.service import VehicleService

    operator = "operator-token-0123456789abcdef"
    app = build_navigation_app(
        build_server(VehicleService(SimulatorBackend()), client="navigation"),
        create_server(helsinki_map),
        base_url=BASE_URL,
        token=TOKEN,
        operator_token=operator,
    )
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=operator, http_client=http) as client,
        ):
            result = await client.send_text("cancel the route", seat="driver", origin="occupant")
    finally:
        await app.aclose()

    assert result.state == "rejected"


def test_factory_refuses_targets_that_are_no_server_and_no_url(helsinki_map: OsmMapProvider) -> None:
    with pytest.raises(SettingsError, match="vehicle_mcp"):
        build_navigation_app("localhost:8701", create_server(helsinki_map), base_url=BASE_URL, token=None)
    with pytest.raises(SettingsError, match="operator token"):
        build_navigation_app(
            "http://127.0.0.1:8701/mcp",
            "http://127.0.0.1:8702/mcp",
            base_url=BASE_URL,
            token=None,
            operator_token="operator-token-0123456789abcdef",
        )


def test_public_surface_is_pinned() -> None:
    assert sorted(agents.navigation.__all__) == [
        "ATTRIBUTION",
        "ActionRecord",
        "DEFAULT_PORT",
        "DialogueState",
        "McpTarget",
        "NAVIGATION_SPEC",
        "NavigationAgentError",
        "NavigationApp",
        "NavigationExecutor",
        "PoiView",
        "RouteView",
        "ServiceError",
        "ServiceUnavailable",
        "SettingsError",
        "ToolFailed",
        "TurnData",
        "Understanding",
        "UnderstandingError",
        "build_navigation_app",
        "understand_intent",
        "understand_text",
    ]
    for name in agents.navigation.__all__:
        assert getattr(agents.navigation, name) is not None
