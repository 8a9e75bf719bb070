"""Scenario replay: utterances and vehicle-state timelines in, expected states and refusals checked."""

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
