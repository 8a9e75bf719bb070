"""The vision backend (GGUF + mmproj through llama-cpp-python's multimodal chat handlers).

No vision model ships on PyPI, so: message conversion and configuration are tested here, the
backend is loaded with the real default GGUF and a stand-in projector file to check that it fails
with a typed error, and a full image-to-text run happens only when ``CABIN_TEST_VLM`` names a model
(``/path/model.gguf:/path/mmproj.gguf``).
"""

from __future__ import annotations

import base64
import os
import struct
import zlib
from pathlib import Path

import pytest

from models import (
    CapabilityNotSupported,
    ChatMessage,
    ImageInput,
    ManifestError,
    ModelCorrupt,
    ModelNotInstalled,
    ModelRegistry,
    ModelRuntime,
    ModelSpec,
    RuntimeConfig,
)
from models.registry import PathSource
from models.runtime import load_backend
from models.vision import LlamaVisionBackend, handler_messages


def _png(width: int = 4, height: int = 4) -> bytes:
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_images_become_data_uri_parts(tmp_path: Path) -> None:
    png = _png()
    path = tmp_path / "sign.png"
    path.write_bytes(png)
    messages = [
        ChatMessage(role="system", content="Describe road signs."),
        ChatMessage(role="user", content="What sign is this?", images=(ImageInput(path=str(path)),)),
    ]
    converted = handler_messages(messages)
    assert converted[0] == {"role": "system", "content": "Describe road signs."}
    parts = converted[1]["content"]
    assert parts[0]["type"] == "image_url"
    assert parts[0]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert parts[1] == {"type": "text", "text": "What sign is this?"}


def test_image_input_is_validated() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ImageInput()
    with pytest.raises(ValueError, match="base64"):
        ImageInput(data_base64="***")


def test_vision_models_need_a_projector(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mmproj"):
        ModelSpec(id="v", kind="vision", source=PathSource(path="/x.gguf"), file="x.gguf")
    cfg = tmp_path / "models.yaml"
    cfg.write_text("models:\n  - id: v\n    kind: vision\n    path: v.gguf\n    mmproj: v-mmproj.gguf\n")
    spec = ModelRegistry.load(cfg).get("v")
    assert spec.kind == "vision" and spec.mmproj == str((tmp_path / "v-mmproj.gguf").resolve())


def test_missing_files_and_bad_handler_are_typed(tmp_path: Path) -> None:
    model = tmp_path / "v.gguf"
    model.write_bytes(b"x")
    spec = ModelSpec(
        id="v",
        kind="vision",
        source=PathSource(path=str(model)),
        file="v.gguf",
        mmproj=str(tmp_path / "none.gguf"),
    )
    with pytest.raises(ModelNotInstalled, match="multimodal projector"):
        load_backend(spec, str(model), RuntimeConfig())
    (tmp_path / "none.gguf").write_bytes(b"x")
    spec = spec.model_copy(update={"vision_handler": "NoSuchHandler"})
    with pytest.raises(ManifestError, match="vision_handler"):
        load_backend(spec, str(model), RuntimeConfig())


@pytest.mark.model
async def test_a_bad_projector_fails_with_a_typed_error(tmp_path: Path, default_model_path: Path) -> None:
    projector = tmp_path / "mmproj.gguf"
    projector.write_bytes(b"GGUF" + b"\x00" * 64)
    spec = ModelSpec(
        id="v",
        kind="vision",
        source=PathSource(path=str(default_model_path)),
        file="v.gguf",
        mmproj=str(projector),
    )
    backend = load_backend(spec, str(default_model_path), RuntimeConfig(n_ctx=512))
    assert isinstance(backend, LlamaVisionBackend)
    runtime = ModelRuntime(backend)
    try:
        image = ImageInput(data_base64=base64.b64encode(_png()).decode())
        with pytest.raises(ModelCorrupt, match="projector"):
            await runtime.chat(
                [{"role": "user", "content": "What is this?", "images": [image]}], max_tokens=4
            )
        with pytest.raises(CapabilityNotSupported):
            await runtime.embed(["x"])
        result = await runtime.generate("The capital of France is", max_tokens=4)
        assert result.completion_tokens >= 1
    finally:
        await runtime.aclose()


@pytest.mark.model
@pytest.mark.skipif(not os.environ.get("CABIN_TEST_VLM"), reason="set CABIN_TEST_VLM=model.gguf:mmproj.gguf")
async def test_a_real_vision_model_describes_an_image() -> None:
    model, projector = os.environ["CABIN_TEST_VLM"].split(":", 1)
    spec = ModelSpec(
        id="vlm", kind="vision", source=PathSource(path=model), file="vlm.gguf", mmproj=projector
    )
    runtime = ModelRuntime(load_backend(spec, model, RuntimeConfig()))
    try:
        image = ImageInput(data_base64=base64.b64encode(_png(32, 32)).decode())
        result = await runtime.chat(
            [{"role": "user", "content": "What colour is this image?", "images": [image]}], max_tokens=16
        )
        assert result.text.strip()
    finally:
        await runtime.aclose()
