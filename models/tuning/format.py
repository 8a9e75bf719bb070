"""The prompt format of the tuned tool-call model: what training shows it and what inference asks.

Training and inference must see the same text, so both build it here. One request is::

    Vehicle tool call.                                  <- TUNED_PREFIX (static, evaluated once)
    Seat: passenger                                     <- the speaker's seat
    Request: my side is freezing                        <- the request, whitespace collapsed
    Call: {"tool": "set_cabin_temperature", "arguments": {"delta": 2}}

Inference decodes in two constrained steps (the tool name over the closed list of names, then the
arguments under that tool's JSON schema); `opening` ends where the first step starts and
`arguments_opening` where the second starts. The arguments are written in the order llama.cpp's
JSON-schema grammar emits them (required properties first, then optional ones, each group in the
schema's order), so a tuned model's preferred output is also the grammar's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "NO_TOOL",
    "PROMPT_FORMAT",
    "TASK",
    "TUNED_PREFIX",
    "arguments_opening",
    "canonical_arguments",
    "completion",
    "opening",
    "render_arguments",
]

TASK = "vehicle-tool-call"
"""What a tuned adapter for this format does: one call of a vehicle tool (or none) for one request."""

PROMPT_FORMAT = "vehicle-tool-call/1"
"""This module's format; an adapter's manifest names the format it was trained on."""

NO_TOOL = "none"
"""The call when no tool fits the request."""

TUNED_PREFIX = "Vehicle tool call.\n"
"""The static prefix of every tuned request (short: the adapter, not examples, carries the task)."""


def opening(text: str, seat: str) -> str:
    """The prompt up to the tool name (the first constrained step continues it with `<name>"`)."""
    return f'Seat: {seat}\nRequest: {" ".join(text.split())}\nCall: {{"tool": "'


def arguments_opening(text: str, seat: str, tool: str) -> str:
    """The prompt up to the arguments object (the second step continues it under the tool's schema)."""
    return f'{opening(text, seat)}{tool}", "arguments": '


def _variant(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object schema of `schema` (or of one of its `anyOf` variants) that `arguments` fills."""
    variants = schema.get("anyOf")
    if not isinstance(variants, list):
        return schema
    for variant in variants:
        required = variant.get("required", []) if isinstance(variant, dict) else []
        if isinstance(variant, dict) and all(key in arguments for key in required):
            return variant
    first = variants[0] if variants else None
    return first if isinstance(first, dict) else schema


def canonical_arguments(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """`arguments` in the grammar's order (required first, then optional, each in schema order); a
    whole-number float is written as an integer (22.0 -> 22), as a person says it."""
    variant = _variant(schema, arguments)
    properties = list(dict(variant.get("properties", {})))
    required = [key for key in properties if key in set(variant.get("required", []))]
    ordered = required + [key for key in properties if key not in required]
    ordered += [key for key in arguments if key not in ordered]
    out: dict[str, Any] = {}
    for key in ordered:
        if key not in arguments:
            continue
        value = arguments[key]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[key] = value
    return out


def render_arguments(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> str:
    """The arguments object as the tuned model writes it."""
    return json.dumps(canonical_arguments(schema, arguments), ensure_ascii=False)


def completion(tool: str, arguments: Mapping[str, Any] | None, schema: Mapping[str, Any] | None) -> str:
    """What follows `opening`: `<tool>", "arguments": {...}}`, or `none"}`."""
    if tool == NO_TOOL:
        return f'{NO_TOOL}"}}'
    return f'{tool}", "arguments": {render_arguments(schema or {}, arguments or {})}}}'
