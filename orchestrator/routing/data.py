"""Where the packaged routing data lives (light: the command line reads it to show its defaults)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_file(name: str) -> Path:
    """A file of the packaged routing data (``train.jsonl``, ``probe.jsonl``, ``router.npz``)."""
    return Path(str(resources.files("orchestrator.routing") / "data" / name))
