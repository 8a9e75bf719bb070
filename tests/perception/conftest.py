"""Fixtures of the perception tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.perception import RecognisedSign
from mcp_servers.perception.render import render_camera_frame

from .perception_support import FakeClock, SignImage, all_sign_images


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def sign_images() -> dict[str, SignImage]:
    return {image.name: image for image in all_sign_images()}


@pytest.fixture(scope="session")
def parking_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The parking sign as a PNG file on disk (scenario frames name images by path)."""
    path = tmp_path_factory.mktemp("images") / "sign_parking.png"
    path.write_bytes(render_camera_frame([RecognisedSign(kind="parking", value="2h")]))
    return path
