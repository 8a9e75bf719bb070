"""On-device OCR for text on signs in camera frames.

The default engine is RapidOCR on ONNX Runtime (`rapidocr-onnxruntime`), whose wheel carries the
PP-OCRv4 detection and recognition models: nothing is downloaded at run time. One engine is shared by the
whole process (``shared_reader()``); it is loaded lazily on the first read and released again after
``OcrSettings.idle_release_s`` without a read (the loaded engine holds about 110 MB; a head unit shares
its memory with everything else in the car). Every reading reports how long it took (and, for the call
that loaded the engine, how long loading took).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mcp_servers.perception.errors import OcrError
from mcp_servers.perception.images import decode_image
from mcp_servers.perception.models import OcrLine, OcrReading

log = logging.getLogger(__name__)


class TextReader(ABC):
    """Reads the text in one image.

    Contract:
    - ``read(image)`` takes PNG or JPEG bytes and returns every line of text it found, in reading order
      (top to bottom, then left to right), with a confidence in 0..1 and the line's four corner points.
      An image without text gives an empty reading, not an error.
    - It blocks while it works: async callers run it in a worker thread. It may be called from several
      threads; an implementation whose engine is not re-entrant serialises calls itself.
    - Bad input (not PNG/JPEG, undecodable, too large) raises ``ImageError``; an engine that cannot be
      loaded or fails raises ``OcrError``. Nothing else escapes.
    - ``name`` says which engine and models read the text; ``latency_ms`` covers the reading only and
      ``load_ms`` is set on the one call that loaded a lazily loaded engine.
    """

    name: str

    @abstractmethod
    def read(self, image: bytes) -> OcrReading:
        """Read the text in ``image`` (PNG or JPEG bytes)."""


class OcrSettings(BaseModel):
    """Settings of the RapidOCR engine.

    ``max_side`` caps the longer image side the text detector works on (larger frames are scaled down):
    960 px keeps sign text legible while a frame takes well under a second on two cores. Sign text is
    upright, so the 180° text-direction classifier is off by default. ``idle_release_s`` is how long the
    loaded engine is kept without a read before it is released (0 keeps it for the process's life); the
    next read loads it again and reports ``load_ms``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_side: int = Field(default=960, ge=160, le=4096)
    min_confidence: float = Field(default=0.5, ge=0.0, le=1.0)
    use_angle_classifier: bool = False
    threads: int = Field(default=0, ge=0, le=64, description="ONNX Runtime intra-op threads; 0 = all cores.")
    idle_release_s: float = Field(
        default=120.0, ge=0.0, le=86400.0, description="Release the engine after this long without a read."
    )


ENGINE_NAME = "rapidocr-onnxruntime PP-OCRv4"


class RapidOcrReader(TextReader):
    """``TextReader`` over RapidOCR (PP-OCRv4 ONNX models shipped in the wheel), loaded on first use and
    released after ``settings.idle_release_s`` without a read (or by ``release()``)."""

    name = ENGINE_NAME

    def __init__(self, settings: OcrSettings | None = None) -> None:
        self.settings = settings or OcrSettings()
        self._engine: Any = None
        self._lock = threading.Lock()
        self._last_read = 0.0
        self._timer: threading.Timer | None = None

    @property
    def loaded(self) -> bool:
        """Whether the engine has been loaded."""
        return self._engine is not None

    def _load(self) -> float | None:
        if self._engine is not None:
            return None
        started = time.perf_counter()
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise OcrError(f"the OCR engine is not installed (rapidocr-onnxruntime): {exc}") from exc
        threads = self.settings.threads or -1
        try:
            self._engine = RapidOCR(
                det_limit_type="max",
                det_limit_side_len=self.settings.max_side,
                use_cls=self.settings.use_angle_classifier,
                text_score=self.settings.min_confidence,
                intra_op_num_threads=threads,
                print_verbose=False,
            )
        except Exception as exc:  # any failure inside the third-party engine: report it as ours
            raise OcrError(f"the OCR engine could not be loaded: {exc}") from exc
        return (time.perf_counter() - started) * 1000.0

    def read(self, image: bytes) -> OcrReading:
        """Read the text in ``image`` (PNG or JPEG bytes)."""
        decoded, _ = decode_image(image)
        with self._lock:
            load_ms = self._load()
            started = time.perf_counter()
            try:
                raw, _ = self._engine(decoded)
            except Exception as exc:  # any failure inside the third-party engine: report it as ours
                raise OcrError(f"the OCR engine failed on the image: {exc}") from exc
            latency_ms = (time.perf_counter() - started) * 1000.0
            self._last_read = time.monotonic()
            self._arm_release(self.settings.idle_release_s)
        lines = _lines(raw, self.settings.min_confidence)
        return OcrReading(
            text="\n".join(line.text for line in lines),
            lines=lines,
            engine=self.name,
            latency_ms=round(latency_ms, 3),
            load_ms=None if load_ms is None else round(load_ms, 3),
        )

    def release(self) -> bool:
        """Drop the loaded engine and give its memory back to the system; False when none was loaded.
        A later read loads it again."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return self._drop()

    def _drop(self) -> bool:
        """Drop the engine; called with the lock held."""
        if self._engine is None:
            return False
        self._engine = None
        gc.collect()
        _return_freed_memory()
        log.info("OCR engine released after %.0f s without a read", time.monotonic() - self._last_read)
        return True

    def _arm_release(self, delay_s: float) -> None:
        """Start the idle timer unless it runs already or releasing is off; called with the lock held."""
        if self.settings.idle_release_s <= 0 or self._timer is not None:
            return
        self._timer = threading.Timer(delay_s, self._release_if_idle)
        self._timer.daemon = True
        self._timer.start()

    def _release_if_idle(self) -> None:
        with self._lock:
            self._timer = None
            idle_s = time.monotonic() - self._last_read
            if idle_s < self.settings.idle_release_s:  # read since the timer was armed: wait the rest
                self._arm_release(self.settings.idle_release_s - idle_s)
            else:
                self._drop()


def _return_freed_memory() -> None:
    """Ask glibc to return freed heap pages to the system (the engine's arrays are freed but would stay
    mapped in the process); nothing where the C library is not glibc."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _lines(raw: Any, min_confidence: float) -> list[OcrLine]:
    if not raw:
        return []
    lines: list[OcrLine] = []
    for box, text, score in raw:
        confidence = float(score)
        cleaned = str(text).strip()
        if not cleaned or confidence < min_confidence:
            continue
        corners = [(round(float(x), 1), round(float(y), 1)) for x, y in box]
        lines.append(OcrLine(text=cleaned, confidence=round(min(max(confidence, 0.0), 1.0), 4), box=corners))
    # RapidOCR already returns its boxes in reading order (top to bottom, then left to right).
    return lines


_shared: RapidOcrReader | None = None
_shared_lock = threading.Lock()


def shared_reader() -> RapidOcrReader:
    """The process-wide OCR reader (its engine loads on the first read, once)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RapidOcrReader()
        return _shared
