"""The turn event stream: routing decisions, agent calls, tool calls, guardrail verdicts, state changes
and finished turns, fanned out to every subscriber (``GET /v1/events``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any


class EventBus:
    """In-process publish/subscribe. A slow subscriber loses its oldest events, never blocks a turn."""

    def __init__(self, queue_size: int = 256) -> None:
        self._queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self._queue_size = queue_size
        self.published = 0

    def publish(self, kind: str, turn_id: str, **fields: Any) -> None:
        event = {"type": kind, "turn_id": turn_id, "ts": time.time(), **fields}
        self.published += 1
        for queue in list(self._queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self._queue_size)
        self._queues.add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._queues)
