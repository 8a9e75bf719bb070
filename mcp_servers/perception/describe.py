"""Describing a camera frame in words: the hook for a vision-language model.

The service ships one describer, ``OcrFrameDescriber``, which says what text is visible (OCR only). A
model runtime (for example a GGUF VLM with its mmproj through llama.cpp) plugs in by implementing
``FrameDescriber`` and passing it to ``build_server(describer=...)``; this package imports no model
runtime itself.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from mcp_servers.perception.models import MediaType
from mcp_servers.perception.ocr import TextReader


class FrameDescriber(ABC):
    """Turns one camera image into a short text description.

    Contract:
    - ``describe(image, media_type, question)`` gets PNG or JPEG bytes that the service has already
      decoded once (so they are a valid image) and returns plain text: a few short sentences a driver
      can hear, stating only what is visible. ``question`` (may be None) is what the person asked, for
      describers that can focus on it; others ignore it.
    - It blocks while it works: the service calls it from a worker thread, one call at a time per
      describer instance.
    - A failure raises ``DescriberError`` (or ``ImageError``/``OcrError`` from a reader it uses);
      nothing else escapes.
    - ``name`` names the describer and its model, so results say what produced them.
    """

    name: str

    @abstractmethod
    def describe(self, image: bytes, media_type: MediaType, question: str | None = None) -> str:
        """Describe ``image`` in words."""


class OcrFrameDescriber(FrameDescriber):
    """The default describer: reports the text visible in the frame, read by OCR; ignores ``question``."""

    def __init__(self, reader: TextReader) -> None:
        self.reader = reader
        self.name = f"ocr ({reader.name})"

    def describe(self, image: bytes, media_type: MediaType, question: str | None = None) -> str:
        """Describe ``image`` by the text OCR finds in it."""
        reading = self.reader.read(image)
        if not reading.lines:
            return "No text is visible in the camera frame."
        quoted = ", ".join(f'"{line.text}"' for line in reading.lines)
        return f"Text visible in the camera frame: {quoted}."
