"""Loading and checking camera images (PNG/JPEG) before anything reads them."""

from __future__ import annotations

import io
import threading
import warnings
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from mcp_servers.perception.errors import ImageError
from mcp_servers.perception.models import MAX_IMAGE_BYTES, CameraImage, ImageInfo, MediaType, sniff_media_type

MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 4096 * 4096

# warnings.catch_warnings changes process-wide filters; decoding one image at a time keeps that contained.
_DECODE_LOCK = threading.Lock()


def read_image_bytes(image: CameraImage, base_dir: Path | None = None) -> bytes:
    """The image bytes: inline data decoded, or the file read (a relative path against ``base_dir``)."""
    inline = image.inline_bytes()
    if inline is not None:
        return inline
    if image.path is None:
        raise ImageError("the image has neither a path nor data")
    path = Path(image.path).expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageError(f"camera image {str(path)!r} cannot be read: {exc.strerror or exc}") from exc
    if not path.is_file():
        raise ImageError(f"camera image {str(path)!r} is not a file")
    if size > MAX_IMAGE_BYTES:
        raise ImageError(
            f"camera image {str(path)!r} is {size} bytes, more than the {MAX_IMAGE_BYTES} allowed"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImageError(f"camera image {str(path)!r} cannot be read: {exc.strerror or exc}") from exc


def decode_image(data: bytes, label: str = "camera image") -> tuple[Image.Image, MediaType]:
    """Decode PNG/JPEG bytes into an RGB image, refusing other formats and oversized pictures."""
    media_type = sniff_media_type(data)
    if media_type is None:
        raise ImageError(f"{label} is neither PNG nor JPEG")
    with _DECODE_LOCK, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
                    raise ImageError(
                        f"{label} is {width}x{height} pixels, more than the {MAX_IMAGE_PIXELS} allowed"
                    )
                rgb = opened.convert("RGB")
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ImageError(f"{label} cannot be decoded: {exc}") from exc
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageError(f"{label} is too large to decode: {exc}") from exc
    return rgb, media_type


def inspect_image(image: CameraImage, base_dir: Path | None = None) -> ImageInfo:
    """Read and decode an image once, and describe it (format, size)."""
    data = read_image_bytes(image, base_dir)
    decoded, media_type = decode_image(data)
    return ImageInfo(
        media_type=media_type,
        width=decoded.width,
        height=decoded.height,
        byte_size=len(data),
        path=image.path,
    )
