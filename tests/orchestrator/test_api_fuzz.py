"""Fuzzing the front-end HTTP API (hypothesis): no payload, header or body gets a 5xx.

The app is the orchestrator's real one in front of the real in-process stack (the vehicle server, the
three agents; the router with its templates, as the orchestrator serves before its model has
loaded), reached in memory through ``httpx.ASGITransport``. Payloads: utterances and state writes
with lone surrogates, wrong types, unknown fields, NaN and huge numbers, nested and deeply nested
JSON, bodies around and over the size cap, raw bytes, and random credentials, Host, Origin,
Content-Type and cookie headers on every endpoint and method. Every answer must be below 500, and
every error answer must be the API's one error model. The module sends at least ``MIN_PAYLOADS``.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
from anyio.abc import TaskStatus
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.hosting import DEFAULT_MAX_BODY_BYTES
from mcp_servers.vehicle.catalog import Catalog
from orchestrator.api import create_app
from orchestrator.local import open_local_stack
from orchestrator.models import ErrorBody
from orchestrator.routing import Router, TemplateStage

TOKEN = "front-end-token-for-the-fuzz-test"
BASE = "http://127.0.0.1:8700"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
MIN_PAYLOADS = 2000
EXAMPLES = {"utterances": 700, "state_writes": 500, "raw_bodies": 400, "headers": 400, "queries": 200}

SENTENCES = (
    "set the temperature to 20",
    "heat my seat",
    "open the trunk",
    "find a charger",
    "turn the volume down a bit",
    "unlock the doors",
)


@dataclass
class Api:
    portal: BlockingPortal
    client: httpx.AsyncClient
    statuses: Counter[int] = field(default_factory=Counter)
    ran: set[str] = field(default_factory=set)

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.portal.call(functools.partial(self.client.request, method, path, **kwargs))
        self.statuses[response.status_code] += 1
        assert response.status_code < 500, (method, path, kwargs, response.text)
        if response.status_code >= 400:
            ErrorBody.model_validate_json(response.content)
        return response


async def _serve(stop: anyio.Event, *, task_status: TaskStatus[httpx.AsyncClient]) -> None:
    stack = await open_local_stack(router=Router([TemplateStage()]))
    try:
        app = create_app(stack.orchestrator, stack.vehicle, front_end_token=TOKEN, base_url=BASE)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=60.0) as client:
            task_status.started(client)
            await stop.wait()
    finally:
        await stack.aclose()


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with start_blocking_portal(backend="asyncio") as portal:
        stop = portal.call(anyio.Event)
        served, client = portal.start_task(_serve, stop)
        api = Api(portal, client)
        try:
            yield api
        finally:
            print(
                f"\nfuzzed payloads: {sum(api.statuses.values())}; statuses: {dict(sorted(api.statuses.items()))}"
            )
            portal.call(stop.set)
            served.result(timeout=60)


# -- strategies ---------------------------------------------------------------------------------------------

surrogates = st.characters(categories=["Cs"])
any_char = st.characters() | surrogates
texts = st.one_of(
    st.text(any_char, max_size=40),
    st.text(any_char, min_size=480, max_size=620),
    st.sampled_from(SENTENCES),
    st.builds(
        lambda s, bad: s + " " + bad, st.sampled_from(SENTENCES), st.text(surrogates, min_size=1, max_size=3)
    ),
)
short_texts = st.text(any_char, max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(short_texts, inner, max_size=4),
    max_leaves=15,
)
seats = st.sampled_from(["driver", "passenger", "rear_left", "rear_right"]) | short_texts | json_values
paths = st.sampled_from(sorted(Catalog.load().paths)) | short_texts | st.just("Vehicle.Nope")


@st.composite
def utterances(draw: st.DrawFn) -> Any:
    body: dict[str, Any] = {}
    if draw(st.integers(0, 9)):
        body["text"] = draw(texts | json_values)
    if draw(st.booleans()):
        body["seat"] = draw(seats)
    if draw(st.booleans()):
        body["session_id"] = draw(st.none() | short_texts | json_values)
    if draw(st.integers(0, 4)) == 0:
        body[draw(short_texts)] = draw(json_values)
    return draw(st.sampled_from([body, body, body, [body], body.get("text")]))


state_writes = st.dictionaries(paths, json_values, max_size=5) | json_values


def _nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    inner = '{"a":' * depth if opener == "{" else "[" * depth
    return (
        f'{{"text": {inner}1{closer * depth}}}' if opener == "[" else inner + "1" + closer * depth
    ).encode()


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.integers(1, 40_000).flatmap(
        lambda d: st.sampled_from([_nested(d, "["), _nested(min(d, 10_000), "{")])
    ),
    st.integers(DEFAULT_MAX_BODY_BYTES - 64, DEFAULT_MAX_BODY_BYTES + 64).map(
        lambda n: b'{"text": "' + b"a" * n + b'"}'
    ),
    st.builds(lambda s: json.dumps(s).encode()[: len(json.dumps(s)) // 2], utterances()),
    st.sampled_from([b"", b"null", b"NaN", b"1e999999", b'"\\ud800"', b'{"text": "\\udfff\\ud800"}']),
)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60)
endpoints = st.sampled_from(
    [
        ("POST", "/v1/utterances"),
        ("GET", "/v1/vehicle/state"),
        ("PUT", "/v1/vehicle/state"),
        ("GET", "/v1/agents"),
        ("POST", "/v1/login-codes"),
        ("GET", "/healthz"),
        ("GET", "/login"),
        ("DELETE", "/v1/utterances"),
        ("PATCH", "/v1/vehicle/state"),
        ("GET", "/v1/nothing"),
        ("OPTIONS", "/v1/agents"),
    ]
)


@st.composite
def header_sets(draw: st.DrawFn) -> dict[str, str]:
    headers: dict[str, str] = {}
    choice = draw(st.sampled_from(["valid", "none", "wrong", "garbage", "cookie"]))
    if choice == "valid":
        headers.update(AUTH)
    elif choice == "wrong":
        headers["Authorization"] = "Bearer " + draw(header_text)
    elif choice == "garbage":
        headers["Authorization"] = draw(header_text)
    elif choice == "cookie":
        headers["Cookie"] = draw(header_text)
    if draw(st.booleans()):
        headers["Host"] = draw(st.sampled_from(["127.0.0.1:8700", "localhost", "[::1]:8700"]) | header_text)
    if draw(st.booleans()):
        headers["Origin"] = draw(st.sampled_from([BASE, "null", "http://evil.example"]) | header_text)
    if draw(st.booleans()):
        headers["Content-Type"] = draw(st.sampled_from(["application/json", "text/plain"]) | header_text)
    return headers


# -- the fuzz tests ------------------------------------------------------------------------------------------


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@fuzz(EXAMPLES["utterances"])
@given(body=utterances())
def test_utterances_never_get_a_5xx(api: Api, body: Any) -> None:
    api.ran.add("utterances")
    sent = json.dumps(body)
    response = api.send("POST", "/v1/utterances", content=sent.encode(), headers=AUTH)
    received = json.loads(sent)  # a high and a low surrogate side by side are one valid character
    text = received.get("text") if isinstance(received, dict) else None
    if isinstance(text, str) and any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        assert response.status_code == 422
        assert "surrogate" in response.json()["detail"]


@fuzz(EXAMPLES["state_writes"])
@given(body=state_writes)
def test_state_writes_never_get_a_5xx(api: Api, body: Any) -> None:
    api.ran.add("state_writes")
    response = api.send("PUT", "/v1/vehicle/state", content=json.dumps(body).encode(), headers=AUTH)
    assert response.status_code in (200, 409, 422, 503), response.text


@fuzz(EXAMPLES["raw_bodies"])
@given(body=raw_bodies, endpoint=st.sampled_from([("POST", "/v1/utterances"), ("PUT", "/v1/vehicle/state")]))
def test_raw_bodies_never_get_a_5xx(api: Api, body: bytes, endpoint: tuple[str, str]) -> None:
    api.ran.add("raw_bodies")
    response = api.send(*endpoint, content=body, headers={**AUTH, "Content-Type": "application/json"})
    if len(body) > DEFAULT_MAX_BODY_BYTES:
        assert response.status_code == 413


@fuzz(EXAMPLES["headers"])
@given(endpoint=endpoints, headers=header_sets(), body=st.none() | utterances())
def test_headers_never_get_a_5xx(
    api: Api, endpoint: tuple[str, str], headers: dict[str, str], body: Any
) -> None:
    api.ran.add("headers")
    method, path = endpoint
    content = json.dumps(body).encode() if body is not None else None
    raw = {name: value.encode("latin-1") for name, value in headers.items()}  # any byte a header may hold
    response = api.send(method, path, headers=raw, content=content)
    if path.startswith("/v1") and "Authorization" not in headers and "Host" not in headers:
        assert response.status_code == 401


@fuzz(EXAMPLES["queries"])
@given(prefix=short_texts | paths | st.text(max_size=300), code=short_texts)
def test_queries_never_get_a_5xx(api: Api, prefix: str, code: str) -> None:
    api.ran.add("queries")
    clean = prefix.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    api.send("GET", "/v1/vehicle/state", params={"prefix": clean}, headers=AUTH)
    api.send(
        "GET", "/login", params={"code": code.encode("utf-8", "surrogatepass").decode("utf-8", "replace")}
    )


def test_the_fuzz_run_sent_enough_payloads(api: Api) -> None:
    if api.ran != set(EXAMPLES):
        pytest.skip("counts only when every fuzz test of the module ran")
    assert sum(api.statuses.values()) >= MIN_PAYLOADS, api.statuses
    assert not [status for status in api.statuses if status >= 500]
