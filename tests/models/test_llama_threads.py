"""A context's thread count (generation, embeddings): all cores, or one while that is measured faster; the output
does not depend on it."""

from __future__ import annotations

import pytest

from models import ModelRuntime
from models.llama import LlamaCppBackend, _Threads


def test_the_faster_count_is_used_and_the_other_is_tried_now_and_then() -> None:
    choice = _Threads(2, adaptive=True)
    assert choice.options == (2, 1)
    first = choice.next_measured()
    choice.record(first, 90.0)
    second = choice.next_measured()
    choice.record(second, 30.0)
    assert (first, second) == (2, 1)  # each measured once
    picks = [choice.next_measured() for _ in range(3 * _Threads.EXPLORE_EVERY)]
    assert picks.count(2) == 3 and set(picks) == {1, 2}
    assert choice.best() == 1
    for _ in range(4):  # the machine went quiet: two threads measure faster again
        choice.record(2, 10.0)
    assert choice.best() == 2


def test_a_configured_or_single_core_count_is_kept() -> None:
    for choice in (_Threads(2, adaptive=False), _Threads(1, adaptive=True)):
        picks = {choice.next_measured() for _ in range(40)}
        choice.record(choice.options[0], 5.0)
        assert picks == {choice.options[0]} and choice.best() == choice.options[0]


@pytest.mark.model
async def test_the_output_does_not_depend_on_the_thread_count(real_runtime: ModelRuntime) -> None:
    backend = real_runtime.backend
    assert isinstance(backend, LlamaCppBackend)
    prompt = 'Request: the blower is way too strong\nCall: {"tool": "set_fan", "arguments": {"delta":'
    kept = backend._thread_choice, backend._embed_threads
    seen = []
    try:
        for threads in (2, 1):
            backend._thread_choice = _Threads(threads, adaptive=False)
            backend._embed_threads = _Threads(threads, adaptive=False)
            await real_runtime.generate("An unrelated request.", max_tokens=2)
            scores = await real_runtime.score(prompt, [" 20", " -20", " -10"])
            text = await real_runtime.generate(prompt, max_tokens=6)
            real_runtime.clear_embedding_cache()
            vectors = await real_runtime.embed(["the blower is way too strong", "take me home"])
            seen.append(([option.logprob for option in scores.options], text.text, vectors.tolist()))
    finally:
        backend._thread_choice, backend._embed_threads = kept
    assert seen[0] == seen[1]
