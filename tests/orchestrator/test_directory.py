"""The agent directory's reading of failed calls (which mark an agent down, which only count), its
watch that finds an agent again, and the token each agent is called with."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from agents.hosting import build_agent_app
from orchestrator.directory import AgentDirectory, AgentDown

from .doubles import CarExecutor, spec

URL = "http://car.test"


class _Failing(httpx.AsyncBaseTransport):
    """The agent's card is served; every call then fails with `error` (raised on the way out)."""

    def __init__(self, error: httpx.TransportError) -> None:
        self._asgi = httpx.ASGITransport(
            app=build_agent_app(spec("car"), CarExecutor(), base_url=URL, token=None)
        )
        self._error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return await self._asgi.handle_async_request(request)
        raise self._error


async def _directory(error: httpx.TransportError) -> AgentDirectory:
    client = httpx.AsyncClient(transport=_Failing(error), base_url=URL)
    agents = AgentDirectory.from_urls([URL], http_clients={URL: client})
    await agents.refresh()
    assert agents.healthy() == {"car"}
    return agents


async def test_a_dropped_connection_counts_against_the_breaker_but_keeps_the_agent() -> None:
    agents = await _directory(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    with pytest.raises(AgentDown, match="unreachable"):
        await agents.send("car", "set the temperature to 20", timeout_s=2.0)
    assert agents.healthy() == {"car"}
    await agents.aclose()


async def test_a_refused_connection_routes_around_the_agent() -> None:
    agents = await _directory(httpx.ConnectError("All connection attempts failed"))
    with pytest.raises(AgentDown, match="unreachable"):
        await agents.send("car", "set the temperature to 20", timeout_s=2.0)
    assert agents.healthy() == set()
    await agents.aclose()


class _Switchable(httpx.AsyncBaseTransport):
    """The agent in memory while `up`; while down every request (the card too) is refused. Records the
    paths and bearer tokens it was called with."""

    def __init__(self, token: str | None = None) -> None:
        self._asgi = httpx.ASGITransport(
            app=build_agent_app(spec("car"), CarExecutor(), base_url=URL, token=token)
        )
        self.up = True
        self.probes_while_down = 0
        self.authorizations: set[str | None] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.authorizations.add(request.headers.get("authorization"))
        if not self.up:
            self.probes_while_down += request.method == "GET"
            raise httpx.ConnectError("All connection attempts failed")
        return await self._asgi.handle_async_request(request)


async def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - the state belongs to the directory's own tasks
            await asyncio.sleep(0.01)


async def test_an_agent_that_answers_again_is_found_by_the_watch_and_takes_turns() -> None:
    transport = _Switchable()
    client = httpx.AsyncClient(transport=transport, base_url=URL)
    agents = AgentDirectory.from_urls([URL], http_clients={URL: client})
    await agents.refresh()
    watch = asyncio.create_task(agents.watch(interval_s=3600.0))
    try:
        transport.up = False
        for _ in range(3):  # enough failures to open the breaker
            with pytest.raises(AgentDown):
                await agents.send("car", "set the temperature to 20", timeout_s=2.0)
        assert agents.healthy() == set()
        await _until(lambda: transport.probes_while_down >= 3)
        transport.up = True
        # Probed with backoff, not on the hour-long refresh timer; its breaker starts afresh.
        await _until(lambda: agents.healthy() == {"car"})
        result = await agents.send("car", "set the temperature to 20", timeout_s=5.0)
        assert result.state == "completed"
    finally:
        watch.cancel()
        await agents.aclose()


async def test_each_agent_gets_the_token_meant_for_it() -> None:
    mine, default = "car-token-0123456789", "default-token-0123456789"
    first, second = _Switchable(token=mine), _Switchable(token=default)
    other = "http://other.test"
    clients = {
        URL: httpx.AsyncClient(transport=first, base_url=URL),
        other: httpx.AsyncClient(transport=second, base_url=other),
    }
    agents = AgentDirectory.from_urls([URL, other], token=default, tokens={URL: mine}, http_clients=clients)
    await agents.refresh()
    result = await agents.send("car", "set the temperature to 20", timeout_s=5.0)
    await agents.aclose()
    assert result.state == "completed"
    assert f"Bearer {mine}" in first.authorizations
    assert f"Bearer {default}" not in first.authorizations
