"""Test support for the perception tests: a settable clock and camera images drawn with Pillow."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mcp_servers.perception import RecognisedSign
from mcp_servers.perception.render import render_camera_frame


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class SignImage:
    """A generated camera image and the words OCR must read in it."""

    name: str
    data: bytes
    expected: tuple[str, ...]


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    assert isinstance(font, ImageFont.FreeTypeFont)
    return font


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.save(buffer, format="JPEG", quality=85)
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def _street(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height), (140, 175, 205))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, int(height * 0.5), width, height), fill=(80, 82, 80))
    return image


def us_speed_limit_jpeg() -> SignImage:
    """A white rectangular 'SPEED LIMIT 50' sign in a 1280x720 street view, as JPEG."""
    image = _street(1280, 720)
    draw = ImageDraw.Draw(image)
    draw.rectangle((880, 90, 1120, 420), fill="white", outline="black", width=8)
    draw.text((1000, 150), "SPEED", font=_font(54), fill="black", anchor="mm")
    draw.text((1000, 210), "LIMIT", font=_font(54), fill="black", anchor="mm")
    draw.text((1000, 330), "50", font=_font(150), fill="black", anchor="mm")
    draw.rectangle((992, 420, 1008, 640), fill=(90, 90, 90))
    return SignImage("us_speed_limit", _encode(image, "JPEG"), ("SPEED", "LIMIT", "50"))


def tilted_noisy_destination() -> SignImage:
    """A green 'Airport / Exit 12' sign, tilted 3 degrees, with pixel noise."""
    panel = Image.new("RGB", (560, 240), (0, 110, 60))
    draw = ImageDraw.Draw(panel)
    draw.rectangle((6, 6, 553, 233), outline="white", width=5)
    draw.text((280, 80), "Airport", font=_font(72), fill="white", anchor="mm")
    draw.text((280, 170), "Exit 12", font=_font(72), fill="white", anchor="mm")
    scene = _street(800, 450)
    tilted = panel.rotate(3, expand=True, fillcolor=(140, 175, 205))
    scene.paste(tilted, (120, 60))
    pixels = np.asarray(scene, dtype=np.int16)
    noise = np.random.default_rng(7).normal(0.0, 12.0, pixels.shape).astype(np.int16)
    noisy = Image.fromarray(np.clip(pixels + noise, 0, 255).astype(np.uint8))
    return SignImage("destination_noisy", _encode(noisy, "PNG"), ("Airport", "Exit", "12"))


def rendered(name: str, sign: RecognisedSign, expected: tuple[str, ...]) -> SignImage:
    """A sign drawn by the simulator's renderer into its 640x360 camera frame."""
    return SignImage(name, render_camera_frame([sign]), expected)


def empty_road() -> SignImage:
    """A street view with no text at all."""
    return SignImage("empty_road", _encode(_street(640, 360), "PNG"), ())


def all_sign_images() -> list[SignImage]:
    """Every generated test image, in a fixed order."""
    return [
        rendered("parking_2h", RecognisedSign(kind="parking", value="2h"), ("P", "2h")),
        rendered("speed_limit_round_30", RecognisedSign(kind="speed_limit", value=30), ("30",)),
        rendered("stop", RecognisedSign(kind="stop"), ("STOP",)),
        rendered("street_name", RecognisedSign(kind="text", text="Main Street"), ("Main", "Street")),
        us_speed_limit_jpeg(),
        tilted_noisy_destination(),
    ]
