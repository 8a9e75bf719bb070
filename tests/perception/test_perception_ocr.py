"""Real on-device OCR (RapidOCR, PP-OCRv4 ONNX) on sign images drawn at test time."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from pydantic import ValidationError

from mcp_servers.perception import (
    ConfigError,
    ImageError,
    OcrFrameDescriber,
    OcrReading,
    OcrSettings,
    RapidOcrReader,
    RecognisedSign,
    TextReader,
    shared_reader,
)
from mcp_servers.perception.bench import BENCH_SIGNS, measure_ocr

from .perception_support import SignImage, empty_road

IMAGE_NAMES = [
    "parking_2h",
    "speed_limit_round_30",
    "stop",
    "street_name",
    "us_speed_limit",
    "destination_noisy",
]


@pytest.fixture(scope="module")
def readings(sign_images: dict[str, SignImage]) -> dict[str, OcrReading]:
    """Each test image read once by the process-wide engine."""
    return {name: shared_reader().read(sign_images[name].data) for name in IMAGE_NAMES}


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_sign_text_is_read_word_for_word(
    name: str, sign_images: dict[str, SignImage], readings: dict[str, OcrReading]
) -> None:
    reading = readings[name]
    assert tuple(reading.text.split()) == sign_images[name].expected
    assert reading.engine == "rapidocr-onnxruntime PP-OCRv4"
    assert reading.latency_ms > 0
    for line in reading.lines:
        assert 0.5 <= line.confidence <= 1.0
        assert len(line.box) == 4


def test_lines_come_in_reading_order(readings: dict[str, OcrReading]) -> None:
    reading = readings["us_speed_limit"]
    assert [line.text for line in reading.lines] == ["SPEED", "LIMIT", "50"]
    tops = [min(y for _, y in line.box) for line in reading.lines]
    assert tops == sorted(tops)


def test_an_image_without_text_reads_as_empty() -> None:
    reading = shared_reader().read(empty_road().data)
    assert reading.lines == []
    assert reading.text == ""


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"", "neither PNG nor JPEG"),
        (b"GIF89a\x01\x00\x01\x00", "neither PNG nor JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "cannot be decoded"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "cannot be decoded"),
    ],
)
def test_bad_image_bytes_are_a_typed_error(payload: bytes, needle: str) -> None:
    with pytest.raises(ImageError, match=needle):
        shared_reader().read(payload)


def test_the_engine_loads_lazily_once_and_reports_its_latency(sign_images: dict[str, SignImage]) -> None:
    reader = RapidOcrReader(OcrSettings(max_side=640, threads=1))
    states = [reader.loaded]
    first = reader.read(sign_images["stop"].data)
    states.append(reader.loaded)
    assert states == [False, True]
    assert first.load_ms is not None
    assert first.load_ms > 0
    second = reader.read(sign_images["stop"].data)
    assert second.load_ms is None
    assert second.text == first.text == "STOP"
    assert shared_reader() is shared_reader()


def test_a_released_engine_loads_again_on_the_next_read(sign_images: dict[str, SignImage]) -> None:
    reader = RapidOcrReader(OcrSettings(max_side=640, threads=1))
    assert reader.release() is False  # nothing loaded yet
    first = reader.read(sign_images["stop"].data)
    assert reader.release() is True
    assert reader.loaded is False
    again = reader.read(sign_images["stop"].data)
    assert again.load_ms is not None
    assert again.text == first.text == "STOP"
    assert reader.loaded is True


def test_an_idle_engine_is_released_by_itself(sign_images: dict[str, SignImage]) -> None:
    reader = RapidOcrReader(OcrSettings(max_side=640, threads=1, idle_release_s=0.2))
    assert reader.read(sign_images["stop"].data).text == "STOP"
    deadline = time.monotonic() + 60.0  # a generous bound for a busy machine; released within ~0.2 s
    while reader.loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reader.loaded is False
    assert reader.read(sign_images["stop"].data).load_ms is not None


def test_idle_release_zero_keeps_the_engine_and_negative_is_refused() -> None:
    assert OcrSettings(idle_release_s=0).idle_release_s == 0
    with pytest.raises(ValidationError, match="idle_release_s"):
        OcrSettings(idle_release_s=-1)


def test_grey_and_alpha_images_are_read(sign_images: dict[str, SignImage]) -> None:
    source = Image.open(io.BytesIO(sign_images["street_name"].data))
    for mode in ("L", "RGBA"):
        buffer = io.BytesIO()
        source.convert(mode).save(buffer, format="PNG")
        assert shared_reader().read(buffer.getvalue()).text == "Main Street"


def test_ocr_describer_says_what_text_is_visible(sign_images: dict[str, SignImage]) -> None:
    describer = OcrFrameDescriber(shared_reader())
    text = describer.describe(sign_images["parking_2h"].data, "image/png", "what does the sign say?")
    assert text == 'Text visible in the camera frame: "P", "2h".'
    assert describer.describe(empty_road().data, "image/png") == "No text is visible in the camera frame."


def test_benchmark_scores_its_readings() -> None:
    wrong = RecognisedSign(kind="text", text="Harbour")
    signs = [BENCH_SIGNS[0], ("mislabelled", wrong, ("Airport",))]
    result = measure_ocr(shared_reader(), runs=2, signs=signs)
    assert [(score.name, score.read, score.correct) for score in result.images] == [
        ("parking_2h", ["P", "2h"], True),
        ("mislabelled", ["Harbour"], False),
    ]
    assert result.accuracy == 0.5
    assert result.runs == 2
    assert result.median_ms > 0
    with pytest.raises(ConfigError, match="runs"):
        measure_ocr(shared_reader(), runs=0)
    with pytest.raises(ConfigError, match="at least one sign"):
        measure_ocr(shared_reader(), signs=[])


def test_benchmark_reports_memory_before_and_after_release() -> None:
    result = measure_ocr(RapidOcrReader(OcrSettings(threads=1)), runs=1, signs=BENCH_SIGNS[:2], release=True)
    assert result.rss_loaded_mb is not None
    assert result.rss_released_mb is not None
    assert result.accuracy == 1.0
    with pytest.raises(ConfigError, match="RapidOcrReader"):
        measure_ocr(_NoText(), release=True)


class _NoText(TextReader):
    """A reader that finds no text (only the argument check above uses it)."""

    name = "no text"

    def read(self, image: bytes) -> OcrReading:
        return OcrReading(text="", lines=[], engine=self.name, latency_ms=1.0, load_ms=None)
