"""`cabin models tune` end to end on a tiny run: train, export as a GGUF LoRA adapter, load it over the
shipped quantised model with llama.cpp. Needs the optional extra [tune] (skipped without it) and
the real model; CI does not train."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from models import ModelRegistry, ModelRuntime, RuntimeConfig
from models.tuning.format import TUNED_PREFIX, opening

pytestmark = [
    pytest.mark.model,
    # Deprecation notices and notes of the training libraries themselves, about their own internals.
    pytest.mark.filterwarnings("ignore::FutureWarning:transformers"),
    pytest.mark.filterwarnings("ignore:Could not find a config file:UserWarning"),
]

torch = pytest.importorskip("torch", reason="tuning needs the [tune] extra (torch)")
gguf = pytest.importorskip("gguf", reason="tuning needs the [tune] extra (gguf)")
pytest.importorskip("peft", reason="tuning needs the [tune] extra (peft)")


def test_a_tiny_run_exports_an_adapter_llama_cpp_applies(tmp_path: Path) -> None:
    from models.tuning.train import TrainConfig
    from models.tuning.tune import run_tune

    registry = ModelRegistry.load(None, directory=tmp_path / "cache")
    shipped = ModelRegistry.load(None)
    if not shipped.is_installed():
        pytest.skip("the default model is not assembled yet (`cabin models prepare`)")
    # The cache of this test holds only a link to the prepared model file.
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / shipped.location().name).symlink_to(shipped.location())
    out = tmp_path / "cache" / "adapters" / "tiny-v1"
    lines: list[str] = []

    manifest = run_tune(
        out,
        TrainConfig(examples=24, max_steps=2, batch_size=4, layers=2, rank=4, alpha=8),
        adapter_id="tiny",
        registry=registry,
        command="cabin models tune --out tiny",
        progress=False,
        log=lines.append,
    )

    assert manifest.key == "tiny@1" and manifest.training.steps == 2
    assert (out / "run.jsonl").read_text(encoding="utf-8").count('"step"') == 2
    # The exporter wrote every LoRA matrix of the two adapted layers, under llama.cpp's names, with
    # the values peft trained (A: rank x inputs, B: outputs x rank, float16).
    from safetensors.torch import load_file

    trained = load_file(str(out / "peft" / "adapter_model.safetensors"))
    reader = gguf.GGUFReader(str(out / "adapter.gguf"))
    exported = {t.name: np.asarray(t.data) for t in reader.tensors}
    assert len(exported) == len(trained) == 2 * 7 * 2
    key = "base_model.model.model.layers.17.self_attn.q_proj.lora_B.weight"
    expected = trained[key].float().numpy().astype(np.float16)
    assert np.array_equal(exported["blk.17.attn_q.weight.lora_b"].reshape(expected.shape), expected)
    assert registry.resolve_adapter("tiny@1")[0].sha256 == manifest.sha256

    tuned = ModelRuntime.open(RuntimeConfig(host_url=None, adapter="tiny@1"), registry=registry)

    async def ask() -> tuple[str, str]:
        request = opening("open the boot", "driver")
        a = await tuned.generate(request, prefix=TUNED_PREFIX, max_tokens=6, adapter="tiny")
        b = await tuned.generate(request, prefix=TUNED_PREFIX, max_tokens=6)
        return a.text, b.text

    try:
        assert [a.id for a in tuned.info.adapters] == ["tiny"]
        with_adapter, without = asyncio.run(ask())
        assert with_adapter and without
    finally:
        asyncio.run(tuned.aclose())


def test_training_tokens_are_those_the_constrained_steps_see() -> None:
    """An example's tokens are the second step's prompt as llama.cpp tokenises it (the name and
    `", "arguments": ` up to its lone trailing space), then the arguments from `{`, then the end."""
    from llama_cpp import Llama
    from transformers import AutoTokenizer

    from models.tuning.data import Call, Example, tool_schemas
    from models.tuning.format import arguments_opening, render_arguments
    from models.tuning.train import encode

    shipped = ModelRegistry.load(None)
    if not shipped.is_installed():
        pytest.skip("the default model is not assembled yet (`cabin models prepare`)")
    path = shipped.location()
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    vocab = Llama(model_path=str(path), vocab_only=True, verbose=False)
    schemas = tool_schemas().schemas
    example = Example(
        text="open my window halfway",
        seat="passenger",
        call=Call(tool="set_window", arguments={"percent": 50}),
    )

    ids, start = encode(tokenizer, example, schemas)
    second = vocab.tokenize(
        arguments_opening(example.text, example.seat, "set_window").encode(), add_bos=False, special=False
    )
    answer = vocab.tokenize(render_arguments(schemas["set_window"], {"percent": 50}).encode(), add_bos=False)
    assert vocab.detokenize([second[-1]]) == b" "
    assert ids[-1] == tokenizer.eos_token_id and start < len(ids) - 1 - len(answer)
    assert ids[-1 - len(answer) : -1] == list(answer)
    assert ids[: -1 - len(answer)][-len(second) :] == list(second)
