"""The llama.cpp backend reuses what the last request evaluated and stops JSON at its closing bracket,
without changing what the model answers (real default model)."""

from __future__ import annotations

import pytest

from models import ModelRuntime

pytestmark = pytest.mark.model

FIRST = 'Request: it is far too warm on my side\nCall: {"tool": "'
SECOND = FIRST + 'set_cabin_temperature", "arguments": '
SCHEMA = {
    "type": "object",
    "properties": {"delta": {"type": "integer", "minimum": -5, "maximum": 5}},
    "required": ["delta"],
    "additionalProperties": False,
}


async def test_a_request_that_continues_the_last_one_reuses_its_tokens(real_runtime: ModelRuntime) -> None:
    await real_runtime.generate("An unrelated request.", max_tokens=2)
    fresh = await real_runtime.generate(SECOND, json_schema=SCHEMA, max_tokens=16)
    assert fresh.cached_tokens <= 1  # the start-of-text token at most

    first = await real_runtime.generate(FIRST, max_tokens=2)
    reused = await real_runtime.generate(SECOND, json_schema=SCHEMA, max_tokens=16)

    assert first.prompt_tokens - 1 <= reused.cached_tokens < reused.prompt_tokens
    assert (reused.text, reused.data) == (fresh.text, fresh.data)


async def test_only_the_shared_start_is_reused(real_runtime: ModelRuntime) -> None:
    await real_runtime.generate(FIRST, max_tokens=2)
    other = await real_runtime.generate("Request: open the boot\nCall:", max_tokens=2)
    assert 1 <= other.cached_tokens <= 3  # the start-of-text token and "Request:"


async def test_json_output_ends_at_its_closing_bracket(real_runtime: ModelRuntime) -> None:
    result = await real_runtime.generate(SECOND, json_schema=SCHEMA, max_tokens=16)

    assert result.finish_reason == "eos"
    assert result.text.endswith("}") and isinstance(result.data, dict) and set(result.data) == {"delta"}
