"""The vehicle-control model-path figure of `cabin bench --url`: held-out requests the agent's templates
miss, each said once; only turns that reached vehicle-control count, acted on or not."""

from __future__ import annotations

import pytest

from agents.vehicle_control.parser import shared_parser
from orchestrator.bench import _vehicle_model_path, _vehicle_model_texts


def test_the_requests_are_distinct_and_the_templates_miss_each() -> None:
    chosen = _vehicle_model_texts()
    assert len(chosen) == len(set(chosen)) >= 20
    parser = shared_parser()
    assert all(parser.parse(text, seat=seat).unmatched for text, seat in chosen)  # type: ignore[arg-type]


async def test_every_turn_that_reached_vehicle_control_counts_acted_on_or_not() -> None:
    said: list[str] = []

    async def turn(text: str, seat: str) -> tuple[float, bool, bool]:
        said.append(text)
        n = len(said)
        return float(n), n % 2 == 0, n % 4 == 0

    figure = await _vehicle_model_path(turn, gap_s=0.0)
    chosen = _vehicle_model_texts()
    assert said[2:] == [text for text, _ in chosen]  # two warm-up turns, then every request once
    reached = sum(1 for n in range(3, len(said) + 1) if n % 2 == 0)
    assert figure["n"] == reached
    assert f"{reached} of {len(chosen)} reached it" in figure["what"]


async def test_too_few_turns_reaching_vehicle_control_is_an_error() -> None:
    async def turn(text: str, seat: str) -> tuple[float, bool, bool]:
        return 1.0, False, False

    with pytest.raises(RuntimeError, match="reached vehicle-control"):
        await _vehicle_model_path(turn, gap_s=0.0)
