"""Drawing traffic signs and simple camera frames with Pillow.

The simulated perception source uses this to give its frames a camera image, so that reading sign text
works end to end without a real camera. Signs follow common European shapes and colours; the text on
them is drawn with Pillow's built-in scalable font, so no system font is needed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from mcp_servers.perception.errors import ImageError
from mcp_servers.perception.models import RecognisedSign

_WHITE = (255, 255, 255)
_BLACK = (20, 20, 20)
_RED = (200, 16, 32)
_BLUE = (0, 82, 160)
_GREEN = (0, 110, 60)
_YELLOW = (250, 200, 0)
_SIGN_SIZE = 200

_CAPTIONS: dict[str, str] = {
    "stop": "STOP",
    "yield": "YIELD",
    "no_entry": "NO ENTRY",
    "school_zone": "SCHOOL",
    "roadworks": "ROAD WORK",
    "one_way": "ONE WAY",
}


def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):
        raise ImageError("Pillow was built without FreeType, so sign text cannot be drawn")
    return font


def _fit(draw: ImageDraw.ImageDraw, text: str, max_width: int, size: int) -> ImageFont.FreeTypeFont:
    font = _font(size)
    while size > 12 and draw.textlength(text, font=font) > max_width:
        size -= 4
        font = _font(size)
    return font


def _centered(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    size: int,
    fill: tuple[int, ...],
    max_width: int,
) -> None:
    draw.text(xy, text, font=_fit(draw, text, max_width, size), fill=fill, anchor="mm")


def _value_text(sign: RecognisedSign) -> str:
    if sign.value is None:
        return ""
    if isinstance(sign.value, float) and sign.value.is_integer():
        return str(int(sign.value))
    return str(sign.value)


def render_sign(sign: RecognisedSign, size: int = _SIGN_SIZE) -> Image.Image:
    """One sign on a transparent square of ``size`` pixels."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    pad = size // 20
    box = (pad, pad, size - pad, size - pad)
    mid = size / 2
    inner = size - 4 * pad
    value = _value_text(sign)
    if sign.kind in ("speed_limit", "end_speed_limit", "no_parking", "no_stopping", "no_overtaking"):
        ring = _BLACK if sign.kind == "end_speed_limit" else _RED
        background = _BLUE if sign.kind in ("no_parking", "no_stopping") else _WHITE
        draw.ellipse(box, fill=background, outline=ring, width=size // 9)
        if sign.kind == "end_speed_limit":
            draw.line((size * 0.25, size * 0.75, size * 0.75, size * 0.25), fill=_BLACK, width=size // 25)
        if value and sign.kind in ("speed_limit", "end_speed_limit"):
            _centered(draw, (mid, mid), value, size // 2, _BLACK, int(inner * 0.7))
        elif sign.kind in ("no_parking", "no_stopping"):
            draw.line((size * 0.28, size * 0.28, size * 0.72, size * 0.72), fill=_RED, width=size // 12)
            if sign.kind == "no_stopping":
                draw.line((size * 0.28, size * 0.72, size * 0.72, size * 0.28), fill=_RED, width=size // 12)
    elif sign.kind == "stop":
        offset = size * 0.29
        octagon = [
            (pad + offset, pad),
            (size - pad - offset, pad),
            (size - pad, pad + offset),
            (size - pad, size - pad - offset),
            (size - pad - offset, size - pad),
            (pad + offset, size - pad),
            (pad, size - pad - offset),
            (pad, pad + offset),
        ]
        draw.polygon(octagon, fill=_RED, outline=_WHITE, width=size // 40)
        _centered(draw, (mid, mid), "STOP", size // 4, _WHITE, int(inner * 0.8))
    elif sign.kind == "parking":
        draw.rounded_rectangle(box, radius=size // 10, fill=_BLUE, outline=_WHITE, width=size // 40)
        if value or sign.text:
            _centered(draw, (mid, size * 0.4), "P", size // 2, _WHITE, inner)
            _centered(draw, (mid, size * 0.78), value or str(sign.text), size // 5, _WHITE, inner)
        else:
            _centered(draw, (mid, mid), "P", int(size * 0.65), _WHITE, inner)
    else:
        colour = _GREEN if sign.kind == "text" else _YELLOW if sign.kind == "roadworks" else _BLUE
        ink = _BLACK if colour == _YELLOW else _WHITE
        draw.rectangle(
            (pad, size // 4, size - pad, size - size // 4), fill=colour, outline=_WHITE, width=size // 40
        )
        caption = sign.text or _CAPTIONS.get(sign.kind, value)
        lines = [line for line in (caption or "").splitlines() if line.strip()][:2]
        for index, line in enumerate(lines):
            y = mid if len(lines) == 1 else size * (0.4 + 0.2 * index)
            _centered(draw, (mid, y), line.strip(), size // 6, ink, inner)
    return image


def render_camera_frame(signs: Sequence[RecognisedSign], width: int = 640, height: int = 360) -> bytes:
    """A PNG street view: road and sky, with up to three signs on poles at the roadside."""
    frame = Image.new("RGB", (width, height), (150, 185, 215))
    draw = ImageDraw.Draw(frame)
    horizon = int(height * 0.45)
    draw.rectangle((0, horizon, width, height), fill=(105, 110, 100))
    draw.polygon(
        [(int(width * 0.42), horizon), (int(width * 0.58), horizon), (width, height), (0, height)],
        fill=(70, 70, 72),
    )
    draw.line((width // 2, horizon, width // 2, height), fill=(235, 235, 235), width=3)
    shown = list(signs)[:3]
    sign_size = min(int(height * 0.5), width // max(len(shown) + 1, 2))
    for index, sign in enumerate(shown):
        left = width - (index + 1) * (sign_size + 16)
        top = int(height * 0.08)
        pole_x = left + sign_size // 2
        draw.rectangle((pole_x - 3, top + sign_size // 2, pole_x + 3, int(height * 0.8)), fill=(90, 90, 90))
        art = render_sign(sign, sign_size)
        frame.paste(art, (left, top), art)
    buffer = io.BytesIO()
    frame.save(buffer, format="PNG")
    return buffer.getvalue()
