"""What a tool plugin imports: the one interface for adding vehicle task tools (docs/extending.md).

A plugin is a :class:`ToolPlugin` named by the entry point ``cabin.tools`` of its package. Its tools
are :class:`ToolDeclaration` objects whose ``build`` turns validated arguments into a
:class:`WriteSpec`; its rules are :class:`Rule` subclasses judging a :class:`Proposal`. Nothing here
writes to the car: the vehicle server sends every request through its guardrails and audit.
"""

from __future__ import annotations

from .declarations import DeclarationError, ToolDeclaration
from .guardrails.context import CallContext, DrivingState, Seat
from .guardrails.rules import Proposal, Rule, Verdict, zone_of
from .plugins import PluginError, ToolPlugin
from .task_tools import Args, ZoneArg
from .tools import ToolArgumentError, WriteSpec, Zone, seats_of

__all__ = [
    "Args",
    "CallContext",
    "DeclarationError",
    "DrivingState",
    "PluginError",
    "Proposal",
    "Rule",
    "Seat",
    "ToolArgumentError",
    "ToolDeclaration",
    "ToolPlugin",
    "Verdict",
    "WriteSpec",
    "Zone",
    "ZoneArg",
    "seat_branch",
    "seats_of",
    "zone_of",
]

_BRANCH: dict[str, str] = {
    "driver": "Row1.DriverSide",
    "passenger": "Row1.PassengerSide",
    "rear_left": "Row2.DriverSide",
    "rear_right": "Row2.PassengerSide",
}


def seat_branch(seat: Seat) -> str:
    """The VSS branch of a seat under ``Vehicle.Cabin.Seat`` and ``Vehicle.Cabin.Door``
    (``driver`` → ``Row1.DriverSide``)."""
    return _BRANCH[seat]
