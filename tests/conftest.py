"""Project-wide test configuration."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def free_port() -> int:
    """A free loopback port (real-process tests never use fixed ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} (the shared design folder) is not present beside the project")
    return SHARED


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every ``async def`` test with anyio. The MCP and A2A SDKs are anyio-based: an async fixture's
    setup and teardown must run in the same task, which anyio's runner guarantees."""
    import inspect

    if inspect.iscoroutinefunction(obj) and name.startswith("test"):
        pytest.mark.anyio(obj)


def pytest_configure(config: pytest.Config) -> None:
    """Scenario tags become markers (``pytest -m safety``)."""
    import yaml

    config.addinivalue_line("markers", "scenario: a scenario file replayed against the in-process stack")
    tags: set[str] = set()
    for path in (ROOT / "scenarios").rglob("*.yaml"):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("tags"), list):
            tags.update(str(t).replace("-", "_") for t in data["tags"])
    for tag in sorted(tags):
        config.addinivalue_line("markers", f"{tag}: scenarios tagged {tag}")
