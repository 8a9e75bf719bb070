"""Grammars for constrained output: label choices, GBNF and JSON schema.

A grammar that is nothing but an alternation of string literals (``root ::= "a" | "b"``) is
recognised by :func:`literal_choices`; backends decode such a grammar over a token trie of the
literals, which yields exactly the grammar's language at the cost of the prompt alone.
:class:`JsonLayout` tells what text a JSON schema forces next in the layout the tuned tool-call model
writes, for the backend to take without asking the model.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from models.errors import GrammarError

__all__ = ["JsonLayout", "choice_grammar", "literal_choices", "schema_to_grammar"]

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


# -- the text a JSON schema forces next -----------------------------------------------------------


class _Lit:
    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Seq:
    __slots__ = ("items",)

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = tuple(items)


class _Alt:
    __slots__ = ("options",)

    def __init__(self, options: Sequence[Any]) -> None:
        self.options = tuple(options)


class _Hole:
    """A value the layout cannot predict (a free number, string or anything else)."""

    __slots__ = ("but", "chars", "may_be_empty")

    def __init__(self, *, chars: str | None = None, but: str = "", may_be_empty: bool = False) -> None:
        self.chars = None if chars is None else frozenset(chars)  # None: any character ...
        self.but = frozenset(but)  # ... except these
        self.may_be_empty = may_be_empty

    def takes(self, ch: str) -> bool:
        return (self.chars is None or ch in self.chars) and ch not in self.but


_Node = _Lit | _Seq | _Alt | _Hole
_NUMBER = _Hole(chars="-+.eE0123456789")
_FREE_STRING = _Seq([_Lit('"'), _Hole(but='"', may_be_empty=True), _Lit('"')])
_ANYTHING = _Hole()


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _layout(schema: Any) -> _Node:
    """The JSON texts `schema` admits, laid out as `json.dumps` writes them (``", "`` and ``": "``,
    object keys as llama.cpp's converter orders them: required first, then optional, each in the
    schema's order)."""
    if not isinstance(schema, dict):
        return _ANYTHING
    if "const" in schema:
        return _Lit(_dump(schema["const"]))
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return _Alt([_Lit(_dump(v)) for v in schema["enum"]])
    if isinstance(schema.get("anyOf"), list) and schema["anyOf"]:
        return _Alt([_layout(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "boolean":
        return _Alt([_Lit("true"), _Lit("false")])
    if kind == "null":
        return _Lit("null")
    if kind in ("integer", "number"):
        return _NUMBER
    if kind == "string":
        return _FREE_STRING
    if kind == "object" and isinstance(schema.get("properties"), dict):
        return _object_layout(schema)
    return _ANYTHING


def _object_layout(schema: dict[str, Any]) -> _Node:
    properties: dict[str, Any] = schema["properties"]
    wanted = schema.get("required", [])
    required = [key for key in properties if key in wanted]
    optional = [key for key in properties if key not in wanted]

    def pair(key: str) -> _Node:
        return _Seq([_Lit(_dump(key) + ": "), _layout(properties[key])])

    tails: dict[tuple[int, bool], _Node] = {}

    def tail(start: int, first: bool) -> _Node:
        # The optional keys from `start` on (any subset, in order), then the closing brace.
        key = (start, first)
        if key not in tails:
            options: list[_Node] = [_Lit("}")]
            for i in range(start, len(optional)):
                lead = [] if first else [_Lit(", ")]
                options.append(_Seq([*lead, pair(optional[i]), tail(i + 1, False)]))
            tails[key] = _Alt(options)
        return tails[key]

    items: list[_Node] = [_Lit("{")]
    for i, key in enumerate(required):
        if i:
            items.append(_Lit(", "))
        items.append(pair(key))
    items.append(tail(0, not required))
    return _Seq(items)


_Rest = tuple[Any, Any] | None  # a linked list of the nodes still to match
_State = tuple[Any, int, _Rest]  # (_Lit, offset) or (_Hole, 1 once it holds a character else 0)
_MAX_STATES = 4096


def _expand(node: _Node, rest: _Rest, out: list[_State | None]) -> None:
    if isinstance(node, _Lit):
        if node.text:
            out.append((node, 0, rest))
        else:
            _expand_rest(rest, out)
    elif isinstance(node, _Seq):
        for item in reversed(node.items):
            rest = (item, rest)
        _expand_rest(rest, out)
    elif isinstance(node, _Alt):
        for option in node.options:
            _expand(option, rest, out)
    else:
        out.append((node, 0, rest))


def _expand_rest(rest: _Rest, out: list[_State | None]) -> None:
    if rest is None:
        out.append(None)  # the end of the text
    else:
        _expand(rest[0], rest[1], out)


class JsonLayout:
    """Follows a JSON text as it is written under a schema and tells what text must come next.

    The text is assumed to be laid out as `json.dumps` writes it with llama.cpp's key order (the
    tuned tool-call model's format, `models.tuning.format`); :meth:`forced` is then the text every
    continuation the schema admits begins with: keys of a fixed order, punctuation, the rest of an
    enum value once its start is unique. The backend takes that text without asking the model
    (jump-forward decoding), each token still checked by llama.cpp's grammar: a text laid out
    otherwise, or beyond what the layout can follow (more than a few thousand open alternatives),
    only stops the forecast, never the output.
    """

    def __init__(self, schema: dict[str, Any]) -> None:
        self._states: list[_State | None] = []
        _expand(_layout(_bounded_integers(schema)), None, self._states)

    def feed(self, text: str) -> None:
        """Advance over `text`, written after what was fed before."""
        for ch in text:
            if not self._states:
                return
            self._states = self._step(self._states, ch)

    @staticmethod
    def _step(states: list[_State | None], ch: str) -> list[_State | None]:
        out: list[_State | None] = []
        seen: set[tuple[int, int, int]] = set()

        def keep(state: _State | None) -> None:
            key = (0, 0, 0) if state is None else (id(state[0]), state[1], id(state[2]))
            if key not in seen:
                seen.add(key)
                out.append(state)

        todo = list(states)
        while todo:
            state = todo.pop()
            if state is None:
                continue  # at the end: nothing may follow
            node, offset, rest = state
            if isinstance(node, _Lit):
                if node.text[offset] != ch:
                    continue
                if offset + 1 < len(node.text):
                    keep((node, offset + 1, rest))
                else:
                    after: list[_State | None] = []
                    _expand_rest(rest, after)
                    for nxt in after:
                        keep(nxt)
            else:
                hole: _Hole = node
                if hole.takes(ch):
                    keep((hole, 1, rest))
                if offset or hole.may_be_empty:
                    # The hole may end here: the character belongs to what follows it.
                    _expand_rest(rest, todo)
            if len(out) > _MAX_STATES:
                return []
        return out

    def forced(self, limit: int = 64) -> tuple[str, frozenset[str]]:
        """The text every admitted continuation begins with (at most `limit` characters; empty where
        the next character is open, at a free value, at the end, or off the layout), and the
        characters that may follow it (``""`` for the end of the text; a sample for a free value)."""
        states = self._states
        text: list[str] = []
        while len(text) < limit and states:
            nxt: set[str] = set()
            for state in states:
                if state is None or not isinstance(state[0], _Lit):
                    return "".join(text), _next_chars(states)
                nxt.add(state[0].text[state[1]])
                if len(nxt) > 1:
                    return "".join(text), _next_chars(states)
            ch = nxt.pop()
            text.append(ch)
            states = self._step(states, ch)
        return "".join(text), _next_chars(states)


_SAMPLE = frozenset('a0 "-')
"""Characters that stand for what a free value may begin with."""


def _next_chars(states: Sequence[_State | None]) -> frozenset[str]:
    out: set[str] = set()
    for state in states:
        if state is None:
            out.add("")
            continue
        node, offset, rest = state
        if isinstance(node, _Lit):
            out.add(node.text[offset])
            continue
        out.update(ch for ch in (node.chars or _SAMPLE) if node.takes(ch))
        if offset or node.may_be_empty:
            after: list[_State | None] = []
            _expand_rest(rest, after)
            out |= _next_chars(after)
    return frozenset(out)
