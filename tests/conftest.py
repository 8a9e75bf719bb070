"""Project-wide test configuration."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from orchestrator.local import LocalStack

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


@pytest.fixture
async def stack() -> AsyncIterator[LocalStack]:
    """The in-process stack with the real agents; its router reads with the agents' grammars alone (no
    model). A module with a ``stack`` fixture of its own (a real-process stack) uses that one."""
    from orchestrator.local import open_local_stack
    from orchestrator.routing import Router
    from orchestrator.routing.templates import TemplateSet, TemplateStage

    router = Router([TemplateStage(TemplateSet.load(warm=False))])
    opened = await open_local_stack(router=router, runtime=None)
    try:
        yield opened
    finally:
        await opened.aclose()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> Iterator[None]:
    """Async tests run on pytest-asyncio (``asyncio_mode = "auto"``), except in a module that names anyio
    (``pytestmark = pytest.mark.anyio``): there the test goes back to a plain item, so that anyio's runner
    runs it and its async fixtures, a fixture's setup and teardown in one task (docs/testing.md)."""
    outcome = yield
    result = outcome.get_result()
    if not result or collector.get_closest_marker("anyio") is None:
        return
    items = result if isinstance(result, list) else [result]
    plain: list[Any] = []
    for item in items:
        if isinstance(item, pytest.Function) and type(item) is not pytest.Function:
            function = pytest.Function.from_parent(
                item.parent,
                name=item.name,
                callspec=getattr(item, "callspec", None),
                callobj=item.obj,
                fixtureinfo=item._fixtureinfo,
                keywords=item.keywords,
                originalname=item.originalname,
            )
            function.own_markers = [m for m in item.own_markers if m.name != "asyncio"]
            item = function
        plain.append(item)
    outcome.force_result(plain if isinstance(result, list) else plain[0])


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
