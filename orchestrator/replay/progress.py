"""Replay progress on stderr: a bar with the rate and the time left on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30


def eta_s(done: int, total: int, elapsed_s: float) -> float | None:
    """Seconds left at the rate so far; ``None`` before the first scenario finishes."""
    if done <= 0 or elapsed_s <= 0:
        return None
    return (total - done) * elapsed_s / done


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes:02d}:{secs:02d}"


def render_bar(done: int, total: int, failed: int, elapsed_s: float) -> str:
    """One terminal line: ``[#####-----] 12/40 (2 failed) 0.8/s ETA 00:35``."""
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    return (
        f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{total} ({failed} failed) "
        f"{rate:.1f}/s ETA {_clock(eta_s(done, total, elapsed_s))}"
    )


class Progress:
    """Reports each finished scenario: ``bar`` redraws one line (a TTY), else one plain line each."""

    def __init__(
        self, total: int, stream: TextIO, bar: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total, self.stream, self.bar, self.clock = total, stream, bar, clock
        self.started = clock()
        self.done = 0
        self.failed = 0

    def finished(self, name: str, verdict: str) -> None:
        """One scenario finished with ``verdict`` (``ok``, ``FAILED`` or ``skip``)."""
        self.done += 1
        self.failed += verdict == "FAILED"
        elapsed = self.clock() - self.started
        if self.bar:
            print(
                f"\r{render_bar(self.done, self.total, self.failed, elapsed)}",
                end="",
                file=self.stream,
                flush=True,
            )
        else:
            print(f"[{self.done}/{self.total}] {verdict:6} {name}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar:
            print(file=self.stream, flush=True)
