"""Errors raised by the vehicle-control agent.

The whole tree, one root::

    VehicleControlError
    ├── SetupError                 a factory argument, command-line option or sentence file that is unusable
    ├── InvalidActionError         a tool call (pre-parsed intent or model proposal) that does not fit the
    │                              vehicle tools this agent may call; the message names the tool and argument
    └── VehicleUnavailableError    the vehicle MCP server could not be reached or gave no usable answer

At the A2A edge an `InvalidActionError` from a pre-parsed intent becomes a rejected task (the sentence
names what was wrong) and a `VehicleUnavailableError` a failed task or a `failed` action; none of them
ever reaches a client as an HTTP 500.
"""

from __future__ import annotations

__all__ = ["InvalidActionError", "SetupError", "VehicleControlError", "VehicleUnavailableError"]


class VehicleControlError(Exception):
    """Root of every error the vehicle-control agent raises on purpose."""


class SetupError(VehicleControlError, ValueError):
    """A value given at set-up time cannot be used; the message names it (and the file, for grammar files)."""


class InvalidActionError(VehicleControlError):
    """A tool call does not match the tool's input schema or is not one this agent may make."""


class VehicleUnavailableError(VehicleControlError):
    """The vehicle MCP server did not answer, or answered with something that is not a tool result."""
