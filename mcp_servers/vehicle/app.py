"""Assembling a vehicle server from configuration: catalog, initial state, backend, guardrails, audit,
and the kept state of a simulated car (``--persist``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mcp.server import MCPServer
from pydantic import BaseModel, ConfigDict

from mcp_servers.http import serve_http

from .backends.base import VehicleBackend
from .backends.simulator import SimulatorBackend
from .catalog import Catalog
from .errors import StateFileError
from .guardrails import DEFAULT_PROFILES, AuditLog, ClientProfile, Guardrails, default_rules
from .plugins import registry_for
from .server import build_server
from .service import VehicleService
from .state_file import Restored, SavedState, StateKeeper, load_state_file

#: Over HTTP without tokens (``--insecure``) every caller may write everything, but nobody is
#: presumed to be a person in the car: calls must say so in their metadata (GR-18).
logger = logging.getLogger(__name__)

INSECURE_LOCAL = ClientProfile("local", ("Vehicle.*",))


class VehicleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    catalog: Path | None = None
    state: Path | None = None
    backend: Literal["simulator", "kuksa"] | None = None
    audit: Path | None = None
    persist: Path | None = None
    anti_pinch: bool = False
    confirmation_ttl_s: float = 30.0


@dataclass
class VehicleApp:
    """A ready-to-serve vehicle service and its backend."""

    service: VehicleService
    backend: VehicleBackend
    keeper: StateKeeper | None = None
    saved: SavedState | None = None
    restored: Restored = field(default_factory=Restored)

    @classmethod
    def create(cls, config: VehicleConfig | None = None) -> VehicleApp:
        """Build the service; a kept state (``persist``) wins over ``state``: it is the later one."""
        config = config or VehicleConfig()
        catalog = Catalog.load(config.catalog)
        registry_for(catalog)  # an installed plugin that cannot be served stops the start (PluginError)
        initial = load_state_file(config.state, catalog) if config.state is not None else {}
        audit = AuditLog(config.audit) if config.audit is not None else AuditLog(None)
        keeper = StateKeeper(config.persist, catalog, journal=audit) if config.persist is not None else None
        saved = keeper.load() if keeper is not None else None
        backend = _backend(config, catalog, saved.current if saved is not None else initial)
        if keeper is not None and not backend.is_simulated:
            logger.warning("%s: not used: a real car keeps its own state", config.persist)
            keeper = None
        if keeper is not None:
            keeper.backend = backend
        guardrails = Guardrails(
            catalog, default_rules(anti_pinch=config.anti_pinch), confirmation_ttl_s=config.confirmation_ttl_s
        )
        service = VehicleService(backend, guardrails, audit)
        if keeper is not None:
            service.after_change.append(keeper.after_change)
        restored = keeper.restored if keeper is not None else Restored()
        return cls(service, backend, keeper, saved, restored)

    def _clock_jobs(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        jobs: list[Callable[[], Coroutine[Any, Any, None]]] = []
        if isinstance(self.backend, SimulatorBackend):
            jobs.append(self.backend.run_realtime)
        if self.keeper is not None:
            jobs.append(self._keep_state)
        return jobs

    async def _keep_state(self) -> None:
        assert self.keeper is not None
        if self.saved is not None:
            await self.keeper.restore_targets(self.saved)
        # A checkpoint of the state as restored, naming the journal's last record, before anything else.
        await self.keeper.save(force=True)
        await self.keeper.run()

    def mcp(
        self, client: ClientProfile | str = "operator", tokens: Mapping[str, str] | None = None
    ) -> MCPServer[Any]:
        profiles = {token: DEFAULT_PROFILES[name] for token, name in (tokens or {}).items()}
        return build_server(
            self.service,
            client=client,
            tokens=profiles,
            background=self._clock_jobs(),
            status=self.restored,
        )

    async def run_stdio(self, client: str = "operator") -> None:
        await self.mcp(client=client).run_stdio_async()

    def run_http(self, host: str, port: int, tokens: Mapping[str, str]) -> None:
        unknown = sorted({name for name in tokens.values() if name not in DEFAULT_PROFILES})
        if unknown:
            raise StateFileError(f"unknown client profile(s) in tokens: {', '.join(unknown)}")
        server = self.mcp(client=INSECURE_LOCAL, tokens=tokens) if tokens else self.mcp(client=INSECURE_LOCAL)
        serve_http(server, host, port, tokens=list(tokens))


def _backend(config: VehicleConfig, catalog: Catalog, initial: Mapping[str, Any]) -> VehicleBackend:
    kind = config.backend or ("kuksa" if os.environ.get("CABIN_KUKSA_ADDRESS") else "simulator")
    if kind == "simulator":
        return SimulatorBackend(catalog, initial)
    from .backends.kuksa import KuksaBackend

    if initial:
        raise StateFileError(
            f"{config.state}: a state file sets simulator values; the KUKSA backend is a real car"
        )

    return KuksaBackend.from_address(os.environ.get("CABIN_KUKSA_ADDRESS", "127.0.0.1:55555"), catalog)
