"""The end-of-generation tokens of the real default model: asked of llama.cpp token by token where a
generation stops, and listed over the whole vocabulary only when a constrained pick first needs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import llama_cpp
import pytest

from models import ModelRuntime, RuntimeConfig, choice_grammar
from models.llama import LlamaCppBackend

pytestmark = pytest.mark.model


@pytest.fixture
async def fresh(default_model_path: Path) -> AsyncIterator[tuple[ModelRuntime, LlamaCppBackend]]:
    # Its own runtime: the session's shared one may have listed them already for another test.
    runtime = ModelRuntime.open(RuntimeConfig(host_url=None, n_ctx=512))
    backend = runtime.backend
    assert isinstance(backend, LlamaCppBackend)
    yield runtime, backend
    await runtime.aclose()


async def test_loading_embedding_and_choosing_among_labels_list_no_end_tokens(
    fresh: tuple[ModelRuntime, LlamaCppBackend],
) -> None:
    runtime, backend = fresh
    listed_at_load = backend._eog_ids is not None
    await runtime.embed(["the air in here feels rather stale today"])
    chosen = await runtime.generate(
        "Request: open the window\nLabel: ", grammar=choice_grammar(["vehicle", "navigation", "none"])
    )
    plain = await runtime.generate("Q: What is two plus two?\nA:", max_tokens=6)
    assert (listed_at_load, backend._eog_ids) == (False, None)
    assert chosen.text in {"vehicle", "navigation", "none"}
    assert plain.finish_reason in {"eos", "length", "stop"}


async def test_a_general_grammar_lists_them_once_as_llama_cpp_names_them(
    fresh: tuple[ModelRuntime, LlamaCppBackend],
) -> None:
    runtime, backend = fresh
    result = await runtime.generate(
        "Q: What is two plus two?\nA:", grammar='root ::= "The answer is " [0-9] [0-9]? "."', max_tokens=10
    )
    assert result.finish_reason == "eos"
    listed = backend._eog()
    assert backend._eog() is listed  # built once
    vocab = backend._vocab
    scan = [t for t in range(backend._n_vocab) if llama_cpp.llama_vocab_is_eog(vocab, t)]
    assert listed.tolist() == scan
    assert int(llama_cpp.llama_vocab_eos(vocab)) in scan
    other = next(t for t in range(backend._n_vocab) if t not in scan)
    assert all(backend._is_eog(t) for t in scan) and not backend._is_eog(other)
