"""Errors of the navigation agent.

The whole tree, one root::

    NavigationAgentError
    ├── UnderstandingError        a parsed intent the agent cannot use (unknown intent, bad slot)
    ├── ServiceError              an MCP server the agent relies on did not give a usable answer
    │   ├── ServiceUnavailable        it could not be reached, timed out, or broke the protocol
    │   └── ToolFailed                it answered a tool call with an error (`.tool`, `.detail`)
    └── SettingsError             a command-line or factory setting that cannot be used

At the A2A edge (`NavigationExecutor.handle`) an `UnderstandingError` becomes a rejection that
names the problem; a `ServiceError` becomes a failed task with a short spoken sentence, and its
details go to the log and to the `actions` of the task's data part, never into the spoken text.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "NavigationAgentError",
    "ServiceError",
    "ServiceName",
    "ServiceUnavailable",
    "SettingsError",
    "ToolFailed",
    "UnderstandingError",
]

ServiceName = Literal["vehicle", "map"]
"""Which MCP server: the vehicle server (signals, destination) or the navigation map server."""


class NavigationAgentError(Exception):
    """Root of every error the navigation agent raises on purpose."""


class UnderstandingError(NavigationAgentError):
    """A parsed intent names an intent, slot or value the agent does not handle; the message says which."""


class ServiceError(NavigationAgentError):
    """An MCP server did not give a usable answer."""

    def __init__(self, service: ServiceName, message: str) -> None:
        super().__init__(message)
        self.service: ServiceName = service


class ServiceUnavailable(ServiceError):
    """The server could not be reached, did not answer in time, or answered outside the protocol."""


class ToolFailed(ServiceError):
    """The server answered a tool call with an error result; `detail` is the server's text."""

    def __init__(self, service: ServiceName, tool: str, detail: str) -> None:
        super().__init__(service, f"{tool}: {detail}")
        self.tool = tool
        self.detail = detail


class SettingsError(NavigationAgentError, ValueError):
    """A setting given to the agent (command line, factory argument) cannot be used; the message names it."""
