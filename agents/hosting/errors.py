"""Errors raised by the hosting layer.

The whole tree, one root::

    HostingError
    ├── ConfigurationError        an AgentSpec, base URL, token or task-store URL that cannot be used
    ├── RequestError              a message an agent cannot take (mapped to A2A error codes at the edge)
    │   ├── UnsupportedPartError      a part kind the agent does not take        -> -32005
    │   └── InvalidMessageError       bad cabin metadata, intent data or shape   -> -32602
    └── AgentCallError            a call from `AgentClient` to a remote agent failed
        ├── AgentUnreachableError     network error, timeout, card not found
        ├── AgentAuthError            the agent refused the bearer token (HTTP 401/403)
        └── AgentProtocolError        the agent answered with an A2A error; `.code` holds its code
            ├── UnknownTaskError          -32001 TaskNotFound
            └── TaskNotCancelableError    -32002 TaskNotCancelable

`RequestError`s are turned into the SDK's protocol errors by the request handler in `app.py`, so a
client sees the A2A error code and the sentence that names what was wrong, never an HTTP 500.
"""

from __future__ import annotations

__all__ = [
    "AgentAuthError",
    "AgentCallError",
    "AgentProtocolError",
    "AgentUnreachableError",
    "ConfigurationError",
    "HostingError",
    "InvalidMessageError",
    "RequestError",
    "TaskNotCancelableError",
    "UnknownTaskError",
    "UnsupportedPartError",
]


class HostingError(Exception):
    """Root of every error the hosting layer raises on purpose."""


class ConfigurationError(HostingError, ValueError):
    """A value given to the hosting layer at set-up time cannot be used; the message names it."""


class RequestError(HostingError):
    """A message that an agent cannot take; the message names the part or key that was wrong."""


class UnsupportedPartError(RequestError):
    """The message carries a part kind (raw bytes, URL) that the agent does not accept."""


class InvalidMessageError(RequestError):
    """The message is malformed: no content, bad `cabin/*` metadata, or a data part that is no intent."""


class AgentCallError(HostingError):
    """A call to a remote A2A agent did not produce a result."""


class AgentUnreachableError(AgentCallError):
    """The agent could not be reached, timed out, or served no usable Agent Card."""


class AgentAuthError(AgentCallError):
    """The agent refused the call because the bearer token was missing or wrong."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class AgentProtocolError(AgentCallError):
    """The agent answered with an A2A protocol error.

    `code` is the JSON-RPC error code (-32001 TaskNotFound, -32009 VersionNotSupported, ...), or None
    when the answer was not a well-formed A2A response at all.
    """

    def __init__(self, message: str, *, code: int | None) -> None:
        super().__init__(message)
        self.code = code


class UnknownTaskError(AgentProtocolError):
    """The agent knows no task with the given id (-32001)."""


class TaskNotCancelableError(AgentProtocolError):
    """The task is already in a terminal state and cannot be canceled (-32002)."""
