"""``cabin run``: start every component as its own process on loopback, watch them, stop them together.

Each component is a :class:`Component` (a command line, a port and a health URL). The supervisor
starts them in order, waits until each answers its health check, prints one table of URLs, restarts a
child that dies (reporting it; a child that keeps dying is restarted with a growing pause), and on
SIGINT/SIGTERM/SIGHUP stops every child: SIGTERM first, SIGKILL for any that does not exit within a
grace period.

Children never outlive the supervisor: on Linux each child asks the kernel for SIGKILL when its
parent dies (``PR_SET_PDEATHSIG``), so even a SIGKILL of ``cabin run`` takes the whole stack down.
Before anything starts, :class:`RunLock` makes sure no other ``cabin run`` uses the same run folder
(its operator token must stay valid), and :func:`check_ports` fails at once for a port that another
process holds, naming that process.

Once ``cabin run`` has built its components it hands them to :func:`supervise` in a fresh
interpreter that loads only this module (:func:`exec_supervisor`: ``exec`` of ``python -I`` with
this file, the plan on a memory file descriptor): the same process, now without the CLI, pydantic,
YAML and the stack's configuration modules, which it needed only to build the plan (about 13 MiB of
anonymous memory, docs/performance.md). This module therefore imports nothing but the standard
library.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

RUN_DIR = Path(".cabin") / "run"


def is_credential(name: str) -> bool:
    """Whether an environment variable carries a cabin credential (``CABIN_*TOKEN*``): a child gets
    only those its component names, none inherited from the shell that started ``cabin run``."""
    return name.startswith("CABIN_") and "TOKEN" in name


#: A child that exits sooner than this after its start counts as a failed start: the next restart
#: waits (``RESTART_PAUSE_S``, doubling up to ``RESTART_PAUSE_MAX_S``) instead of spinning.
STABLE_AFTER_S = 10.0
RESTART_PAUSE_S = 1.0
RESTART_PAUSE_MAX_S = 30.0
_PR_SET_PDEATHSIG = 1


class SupervisorError(Exception):
    """A component could not be started or did not become healthy."""


class PortInUseError(SupervisorError):
    """A component's port is held by another process (named in the message when it can be found)."""


class AlreadyRunningError(SupervisorError):
    """Another ``cabin run`` holds the run folder's lock."""


def port_holder(port: int) -> str | None:
    """``pid N (command line)`` of the process listening on TCP ``port``, or None if not found.

    Reads ``/proc/net/tcp`` and ``/proc/net/tcp6`` for the listening socket's inode, then the file
    descriptors of every process this user may read for that socket (Linux only).
    """
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                    return f"pid {proc.name} ({command.strip()[:160]})"
        except OSError:
            continue
    return "a process this user cannot see"


def check_ports(components: Iterable[Component], host: str = "127.0.0.1") -> None:
    """Raise :class:`PortInUseError` for the first endpoint of a component (a process may serve
    several) whose port cannot be bound on ``host``."""
    for endpoint in (e for component in components for e in component.endpoints):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, endpoint.port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise SupervisorError(f"cannot bind {host}:{endpoint.port} ({exc.strerror})") from exc
                holder = port_holder(endpoint.port) or "another process"
                raise PortInUseError(
                    f"port {endpoint.port} ({endpoint.name}) is already in use by {holder}; stop it or "
                    "choose other ports in the configuration (ports: ...)"
                ) from exc


class RunLock:
    """An exclusive ``flock`` on ``RUN_DIR/cabin.pid`` for as long as one ``cabin run`` lives.

    The kernel drops the lock when the process dies, however it dies, so a stale file never blocks a
    start; a live holder's pid is in the file and in the error.
    """

    def __init__(self, run_dir: Path = RUN_DIR) -> None:
        self.path = run_dir / "cabin.pid"
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AlreadyRunningError(
                f"another cabin run (pid {holder}) holds {self.path.resolve()}; stop it first "
                "(its operator token stays as it is)"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def fileno(self) -> int:
        """The locked file's descriptor (the lock lasts while it is open: across ``exec`` too when
        it is inheritable). Raises :class:`SupervisorError` before :meth:`acquire`."""
        if self._fd is None:
            raise SupervisorError(f"{self.path} is not locked")
        return self._fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel SIGKILL the child when its parent dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def arm() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return arm


@dataclass(frozen=True)
class Endpoint:
    """One server a component's process serves: its name, port, URL path and health path."""

    name: str
    port: int
    url_path: str = ""
    health_path: str = "/healthz"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_path}"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.health_path}"

    def answers(self, timeout_s: float = 1.0) -> bool:
        """Whether the health path answers with a status below 500 (the standard library's client:
        the supervisor loads no HTTP package of its own, docs/performance.md)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        try:
            connection.request("GET", self.health_path)
            return connection.getresponse().status < 500
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()


@dataclass
class Component:
    """One child process, serving ``port``; a process that hosts several servers (the compact
    profile) lists them in ``serves`` instead (``port`` is then the first of them): every one must
    answer its health check before the component counts as started, and each is listed in the table.
    ``stdin``, when given, is written to the child's standard input at each start, which is then
    closed: credentials that must not be in its environment."""

    name: str
    argv: list[str]
    port: int
    health_path: str = "/healthz"
    url_path: str = ""
    env: dict[str, str] = field(default_factory=dict)
    serves: list[Endpoint] = field(default_factory=list)
    stdin: str | None = field(default=None, repr=False)
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0
    pause_s: float = 0.0
    next_start: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.url_path}"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.health_path}"

    @property
    def endpoints(self) -> list[Endpoint]:
        """Every server of this process: ``serves`` when given, else the one on ``port``."""
        return list(self.serves) or [Endpoint(self.name, self.port, self.url_path, self.health_path)]


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


class Supervisor:
    """Starts, watches and stops the components of one stack."""

    def __init__(self, components: Sequence[Component], *, start_timeout_s: float = 60.0) -> None:
        self.components = list(components)
        self.start_timeout_s = start_timeout_s
        self._stopping = False

    def _spawn(self, component: Component) -> None:
        inherited = {k: v for k, v in os.environ.items() if not is_credential(k)}
        component.process = subprocess.Popen(
            component.argv,
            env={**inherited, **component.env},
            stdin=None if component.stdin is None else subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_die_with_parent(os.getpid()),
        )
        component.started_at = time.monotonic()
        if component.stdin is not None and component.process.stdin is not None:
            try:
                component.process.stdin.write(component.stdin.encode())
                component.process.stdin.close()
            except BrokenPipeError:
                pass  # the child is gone already; the health check reports its exit

    def _wait_healthy(self, component: Component) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        waiting = list(component.endpoints)
        while time.monotonic() < deadline:
            if self._stopping:
                raise SupervisorError(f"stopped while {component.name} was starting")
            if component.process is not None and component.process.poll() is not None:
                raise SupervisorError(
                    f"{component.name} exited with code {component.process.returncode} while starting"
                )
            while waiting and waiting[0].answers():
                waiting.pop(0)
            if not waiting:
                return
            time.sleep(0.1)
        raise SupervisorError(
            f"{component.name} did not answer {waiting[0].health_url} within {self.start_timeout_s:g} s"
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
        """One line per server; the servers one process hosts together name it in brackets."""
        rows: list[tuple[str, str]] = []
        for c in self.components:
            if c.serves:
                rows += [(f"{e.name} [{c.name}]", e.url) for e in c.endpoints]
            else:
                rows.append((c.name, c.url))
        width = max(len(name) for name, _ in rows)
        lines = [f"{'component'.ljust(width)}  url", f"{'-' * width}  {'-' * 40}"]
        lines += [f"{name.ljust(width)}  {url}" for name, url in rows]
        return "\n".join(lines)

    def watch(self, poll_s: float = 0.2) -> None:
        """Restart children that die, until :meth:`request_stop` is called (by a signal).

        A child that dies within ``STABLE_AFTER_S`` of its start is restarted after a pause that
        doubles each time (from ``RESTART_PAUSE_S`` up to ``RESTART_PAUSE_MAX_S``); one that ran
        longer is restarted at once. A port another process took is reported with that process.
        """
        while not self._stopping:
            for component in self.components:
                process = component.process
                if process is None or process.poll() is None or self._stopping:
                    continue
                now = time.monotonic()
                if component.next_start == 0.0:
                    quick = now - component.started_at < STABLE_AFTER_S
                    doubled = min(max(component.pause_s * 2, RESTART_PAUSE_S), RESTART_PAUSE_MAX_S)
                    component.pause_s = doubled if quick else 0.0
                    component.next_start = now + component.pause_s
                    later = f" in {component.pause_s:g} s" if component.pause_s else ""
                    print(
                        f"cabin: {component.name} exited with code {process.returncode}; restarting{later}",
                        file=sys.stderr,
                        flush=True,
                    )
                if now < component.next_start:
                    continue
                component.next_start = 0.0
                try:
                    check_ports([component])
                except PortInUseError as exc:
                    print(f"cabin: cannot restart {component.name}: {exc}", file=sys.stderr, flush=True)
                    component.started_at = now  # counts as a failed start: the next try waits longer
                    continue
                component.restarts += 1
                self._spawn(component)
                try:
                    self._wait_healthy(component)
                except SupervisorError as exc:
                    print(f"cabin: {exc}", file=sys.stderr, flush=True)
            time.sleep(poll_s)

    def request_stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        self._stopping = True

    def handle_signals(self) -> None:
        """SIGINT, SIGTERM and SIGHUP (a closed terminal) stop the stack (call from the main thread)."""
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self.request_stop)

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
        self.handle_signals()
        try:
            self.watch()
        finally:
            self.stop()


READY_LINE = "Ctrl-C stops every component."
"""What ``cabin run`` prints once every component is up (``cabin bench --memory`` waits for it)."""

_PLAN_FIELDS = ("name", "argv", "port", "health_path", "url_path", "env", "stdin")


@dataclass
class Plan:
    """What :func:`supervise` runs: the components, in order, and what it prints and writes once
    they are up. Tokens travel in it (the components' environments and standard input, the operator
    token), so it is only ever handed over in memory (:func:`exec_supervisor`)."""

    components: list[Component]
    operator: str | None = None
    """Written to ``RUN_DIR/operator-token`` once every component is up (None: ``--insecure``)."""
    login: list[str] | None = None
    """A command whose output is the cockpit's login line, run once every component is up; it
    reads the operator token on its standard input (None: no cockpit or no tokens)."""
    start_timeout_s: float = 60.0

    def to_json(self) -> str:
        components = [
            {
                **{name: getattr(c, name) for name in _PLAN_FIELDS},
                "serves": [asdict(endpoint) for endpoint in c.serves],
            }
            for c in self.components
        ]
        return json.dumps(
            {
                "components": components,
                "operator": self.operator,
                "login": self.login,
                "start_timeout_s": self.start_timeout_s,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Raises :class:`SupervisorError` when ``text`` is not a plan ``to_json`` wrote."""
        try:
            raw: dict[str, Any] = json.loads(text)
            components = [
                Component(
                    **{name: item[name] for name in _PLAN_FIELDS},
                    serves=[Endpoint(**endpoint) for endpoint in item["serves"]],
                )
                for item in raw["components"]
            ]
            return cls(components, raw["operator"], raw["login"], float(raw["start_timeout_s"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise SupervisorError(f"not a supervisor plan: {exc!r}") from None


def supervise(plan: Plan, login_line: Callable[[], str] | None = None) -> int:
    """Start ``plan``'s components, print their table, write the operator token, print the login line
    (``login_line()``, else the output of ``plan.login``) and ``READY_LINE``, then watch them until
    SIGINT, SIGTERM or SIGHUP and stop them. Returns 1 when a component did not start, else 0."""
    supervisor = Supervisor(plan.components, start_timeout_s=plan.start_timeout_s)
    supervisor.handle_signals()
    try:
        supervisor.start()
    except SupervisorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(supervisor.table(), flush=True)
    if plan.operator is not None:
        path = Tokens(plan.operator, {}).write_operator()
        print(f"operator token: {path} (mode 600)", flush=True)
        if login_line is not None:
            print(login_line(), flush=True)
        elif plan.login is not None:
            print(_run_login(plan.login, plan.operator), flush=True)
    else:
        print("running without tokens (--insecure)", flush=True)
    print(READY_LINE, flush=True)
    supervisor.run_forever()
    return 0


def _run_login(argv: list[str], operator: str) -> str:
    try:
        done = subprocess.run(argv, input=operator, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cockpit login: no one-time link ({exc}); `cabin login` prints one"
    line = done.stdout.strip()
    if done.returncode != 0 or not line:
        reason = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return f"cockpit login: no one-time link ({reason[0]}); `cabin login` prints one"
    return line


def exec_supervisor(plan: Plan, keep: Sequence[int] = ()) -> None:
    """Go on as :func:`supervise` of ``plan`` in a fresh interpreter that loads only this module:
    ``exec`` (same process, same PID) of ``python -I`` with this file, the plan on a memory file
    descriptor, and the descriptors ``keep`` (the run lock) left open. Returns only where that
    cannot be done (no ``memfd_create``: not Linux); the caller then calls :func:`supervise`."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is None:
        return
    data = plan.to_json().encode()
    fd: int = memfd_create("cabin-run-plan")
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    for descriptor in (fd, *keep):
        os.set_inheritable(descriptor, True)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-I", str(Path(__file__).resolve()), "--plan-fd", str(fd)])


def main(argv: Sequence[str] | None = None) -> int:
    """``python -I orchestrator/supervisor.py --plan-fd N``: :func:`supervise` the plan read from
    descriptor N (what :func:`exec_supervisor` starts)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2 or args[0] != "--plan-fd" or not args[1].isdigit():
        print("usage: supervisor.py --plan-fd N (cabin run starts it)", file=sys.stderr)
        return 2
    try:
        with os.fdopen(int(args[1]), "rb") as handle:
            plan = Plan.from_json(handle.read().decode())
    except (OSError, UnicodeDecodeError, SupervisorError) as exc:
        print(f"error: cannot read the supervisor plan: {exc}", file=sys.stderr)
        return 2
    return supervise(plan)


if __name__ == "__main__":
    sys.exit(main())
