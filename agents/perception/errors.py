"""Errors of the perception-summary agent.

The whole tree, one root::

    PerceptionAgentError
    ├── SettingsError          a configuration value the agent cannot use (bad URL, bad threshold)
    └── FeedError              a read from an MCP server produced no facts
        ├── FeedUnreachableError   the server could not be reached, timed out or broke the protocol
        └── FeedToolError          the tool answered with an error; `.reason` says which kind

Feed errors never reach the A2A caller as exceptions: the fact reader turns each of them into a
`Gap` (a named hole in the facts), and the agent says what it could not see (docs/safety.md GR-19).
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "FeedError",
    "FeedToolError",
    "FeedUnreachableError",
    "GapReason",
    "PerceptionAgentError",
    "SettingsError",
]

GapReason = Literal["no_frame", "no_image", "unreachable", "error"]
"""Why a fact is missing: no perception frame yet, no camera image in the frame, the server could not be
reached (or timed out), or the server answered with another error."""


class PerceptionAgentError(Exception):
    """Root of every error the perception-summary agent raises on purpose."""


class SettingsError(PerceptionAgentError, ValueError):
    """A configuration value cannot be used; the message names it."""


class FeedError(PerceptionAgentError):
    """Reading facts from an MCP server failed."""

    reason: GapReason = "error"


class FeedUnreachableError(FeedError):
    """The MCP server could not be reached, did not answer in time, or answered outside the protocol."""

    reason: GapReason = "unreachable"


class FeedToolError(FeedError):
    """The MCP tool answered with an error (`isError: true`); `reason` classifies it."""

    def __init__(self, message: str, *, reason: GapReason) -> None:
        super().__init__(message)
        self.reason = reason
