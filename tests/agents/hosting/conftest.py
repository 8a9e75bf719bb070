"""Fixtures for the hosting tests: the echo agent in memory (httpx.ASGITransport) and its client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agents.hosting import AgentApplication, AgentClient, build_agent_app

from .hosting_doubles import BASE_URL, ECHO_SPEC, TOKEN, EchoExecutor


@pytest.fixture
def executor() -> EchoExecutor:
    return EchoExecutor()


@pytest.fixture
async def app(executor: EchoExecutor) -> AsyncIterator[AgentApplication]:
    application = build_agent_app(ECHO_SPEC, executor, base_url=BASE_URL, token=TOKEN)
    yield application
    await application.aclose()


@pytest.fixture
async def http(app: AgentApplication) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as client:
        yield client


@pytest.fixture
async def agent(http: httpx.AsyncClient) -> AsyncIterator[AgentClient]:
    async with AgentClient(BASE_URL, token=TOKEN, http_client=http) as client:
        yield client
