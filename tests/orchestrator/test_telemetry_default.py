"""The A2A SDK's OpenTelemetry spans are off in every cabin entry point unless the operator asks for them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = "import {module}\nimport a2a.utils.telemetry as t\nprint(t.otel_enabled)"


def _enabled(module: str, setting: str | None) -> str:
    env = {key: value for key, value in os.environ.items() if key != "OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"}
    if setting is not None:
        env["OTEL_INSTRUMENTATION_A2A_SDK_ENABLED"] = setting
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    "module", ["orchestrator.cli", "orchestrator.server", "agents.vehicle_control.__main__"]
)
def test_spans_are_off_by_default(module: str) -> None:
    assert _enabled(module, None) == "False"


def test_an_explicit_setting_wins() -> None:
    assert _enabled("orchestrator.cli", "true") == "True"
