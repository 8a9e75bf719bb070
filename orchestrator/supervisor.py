"""``cabin run``: start every component as its own process on loopback, watch them, stop them together.

Each component is a :class:`Component` (a command line, a port and a health URL). The supervisor
starts them in order, waits until each answers its health check, prints one table of URLs, restarts a
child that dies (reporting it), and on SIGINT/SIGTERM stops every child: SIGTERM first, SIGKILL for
any that does not exit within a grace period.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

RUN_DIR = Path(".cabin") / "run"


class SupervisorError(Exception):
    """A component could not be started or did not become healthy."""


@dataclass
class Component:
    name: str
    argv: list[str]
    port: int
    health_path: str = "/healthz"
    url_path: str = ""
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_path}"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.health_path}"


@dataclass
class Tokens:
    """Fresh bearer tokens for one run: one per client plus an operator token valid everywhere."""

    operator: str
    clients: dict[str, str]

    @classmethod
    def fresh(cls, clients: Sequence[str]) -> Tokens:
        return cls(
            operator=secrets.token_urlsafe(24), clients={c: secrets.token_urlsafe(24) for c in clients}
        )

    def write_operator(self, run_dir: Path = RUN_DIR) -> Path:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / "operator-token"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.operator + "\n")
        os.chmod(path, 0o600)
        return path

    def mcp_token_file(self, run_dir: Path = RUN_DIR) -> Path:
        """The vehicle server's ``{token: client profile}`` map for this run (mode 600)."""
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / "vehicle-tokens.json"
        mapping = {self.operator: "operator", **{token: name for name, token in self.clients.items()}}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(mapping, handle)
        return path


class Supervisor:
    """Starts, watches and stops the components of one stack."""

    def __init__(self, components: Sequence[Component], *, start_timeout_s: float = 60.0) -> None:
        self.components = list(components)
        self.start_timeout_s = start_timeout_s
        self._stopping = False

    def _spawn(self, component: Component) -> None:
        env = {**os.environ, **component.env}
        component.process = subprocess.Popen(component.argv, env=env, start_new_session=True)

    def _wait_healthy(self, component: Component) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if component.process is not None and component.process.poll() is not None:
                raise SupervisorError(
                    f"{component.name} exited with code {component.process.returncode} while starting"
                )
            try:
                if httpx.get(component.health_url, timeout=1.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SupervisorError(
            f"{component.name} did not answer {component.health_url} within {self.start_timeout_s:g} s"
        )

    def start(self) -> None:
        for component in self.components:
            self._spawn(component)
            try:
                self._wait_healthy(component)
            except SupervisorError:
                self.stop()
                raise

    def table(self) -> str:
        width = max(len(c.name) for c in self.components)
        lines = [f"{'component'.ljust(width)}  url", f"{'-' * width}  {'-' * 40}"]
        lines += [f"{c.name.ljust(width)}  {c.url}" for c in self.components]
        return "\n".join(lines)

    def watch(self, poll_s: float = 0.5) -> None:
        """Restart children that die, until :meth:`request_stop` is called (by a signal)."""
        while not self._stopping:
            for component in self.components:
                process = component.process
                if process is not None and process.poll() is not None and not self._stopping:
                    print(
                        f"cabin: {component.name} exited with code {process.returncode}; restarting",
                        file=sys.stderr,
                        flush=True,
                    )
                    component.restarts += 1
                    self._spawn(component)
                    try:
                        self._wait_healthy(component)
                    except SupervisorError as exc:
                        print(f"cabin: {exc}", file=sys.stderr, flush=True)
            time.sleep(poll_s)

    def request_stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self._stopping = True

    def stop(self, grace_s: float = 5.0) -> None:
        self._stopping = True
        running = [c.process for c in reversed(self.components) if c.process and c.process.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + grace_s
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def run_forever(self) -> None:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)
        try:
            self.watch()
        finally:
            self.stop()
