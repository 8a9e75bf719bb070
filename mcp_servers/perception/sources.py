"""Where perception frames come from: a simulated street scene, or frames pushed in from outside."""

from __future__ import annotations

import math
import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mcp_servers.perception.errors import NO_FRAME, FrameError, ImageError, NoFrameError
from mcp_servers.perception.images import decode_image, read_image_bytes
from mcp_servers.perception.models import (
    CameraImage,
    Lane,
    ObjectClass,
    PerceivedObject,
    PerceptionFrame,
    RecognisedSign,
    Side,
    bearing_in_sector,
)
from mcp_servers.perception.render import render_camera_frame

Clock = Callable[[], float]
"""Returns the current time in seconds; frames are stamped with it (monotonic by default)."""


class PerceptionSource(ABC):
    """A feed of perception frames; the service's tools read its latest frame.

    Contract:
    - ``latest()`` returns the most recent frame, with ``timestamp`` set on this source's clock. It never
      blocks on I/O for long and may be called from any thread, as often as the tools are called. Before
      the first frame exists it raises ``NoFrameError`` (it never invents an empty scene).
    - ``now()`` is the current time on the same clock, so callers can tell how old a frame is.
    - Frames are immutable; a source replaces its latest frame, never edits it.
    """

    @property
    @abstractmethod
    def kind(self) -> str:
        """A short name for the source (``simulated``, ``injected``, ...)."""

    @abstractmethod
    def latest(self) -> PerceptionFrame:
        """The most recent frame (raises ``NoFrameError`` when there is none yet)."""

    @abstractmethod
    def now(self) -> float:
        """The current time on the clock that stamps this source's frames."""


class InjectedSource(PerceptionSource):
    """Frames that scenarios, tests or a bridge to a real perception stack push in.

    ``push(frame)`` validates the frame, resolves a relative image path against ``image_root`` (default:
    the working directory), checks that the image can be decoded, stamps the frame with the clock when it
    has no timestamp, and makes it the latest frame. When ``image_root`` is given, image paths must lie
    inside it. A rejected frame leaves the previous one in place.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        image_root: Path | None = None,
        initial: PerceptionFrame | Mapping[str, Any] | None = None,
    ) -> None:
        self._clock = clock
        self._image_root = image_root.resolve() if image_root is not None else None
        self._lock = threading.Lock()
        self._latest: PerceptionFrame | None = None
        if initial is not None:
            self.push(initial)

    @property
    def kind(self) -> str:
        return "injected"

    def now(self) -> float:
        return self._clock()

    def latest(self) -> PerceptionFrame:
        with self._lock:
            if self._latest is None:
                raise NoFrameError(NO_FRAME)
            return self._latest

    def push(self, frame: PerceptionFrame | Mapping[str, Any]) -> PerceptionFrame:
        """Validate ``frame`` and make it the latest frame; returns the frame as stored."""
        if not isinstance(frame, PerceptionFrame):
            try:
                frame = PerceptionFrame.model_validate(frame)
            except ValidationError as exc:
                raise FrameError(f"invalid perception frame: {exc}") from exc
        if frame.image is not None:
            frame = frame.model_copy(update={"image": self._checked_image(frame.image)})
        if frame.timestamp is None:
            frame = frame.model_copy(update={"timestamp": self._clock()})
        with self._lock:
            self._latest = frame
        return frame

    def _checked_image(self, image: CameraImage) -> CameraImage:
        checked = image.resolved(self._image_root or Path.cwd())
        if (
            checked.path is not None
            and self._image_root is not None
            and not Path(checked.path).is_relative_to(self._image_root)
        ):
            raise ImageError(
                f"camera image {checked.path!r} is outside the image root {str(self._image_root)!r}"
            )
        decode_image(read_image_bytes(checked))
        return checked


# --- the simulated street scene -----------------------------------------------------------------------------

_SIGN_CYCLE_S = 60.0
_PARKING_VALUES = ("2h", "1h", "30 min")
_PLACE_NAMES = ("City Centre", "Airport", "Station", "Harbour", "Old Town")


def _round(value: float, digits: int = 1) -> float:
    rounded = round(value, digits)
    return 0.0 if rounded == 0 else rounded


_SIDES: tuple[Side, ...] = ("ahead", "right", "behind", "left")


def _side_for(bearing: float) -> Side:
    for side in _SIDES:
        if bearing_in_sector(bearing, side):
            return side
    raise FrameError(f"bearing {bearing:g} fits no sector")


def _placed(
    object_id: str, object_class: ObjectClass, lane: Lane, x: float, y: float, rel_speed_kmh: float
) -> PerceivedObject:
    bearing = _round(math.degrees(math.atan2(y, x)))
    return PerceivedObject(
        id=object_id,
        object_class=object_class,
        side=_side_for(bearing),
        distance_m=_round(math.hypot(x, y)),
        lane=lane,
        rel_speed_kmh=_round(rel_speed_kmh),
        bearing_deg=bearing,
    )


@lru_cache(maxsize=32)
def _camera_image(signs: tuple[RecognisedSign, ...]) -> CameraImage:
    return CameraImage.from_bytes(render_camera_frame(signs))


class SimulatedSource(PerceptionSource):
    """A plausible urban drive, deterministic for a seed and a point in time.

    The car drives at ``ego_speed_kmh`` on a two-lane road with a bike lane and a sidewalk on the right.
    Around it: a lead vehicle whose gap breathes, a vehicle following behind, vehicles overtaking in the
    left lane (passing through the left blind spot), cyclists the car passes in the bike lane (through
    the right blind spot), and pedestrians on the sidewalk. Signs come in a 60 s cycle: a speed limit, a
    parking sign, a destination sign and a stop sign; while a sign is in view the frame carries a camera
    image showing it. The seed picks vehicle classes, gaps, periods, limits and names; the clock moves the
    scene, so the same seed and time always give the same frame.
    """

    def __init__(self, *, seed: int = 0, clock: Clock = time.monotonic, ego_speed_kmh: float = 30.0) -> None:
        if not 5.0 <= ego_speed_kmh <= 130.0:
            raise FrameError(f"ego_speed_kmh must be within 5..130 km/h, got {ego_speed_kmh:g}")
        self.seed = seed
        self.ego_speed_kmh = ego_speed_kmh
        self._clock = clock
        self._start = clock()
        rng = random.Random(seed)
        self._lead_class: ObjectClass = rng.choice(("car", "van", "truck", "bus"))
        self._lead_gap = rng.uniform(18.0, 28.0)
        self._lead_amp = rng.uniform(3.0, 7.0)
        self._lead_period = rng.uniform(20.0, 30.0)
        self._lead_phase = rng.uniform(0.0, 2 * math.pi)
        self._follow_class: ObjectClass = rng.choice(("car", "van", "car"))
        self._follow_gap = rng.uniform(11.0, 16.0)
        self._follow_amp = rng.uniform(1.5, 3.5)
        self._follow_period = rng.uniform(15.0, 25.0)
        self._overtake_class: ObjectClass = rng.choice(("car", "car", "motorcycle", "van"))
        self._overtake_kmh = rng.uniform(8.0, 14.0)
        self._overtake_period = rng.uniform(28.0, 36.0)
        self._overtake_offset = rng.uniform(0.0, self._overtake_period)
        self._cyclist_kmh = rng.uniform(14.0, 20.0)
        self._cyclist_period = rng.uniform(40.0, 50.0)
        self._cyclist_offset = rng.uniform(0.0, self._cyclist_period)
        self._pedestrian_period = rng.uniform(30.0, 40.0)
        self._pedestrian_offset = rng.uniform(0.0, self._pedestrian_period)
        self._speed_limit = rng.choice((30, 50))
        self._parking_value = rng.choice(_PARKING_VALUES)
        self._place = rng.choice(_PLACE_NAMES)

    @property
    def kind(self) -> str:
        return "simulated"

    def now(self) -> float:
        return self._clock()

    def latest(self) -> PerceptionFrame:
        now = self._clock()
        return self.frame_at(now - self._start, timestamp=now)

    def frame_at(self, t: float, timestamp: float | None = None) -> PerceptionFrame:
        """The scene ``t`` seconds after the start of the drive."""
        ego_ms = self.ego_speed_kmh / 3.6
        objects = [self._lead(t), self._follower(t)]
        objects.extend(self._overtaker(t))
        objects.extend(self._cyclist(t, ego_ms))
        objects.extend(self._pedestrian(t, ego_ms))
        signs = self._signs(t, ego_ms)
        # The picture does not depend on how far away a sign is, so one render serves its whole window.
        image = (
            _camera_image(tuple(sign.model_copy(update={"distance_m": None}) for sign in signs))
            if signs
            else None
        )
        return PerceptionFrame(
            objects=objects, signs=signs, image=image, timestamp=t if timestamp is None else timestamp
        )

    def _lead(self, t: float) -> PerceivedObject:
        omega = 2 * math.pi / self._lead_period
        gap = self._lead_gap + self._lead_amp * math.sin(omega * t + self._lead_phase)
        rate = self._lead_amp * omega * math.cos(omega * t + self._lead_phase)
        return _placed("lead", self._lead_class, "ego", gap, 0.0, rate * 3.6)

    def _follower(self, t: float) -> PerceivedObject:
        omega = 2 * math.pi / self._follow_period
        gap = self._follow_gap + self._follow_amp * math.sin(omega * t)
        rate = self._follow_amp * omega * math.cos(omega * t)
        return _placed("follower", self._follow_class, "ego", -gap, 0.0, -rate * 3.6)

    def _overtaker(self, t: float) -> list[PerceivedObject]:
        cycle, phase = divmod(t + self._overtake_offset, self._overtake_period)
        x = -30.0 + (self._overtake_kmh / 3.6) * phase
        if x > 40.0:
            return []
        return [_placed(f"overtaker-{int(cycle)}", self._overtake_class, "left", x, -3.5, self._overtake_kmh)]

    def _cyclist(self, t: float, ego_ms: float) -> list[PerceivedObject]:
        closing_ms = max(ego_ms - self._cyclist_kmh / 3.6, 1.0)
        cycle, phase = divmod(t + self._cyclist_offset, self._cyclist_period)
        x = 35.0 - closing_ms * phase
        if x < -15.0:
            return []
        return [_placed(f"cyclist-{int(cycle)}", "cyclist", "bike_lane", x, 2.2, -closing_ms * 3.6)]

    def _pedestrian(self, t: float, ego_ms: float) -> list[PerceivedObject]:
        cycle, phase = divmod(t + self._pedestrian_offset, self._pedestrian_period)
        x = 45.0 - ego_ms * phase
        if x < -10.0:
            return []
        return [_placed(f"pedestrian-{int(cycle)}", "pedestrian", "sidewalk", x, 5.5, -ego_ms * 3.6)]

    def _signs(self, t: float, ego_ms: float) -> list[RecognisedSign]:
        phase = t % _SIGN_CYCLE_S
        windows: list[tuple[float, RecognisedSign]] = [
            (0.0, RecognisedSign(kind="speed_limit", value=self._speed_limit)),
            (
                15.0,
                RecognisedSign(kind="parking", value=self._parking_value, text=f"P {self._parking_value}"),
            ),
            (30.0, RecognisedSign(kind="text", text=self._place)),
            (45.0, RecognisedSign(kind="stop", text="STOP")),
        ]
        for start, sign in windows:
            elapsed = phase - start
            distance = 80.0 - ego_ms * elapsed
            if elapsed >= 0.0 and distance >= 5.0:
                return [sign.model_copy(update={"side": "right", "distance_m": _round(distance)})]
        return []
