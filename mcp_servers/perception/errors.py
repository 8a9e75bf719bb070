"""Exceptions of the perception feed service.

    PerceptionError
    ├── FrameError              a perception frame is malformed or self-contradictory (also a ValueError,
    │                           so pydantic reports it as a validation error naming the field)
    ├── NoFrameError            no perception frame has been produced or pushed yet
    ├── ImageError              a camera image is missing, unreadable, too large or not PNG/JPEG
    │   └── NoImageError        the latest frame carries no camera image at all
    ├── OcrError                the OCR engine cannot be loaded or failed on an image
    ├── DescriberError          a frame describer failed
    └── ConfigError             the service was configured inconsistently (names the option)

At the MCP edge every one of these becomes a tool error (`is_error=True`) whose text says what was wrong;
the server keeps serving.
"""

from __future__ import annotations


class PerceptionError(Exception):
    """Root of the perception service's exception tree."""


class FrameError(PerceptionError, ValueError):
    """A perception frame is malformed or contradicts itself (for example side and bearing disagree)."""


class NoFrameError(PerceptionError):
    """No perception frame is available yet."""


NO_FRAME = "no perception frame has been pushed yet"
"""What a :class:`NoFrameError` of an injected source says, and so its tool error at the MCP edge (how
a client of the server tells "no frame yet" from a failure)."""


class ImageError(PerceptionError):
    """A camera image cannot be used: missing file, undecodable bytes, unsupported format or too large."""


class NoImageError(ImageError):
    """The latest perception frame has no camera image."""


class OcrError(PerceptionError):
    """The OCR engine could not be loaded or could not read an image."""


class DescriberError(PerceptionError):
    """A frame describer failed to describe an image."""


class ConfigError(PerceptionError):
    """The perception service was configured inconsistently."""
