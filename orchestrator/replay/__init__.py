"""Scenario replay: utterances and vehicle-state timelines in, expected states and refusals checked."""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import (
        ReplayStack,
        ScenarioResult,
        StepResult,
        check,
        describe_failure,
        report_json,
        report_junit,
        run_scenario,
    )
    from .scenario import Scenario, ScenarioError, discover, load_scenario

# Loaded on first use (PEP 562), so importing one light submodule does not import them all.
_EXPORTS: dict[str, str] = {
    "ReplayStack": ".runner",
    "ScenarioResult": ".runner",
    "StepResult": ".runner",
    "check": ".runner",
    "describe_failure": ".runner",
    "report_json": ".runner",
    "report_junit": ".runner",
    "run_scenario": ".runner",
    "Scenario": ".scenario",
    "ScenarioError": ".scenario",
    "discover": ".scenario",
    "load_scenario": ".scenario",
}

__all__ = [
    "ReplayStack",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "StepResult",
    "check",
    "describe_failure",
    "discover",
    "load_scenario",
    "report_json",
    "report_junit",
    "run_scenario",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
