"""Grammar helpers: label choices, literal detection, JSON schema compilation, the forced JSON layout."""

from __future__ import annotations

import json

import pytest

from models import GrammarError, choice_grammar
from models.grammar import JsonLayout, literal_choices, schema_to_grammar


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


ZONES = ["driver", "passenger", "rear_left", "rear_right", "all"]
FAN = {
    "anyOf": [
        {
            "type": "object",
            "properties": {
                "zone": {"type": "string", "enum": ZONES},
                "percent": {"type": "integer", "minimum": 0, "maximum": 100},
            },
            "required": ["percent"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"zone": {"type": "string", "enum": ZONES}, "delta": {"type": "number"}},
            "required": ["delta"],
            "additionalProperties": False,
        },
    ]
}
SWITCH = {
    "type": "object",
    "properties": {"on": {"type": "boolean"}, "where": {"type": "string", "enum": ["front", "rear"]}},
    "required": ["on"],
    "additionalProperties": False,
}
OPTIONAL_ONLY = {"type": "object", "properties": {"doors": {"type": "string", "enum": ZONES}}}
FREE = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "count": {"type": "integer"}},
    "required": ["name", "count"],
}


def _forced(schema: dict[str, object], written: str) -> str:
    layout = JsonLayout(schema)
    for ch in written:  # fed a character at a time, as tokens of any length would be
        layout.feed(ch)
    return layout.forced()[0]


@pytest.mark.parametrize(
    ("schema", "written", "forced"),
    [
        # keys in their fixed order and the punctuation around them
        (SWITCH, "", '{"on": '),
        (FAN, "", '{"'),
        (FAN, '{"de', 'lta": '),
        (FAN, '{"delta": -2, ', '"zone": "'),
        # the rest of a value once its start is unique, and the end where nothing may follow
        (SWITCH, '{"on": t', "rue"),
        (FAN, '{"percent": 40, "zone": "pa', 'ssenger"}'),
        (FAN, '{"percent": 40, "zone": "rear_r', 'ight"}'),
        (SWITCH, '{"on": false, "where": "', ""),  # front or rear
        (OPTIONAL_ONLY, "", "{"),  # "{}" or a key
        (OPTIONAL_ONLY, '{"', 'doors": "'),
        # a bounded integer is its values: 4 may be 4 or 40-49 or followed by a comma
        (FAN, '{"percent": 4', ""),
        (FAN, '{"percent": 100', ""),
        # a free number or string is open until it ends
        (FAN, '{"delta": 2', ""),
        (FREE, '{"name": "a b', ""),
        (FREE, '{"name": "a b"', ', "count": '),
        # off the layout (no space after the colon): nothing is forecast
        (SWITCH, '{"on":t', ""),
        (SWITCH, '{"on":true', ""),
    ],
)
def test_json_layout_forecasts_what_the_schema_forces(
    schema: dict[str, object], written: str, forced: str
) -> None:
    assert _forced(schema, written) == forced


def test_json_layout_follows_json_dumps_with_the_grammars_key_order() -> None:
    # Required keys first, then optional ones: the order the tuned model writes (models/tuning/format.py).
    value = {"percent": 30, "zone": "rear_left"}
    text = json.dumps(value)
    layout = JsonLayout(FAN)
    written = ""
    for ch in text:
        assert text[len(written) :].startswith(layout.forced()[0])
        layout.feed(ch)
        written += ch
    assert layout.forced() == ("", frozenset({""}))


@pytest.mark.parametrize(
    ("schema", "written", "following"),
    [
        (OPTIONAL_ONLY, "", {"}", '"'}),  # "{}" or a key
        (SWITCH, "", {"t", "f"}),  # after '{"on": '
        (SWITCH, '{"on": true', {"}", ","}),
        (FAN, '{"percent": 10', {"0", "}", ","}),  # 10 or 100, then the end or the zone
        (FAN, '{"delta": ', set("-+.eE0123456789")),  # a free number
        (FREE, '{"name": ', set('a0 -"')),  # after the opening quote: a sample of a free string, or its end
    ],
)
def test_json_layout_says_what_may_follow_the_forced_text(
    schema: dict[str, object], written: str, following: set[str]
) -> None:
    # The backend tokenises the forced text with each of these after it, and takes only the tokens
    # they share: a token that merges with what follows is left to the model.
    layout = JsonLayout(schema)
    layout.feed(written)
    assert layout.forced()[1] == following
