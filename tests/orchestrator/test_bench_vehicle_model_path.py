"""The vehicle-control model-path figure of `cabin bench --url`: held-out requests the agent's templates
miss, each said once on a stack warmed by other (generated) requests the templates miss; only turns
that reached vehicle-control count, acted on or not."""

from __future__ import annotations

import asyncio

import pytest

from agents.vehicle_control.parser import shared_parser
from models.tuning.data import HELDOUT, load_examples
from orchestrator import bench
from orchestrator.bench import _vehicle_model_path, _vehicle_model_texts, _vehicle_warmup_texts


def _same(text: str) -> str:
    return " ".join(text.casefold().split())


def test_the_requests_are_distinct_and_the_templates_miss_each() -> None:
    chosen = _vehicle_model_texts()
    assert len(chosen) == len(set(chosen)) >= 20
    parser = shared_parser()
    assert all(parser.parse(text, seat=seat).unmatched for text, seat in chosen)  # type: ignore[arg-type]


def test_the_warm_up_requests_are_generated_missed_by_the_templates_and_never_held_out() -> None:
    measured = _vehicle_model_texts()
    warmup = _vehicle_warmup_texts(measured)
    assert len(warmup) == bench._WARMUP_LINES
    assert len({_same(text) for text, _ in warmup}) == len(warmup)
    heldout = {_same(example.text) for example in load_examples(HELDOUT)}
    assert not {_same(text) for text, _ in warmup} & (heldout | {_same(text) for text, _ in measured})
    parser = shared_parser()
    assert all(parser.parse(text, seat=seat).unmatched for text, seat in warmup)  # type: ignore[arg-type]
    assert _vehicle_warmup_texts(measured) == warmup  # the same for every run: a fixed seed


def test_a_measured_request_is_never_a_warm_up_one() -> None:
    first = _vehicle_warmup_texts([])
    # were the generator to give a measured request, the warm-up would skip it and take the next
    later = _vehicle_warmup_texts(first[:3])
    assert not {_same(text) for text, _ in later} & {_same(text) for text, _ in first[:3]}
    assert later[: bench._WARMUP_LINES - 3] == first[3:]


def test_too_few_generated_requests_for_the_warm_up_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "_WARMUP_EXAMPLES", 20)
    with pytest.raises(RuntimeError, match="for the warm-up"):
        _vehicle_warmup_texts([])


async def test_the_stack_is_warmed_then_every_turn_that_reached_vehicle_control_counts() -> None:
    said: list[str] = []

    async def turn(text: str, seat: str) -> tuple[float, bool, bool]:
        said.append(text)
        n = len(said)
        return float(n), n % 2 == 0, n % 4 == 0

    figure = await _vehicle_model_path(turn, gap_s=0.0)
    chosen = _vehicle_model_texts()
    warmup = await asyncio.to_thread(_vehicle_warmup_texts, chosen)
    assert said == [text for text, _ in warmup] + [text for text, _ in chosen]  # each once, warm-up first
    assert figure["warmup"]["turns"] == len(warmup)
    assert figure["warmup"]["reached"] == len(warmup) // 2
    timed = range(len(warmup) + 1, len(said) + 1)
    reached = sum(1 for n in timed if n % 2 == 0)
    assert figure["n"] == reached
    assert figure["min_ms"] == min(float(n) for n in timed if n % 2 == 0)
    assert f"{reached} of {len(chosen)} reached it" in figure["what"]


async def test_too_few_turns_reaching_vehicle_control_is_an_error() -> None:
    async def turn(text: str, seat: str) -> tuple[float, bool, bool]:
        return 1.0, False, False

    with pytest.raises(RuntimeError, match="reached vehicle-control"):
        await _vehicle_model_path(turn, gap_s=0.0)
