"""The cockpit in front of the real in-process stack (vehicle server, agents, router), served by real
uvicorn on a free loopback port in a thread of its own, logged in through the one-time login URL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from orchestrator.api import create_app
from orchestrator.cockpit import SourceFeed
from orchestrator.local import open_local_stack, shared_map
from tests.conftest import ROOT, free_port

TOKEN = "cockpit-token-for-tests"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SIGN_FRAME: dict[str, Any] = {
    "objects": [
        {"class": "cyclist", "side": "right", "distance_m": 2.5, "lane": "right", "rel_speed_kmh": -3}
    ],
    "signs": [{"kind": "speed_limit", "value": 40}],
    "image": {"path": "images/sign_speed_limit_40.png"},
}


@dataclass
class Cockpit:
    """The running stack: its URL, and an API client holding the front-end token."""

    url: str
    api: httpx.Client


class _Server(threading.Thread):
    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self.server: uvicorn.Server | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test thread
            self.failure = exc
            self.ready.set()

    async def _serve(self) -> None:
        stack = await open_local_stack(budget_s=30.0, agent_timeout_s=60.0)
        try:
            await stack.perceive(SIGN_FRAME, ROOT / "scenarios")
            url = f"http://127.0.0.1:{self.port}"
            app = create_app(
                stack.orchestrator,
                stack.vehicle,
                front_end_token=TOKEN,
                base_url=url,
                map_provider=shared_map,
                perception=SourceFeed(stack.perception),
            )
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
            self.server = uvicorn.Server(config)
            task = asyncio.create_task(self.server.serve())
            for _ in range(3000):
                if self.server.started or task.done():
                    break
                await asyncio.sleep(0.02)
            self.ready.set()
            await task
        finally:
            await stack.aclose()


@pytest.fixture(scope="module")
def cockpit() -> Iterator[Cockpit]:
    server = _Server(free_port())
    server.start()
    assert server.ready.wait(180), "the stack did not start within 180 s"
    if server.failure is not None:
        raise server.failure
    url = f"http://127.0.0.1:{server.port}"
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as api:
        try:
            yield Cockpit(url=url, api=api)
        finally:
            assert server.server is not None
            server.server.should_exit = True
            server.join(60)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium (`make test` does as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
