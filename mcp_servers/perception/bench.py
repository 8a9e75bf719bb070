"""OCR latency and accuracy on sign images the package draws itself.

``measure_ocr()`` renders a fixed set of signs into 640x360 camera frames, reads each one ``runs`` times
with a ``TextReader`` and reports the engine load time, the median latency per image and overall, and
whether every expected word was read (accuracy = images read exactly / images). With ``release=True`` it
also reports the process's resident memory with the engine loaded and after ``RapidOcrReader.release()``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from mcp_servers.perception.errors import ConfigError
from mcp_servers.perception.models import RecognisedSign
from mcp_servers.perception.ocr import RapidOcrReader, TextReader
from mcp_servers.perception.render import render_camera_frame

BENCH_SIGNS: tuple[tuple[str, RecognisedSign, tuple[str, ...]], ...] = (
    ("parking_2h", RecognisedSign(kind="parking", value="2h"), ("P", "2h")),
    ("parking_30min", RecognisedSign(kind="parking", value="30 min"), ("P", "30", "min")),
    ("speed_limit_50", RecognisedSign(kind="speed_limit", value=50), ("50",)),
    ("speed_limit_30", RecognisedSign(kind="speed_limit", value=30), ("30",)),
    ("stop", RecognisedSign(kind="stop"), ("STOP",)),
    ("place_airport", RecognisedSign(kind="text", text="Airport"), ("Airport",)),
    ("place_city_centre", RecognisedSign(kind="text", text="City Centre"), ("City", "Centre")),
)


class ImageScore(BaseModel):
    """One benchmark image: what should be read, what was read, and how fast."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    expected: list[str]
    read: list[str]
    correct: bool
    median_ms: float


class OcrBenchmark(BaseModel):
    """The result of ``measure_ocr``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: str
    runs: int
    load_ms: float | None = Field(description="Engine load time, when this benchmark loaded it.")
    median_ms: float = Field(description="Median latency over every read of every image.")
    accuracy: float = Field(description="Share of images whose words were all read exactly.")
    images: list[ImageScore]
    rss_loaded_mb: float | None = Field(default=None, description="Process RSS with the engine loaded.")
    rss_released_mb: float | None = Field(default=None, description="Process RSS after the engine's release.")


BenchSign = tuple[str, RecognisedSign, tuple[str, ...]]


def measure_ocr(
    reader: TextReader | None = None,
    runs: int = 5,
    signs: Sequence[BenchSign] = BENCH_SIGNS,
    *,
    release: bool = False,
) -> OcrBenchmark:
    """Read each sign's image ``runs`` times and score the readings.

    ``signs`` holds (name, sign, expected words); bad arguments raise ``ConfigError``. ``release`` needs
    a ``RapidOcrReader``: the engine is released after the reads and the process's RSS read before and
    after.
    """
    if runs < 1:
        raise ConfigError(f"runs must be at least 1, got {runs}")
    if not signs:
        raise ConfigError("the benchmark needs at least one sign")
    ocr = reader or RapidOcrReader()
    if release and not isinstance(ocr, RapidOcrReader):
        raise ConfigError(f"release=True needs a RapidOcrReader, got a {type(ocr).__name__}")
    load_ms: float | None = None
    all_ms: list[float] = []
    scores: list[ImageScore] = []
    for name, sign, expected in signs:
        image = render_camera_frame([sign])
        timings: list[float] = []
        words: list[str] = []
        for _ in range(runs):
            started = time.perf_counter()
            reading = ocr.read(image)
            elapsed = (time.perf_counter() - started) * 1000.0
            if reading.load_ms is not None:
                load_ms = reading.load_ms
                elapsed = reading.latency_ms
            timings.append(elapsed)
            words = reading.text.split()
        all_ms.extend(timings)
        scores.append(
            ImageScore(
                name=name,
                expected=list(expected),
                read=words,
                correct=words == list(expected),
                median_ms=round(statistics.median(timings), 1),
            )
        )
    rss_loaded_mb = rss_released_mb = None
    if release and isinstance(ocr, RapidOcrReader):
        rss_loaded_mb = _rss_mb()
        ocr.release()
        rss_released_mb = _rss_mb()
    return OcrBenchmark(
        engine=ocr.name,
        runs=runs,
        load_ms=load_ms,
        median_ms=round(statistics.median(all_ms), 1),
        accuracy=round(sum(score.correct for score in scores) / len(scores), 4),
        images=scores,
        rss_loaded_mb=rss_loaded_mb,
        rss_released_mb=rss_released_mb,
    )


def _rss_mb() -> float | None:
    """This process's resident set size (Linux ``/proc``), or None where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None
