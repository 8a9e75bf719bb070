"""The in-process stack (what `cabin ask` runs) opens without reading the map and closes in order: an
agent's task that has answered, or that waits on a question, ends the way it ends while the stack
serves, so the A2A SDK reports no event queue closed under a running task."""

from __future__ import annotations

import logging

import pytest

from mcp_servers.navigation.provider import MapProvider
from orchestrator.lazy_runtime import LazyRuntime
from orchestrator.local import MapOnFirstUse, open_local_stack, shared_map, shared_runtime
from orchestrator.routing import Router
from orchestrator.routing.templates import TemplateStage


class _CountingOpen:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> MapProvider:
        self.calls += 1
        return shared_map()


async def test_closing_after_an_answer_and_a_question_reports_no_lost_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    opened = _CountingOpen()
    stack = await open_local_stack(
        router=Router([TemplateStage()]),
        runtime=LazyRuntime(shared_runtime),
        map_provider=MapOnFirstUse(opened),
    )
    caplog.set_level(logging.INFO, logger="a2a")
    try:
        assert opened.calls == 0  # no turn has asked the map anything yet
        done = await stack.say("set the temperature to 21", "driver", None)
        assert "21" in done.reply
        asked = await stack.say("find a charger", "driver", None)  # navigation asks which one
        assert asked.route[0].agent == "navigation"
        assert opened.calls == 1
    finally:
        await stack.aclose()
    lost = [
        r.getMessage() for r in caplog.records if r.name.startswith("a2a") and r.levelno >= logging.WARNING
    ]
    assert lost == []


def test_the_map_opens_once_on_first_use() -> None:
    opened = _CountingOpen()
    lazy = MapOnFirstUse(opened)
    assert not lazy.opened
    info = lazy.info()
    assert lazy.info() == info
    assert (opened.calls, lazy.opened) == (1, True)
