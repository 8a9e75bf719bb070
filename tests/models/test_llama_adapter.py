"""A LoRA adapter loaded with the real model: only the requests that name it see it.

The router's classifier was fitted on the base model's embeddings, so loading an adapter must change
no embedding and no base-model generation; the tuned requests must follow the tuning. Runs on the
adapter that ships in models/adapters/ (skipped when none does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from models import (
    CompletionRequest,
    InvalidRequest,
    ModelRegistry,
    ModelRuntime,
    RuntimeConfig,
    Sampling,
    choice_grammar,
    llama,
)
from models.llama import LlamaCppBackend
from models.tuning.format import TUNED_PREFIX, arguments_opening, opening

pytestmark = pytest.mark.model

TEXTS = ["open the window a little", "take me to the nearest charging station", "I'm freezing back here"]
LABELS = [" vehicle", " navigation", " none"]


@pytest.fixture(scope="module")
def adapter_key() -> str:
    registry = ModelRegistry.load(None)
    if not registry.is_installed():
        pytest.skip("the default model is not assembled yet (`cabin models prepare`)")
    keys = [m.key for m in registry.adapters(registry.default_id) if m.base_sha256 == registry.get().sha256]
    if not keys:
        pytest.skip("no adapter ships in models/adapters/")
    # The adapter the stack runs with (a newer version may ship switched off, "default": false).
    active = registry.active_adapter(registry.default_id)
    return active if active in keys else keys[-1]


@pytest.fixture(scope="module")
def runtimes(adapter_key: str) -> Iterator[tuple[ModelRuntime, ModelRuntime, str]]:
    tuned = ModelRuntime.open(RuntimeConfig(host_url=None, adapter=adapter_key))
    plain = ModelRuntime.open(RuntimeConfig(host_url=None, adapter="none"))
    adapter_id = tuned.info.adapters[0].id
    yield tuned, plain, adapter_id
    asyncio.run(tuned.aclose())
    asyncio.run(plain.aclose())


async def test_the_adapter_is_reported_with_the_model(
    runtimes: tuple[ModelRuntime, ModelRuntime, str],
) -> None:
    tuned, plain, adapter_id = runtimes
    info = await tuned.model_info()

    assert [a.id for a in info.adapters] == [adapter_id]
    assert info.adapters[0].task == "vehicle-tool-call"
    assert (await plain.model_info()).adapters == ()


async def test_embeddings_and_base_generation_do_not_change(
    runtimes: tuple[ModelRuntime, ModelRuntime, str],
) -> None:
    tuned, plain, adapter_id = runtimes
    tuned.clear_embedding_cache()
    plain.clear_embedding_cache()
    before = await tuned.embed(TEXTS)
    # The same requests in both runtimes (so their caches hold the same cells), one with the adapter:
    # the adapter is set on the generation context for that request only.
    request = opening("heat my seat", "driver")
    await tuned.generate(request, prefix=TUNED_PREFIX, max_tokens=8, adapter=adapter_id)
    await plain.generate(request, prefix=TUNED_PREFIX, max_tokens=8)
    tuned.clear_embedding_cache()
    after = await tuned.embed(TEXTS)
    reference = await plain.embed(TEXTS)

    assert np.array_equal(before, after) and np.array_equal(after, reference)
    prompt = "Request: open the window a little\nLabel:"
    label = await tuned.generate(prompt, grammar=choice_grammar(LABELS), max_tokens=4)
    base_label = await plain.generate(prompt, grammar=choice_grammar(LABELS), max_tokens=4)
    free = await tuned.generate("The capital of France is", max_tokens=6)
    base_free = await plain.generate("The capital of France is", max_tokens=6)
    assert (label.text, free.text) == (base_label.text, base_free.text)


async def test_a_tuned_request_follows_the_tuning(runtimes: tuple[ModelRuntime, ModelRuntime, str]) -> None:
    tuned, _, adapter_id = runtimes
    names = ["set_seat_heating", "set_window", "set_trunk", "set_media_volume", "none"]
    grammar = choice_grammar([f'{name}"' for name in names])

    heat = await tuned.generate(
        opening("put the heat on in my seat", "driver"),
        prefix=TUNED_PREFIX,
        grammar=grammar,
        adapter=adapter_id,
    )
    boot = await tuned.generate(
        opening("open the boot please", "passenger"), prefix=TUNED_PREFIX, grammar=grammar, adapter=adapter_id
    )
    joke = await tuned.generate(
        opening("tell me a story about dragons", "driver"),
        prefix=TUNED_PREFIX,
        grammar=grammar,
        adapter=adapter_id,
    )

    assert (heat.text, boot.text, joke.text) == ('set_seat_heating"', 'set_trunk"', 'none"')


async def test_an_adapter_that_is_not_loaded_is_a_clear_error(
    runtimes: tuple[ModelRuntime, ModelRuntime, str],
) -> None:
    _, plain, adapter_id = runtimes
    with pytest.raises(InvalidRequest, match=f"adapter '{adapter_id}' is not loaded"):
        await plain.generate("hello", max_tokens=2, adapter=adapter_id)


SIDES = ["driver", "passenger", "rear_left", "rear_right", "front", "rear", "all"]
HEAT = {
    "type": "object",
    "properties": {
        "level": {"type": "integer", "minimum": 0, "maximum": 3},
        "seat": {"type": "string", "enum": SIDES},
    },
    "required": ["level"],
    "additionalProperties": False,
}
TEMPERATURE = {
    "anyOf": [
        {
            "type": "object",
            "properties": {"zone": {"type": "string", "enum": SIDES}, "celsius": {"type": "number"}},
            "required": ["celsius"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"zone": {"type": "string", "enum": SIDES}, "delta": {"type": "number"}},
            "required": ["delta"],
            "additionalProperties": False,
        },
    ]
}
LIGHTS = {
    "type": "object",
    "properties": {
        "light": {"type": "string", "enum": ["low_beam", "high_beam", "fog_front", "fog_rear", "hazard"]},
        "on": {"type": "boolean"},
    },
    "required": ["light", "on"],
    "additionalProperties": False,
}
DOORS = {
    "type": "object",
    "properties": {"doors": {"type": "string", "enum": SIDES}},
    "additionalProperties": False,
}
CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("heat the passenger seat to level three", "driver", "set_seat_heating", HEAT),
    ("it's freezing back here", "rear_left", "set_cabin_temperature", TEMPERATURE),
    ("make it 21.5 degrees for my passenger", "driver", "set_cabin_temperature", TEMPERATURE),
    ("switch the hazard lights on", "passenger", "set_lights", LIGHTS),
    ("lock the car", "driver", "lock_doors", DOORS),
]


async def _arguments(tuned: ModelRuntime, adapter_id: str) -> list[tuple[str, object, int]]:
    out = []
    for text, seat, tool, schema in CALLS:
        result = await tuned.generate(
            arguments_opening(text, seat, tool),
            prefix=TUNED_PREFIX,
            json_schema=schema,
            max_tokens=48,
            adapter=adapter_id,
        )
        out.append((result.text, result.data, result.completion_tokens))
    return out


async def test_forecast_arguments_are_those_chosen_one_token_at_a_time(
    runtimes: tuple[ModelRuntime, ModelRuntime, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the schema forces (keys, punctuation, the rest of a value) is taken without a choice and
    # evaluated in the batch of the token before it, tokenised as the whole call is: the output must
    # be the one the model writes one token per evaluation, with fewer evaluations.
    tuned, _, adapter_id = runtimes
    decodes = 0
    decode = LlamaCppBackend._decode

    def counted(self: LlamaCppBackend, batch: llama._Batch, **kwargs: object) -> None:
        nonlocal decodes
        decodes += 1
        decode(self, batch, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(LlamaCppBackend, "_decode", counted)
    await _arguments(tuned, adapter_id)  # the prompts' shared start is cached from here on
    decodes = 0
    forecast = await _arguments(tuned, adapter_id)
    with_forecast = decodes
    monkeypatch.setattr(LlamaCppBackend, "_forecast", lambda self, layout, written, text: [])
    decodes = 0
    one_by_one = await _arguments(tuned, adapter_id)

    assert forecast == one_by_one
    assert all(isinstance(data, dict) for _, data, _ in forecast)
    assert with_forecast * 3 <= decodes * 2, (with_forecast, decodes)


async def test_forced_tokens_decoded_in_turn_with_another_request_give_the_same_answers(
    runtimes: tuple[ModelRuntime, ModelRuntime, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two calls decoded step by step in turn (as the scheduler does when it parks one for a more
    # urgent one): each step of one replaces the logits of the other, whose last token is then
    # evaluated again. The answers are those of each call alone.
    tuned, _, adapter_id = runtimes
    backend = tuned.backend
    assert isinstance(backend, LlamaCppBackend)
    alone = await _arguments(tuned, adapter_id)

    def request(text: str, seat: str, tool: str, schema: dict[str, Any]) -> CompletionRequest:
        prompt = arguments_opening(text, seat, tool)
        return CompletionRequest(
            prompt=prompt,
            prefix=TUNED_PREFIX,
            json_schema=schema,
            adapter=adapter_id,
            sampling=Sampling(max_tokens=48),
        )

    def in_turn() -> list[Any]:
        results: list[Any] = []
        for first, second in zip(CALLS, CALLS[1:] + CALLS[:1], strict=True):
            steps = {0: backend.complete(request(*first)), 1: backend.complete(request(*second))}
            done: dict[int, Any] = {}
            while steps:
                for key, step in list(steps.items()):
                    try:
                        next(step)
                    except StopIteration as stop:
                        done[key] = stop.value.data
                        del steps[key]
            results.append((done[0], done[1]))
        return results

    evaluated_again = 0
    ensure = LlamaCppBackend._ensure_logits

    def counted(self: LlamaCppBackend, seq: int, n_past: int, last_token: int) -> None:
        nonlocal evaluated_again
        evaluated_again += self._owner != (seq, n_past)
        ensure(self, seq, n_past, last_token)

    monkeypatch.setattr(LlamaCppBackend, "_ensure_logits", counted)
    side_by_side = await asyncio.to_thread(in_turn)
    data = [d for _, d, _ in alone]
    assert side_by_side == list(zip(data, data[1:] + data[:1], strict=True))
    assert evaluated_again > 0
