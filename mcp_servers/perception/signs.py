"""What a frame's recognised signs mean for the driver, in numbers and in one sentence."""

from __future__ import annotations

from collections.abc import Sequence

from mcp_servers.perception.models import RecognisedSign

_NAMES: dict[str, str] = {
    "speed_limit": "speed limit",
    "end_speed_limit": "end of speed limit",
    "stop": "stop sign",
    "yield": "yield sign",
    "no_entry": "no entry",
    "no_parking": "no parking",
    "no_stopping": "no stopping",
    "parking": "parking sign",
    "no_overtaking": "no overtaking",
    "pedestrian_crossing": "pedestrian crossing",
    "school_zone": "school zone",
    "roadworks": "roadworks",
    "one_way": "one way",
    "text": "sign",
}


def _nearest_first(signs: Sequence[RecognisedSign]) -> list[RecognisedSign]:
    # Signs without a distance keep their frame order, after those with one.
    indexed = list(enumerate(signs))
    indexed.sort(key=lambda pair: (pair[1].distance_m is None, pair[1].distance_m or 0.0, pair[0]))
    return [sign for _, sign in indexed]


def speed_limit_kmh(signs: Sequence[RecognisedSign]) -> float | None:
    """The value of the nearest speed-limit sign in the frame, or None."""
    for sign in _nearest_first(signs):
        if sign.kind == "speed_limit" and isinstance(sign.value, int | float):
            return float(sign.value)
    return None


def describe_sign(sign: RecognisedSign) -> str:
    """A short phrase for one sign, e.g. ``speed limit 50 km/h, 40 m ahead on the right``."""
    phrase = _NAMES[sign.kind]
    if sign.kind in ("speed_limit", "end_speed_limit") and isinstance(sign.value, int | float):
        phrase += f" {float(sign.value):g} km/h"
    elif sign.text:
        phrase += f' "{sign.text}"'
    elif sign.value is not None:
        phrase += f" {sign.value}"
    where = []
    if sign.distance_m is not None:
        where.append(f"{sign.distance_m:.0f} m")
    if sign.side is not None:
        where.append(
            "ahead"
            if sign.side == "ahead"
            else f"on the {sign.side}"
            if sign.side in ("left", "right")
            else "behind"
        )
    return f"{phrase}, {' '.join(where)}" if where else phrase


def summarize_signs(signs: Sequence[RecognisedSign]) -> str:
    """One sentence about the frame's signs, nearest first."""
    if not signs:
        return "No signs recognised."
    phrases = "; ".join(describe_sign(sign) for sign in _nearest_first(signs))
    return f"{phrases[0].upper()}{phrases[1:]}."
