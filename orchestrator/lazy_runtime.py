"""A model runtime that loads its model when first asked for something, not before.

``cabin ask`` answers most requests with sentence templates alone; loading the model (about half a
second of CPU) is then wasted. The in-process stack hands its agents a :class:`LazyRuntime`, and the
model is loaded the first time an agent asks it for anything.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from models import Runtime
from models.runtime import ForwardingRuntime

__all__ = ["LazyRuntime"]


class LazyRuntime(ForwardingRuntime):
    """Serves from the runtime ``open()`` returns, called once, on the first request of any kind
    (``model_info`` and ``ping`` included: whether a model can serve is known only once it is loaded).

    Same contract as the runtime it opens; ``open()``'s errors (``ModelError``) reach the caller of
    that first request, and the next request tries again. The opened runtime is shared, not owned:
    ``aclose`` leaves it open (``cabin ask`` opens one per process with ``shared_runtime``).
    """

    def __init__(self, open: Callable[[], Runtime]) -> None:
        self._open = open
        self._inner: Runtime | None = None
        self._lock = threading.Lock()
        self._opening: threading.Thread | None = None

    @property
    def loaded(self) -> bool:
        """True once the model was asked for something and opened."""
        return self._inner is not None

    def start(self) -> None:
        """Begin opening in a background thread, now, so that the caller's own work overlaps it
        (llama.cpp reads the model without holding the GIL). The first request waits for it; when it
        fails, that request opens again and gets the error."""
        if self._inner is None and self._opening is None:
            self._opening = threading.Thread(target=self._open_quietly, name="lazy-runtime", daemon=True)
            self._opening.start()

    def _open_quietly(self) -> None:
        with contextlib.suppress(Exception):  # the first request opens again and raises it
            self.target()

    def target(self) -> Runtime:
        with self._lock:
            if self._inner is None:
                self._inner = self._open()
            return self._inner
