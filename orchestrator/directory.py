"""The agents the orchestrator knows: configured by URL, discovered through their Agent Cards, watched
for health, and called through a circuit breaker with a timeout.

:meth:`AgentDirectory.watch` keeps the health current: a healthy agent's card is re-read every
``interval_s``; an agent that is down is probed with a backoff that starts at ``PROBE_FIRST_S`` and
doubles up to ``PROBE_MAX_S``, so that an agent that comes back (restarted by ``cabin run``) takes
turns again within a fraction of a second of answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from a2a.types import AgentCard
from google.protobuf import json_format
from pydantic import JsonValue

from agents.hosting import AgentCallError, AgentClient, AgentResult, AgentUnreachableError

#: How often a healthy agent's card is read again.
REFRESH_S = 10.0
#: The first probe of an agent that went down, and the longest pause between probes after that.
PROBE_FIRST_S = 0.1
PROBE_MAX_S = 0.5
#: A probe reads the card; an agent that does not answer it within this long counts as down.
PROBE_TIMEOUT_S = 2.0


class AgentDown(Exception):
    """The agent is unreachable, its breaker is open, or it did not answer in time."""

    def __init__(self, agent: str, reason: str) -> None:
        self.agent = agent
        self.reason = reason
        super().__init__(f"{agent}: {reason}")


@dataclass
class Breaker:
    """A per-agent circuit breaker: ``threshold`` consecutive failures open it for ``cooldown_s``."""

    threshold: int = 3
    cooldown_s: float = 10.0
    failures: int = 0
    opened_at: float | None = None

    @property
    def state(self) -> Literal["closed", "open", "half_open"]:
        if self.opened_at is None:
            return "closed"
        return "half_open" if time.monotonic() - self.opened_at >= self.cooldown_s else "open"

    def allow(self) -> bool:
        return self.state != "open"

    def success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold or self.state == "half_open":
            self.opened_at = time.monotonic()


@dataclass
class AgentEntry:
    url: str
    client: AgentClient
    name: str | None = None
    card: AgentCard | None = None
    healthy: bool = False
    error: str | None = None
    breaker: Breaker = field(default_factory=Breaker)

    @property
    def skills(self) -> list[dict[str, Any]]:
        if self.card is None:
            return []
        return [json_format.MessageToDict(s) for s in self.card.skills]


class AgentDirectory:
    """Agents by name. ``refresh`` (at start and periodically) fetches every card; an agent whose card
    cannot be fetched is unhealthy and routed around until it answers again."""

    def __init__(self, entries: list[AgentEntry]) -> None:
        self._entries = entries
        self._down = asyncio.Event()

    @classmethod
    def from_urls(
        cls,
        urls: list[str],
        *,
        token: str | None = None,
        tokens: Mapping[str, str] | None = None,
        http_clients: Mapping[str, httpx.AsyncClient] | None = None,
        timeout_s: float = 30.0,
    ) -> AgentDirectory:
        """One entry per URL. ``tokens`` maps a URL to the bearer token that agent accepts from the
        orchestrator (each agent its own); ``token`` is sent to any other URL. ``http_clients`` maps
        a URL to a client to use (in-memory ASGI apps)."""
        entries = []
        for url in urls:
            http = (http_clients or {}).get(url)
            bearer = (tokens or {}).get(url, token)
            client = AgentClient(url, token=bearer, http_client=http, timeout_s=timeout_s)
            entries.append(AgentEntry(url=url, client=client))
        return cls(entries)

    async def refresh(self) -> None:
        await asyncio.gather(*(self._refresh_one(e) for e in self._entries))

    async def _refresh_one(self, entry: AgentEntry, *, attempts: int = 2) -> None:
        for attempt in range(attempts):  # reading a card is idempotent: one retry
            try:
                entry.card = await entry.client.get_card(refresh=True)
            except AgentCallError as exc:
                self._mark_down(entry, str(exc))
                if attempt < attempts - 1:
                    await asyncio.sleep(0.05)
                continue
            if not entry.healthy:
                # Back after being unreachable: a new process, whose failures before are not its own.
                entry.breaker.success()
            entry.name, entry.healthy, entry.error = entry.card.name, True, None
            return

    def _mark_down(self, entry: AgentEntry, error: str) -> None:
        entry.healthy, entry.error = False, error
        self._down.set()

    async def watch(self, interval_s: float = REFRESH_S) -> None:
        """Keep every entry's health current until cancelled (see the module docstring).

        A down agent (its card unreadable, or a call that could not connect) is probed after
        ``PROBE_FIRST_S``, then with pauses doubling up to ``PROBE_MAX_S``, until its card answers.
        """
        pause = PROBE_FIRST_S
        next_refresh = time.monotonic() + interval_s
        while True:
            down = [e for e in self._entries if not e.healthy]
            if down:
                await asyncio.sleep(pause)
                await asyncio.gather(*(self._probe(e) for e in down))
                pause = min(pause * 2, PROBE_MAX_S) if any(not e.healthy for e in down) else PROBE_FIRST_S
            else:
                pause = PROBE_FIRST_S
                self._down.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, next_refresh - time.monotonic())):
                        await self._down.wait()
            if time.monotonic() >= next_refresh:
                await self.refresh()
                next_refresh = time.monotonic() + interval_s

    async def _probe(self, entry: AgentEntry) -> None:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await self._refresh_one(entry, attempts=1)
        except TimeoutError:
            self._mark_down(entry, f"the Agent Card did not answer within {PROBE_TIMEOUT_S:g} s")

    @property
    def entries(self) -> list[AgentEntry]:
        return list(self._entries)

    def get(self, name: str) -> AgentEntry | None:
        return next((e for e in self._entries if e.name == name), None)

    def healthy(self) -> set[str]:
        return {e.name for e in self._entries if e.name and e.healthy and e.breaker.allow()}

    async def send(
        self,
        name: str,
        text: str,
        *,
        timeout_s: float,
        data: dict[str, JsonValue] | None = None,
        seat: Any = None,
        metadata: dict[str, JsonValue] | None = None,
        task_id: str | None = None,
        context_id: str | None = None,
    ) -> AgentResult:
        """One SendMessage (never retried: it may act on the car). Raises :class:`AgentDown`."""
        entry = self.get(name)
        if entry is None:
            raise AgentDown(name, "not configured")
        if not entry.breaker.allow():
            raise AgentDown(name, "not answering (circuit open)")
        deadline = asyncio.timeout(timeout_s)
        try:
            async with deadline:
                result = await entry.client.send_text(
                    text,
                    data=data,
                    seat=seat,
                    origin="occupant",
                    metadata=metadata,
                    task_id=task_id,
                    context_id=context_id,
                )
        except TimeoutError as exc:
            entry.breaker.failure()
            raise AgentDown(name, f"no answer within {timeout_s * 1000:.0f} ms") from exc
        except AgentUnreachableError as exc:
            entry.breaker.failure()
            if _refused(exc):
                # Nothing listens there: route around the agent until a probe finds it again. Other
                # failures (a dropped connection, a slow answer) count against the breaker only.
                self._mark_down(entry, str(exc))
            raise AgentDown(name, "unreachable") from exc
        except AgentCallError as exc:
            entry.breaker.failure()
            raise AgentDown(name, f"error: {exc}") from exc
        except httpx.HTTPError as exc:
            entry.breaker.failure()
            self._mark_down(entry, str(exc))
            raise AgentDown(name, "unreachable") from exc
        if deadline.expired() or not (result.is_terminal or result.needs_input):
            # The stream ended early (the timeout interrupted it): stop the task so it cannot act late.
            entry.breaker.failure()
            if result.task_id is not None:
                await self.cancel(name, result.task_id)
            raise AgentDown(name, f"no answer within {timeout_s * 1000:.0f} ms")
        entry.breaker.success()
        entry.healthy = True
        return result

    async def cancel(self, name: str, task_id: str) -> AgentResult | None:
        entry = self.get(name)
        if entry is None:
            return None
        try:
            async with asyncio.timeout(5.0):
                return await entry.client.cancel(task_id)
        except (AgentCallError, TimeoutError, httpx.HTTPError):
            return None

    async def aclose(self) -> None:
        for entry in self._entries:
            await entry.client.aclose()


def _refused(exc: BaseException) -> bool:
    """Whether a failed call never reached the agent (the connection could not be opened)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.ConnectError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
