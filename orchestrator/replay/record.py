"""Recording a live session as a scenario file: what was said, and what the car then was, as expectations.

The file is ready to edit and commit; replayed against a fresh stack it passes as recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from orchestrator.models import TurnResult


def _expected(value: Any) -> Any:
    if isinstance(value, float):
        return {"approx": [round(value, 3), 0.05]}
    return value


class Recorder:
    """Collects the steps of one session."""

    def __init__(
        self, name: str, vehicle: Mapping[str, Any] | None = None, tags: list[str] | None = None
    ) -> None:
        self.name = name
        self.vehicle = dict(vehicle or {})
        self.tags = tags or ["recorded"]
        self.steps: list[dict[str, Any]] = []

    def signals(self, values: Mapping[str, Any]) -> None:
        self.steps.append({"signals": dict(values)})

    def say(self, text: str, seat: str, turn: TurnResult, observed: Mapping[str, Any]) -> None:
        """One turn; ``observed`` holds the current values (after moving parts settled) of the paths the
        turn changed."""
        expect: dict[str, Any] = {}
        agents = [r.agent for r in turn.route if r.agent]
        if agents:
            expect["agent"] = agents[0]
        if observed:
            expect["state"] = {path: _expected(value) for path, value in sorted(observed.items())}
        refused = sorted({a.rule_id for a in turn.actions if a.outcome == "refused" and a.rule_id})
        expect["refused"] = refused if refused else False
        expect["pending_confirmation"] = turn.pending_confirmation is not None
        step: dict[str, Any] = {"say": text}
        if seat != "driver":
            step["seat"] = seat
        step["expect"] = expect
        self.steps.append(step)

    def to_yaml(self) -> str:
        document: dict[str, Any] = {"name": self.name, "tags": self.tags}
        if self.vehicle:
            document["vehicle"] = self.vehicle
        document["steps"] = self.steps
        header = "# Recorded from a live session; edit freely, then commit it under scenarios/.\n"
        return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
