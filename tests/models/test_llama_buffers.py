"""Where llama.cpp keeps the weights: no repacking into extra buffer types on builds that multiply
with AMX (their AMX kernels crash on Q4_K weights), the usual repacking everywhere else."""

from __future__ import annotations

import logging
from typing import Any

import llama_cpp
import pytest
from llama_cpp import llama_cpp as api

from models import llama

AMX_BUILD = b"CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AMX_INT8 = 1 | OPENMP = 1 | REPACK = 1 | "
PLAIN_BUILD = b"CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | OPENMP = 1 | REPACK = 1 | "


@pytest.fixture
def build(monkeypatch: pytest.MonkeyPatch) -> Any:
    def choose(info: bytes) -> None:
        monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda: info)
        monkeypatch.setattr(llama, "_amx_warned", False)

    return choose


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Stands in for `llama_cpp.Llama`: records whether each load would use the extra buffer types."""
    seen: list[bool] = []

    class Recorder:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            seen.append(bool(api.llama_model_default_params().use_extra_bufts))

    monkeypatch.setattr(llama_cpp, "Llama", Recorder)
    return seen


def test_a_build_without_amx_repacks_the_weights(build: Any) -> None:
    build(PLAIN_BUILD)
    assert llama.repack_weights() is True


def test_an_amx_build_keeps_the_weights_unpacked_and_says_so_once(
    build: Any, caplog: pytest.LogCaptureFixture
) -> None:
    build(AMX_BUILD)
    with caplog.at_level(logging.WARNING, logger="models.llama"):
        assert llama.repack_weights() is False
        assert llama.repack_weights() is False
    warnings = [r.getMessage() for r in caplog.records if "AMX" in r.getMessage()]
    assert len(warnings) == 1
    assert "without repacking" in warnings[0]


def test_open_llama_loads_without_extra_buffers_on_an_amx_build(
    build: Any, loads: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    build(AMX_BUILD)
    defaults = api.llama_model_default_params
    llama.open_llama("model.gguf", n_ctx=64)
    assert loads == [False]
    # the library's defaults are the library's own again afterwards, also after a failed load
    assert api.llama_model_default_params is defaults
    assert api.llama_model_default_params().use_extra_bufts is True

    class Failing:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise ValueError("Failed to load model from file: model.gguf")

    monkeypatch.setattr(llama_cpp, "Llama", Failing)
    with pytest.raises(ValueError, match="Failed to load model"):
        llama.open_llama("model.gguf")
    assert api.llama_model_default_params is defaults


def test_open_llama_changes_nothing_on_other_builds(build: Any, loads: list[bool]) -> None:
    build(PLAIN_BUILD)
    llama.open_llama("model.gguf")
    assert loads == [True]
