"""A seat massage session on a front seat, at a gentle, medium or strong intensity.

It writes the VSS signal ``Vehicle.Cabin.Seat.Row1.{DriverSide,PassengerSide}.Massage.Level``
(percent, 0 = off) and brings its own guardrail rule, GR-M1: while the car moves, the driver's seat
massage stays gentle. The rule judges every write of that signal, whichever tool asks for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from mcp_servers.vehicle.extend import (
    Args,
    Proposal,
    Rule,
    ToolArgumentError,
    ToolDeclaration,
    ToolPlugin,
    Verdict,
    WriteSpec,
    ZoneArg,
    seat_branch,
    seats_of,
)

__all__ = ["INTENSITY", "PLUGIN", "DriverMassageWhileMoving", "MassageArgs", "massage"]

INTENSITY: dict[str, int] = {"off": 0, "gentle": 30, "medium": 60, "strong": 100}
"""Massage.Level (percent) of each intensity."""


class MassageArgs(Args):
    intensity: Literal["off", "gentle", "medium", "strong"] = "medium"
    seat: ZoneArg = None


class DriverMassageWhileMoving(Rule):
    id = "GR-M1"
    summary = "While the car moves, the driver's seat massage stays gentle: at most 40 %."
    source = "cabin-seat-massage: a strong massage distracts the driver (engineering choice)"
    concerns = ("Vehicle.Cabin.Seat.Row1.*.Massage.Level",)
    DRIVER = "Vehicle.Cabin.Seat.Row1.DriverSide.Massage.Level"
    GENTLE_MAX = 40

    def check(self, p: Proposal) -> Iterable[Verdict]:
        level = p.values.get(self.DRIVER)
        if isinstance(level, int | float) and level > self.GENTLE_MAX and p.driving.moving:
            yield self.refuse(
                self.DRIVER,
                f"while the car is moving the driver's massage stays gentle (at most {self.GENTLE_MAX} %)",
            )


def massage(arguments: MassageArgs) -> WriteSpec:
    """The massage level of each front seat in the zone."""
    assert arguments.seat is not None  # the server resolves the zone before building
    seats = [s for s in seats_of(arguments.seat) if s in ("driver", "passenger")]
    if not seats:
        raise ToolArgumentError("massage is only available on the front seats")
    level = INTENSITY[arguments.intensity]
    return WriteSpec(values={f"Vehicle.Cabin.Seat.{seat_branch(s)}.Massage.Level": level for s in seats})


PLUGIN = ToolPlugin(
    name="cabin-seat-massage",
    tools=(
        ToolDeclaration(
            name="start_seat_massage",
            description="Start (or stop) a seat massage on a front seat: gentle, medium or strong.",
            arguments=MassageArgs,
            writes=("Vehicle.Cabin.Seat.Row1.*.Massage.Level",),
            rules=("GR-M1",),
            build=massage,
            zone="seat",
            skill="seats",
            examples=("my back is killing me", "massage on", "give me a gentle massage"),
        ),
    ),
    rules=(DriverMassageWhileMoving(),),
)
