"""Grammar helpers: label choices, literal detection, JSON schema compilation."""

from __future__ import annotations

import pytest

from models import GrammarError, choice_grammar
from models.grammar import literal_choices, schema_to_grammar


def test_choice_grammar_round_trips_through_detection() -> None:
    labels = ["navigation", 'say "hi"', "back\\slash", "two\nlines"]
    assert literal_choices(choice_grammar(labels)) == labels


@pytest.mark.parametrize(
    "grammar",
    [
        'root ::= "a" | "b" | "c"',
        '# comment\nroot ::= ("a" | "b")\n',
        'root   ::=   "yes"|"no"',
        'root ::= "\\x41" | "\\u00e9"',
    ],
)
def test_literal_alternations_are_recognised(grammar: str) -> None:
    assert literal_choices(grammar) is not None


@pytest.mark.parametrize(
    "grammar",
    [
        'root ::= "a" "b"',
        "root ::= [a-z]+",
        'root ::= label\nlabel ::= "a" | "b"',
        'root ::= "a" | ',
        'root ::= "a" | "a"',
        'root ::= ""',
    ],
)
def test_other_grammars_are_not_literal_choices(grammar: str) -> None:
    assert literal_choices(grammar) is None


def test_choice_grammar_rejects_bad_labels() -> None:
    for bad in ([], ["a", "a"], ["a", ""], "ab"):
        with pytest.raises(GrammarError):
            choice_grammar(bad)


def test_schema_compiles_and_bad_schema_is_a_grammar_error() -> None:
    gbnf = schema_to_grammar(
        {"type": "object", "properties": {"on": {"type": "boolean"}}, "required": ["on"]}
    )
    assert "root" in gbnf
    with pytest.raises(GrammarError):
        schema_to_grammar({"type": "object", "properties": {"x": {"$ref": "#/nowhere"}}})
    with pytest.raises(GrammarError):
        schema_to_grammar({"type": "object", "default": object()})


def test_small_bounded_integers_are_held_to_their_bounds() -> None:
    from models.grammar import _bounded_integers

    schema = {
        "type": "object",
        "properties": {
            "level": {"type": "integer", "minimum": 0, "maximum": 3, "description": "seat heat"},
            "delta": {"anyOf": [{"type": "integer", "exclusiveMinimum": -3, "exclusiveMaximum": 3}]},
            "wide": {"type": "integer", "minimum": 0, "maximum": 100_000},
            "open": {"type": "integer", "minimum": 0},
            "real": {"type": "number", "minimum": 0, "maximum": 1},
        },
    }
    props = _bounded_integers(schema)["properties"]
    assert props["level"] == {"description": "seat heat", "enum": [0, 1, 2, 3]}
    assert props["delta"] == {"anyOf": [{"enum": [-2, -1, 0, 1, 2]}]}
    assert props["wide"] == schema["properties"]["wide"]  # type: ignore[index]
    assert props["open"] == {"type": "integer", "minimum": 0}
    assert props["real"] == {"type": "number", "minimum": 0, "maximum": 1}
    gbnf = schema_to_grammar(schema)
    assert '"3"' in gbnf and '"-2"' in gbnf
