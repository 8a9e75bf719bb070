"""Exceptions of the vehicle MCP server.

    VehicleError
    ├── CatalogError            a catalog file cannot be read or is inconsistent (names file and key)
    ├── StateFileError          a --state file cannot be read or names unknown paths / bad values
    ├── UnknownSignal           a path that is not in the catalog
    ├── InvalidValue            a value that does not fit the signal's datatype, range or allowed list
    ├── BackendError            the vehicle backend failed (connection lost, broker error)
    │   └── BackendReadOnly     the backend does not accept direct value injection (a real vehicle)
    ├── ConfirmationError       a confirmation token is unknown, malformed, used or expired
    └── TurnClosed              a write under a turn id the orchestrator has already closed

At the MCP edge every one of these becomes a tool error whose text names the path, the rule and the
reason; the server keeps serving.
"""

from __future__ import annotations


class VehicleError(Exception):
    """Root of the vehicle server's exception tree."""


class CatalogError(VehicleError):
    """A catalog file is unreadable or inconsistent."""


class StateFileError(VehicleError):
    """A vehicle state file is unreadable or does not match the catalog."""


class UnknownSignal(VehicleError):
    """The path is not a signal of the loaded catalog."""

    def __init__(self, path: str, hint: str | None = None) -> None:
        self.path = path
        message = f"unknown signal {path!r}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class InvalidValue(VehicleError):
    """The value does not fit the signal's datatype, range or allowed list."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class BackendError(VehicleError):
    """The vehicle backend failed."""


class BackendReadOnly(BackendError):
    """The backend does not accept direct value injection."""


class ConfirmationError(VehicleError):
    """A confirmation token is unknown, malformed, already used or expired."""

    def __init__(self, message: str, expired: object | None = None) -> None:
        super().__init__(message)
        self.expired = expired


class TurnClosed(VehicleError):
    """The write's turn has ended (the orchestrator read back what it applied): nothing more is done."""
