"""The llama.cpp backend with the real default model (Gemma 3 270M Q4_K_M).

These tests load the model once per session (``real_runtime``) and keep generations short.
"""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest

from models import (
    CapabilityNotSupported,
    ContextOverflow,
    DeadlineExceeded,
    GrammarError,
    ImageInput,
    ModelRuntime,
    OutputTruncated,
    Priority,
    choice_grammar,
    llama,
)
from models.llama import LlamaCppBackend, open_llama

pytestmark = pytest.mark.model

LABELS = ["navigation", "vehicle", "perception", "media", "none"]
PREFIX = (
    "Route each request to one label: navigation, vehicle, perception, media or none.\n\n"
    "Request: take me home\nLabel: navigation\n\n"
    "Request: open the window\nLabel: vehicle\n\n"
    "Request: what does that sign say\nLabel: perception\n\n"
    "Request: play some jazz\nLabel: media\n\n"
    "Request: tell me a joke\nLabel: none\n\n"
)


def _backend(runtime: ModelRuntime) -> LlamaCppBackend:
    backend = runtime.backend
    assert isinstance(backend, LlamaCppBackend)
    return backend


async def test_greedy_generation_is_deterministic_and_streams(real_runtime: ModelRuntime) -> None:
    first = await real_runtime.generate("The capital of France is", max_tokens=8)
    second = await real_runtime.generate("The capital of France is", max_tokens=8)
    assert first.text == second.text and first.text.strip()
    assert first.finish_reason == "length" and first.completion_tokens == 8
    stream = real_runtime.stream("The capital of France is", max_tokens=8)
    pieces = [p async for p in stream]
    assert "".join(pieces) == first.text
    assert real_runtime.info.backend == "llama.cpp" and real_runtime.info.n_embd == 640


async def test_stop_sequence_ends_the_output(real_runtime: ModelRuntime) -> None:
    free = await real_runtime.generate("Count: one, two, three,", max_tokens=12)
    assert "," in free.text
    stopped = await real_runtime.generate("Count: one, two, three,", max_tokens=12, stop=[","])
    assert stopped.finish_reason == "stop"
    assert stopped.text == free.text[: free.text.index(",")]


async def test_choice_grammar_with_a_reused_prefix(real_runtime: ModelRuntime) -> None:
    prefix = await real_runtime.prefix(PREFIX)
    grammar = choice_grammar(LABELS)
    results = [
        await real_runtime.generate(
            f"Request: {u}\nLabel: ", prefix=prefix, grammar=grammar, priority=Priority.DRIVER
        )
        for u in ("navigate to the airport", "close the sunroof", "skip this song")
    ]
    for result in results:
        assert result.text in LABELS
        assert result.finish_reason == "eos"
        # The prefix at least; after the first request, also the "Request:" the last one began with.
        assert prefix.tokens <= result.cached_tokens < result.prompt_tokens


async def test_trie_decoding_agrees_with_the_general_grammar_sampler(real_runtime: ModelRuntime) -> None:
    literal = choice_grammar(LABELS)
    general = "root ::= label\nlabel ::= " + " | ".join(f'"{x}"' for x in LABELS)
    for utterance in ("find a charging station", "lock the doors"):
        prompt = f"Request: {utterance}\nLabel: "
        fast = await real_runtime.generate(prompt, prefix=PREFIX, grammar=literal)
        slow = await real_runtime.generate(prompt, prefix=PREFIX, grammar=general)
        assert fast.text == slow.text


async def test_shared_label_tokens_fed_in_one_batch_choose_as_one_at_a_time(
    real_runtime: ModelRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Runs every remaining label shares ("set_seat_", '"') are fed to the model in one batch; the
    # choice and the token count must be those of feeding them one decode at a time.
    labels = ['set_seat_heating"', 'set_seat_ventilation"', 'set_window"', 'lock_doors"', 'none"']
    grammar = choice_grammar(labels)
    prompts = [
        f'Request: {utterance}\nCall: {{"tool": "'
        for utterance in ("warm my seat up", "cool the seat down", "lock up the car", "open my window")
    ]
    batched = [await real_runtime.generate(p, grammar=grammar, max_tokens=16) for p in prompts]
    monkeypatch.setattr(llama._Choices, "forced", lambda self, limit: [])
    one_by_one = [await real_runtime.generate(p, grammar=grammar, max_tokens=16) for p in prompts]
    assert all(result.text in labels for result in batched)
    assert [(r.text, r.completion_tokens) for r in batched] == [
        (r.text, r.completion_tokens) for r in one_by_one
    ]


async def test_json_schema_output_keeps_integer_bounds(real_runtime: ModelRuntime) -> None:
    schema = {
        "type": "object",
        "properties": {"percent": {"type": "integer", "minimum": 0, "maximum": 100}},
        "required": ["percent"],
        "additionalProperties": False,
    }
    result = await real_runtime.generate(
        "Set the volume to 123456789 percent.\nJSON:", json_schema=schema, max_tokens=24
    )
    assert isinstance(result.data, dict) and 0 <= result.data["percent"] <= 100


async def test_general_grammar_shapes_the_output(real_runtime: ModelRuntime) -> None:
    grammar = 'root ::= "The answer is " [0-9] [0-9]? "."'
    result = await real_runtime.generate("Q: What is two plus two?\nA:", grammar=grammar, max_tokens=10)
    assert re.fullmatch(r"The answer is [0-9]{1,2}\.", result.text)
    assert result.finish_reason == "eos"


async def test_bad_grammar_is_typed_and_the_runtime_keeps_serving(real_runtime: ModelRuntime) -> None:
    with pytest.raises(GrammarError, match="does not compile"):
        await real_runtime.generate("x", grammar="root ::= (unclosed")
    with pytest.raises(GrammarError):
        await real_runtime.generate("x", grammar='root ::= undefined_rule "a"')
    assert (await real_runtime.generate("Hello", max_tokens=2)).completion_tokens == 2


async def test_json_schema_output_always_parses(real_runtime: ModelRuntime) -> None:
    schema = {
        "type": "object",
        "properties": {
            "zone": {"type": "string", "enum": ["driver", "passenger"]},
            "celsius": {"type": "integer"},
        },
        "required": ["zone", "celsius"],
    }
    result = await real_runtime.generate(
        "Set the driver's side to 22 degrees as JSON: ", json_schema=schema, max_tokens=40
    )
    assert result.finish_reason == "eos"
    assert result.data["zone"] in {"driver", "passenger"}
    assert isinstance(result.data["celsius"], int)
    with pytest.raises(OutputTruncated, match="max_tokens"):
        await real_runtime.generate("JSON: ", json_schema=schema, max_tokens=3)


async def test_score_ranks_continuations(real_runtime: ModelRuntime) -> None:
    result = await real_runtime.score("The capital of France is", [" Paris", " a potato", " Berlin and Rome"])
    assert result.best == " Paris"
    assert abs(sum(o.probability for o in result.options) - 1.0) < 1e-9
    multi = next(o for o in result.options if o.text == " Berlin and Rome")
    assert multi.tokens > 1 and multi.logprob < 0
    labelled = await real_runtime.score(
        "Request: play some music\nLabel:", [f" {x}" for x in LABELS], prefix=PREFIX
    )
    assert labelled.cached_tokens > 0 and labelled.best.strip() in LABELS


async def test_embeddings_equal_llama_cpp_mean_pooling(real_runtime: ModelRuntime) -> None:
    from llama_cpp import LLAMA_POOLING_TYPE_MEAN

    texts = [
        "please turn the heating up a bit on the driver side",
        "navigate to the nearest charging station",
        "what was that sign",
        " ".join(["a much longer text that spans more than one embedding batch"] * 9),
    ]
    real_runtime.clear_embedding_cache()
    singles = np.stack([(await real_runtime.embed([t]))[0] for t in texts])
    reference = open_llama(
        real_runtime.info.path,
        embedding=True,
        pooling_type=LLAMA_POOLING_TYPE_MEAN,
        n_ctx=512,
        n_batch=512,
        n_threads=real_runtime.info.threads,
        verbose=False,
    )
    try:
        for text, row in zip(texts, singles, strict=True):
            expected = np.asarray(reference.embed(text), dtype=np.float32)
            # Same graph up to the final norm, same pooling: equal up to float rounding.
            np.testing.assert_allclose(row, expected, rtol=1e-3, atol=2e-3, err_msg=text)
    finally:
        reference.close()
    real_runtime.clear_embedding_cache()
    packed = await real_runtime.embed(texts)
    for a, b in zip(packed, singles, strict=True):
        # Several texts in one batch change the matrix shapes and so the rounding, not the result.
        assert float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) > 0.999


async def test_context_limits_are_typed_errors(real_runtime: ModelRuntime) -> None:
    long_prompt = "word " * 3000
    with pytest.raises(ContextOverflow, match="context holds"):
        await real_runtime.generate(long_prompt, max_tokens=1)
    with pytest.raises(ContextOverflow, match="embed_max_tokens"):
        await real_runtime.embed([long_prompt])
    with pytest.raises(CapabilityNotSupported, match="cannot read images"):
        await real_runtime.chat(
            [{"role": "user", "content": "what is this", "images": [ImageInput(data_base64="AA==")]}]
        )


async def test_deadline_and_cancellation_leave_the_engine_clean(real_runtime: ModelRuntime) -> None:
    backend = _backend(real_runtime)
    free_before = sorted(backend._free_work)
    with pytest.raises(DeadlineExceeded):
        await real_runtime.generate("Once upon a time", max_tokens=400, timeout=0.3)
    task = asyncio.create_task(real_runtime.generate("Once upon a time", max_tokens=400))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    after = await real_runtime.generate("The capital of France is", max_tokens=8)
    assert after.completion_tokens == 8
    assert sorted(backend._free_work) == free_before


async def test_driver_request_overtakes_a_background_generation(real_runtime: ModelRuntime) -> None:
    # The reference is a second run: the first evaluates the whole prompt, the later ones find it in the
    # prefix cache, and on some CPUs the two paths round differently enough to change a greedy token.
    await real_runtime.generate("Write about the sea:", max_tokens=1, priority=Priority.BACKGROUND)
    alone = await real_runtime.generate("Write about the sea:", max_tokens=40, priority=Priority.BACKGROUND)
    order: list[str] = []

    async def background() -> str:
        result = await real_runtime.generate(
            "Write about the sea:", max_tokens=40, priority=Priority.BACKGROUND
        )
        order.append("background")
        return result.text

    async def driver() -> str:
        result = await real_runtime.generate(
            "Request: open the trunk\nLabel: ",
            prefix=PREFIX,
            grammar=choice_grammar(LABELS),
            priority=Priority.DRIVER,
        )
        order.append("driver")
        return result.text

    bg = asyncio.create_task(background())
    await asyncio.sleep(0.25)
    label = await driver()
    text = await bg
    assert order == ["driver", "background"]
    assert label in LABELS
    # Parked, the generation keeps its cells and resumes from them. Decoded next to the driver's request
    # instead of alone, later tokens may round differently on some CPUs (llama.cpp's kernels differ by
    # batch shape), so the texts are compared over their opening, where a lost or repeated token shows.
    assert text[:60] == alone.text[:60], "the parked generation must resume where it was"


async def test_chat_uses_the_prompt_format_and_reuses_static_messages(real_runtime: ModelRuntime) -> None:
    messages = [
        {"role": "system", "content": "You are a terse in-car assistant."},
        {"role": "user", "content": "Say hi."},
    ]
    first = await real_runtime.chat(messages, prefix_messages=1, max_tokens=6)
    second = await real_runtime.chat(messages, prefix_messages=1, max_tokens=6)
    assert first.text == second.text
    assert second.cached_tokens > 0
    assert "<end_of_turn>" not in first.text
