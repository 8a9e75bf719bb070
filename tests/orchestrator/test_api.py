"""The front-end HTTP API through httpx in memory: contract shapes and bad input (never a 500)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest

from agents.hosting import DEFAULT_MAX_BODY_BYTES
from mcp_servers.vehicle.backends.base import VehicleBackend
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.catalog import Value
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from orchestrator.access import LOGIN_CODE_TTL_S, SESSION_COOKIE, SESSION_TTL_S, FrontEndAccess
from orchestrator.api import create_app
from orchestrator.models import ErrorBody, LoginLink
from orchestrator.turn import Orchestrator
from orchestrator.vehicle import VehicleAccess

from .doubles import KeywordRouter, directory

TOKEN = "front-end-token-for-tests"


@pytest.fixture
async def api() -> AsyncIterator[tuple[httpx.AsyncClient, Orchestrator]]:
    agents, _ = directory()
    await agents.refresh()
    orchestrator = Orchestrator(KeywordRouter(), agents, agent_timeout_s=1.0)
    backend = SimulatorBackend()
    async with VehicleAccess(build_server(VehicleService(backend), client="operator")) as vehicle:
        app = create_app(orchestrator, vehicle, front_end_token=TOKEN, base_url="http://cabin.test")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://cabin.test",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as client:
            yield client, orchestrator


async def test_utterance_returns_a_turn_result(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    response = await client.post(
        "/v1/utterances", json={"text": "set the temperature to 20", "seat": "driver"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "session_id",
        "turn_id",
        "reply",
        "route",
        "actions",
        "state_changes",
        "pending_confirmation",
        "latency_ms",
    }
    assert body["route"][0] == {
        "text": "set the temperature to 20",
        "agent": "car",
        "skill": "climate",
        "via": "template",
        "confidence": 1.0,
        "intent": "car_request",
        "guess": None,
    }
    assert body["actions"][0]["outcome"] == "applied"
    follow = await client.post(
        "/v1/utterances", json={"text": "and find a charger", "session_id": body["session_id"]}
    )
    assert follow.status_code == 200 and follow.json()["session_id"] == body["session_id"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 501}, "text"),
        ({"text": "hi", "seat": "roof"}, "seat"),
        ({"seat": "driver"}, "text"),
        ({"text": "hi", "extra": 1}, "extra"),
        ({"text": 5}, "text"),
    ],
)
async def test_bad_utterances_get_422_naming_the_field(
    api: tuple[httpx.AsyncClient, Orchestrator], payload: dict[str, Any], field: str
) -> None:
    client, _ = api
    response = await client.post("/v1/utterances", json=payload)
    assert response.status_code == 422
    assert field in {p["field"] for p in response.json()["problems"]}


async def test_invalid_json_is_422(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    response = await client.post(
        "/v1/utterances", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


async def test_unknown_session_is_404(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    response = await client.post("/v1/utterances", json={"text": "hi", "session_id": "s-unknown"})
    assert response.status_code == 404
    assert "unknown or expired session_id" in response.json()["detail"]


async def test_vehicle_state_get_and_put(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    state = (await client.get("/v1/vehicle/state", params={"prefix": "Vehicle.Cabin.HVAC"})).json()
    assert state["Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature"] == 21.0
    assert all(k.startswith("Vehicle.Cabin.HVAC.") for k in state)
    put = await client.put("/v1/vehicle/state", json={"Vehicle.Speed": 70})
    assert put.status_code == 200 and put.json() == {"applied": {"Vehicle.Speed": 70.0}}
    assert (await client.get("/v1/vehicle/state", params={"prefix": "Vehicle.Speed"})).json() == {
        "Vehicle.Speed": 70.0
    }
    bad = await client.put("/v1/vehicle/state", json={"Vehicle.Nope": 1})
    assert bad.status_code == 422 and "Vehicle.Nope" in bad.json()["detail"]
    none = await client.get("/v1/vehicle/state", params={"prefix": "Vehicle.Nothing"})
    assert none.status_code == 404


async def test_agents_and_health(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    agents = (await client.get("/v1/agents")).json()
    assert {a["name"] for a in agents} == {"car", "map"}
    assert all(a["healthy"] and a["breaker"] == "closed" and a["card"]["name"] == a["name"] for a in agents)
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"


async def test_openapi_and_a2a_card(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    spec = (await client.get("/openapi.json")).json()
    assert {"/v1/utterances", "/v1/vehicle/state", "/v1/agents", "/v1/events", "/healthz"} <= set(
        spec["paths"]
    )
    card = (await client.get("/.well-known/agent-card.json")).json()
    assert card["name"] == "cabin" and card["skills"][0]["id"] == "converse"


async def test_orchestrator_as_an_a2a_agent(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    from agents.hosting import AgentClient

    client, _ = api
    a2a = AgentClient("http://cabin.test", http_client=client)
    result = await a2a.send_text("set the temperature to 20", seat="driver", origin="occupant")
    assert result.state == "completed"
    assert result.data is not None and result.data["actions"][0]["outcome"] == "applied"  # type: ignore[index,call-overload]
    # A2A payloads are camelCase; free-form keys (VSS paths, tool arguments) stay as they are.
    data, actions = result.data, result.data["actions"]
    assert {"sessionId", "turnId", "stateChanges", "pendingConfirmation", "latencyMs"} <= set(data)
    assert isinstance(actions, list) and isinstance(actions[0], dict) and "ruleId" in actions[0]
    assert "state_changes" not in data and data["stateChanges"] == {"Vehicle.T": 20.0}
    outsider = await a2a.send_text("set the temperature to 20", origin="external")
    assert outsider.data == {"actions": [], "refused": "GR-18"}


async def test_events_are_published_per_turn(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, orchestrator = api
    seen: list[dict[str, Any]] = []
    stream = orchestrator.events.subscribe()
    import anyio

    async def collect() -> None:
        async for event in stream:
            seen.append(event)
            if event["type"] == "turn":
                return

    async with anyio.create_task_group() as group:
        group.start_soon(collect)
        await anyio.sleep(0.01)
        await client.post("/v1/utterances", json={"text": "set the temperature to 20"})
    kinds = [e["type"] for e in seen]
    assert kinds[0] == "routing" and kinds[-1] == "turn"
    assert {"agent_call", "agent_result", "tool_call", "guardrail", "state_change"} <= set(kinds)
    assert len({e["turn_id"] for e in seen}) == 1


# -- bad text: lone surrogates and other non-values are a 422 naming the field ---------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"text": "heat my seat \\ud800"}', "text"),
        ('{"text": "hi", "session_id": "s-\\udfff"}', "session_id"),
        ('{"text": "hi", "\\ud800": 1}', "body"),
    ],
)
async def test_lone_surrogates_in_an_utterance_are_422_naming_the_field(
    api: tuple[httpx.AsyncClient, Orchestrator], raw: str, field: str
) -> None:
    client, _ = api
    response = await client.post("/v1/utterances", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    body = ErrorBody.model_validate(response.json())
    assert body.error == "invalid_request"
    assert field in {p.field for p in body.problems}
    assert "\\ud8" in body.detail or "\\udf" in body.detail


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        ('{"Vehicle.Speed": "\\ud800"}', "Vehicle.Speed", "surrogate"),
        ('{"Vehicle.Sp\\ud800eed": 1}', "Vehicle.Sp\ufffd\ufffd\ufffdeed", "not a VSS path"),
        ('{"Vehicle.Speed": NaN}', "Vehicle.Speed", "finite"),
        ('{"Vehicle.Speed": {"a": 1}}', "Vehicle.Speed", "object"),
        ('{"Vehicle.Speed": 1e999}', "Vehicle.Speed", "finite"),
        ('{"Vehicle.Speed": 123456789012345678901234567890}', "Vehicle.Speed", "range"),
        ("{}", "body", "at least 1"),
        ("[1, 2]", "body", "dictionary"),
    ],
)
async def test_bad_state_writes_are_422_naming_the_path(
    api: tuple[httpx.AsyncClient, Orchestrator], raw: str, field: str, words: str
) -> None:
    client, _ = api
    response = await client.put(
        "/v1/vehicle/state", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    problems = ErrorBody.model_validate(response.json()).problems
    assert [p.field for p in problems] == [field]
    assert words in problems[0].message
    assert (await client.get("/healthz")).status_code == 200


async def test_a_simulated_state_write_on_a_real_car_is_409() -> None:
    class RealCar(SimulatorBackend):
        """A backend that, like the KUKSA one, serves a vehicle: it takes no injected values."""

        async def inject(self, values: Mapping[str, Value]) -> None:
            await VehicleBackend.inject(self, values)

    agents, _ = directory()
    orchestrator = Orchestrator(KeywordRouter(), agents, agent_timeout_s=1.0)
    async with VehicleAccess(build_server(VehicleService(RealCar()), client="operator")) as vehicle:
        app = create_app(orchestrator, vehicle, front_end_token=TOKEN, base_url="http://cabin.test")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://cabin.test", headers=_bearer()
        ) as client:
            response = await client.put("/v1/vehicle/state", json={"Vehicle.Speed": 0})
    assert response.status_code == 409, response.text
    assert "simulator feature" in response.json()["detail"]


# -- protocol edges: 405 with Allow, 404 for unknown /v1 paths, one error model in the schema -------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/utterances", "POST"),
        ("GET", "/v1/utterances", "POST"),
        ("PATCH", "/v1/vehicle/state", "GET, PUT"),
        ("POST", "/v1/agents", "GET"),
        ("PUT", "/healthz", "GET"),
        ("OPTIONS", "/v1/events", "GET"),
        ("QUERY", "/v1/utterances", "POST"),
        ("POST", "/openapi.json", "GET"),
    ],
)
async def test_undeclared_methods_are_405_with_allow(
    api: tuple[httpx.AsyncClient, Orchestrator], method: str, path: str, allow: str
) -> None:
    client, _ = api
    response = await client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert ErrorBody.model_validate(response.json()).error == "method_not_allowed"


async def test_unknown_v1_paths_are_404_in_the_error_model(
    api: tuple[httpx.AsyncClient, Orchestrator],
) -> None:
    client, _ = api
    response = await client.get("/v1/nothing/here")
    assert response.status_code == 404
    assert ErrorBody.model_validate(response.json()).error == "not_found"


async def test_every_documented_error_uses_the_error_model(
    api: tuple[httpx.AsyncClient, Orchestrator],
) -> None:
    client, _ = api
    spec = (await client.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if int(status) < 400 or (path == "/healthz" and status == "503"):
                    continue
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
                checked += 1
            if path.startswith("/v1/"):
                assert operation["security"] == [{"bearer": []}, {"session": []}]
                assert {"401", "413", "421"} <= set(operation["responses"])
    assert checked >= 30
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    put = spec["paths"]["/v1/vehicle/state"]["put"]["requestBody"]["content"]["application/json"]["schema"]
    assert put["additionalProperties"] is False
    assert put["properties"]["Vehicle.Speed"]["type"] == "number"
    assert put["properties"]["Vehicle.Powertrain.Transmission.SelectedGear"]["type"] == "integer"


# -- who may use the API ------------------------------------------------------------------------------------


def _bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/utterances"),
        ("GET", "/v1/vehicle/state"),
        ("PUT", "/v1/vehicle/state"),
        ("GET", "/v1/agents"),
        ("GET", "/v1/events"),
        ("POST", "/v1/login-codes"),
    ],
)
@pytest.mark.parametrize("credential", [None, "Bearer wrong-token-of-some-length", "Basic Zm9vOmJhcg=="])
async def test_every_v1_endpoint_needs_the_front_end_token(
    api: tuple[httpx.AsyncClient, Orchestrator], method: str, path: str, credential: str | None
) -> None:
    client, _ = api
    headers = {"Authorization": credential} if credential else {}
    async with httpx.AsyncClient(transport=client._transport, base_url="http://cabin.test") as bare:
        response = await bare.request(method, path, headers=headers, json={"text": "open the trunk"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert ErrorBody.model_validate(response.json()).error == "unauthorized"


async def test_health_and_the_cockpit_need_no_token(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    async with httpx.AsyncClient(transport=client._transport, base_url="http://cabin.test") as bare:
        assert (await bare.get("/healthz")).status_code == 200
        assert (await bare.get("/")).status_code == 200


async def test_login_code_is_exchanged_once_for_a_strict_http_only_cookie(
    api: tuple[httpx.AsyncClient, Orchestrator],
) -> None:
    client, _ = api
    minted = await client.post("/v1/login-codes")
    assert minted.status_code == 201
    link = LoginLink.model_validate(minted.json())
    assert link.url.startswith("http://cabin.test/login?code=")
    async with httpx.AsyncClient(transport=client._transport, base_url="http://cabin.test") as browser:
        assert (await browser.get("/v1/agents")).status_code == 401
        login = await browser.get(link.url)
        assert login.status_code == 303 and login.headers["location"] == "/"
        cookie = login.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
        assert (await browser.get("/v1/agents")).status_code == 200
        turn = await browser.post("/v1/utterances", json={"text": "set the temperature to 20"})
        assert turn.status_code == 200
        browser.cookies.clear()
        again = await browser.get(link.url)
        assert again.status_code == 403 and "cabin login" in again.json()["detail"]
        forged = await browser.get("/v1/agents", headers={"Cookie": f"{SESSION_COOKIE}=9999999999.abc.def"})
        assert forged.status_code == 401


def test_login_codes_expire_and_sessions_are_signed_by_the_token() -> None:
    access = FrontEndAccess("a-token-long-enough-to-use")
    code = access.new_login_code(now=100.0)
    assert access.redeem(code.code, now=100.0 + LOGIN_CODE_TTL_S + 1) is None
    fresh = access.new_login_code(now=100.0)
    session = access.redeem(fresh.code, now=101.0)
    assert session is not None and access.session_valid(session)
    assert not access.session_valid(session, now=time.time() + SESSION_TTL_S + 60)
    assert not FrontEndAccess("another-token-entirely-here").session_valid(session)
    assert FrontEndAccess("a-token-long-enough-to-use").session_valid(session)  # survives a restart


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("evil.example", 421),
        ("evil.example:8700", 421),
        ("127.0.0.1.evil.example", 421),
        ("", 421),
        ("[::1", 421),
        ("localhost:8700", 200),
        ("127.0.0.1", 200),
        ("[::1]:8700", 200),
        ("LOCALHOST.", 200),
    ],
)
async def test_only_loopback_names_are_accepted_in_host(
    api: tuple[httpx.AsyncClient, Orchestrator], host: str, status: int
) -> None:
    client, _ = api
    response = await client.get("/v1/agents", headers={"Host": host})
    assert response.status_code == status
    if status == 421:
        assert ErrorBody.model_validate(response.json()).error == "wrong_host"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Origin": "http://cabin.test:8080"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Origin": "http://cabin.test", "Sec-Fetch-Site": "same-origin"}, 200),
        ({}, 200),
    ],
)
async def test_state_changes_from_another_origin_are_403(
    api: tuple[httpx.AsyncClient, Orchestrator], headers: dict[str, str], status: int
) -> None:
    client, _ = api
    response = await client.put("/v1/vehicle/state", json={"Vehicle.Speed": 0}, headers=headers)
    assert response.status_code == status, response.text


async def test_bodies_over_the_cap_are_413_unread(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    big = b'{"text": "' + b"a" * (DEFAULT_MAX_BODY_BYTES + 10) + b'"}'
    declared = await client.post("/v1/utterances", content=big, headers={"content-type": "application/json"})
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    streamed = await client.post(
        "/v1/utterances", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert ErrorBody.model_validate(streamed.json()).error == "body_too_large"


async def test_a_body_that_is_not_json_is_415(api: tuple[httpx.AsyncClient, Orchestrator]) -> None:
    client, _ = api
    response = await client.post("/v1/utterances", content=b"text=hi", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    undeclared = await client.post("/v1/utterances", content=b'{"text": "hi"}')
    assert undeclared.status_code == 415 and "not declared" in undeclared.json()["detail"]


async def test_insecure_mode_checks_no_token_but_still_the_host() -> None:
    agents, _ = directory()
    orchestrator = Orchestrator(KeywordRouter(), agents, agent_timeout_s=1.0)
    async with VehicleAccess(build_server(VehicleService(SimulatorBackend()), client="operator")) as vehicle:
        app = create_app(orchestrator, vehicle, front_end_token=None)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8700"
        ) as client:
            assert (
                await client.get("/v1/vehicle/state", params={"prefix": "Vehicle.Speed"})
            ).status_code == 200
            assert (await client.get("/v1/agents", headers={"Host": "evil.example"})).status_code == 421


async def test_a_state_write_that_would_make_an_impossible_car_is_409(
    api: tuple[httpx.AsyncClient, Orchestrator],
) -> None:
    client, _ = api
    door = "Vehicle.Cabin.Door.Row1.DriverSide"
    opened = await client.put("/v1/vehicle/state", json={f"{door}.IsOpen": True})
    assert opened.status_code == 200, opened.text
    locked = await client.put("/v1/vehicle/state", json={f"{door}.IsLocked": True})
    assert locked.status_code == 409, locked.text
    assert "open and locked" in locked.json()["detail"]
