"""The classifier-routed figure of `cabin bench --url`: distinct sentences, only classifier-routed turns."""

from __future__ import annotations

import pytest

from orchestrator.bench import _model_path, _model_path_texts
from orchestrator.routing.training import data_file, read_examples


def test_the_sentences_are_distinct_in_car_requests_of_every_label() -> None:
    texts = _model_path_texts()
    assert len(texts) == len(set(texts)) >= 40
    assert not {"I can barely hear the radio", "can you make the cabin cozier"} & set(texts)
    labels = {example.text: example.label for example in read_examples(data_file("probe.jsonl"))}
    in_car = {label for label in labels.values() if label != "none"}
    assert {labels[text] for text in texts} == in_car


async def test_only_classifier_routed_turns_count() -> None:
    said: list[str] = []

    async def turn(text: str) -> tuple[float, bool]:
        said.append(text)
        return float(len(said)), len(said) % 2 == 0

    figure = await _model_path(turn, gap_s=0.0)
    texts = _model_path_texts()
    assert said[2:] == texts  # two warm-up turns, then every sentence once
    assert figure["n"] == len(texts) // 2  # the turns said second, fourth, ... "were routed by it"
    assert f"of {len(texts)} were routed by it" in figure["what"]


async def test_too_few_classifier_routed_turns_is_an_error() -> None:
    async def turn(text: str) -> tuple[float, bool]:
        return 1.0, False

    with pytest.raises(RuntimeError, match="were routed by the classifier"):
        await _model_path(turn, gap_s=0.0)
