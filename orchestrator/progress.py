"""What a slow command is doing while it loads: a spinner on a terminal, plain lines otherwise.

``cabin ask`` loads the model, compiles the routing templates and starts the agents before it can
answer; :class:`Progress` says which, on standard error, so the wait is never silent. On a terminal one
line is redrawn (a spinner and the current step) and erased when done; when standard error is a file
or a pipe each step is one plain line, so logs stay readable.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import TextIO

FRAMES = "|/-\\"
TICK_S = 0.1


class Progress:
    """Report the steps of a load. ``step(what)`` starts a step; leaving the ``with`` block ends it.

    Thread-safe; the spinner runs on a daemon thread only while a terminal is attached."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._what = ""
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._width = 0

    def __enter__(self) -> Progress:
        if self.tty:
            self._thread = threading.Thread(target=self._spin, name="cabin-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            with self._lock:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()

    def step(self, what: str) -> None:
        with self._lock:
            self._what = what
            if not self.tty:
                self.stream.write(f"{what} ...\n")
                self.stream.flush()

    def _spin(self) -> None:
        frame = 0
        while not self._stop.wait(TICK_S):
            with self._lock:
                elapsed = time.monotonic() - self._started
                line = f"{FRAMES[frame % len(FRAMES)]} {self._what} ({elapsed:.1f} s)"
                pad = max(0, self._width - len(line))
                self._width = len(line)
                self.stream.write("\r" + line + " " * pad)
                self.stream.flush()
            frame += 1
