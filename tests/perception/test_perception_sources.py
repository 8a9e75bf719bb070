"""Perception sources: frames pushed in from outside, and the simulated street scene."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcp_servers.perception import (
    CameraImage,
    FrameError,
    ImageError,
    InjectedSource,
    NoFrameError,
    PerceptionFrame,
    SimulatedSource,
    analyse,
)
from mcp_servers.perception.images import decode_image, inspect_image, read_image_bytes

from .perception_support import FakeClock

CYCLIST = {"objects": [{"class": "cyclist", "side": "right", "distance_m": 2.5, "lane": "right"}]}


# --- injected -------------------------------------------------------------------------------------------


def test_no_frame_before_the_first_push(clock: FakeClock) -> None:
    source = InjectedSource(clock=clock)
    with pytest.raises(NoFrameError, match="no perception frame"):
        source.latest()


def test_push_validates_stamps_and_replaces(clock: FakeClock) -> None:
    source = InjectedSource(clock=clock)
    stored = source.push(CYCLIST)
    assert stored.timestamp == clock.now
    assert source.latest() == stored
    clock.advance(2.0)
    second = source.push(PerceptionFrame(timestamp=5.0))
    assert second.timestamp == 5.0
    assert source.latest().objects == []
    assert source.now() == clock.now
    assert source.kind == "injected"


def test_malformed_push_is_refused_and_keeps_the_previous_frame(clock: FakeClock) -> None:
    source = InjectedSource(clock=clock, initial=CYCLIST)
    with pytest.raises(FrameError, match="distance_m"):
        source.push({"objects": [{"class": "car", "side": "ahead", "distance_m": -4}]})
    with pytest.raises(ImageError, match="cannot be read"):
        source.push({"image": "does/not/exist.png"})
    assert source.latest().objects[0].object_class == "cyclist"


def test_image_paths_resolve_against_the_root_and_must_stay_inside(
    clock: FakeClock, parking_png: Path, tmp_path: Path
) -> None:
    source = InjectedSource(clock=clock, image_root=parking_png.parent)
    stored = source.push({"image": parking_png.name})
    assert stored.image == CameraImage(path=str(parking_png))
    outside = tmp_path / "outside.png"
    outside.write_bytes(parking_png.read_bytes())
    with pytest.raises(ImageError, match="outside the image root"):
        source.push({"image": str(outside)})
    with pytest.raises(ImageError, match="outside the image root"):
        source.push({"image": f"../{outside.parent.name}/outside.png"})
    with pytest.raises(ImageError, match="outside the image root"):
        source.push({"image": "~/sign_parking.png"})


def test_undecodable_images_are_refused(clock: FakeClock, tmp_path: Path) -> None:
    source = InjectedSource(clock=clock, image_root=tmp_path)
    (tmp_path / "notes.png").write_text("not a picture")
    with pytest.raises(ImageError, match="neither PNG nor JPEG"):
        source.push({"image": "notes.png"})
    (tmp_path / "cut.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    with pytest.raises(ImageError, match="cannot be decoded"):
        source.push({"image": "cut.png"})
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(ImageError, match="not a file"):
        source.push({"image": "folder.png"})


def test_inline_images_are_checked_and_described(clock: FakeClock, parking_png: Path) -> None:
    source = InjectedSource(clock=clock)
    stored = source.push(
        {"image": {"data_base64": CameraImage.from_bytes(parking_png.read_bytes()).data_base64}}
    )
    assert stored.image is not None
    info = inspect_image(stored.image)
    assert (info.media_type, info.width, info.height, info.path) == ("image/png", 640, 360, None)
    assert read_image_bytes(stored.image) == parking_png.read_bytes()


def test_oversized_images_are_refused() -> None:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("L", (8193, 8)).save(buffer, format="PNG")
    with pytest.raises(ImageError, match="8193x8 pixels"):
        decode_image(buffer.getvalue())


# --- simulated ------------------------------------------------------------------------------------------


def test_the_scene_is_deterministic_for_a_seed_and_time(clock: FakeClock) -> None:
    first = SimulatedSource(seed=3, clock=clock)
    second = SimulatedSource(seed=3, clock=FakeClock(0.0))
    for t in (0.0, 7.5, 31.0, 59.9, 125.0):
        assert first.frame_at(t) == second.frame_at(t)
    other = SimulatedSource(seed=4, clock=clock)
    assert any(first.frame_at(t) != other.frame_at(t) for t in (0.0, 10.0, 20.0))


def test_the_scene_moves_with_the_clock(clock: FakeClock) -> None:
    source = SimulatedSource(seed=0, clock=clock)
    before = source.latest()
    assert before.timestamp == clock.now
    clock.advance(1.5)
    after = source.latest()
    assert after.timestamp == clock.now
    assert after.objects != before.objects
    assert after == source.frame_at(1.5, timestamp=clock.now)
    assert source.kind == "simulated"


def test_a_drive_passes_through_both_blind_spots_and_shows_every_sign(clock: FakeClock) -> None:
    source = SimulatedSource(seed=0, clock=clock)
    spots: set[str] = set()
    kinds: set[str] = set()
    fast = False
    for tenth in range(0, 1200, 5):
        frame = source.frame_at(tenth / 10)
        facts = analyse(frame.objects)
        spots |= {item.blind_spot for item in facts if item.blind_spot is not None}
        fast = fast or any(item.approaching_fast for item in facts)
        kinds |= {sign.kind for sign in frame.signs}
        assert (frame.image is not None) == bool(frame.signs)
        assert 2 <= len(frame.objects) <= 5
    assert spots == {"left", "right"}
    assert fast
    assert kinds == {"speed_limit", "parking", "text", "stop"}


def test_simulated_camera_images_decode(clock: FakeClock) -> None:
    source = SimulatedSource(seed=5, clock=clock)
    frame = source.frame_at(16.0)
    assert frame.signs
    assert frame.signs[0].kind == "parking"
    assert frame.image is not None
    info = inspect_image(frame.image)
    assert (info.media_type, info.width, info.height) == ("image/png", 640, 360)


def test_simulated_speed_must_be_plausible(clock: FakeClock) -> None:
    with pytest.raises(FrameError, match="ego_speed_kmh"):
        SimulatedSource(clock=clock, ego_speed_kmh=400.0)
