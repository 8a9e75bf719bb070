"""Grammars for constrained output: label choices, GBNF and JSON schema.

A grammar that is nothing but an alternation of string literals (``root ::= "a" | "b"``) is
recognised by :func:`literal_choices`; backends decode such a grammar over a token trie of the
literals, which yields exactly the grammar's language at the cost of the prompt alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from models.errors import GrammarError

__all__ = ["choice_grammar", "literal_choices", "schema_to_grammar"]

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_UNESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "[": "[", "]": "]"}


def _quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in text) + '"'


def choice_grammar(labels: Sequence[str]) -> str:
    """A GBNF grammar whose only sentences are ``labels``."""
    if isinstance(labels, str) or not labels:
        raise GrammarError("choice_grammar needs a non-empty list of labels")
    if any(not isinstance(label, str) or label == "" for label in labels):
        raise GrammarError("choice labels must be non-empty strings")
    if len(set(labels)) != len(labels):
        raise GrammarError("choice labels must be distinct")
    return "root ::= " + " | ".join(_quote(label) for label in labels) + "\n"


_LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)


def _unescape(body: str) -> str | None:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= len(body):
            return None
        nxt = body[i + 1]
        if nxt in _UNESCAPES:
            out.append(_UNESCAPES[nxt])
            i += 2
        elif nxt in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[nxt]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                return None
            out.append(chr(int(digits, 16)))
            i += 2 + width
        else:
            return None
    return "".join(out)


def literal_choices(grammar: str) -> list[str] | None:
    """The literals of a grammar of the form ``root ::= "a" | "b" | ...``, else ``None``."""
    lines = [ln for ln in grammar.splitlines() if not ln.lstrip().startswith("#")]
    text = "\n".join(lines).strip()
    match = re.fullmatch(r"root\s*::=\s*(.*)", text, re.DOTALL)
    if match is None:
        return None
    body = match.group(1).strip()
    while body.startswith("(") and body.endswith(")"):
        body = body[1:-1].strip()
    labels: list[str] = []
    pos = 0
    expect_literal = True
    while pos < len(body):
        if body[pos].isspace():
            pos += 1
            continue
        if expect_literal:
            lit = _LITERAL.match(body, pos)
            if lit is None:
                return None
            value = _unescape(lit.group(1))
            if value is None or value == "":
                return None
            labels.append(value)
            pos = lit.end()
            expect_literal = False
        else:
            if body[pos] != "|":
                return None
            pos += 1
            expect_literal = True
    if expect_literal or not labels or len(set(labels)) != len(labels):
        return None
    return labels


#: An integer range up to this many values is compiled as the list of its values.
MAX_ENUMERATED_RANGE = 256


def _bounded_integers(node: Any) -> Any:
    """``node`` with every small bounded integer (``minimum``/``maximum``, or their exclusive forms)
    turned into the ``enum`` of its values: llama.cpp's converter ignores numeric bounds, and a model
    left free writes 16-digit numbers where 0-100 was asked for."""
    if isinstance(node, list):
        return [_bounded_integers(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _bounded_integers(value) for key, value in node.items()}
    if out.get("type") != "integer" or "enum" in out or "const" in out:
        return out
    low, high = out.get("minimum"), out.get("maximum")
    if isinstance(out.get("exclusiveMinimum"), int):
        low = out["exclusiveMinimum"] + 1
    if isinstance(out.get("exclusiveMaximum"), int):
        high = out["exclusiveMaximum"] - 1
    if (
        not (isinstance(low, int) and isinstance(high, int))
        or isinstance(low, bool)
        or isinstance(high, bool)
    ):
        return out
    if not 0 <= high - low < MAX_ENUMERATED_RANGE:
        return out
    kept = {k: v for k, v in out.items() if k not in _NUMERIC_KEYS}
    return {**kept, "enum": list(range(low, high + 1))}


_NUMERIC_KEYS = frozenset({"type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"})


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def schema_to_grammar(schema: dict[str, Any]) -> str:
    """Compile a JSON schema to GBNF (llama.cpp's converter); raises ``GrammarError``.

    Integers with bounds spanning at most ``MAX_ENUMERATED_RANGE`` values are held to those bounds
    (the converter itself ignores ``minimum``/``maximum``); other numeric bounds are not enforced.
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    if not isinstance(schema, dict):
        raise GrammarError("json_schema must be a JSON object (a dict)")
    try:
        encoded = json.dumps(_bounded_integers(schema))
    except (TypeError, ValueError) as exc:
        raise GrammarError(f"json_schema is not JSON-serialisable: {exc}") from exc
    try:
        return str(json_schema_to_gbnf(encoded))
    except Exception as exc:
        raise GrammarError(
            f"json_schema cannot be compiled to a grammar ({type(exc).__name__}: {exc}); "
            "use the supported subset: object, array, string, number, integer, boolean, enum, const"
        ) from exc
