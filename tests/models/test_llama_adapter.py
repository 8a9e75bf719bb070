"""A LoRA adapter loaded with the real model: only the requests that name it see it.

The router's classifier was fitted on the base model's embeddings, so loading an adapter must change
no embedding and no base-model generation; the tuned requests must follow the tuning. Runs on the
adapter that ships in models/adapters/ (skipped when none does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import numpy as np
import pytest

from models import InvalidRequest, ModelRegistry, ModelRuntime, RuntimeConfig, choice_grammar
from models.tuning.format import TUNED_PREFIX, opening

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
