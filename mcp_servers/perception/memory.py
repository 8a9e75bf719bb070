"""A bounded memory of the signs the car has passed, and the speed limit still in force.

The perception stack reports only what is in view; a driver asks "what did that sign say" after the
sign has gone by, and a speed limit holds long after its sign has left the camera. `SignMemory`
keeps both, fed with every frame the server serves (`observe`) and with every text OCR read
(`observe_reading`), on the source's clock:

- **Recent signs**: at most `capacity` entries, newest first. A sign that stays in view across
  consecutive frames is one entry whose `last_seen` moves on; the same sign seen again after it left
  the view is a new entry.
- **The limit in force**: set by a `speed_limit` sign (the nearest, when a frame has several),
  replaced by the next one, and ended by an
  `end_speed_limit` sign (without a value, or with the value in force) or by a change of the frame's
  `road_type` (leaving town for the motorway ends a town limit). An ended limit is kept as `ended` so
  an answer can say so, until a new limit is seen.

Frames older than the newest one observed are ignored (a frame is observed once however often it is
served). Thread-safe: the server's tools run in worker threads.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mcp_servers.perception.models import LimitInForce, PerceptionFrame, RecognisedSign, RememberedSign
from mcp_servers.perception.signs import speed_limit_kmh

__all__ = ["DEFAULT_CAPACITY", "LimitInForce", "RememberedSign", "SignMemory", "SignMemoryView"]

DEFAULT_CAPACITY = 16
"""Most signs remembered; older ones are forgotten first."""


class SignMemoryView(BaseModel):
    """What the memory holds at one instant, ages counted to then."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    recent: list[RememberedSign] = Field(default_factory=list, description="Newest first.")
    limit: LimitInForce | None = None


def _same(a: RecognisedSign, b: RecognisedSign) -> bool:
    return (a.kind, a.value, a.text) == (b.kind, b.value, b.text)


class _Limit:
    __slots__ = ("ended", "ended_at", "seen_at", "value")

    def __init__(self, value: float, seen_at: float) -> None:
        self.value = value
        self.seen_at = seen_at
        self.ended: Literal["end_sign", "road_type"] | None = None
        self.ended_at: float | None = None


class SignMemory:
    """The recent signs and the limit in force (see the module docstring); `capacity` >= 1."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError("a sign memory needs room for at least one sign")
        self._lock = threading.Lock()
        self._recent: deque[RememberedSign] = deque(maxlen=capacity)
        self._in_view: list[RememberedSign] = []
        self._last_stamp: float | None = None
        self._road_type: str | None = None
        self._limit: _Limit | None = None

    def observe(self, frame: PerceptionFrame, stamp: float) -> None:
        """Record the signs of a frame stamped `stamp`; a frame not newer than the last one is ignored."""
        with self._lock:
            if self._last_stamp is not None and stamp <= self._last_stamp:
                return
            self._last_stamp = stamp
            if (
                frame.road_type is not None
                and self._road_type is not None
                and frame.road_type != self._road_type
                and self._limit is not None
                and self._limit.ended is None
                and not any(sign.kind == "speed_limit" for sign in frame.signs)
            ):
                self._limit.ended, self._limit.ended_at = "road_type", stamp
            if frame.road_type is not None:
                self._road_type = frame.road_type
            self._in_view = [self._seen(sign, "detector", stamp) for sign in frame.signs]
            self._track_limit(frame, stamp)

    def observe_reading(self, text: str, stamp: float) -> None:
        """Record text OCR read in the camera image of the frame stamped `stamp`."""
        spoken = " ".join(text.split())
        if not spoken:
            return
        with self._lock:
            self._seen(RecognisedSign(kind="text", text=spoken[:200]), "ocr", stamp)

    def view(self, now: float) -> SignMemoryView:
        """The remembered signs, newest first, and the limit, with ages counted to `now`."""
        with self._lock:
            recent = sorted(self._recent, key=lambda entry: entry.last_seen, reverse=True)
            limit = self._limit
            return SignMemoryView(
                recent=[
                    entry.model_copy(update={"age_s": round(max(now - entry.last_seen, 0.0), 3)})
                    for entry in recent
                ],
                limit=None
                if limit is None
                else LimitInForce(
                    value_kmh=limit.value,
                    seen_at=limit.seen_at,
                    age_s=round(max(now - limit.seen_at, 0.0), 3),
                    ended=limit.ended,
                    ended_at=limit.ended_at,
                    ended_age_s=None if limit.ended_at is None else round(max(now - limit.ended_at, 0.0), 3),
                ),
            )

    def _seen(self, sign: RecognisedSign, source: Literal["detector", "ocr"], stamp: float) -> RememberedSign:
        # Still in view since the previous frame (or read again from it): the same entry, seen later.
        for index, entry in enumerate(self._recent):
            if entry.source == source and _same(entry.sign, sign) and self._continues(entry, source):
                updated = entry.model_copy(update={"last_seen": stamp, "sign": sign})
                self._recent[index] = updated
                self._in_view = [updated if item is entry else item for item in self._in_view]
                return updated
        entry = RememberedSign(sign=sign, source=source, first_seen=stamp, last_seen=stamp)
        self._recent.append(entry)
        return entry

    def _continues(self, entry: RememberedSign, source: Literal["detector", "ocr"]) -> bool:
        if source == "ocr":
            return entry.last_seen == self._last_stamp or entry is self._newest()
        return any(item is entry for item in self._in_view)

    def _newest(self) -> RememberedSign | None:
        return max(self._recent, key=lambda entry: entry.last_seen, default=None)

    def _track_limit(self, frame: PerceptionFrame, stamp: float) -> None:
        nearest = speed_limit_kmh(frame.signs)
        if nearest is not None:
            limit = self._limit
            if limit is not None and limit.ended is None and limit.value == nearest:
                limit.seen_at = stamp
            else:
                self._limit = _Limit(nearest, stamp)
            return
        limit = self._limit
        if limit is None or limit.ended is not None:
            return
        for sign in frame.signs:
            if sign.kind == "end_speed_limit" and (
                sign.value is None
                or (isinstance(sign.value, int | float) and float(sign.value) == limit.value)
            ):
                limit.ended, limit.ended_at = "end_sign", stamp
                return
