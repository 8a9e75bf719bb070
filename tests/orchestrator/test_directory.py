"""The agent directory's reading of failed calls: which mark an agent down, which only count."""

from __future__ import annotations

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
