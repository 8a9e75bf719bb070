"""The vehicle backend interface: where the car's signals are actually read and written."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence

from ..catalog import Catalog, Value
from ..errors import BackendReadOnly


class VehicleBackend(ABC):
    """A source of truth for VSS signal values: the embedded simulator, a KUKSA databroker, ...

    Contract:

    - Paths are full VSS paths that exist in :attr:`catalog`; callers check them first. Values passed
      in are already coerced to the signal's datatype (``Signal.coerce``).
    - ``get_current`` returns the *current* value of each path (what the car reports now) and
      ``get_target`` the last requested *target* of actuators; a value the backend does not know is
      ``None``, never a guess.
    - ``set_targets`` writes actuator targets as one unit: either every value is accepted or the call
      raises :class:`~mcp_servers.vehicle.errors.BackendError` and none is. Safety checks are not the
      backend's job: the guardrails decide before this is called. The current value may follow the
      target later (a window moves), or never (a blocked actuator).
    - ``subscribe`` yields a mapping ``{path: current value}`` each time one of ``paths`` changes; the
      first item is the values at the time of subscribing. The iterator ends when the backend closes
      or the consumer stops iterating; it must not buffer without bound (a slow consumer may miss
      intermediate values, never the latest one).
    - ``inject`` sets *current* values of any signal, sensors included (scenario timelines, demos).
      Backends that are connected to a real vehicle raise :class:`BackendReadOnly`.
    - Methods may be called concurrently from many tasks; ``aclose`` ends subscriptions and frees
      connections and is idempotent.
    """

    catalog: Catalog

    @abstractmethod
    async def get_current(self, paths: Sequence[str]) -> dict[str, Value | None]:
        """Current values of ``paths``."""

    @abstractmethod
    async def get_target(self, paths: Sequence[str]) -> dict[str, Value | None]:
        """Last requested targets of ``paths`` (``None`` where none was requested)."""

    @abstractmethod
    async def set_targets(self, values: Mapping[str, Value]) -> None:
        """Request new actuator targets, all or nothing."""

    @abstractmethod
    def subscribe(self, paths: Sequence[str]) -> AsyncIterator[dict[str, Value | None]]:
        """Yield changes of the current values of ``paths``."""

    async def inject(self, values: Mapping[str, Value]) -> None:
        """Set current values directly (simulators and test rigs only)."""
        raise BackendReadOnly(f"{type(self).__name__} is connected to a vehicle: values cannot be injected")

    @property
    def is_simulated(self) -> bool:
        """True when values may be injected and the clock is not the real world's."""
        return False

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing to close
        """Release connections and end subscriptions."""
