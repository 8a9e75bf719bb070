"""The perception frame model: the scenario YAML shape, defaults, and clear errors for bad frames."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from mcp_servers.perception import CameraImage, PerceivedObject, PerceptionFrame, RecognisedSign

SCENARIO_STEP = """
perception:
  objects: [{class: cyclist, side: right, distance_m: 2.5, lane: right, rel_speed_kmh: -3}]
  signs: [{kind: speed_limit, value: 50}]
  image: images/sign_parking.png
"""

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


def frame(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"objects": [{"class": "car", "side": "ahead", "distance_m": 20.0}]}
    base.update(overrides)
    return base


def car(**fields: Any) -> dict[str, Any]:
    return {"class": "car", "distance_m": 1.0, **fields}


def error_text(data: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        PerceptionFrame.model_validate(data)
    return str(caught.value)


def test_scenario_yaml_shape_is_accepted_exactly() -> None:
    step = yaml.safe_load(SCENARIO_STEP)
    parsed = PerceptionFrame.model_validate(step["perception"])
    (cyclist,) = parsed.objects
    assert (cyclist.object_class, cyclist.side, cyclist.distance_m, cyclist.lane, cyclist.rel_speed_kmh) == (
        "cyclist",
        "right",
        2.5,
        "right",
        -3.0,
    )
    assert cyclist.id == "cyclist-1"
    assert parsed.signs == [RecognisedSign(kind="speed_limit", value=50)]
    assert parsed.image == CameraImage(path="images/sign_parking.png")
    assert parsed.timestamp is None


def test_output_uses_the_same_keys_as_the_input() -> None:
    parsed = PerceptionFrame.model_validate(yaml.safe_load(SCENARIO_STEP)["perception"])
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["objects"][0]["class"] == "cyclist"
    assert PerceptionFrame.model_validate(dumped) == parsed


def test_lane_defaults_from_side_and_ids_number_by_position() -> None:
    parsed = PerceptionFrame.model_validate(
        {
            "objects": [
                {"class": "car", "side": "left", "distance_m": 3},
                {"class": "car", "side": "right", "distance_m": 3},
                {"class": "truck", "side": "behind", "distance_m": 9, "id": "trk"},
                {"class": "pedestrian", "side": "ahead", "distance_m": 12},
            ]
        }
    )
    assert [(o.id, o.lane) for o in parsed.objects] == [
        ("car-1", "left"),
        ("car-2", "right"),
        ("trk", "ego"),
        ("pedestrian-4", "ego"),
    ]
    assert all(o.rel_speed_kmh == 0.0 for o in parsed.objects)


def test_objects_built_in_code_get_ids_too() -> None:
    obj = PerceivedObject(object_class="animal", side="ahead", distance_m=30.0)
    parsed = PerceptionFrame(objects=[obj, obj.model_copy(update={"id": "deer"})])
    assert [o.id for o in parsed.objects] == ["animal-1", "deer"]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (frame(objects=[{"class": "spaceship", "side": "ahead", "distance_m": 1}]), "class"),
        (frame(objects=[{"class": "car", "side": "above", "distance_m": 1}]), "side"),
        (frame(objects=[{"class": "car", "side": "ahead", "distance_m": -1}]), "distance_m"),
        (frame(objects=[{"class": "car", "side": "ahead", "distance_m": "near"}]), "distance_m"),
        (frame(objects=[{"class": "car", "side": "ahead", "distance_m": float("nan")}]), "distance_m"),
        (frame(objects=[{"class": "car", "side": "ahead"}]), "distance_m"),
        (frame(objects=[{"class": "car", "side": "ahead", "distance_m": 1, "colour": "red"}]), "colour"),
        (frame(objects=[{"class": "car", "side": "ahead", "distance_m": 1, "lane": "air"}]), "lane"),
        (frame(objects=[{"class": "car", "side": "left", "distance_m": 1, "bearing_deg": 90}]), "sector"),
        (
            frame(objects=[{"class": "car", "side": "ahead", "distance_m": 1, "bearing_deg": 181}]),
            "bearing_deg",
        ),
        (frame(objects=[{"class": "car", "side": "right", "distance_m": 1, "lane": "left"}]), "lane 'left'"),
        (
            frame(objects=[{"class": "car", "side": "left", "distance_m": 1, "lane": "far_right"}]),
            "far_right",
        ),
        (
            frame(
                objects=[
                    {"class": "car", "side": "ahead", "distance_m": 9, "lane": "left", "bearing_deg": 10}
                ]
            ),
            "bearing to the right",
        ),
        (
            frame(
                objects=[
                    {"id": "a", "class": "car", "side": "ahead", "distance_m": 9},
                    {"id": "a", "class": "bus", "side": "behind", "distance_m": 9},
                ]
            ),
            "share the id 'a'",
        ),
        (frame(objects={"class": "car"}), "objects"),
        (frame(signs=[{"kind": "speed_limit"}]), "needs a numeric value"),
        (frame(signs=[{"kind": "speed_limit", "value": "fast"}]), "must be a number"),
        (frame(signs=[{"kind": "speed_limit", "value": 999}]), "outside"),
        (frame(signs=[{"kind": "speed_limit", "value": True}]), "not true"),
        (frame(signs=[{"kind": "text"}]), "non-empty 'text'"),
        (frame(signs=[{"kind": "banana"}]), "kind"),
        (frame(image={"path": "a.png", "data_base64": "AAAA"}), "exactly one"),
        (frame(image={}), "exactly one"),
        (frame(image={"data_base64": "not base64!"}), "not valid base64"),
        (frame(image={"data_base64": base64.b64encode(b"GIF89a....").decode()}), "neither PNG nor JPEG"),
        (
            frame(image={"data_base64": base64.b64encode(PNG_1PX).decode(), "media_type": "image/jpeg"}),
            "media_type says image/jpeg",
        ),
        (frame(weather="rain"), "weather"),
        (frame(timestamp="yesterday"), "timestamp"),
        ([1, 2, 3], "PerceptionFrame"),
    ],
)
def test_malformed_frames_are_rejected_naming_the_problem(data: Any, needle: str) -> None:
    assert needle in error_text(data)


def test_too_many_objects_are_rejected() -> None:
    many = [{"class": "car", "side": "ahead", "distance_m": 10.0 + i} for i in range(257)]
    assert "objects" in error_text(frame(objects=many))


def test_inline_image_round_trips() -> None:
    image = CameraImage.from_bytes(PNG_1PX)
    assert image.inline_bytes() == PNG_1PX
    assert image.path is None
    assert CameraImage.model_validate(image.model_dump()) == image


def test_relative_image_path_resolves_against_the_scenario_folder(tmp_path: Path) -> None:
    parsed = PerceptionFrame.model_validate(yaml.safe_load(SCENARIO_STEP)["perception"])
    resolved = parsed.resolved(tmp_path)
    assert resolved.image is not None
    assert resolved.image.path == str(tmp_path / "images" / "sign_parking.png")
    absolute = CameraImage(path=str(tmp_path / "x.png"))
    assert absolute.resolved(Path("/elsewhere")) == absolute
    inline = CameraImage.from_bytes(PNG_1PX)
    assert inline.resolved(tmp_path) is inline
