"""The lead-ins of a correction ("sorry", "oops", "my bad", "I meant"), read from the lexicon's
``CORRECTIONS`` in one place: dropped before "22 instead" and "make it 22", skipped by the grammars."""

from __future__ import annotations

import pytest

from agents.language.dialogue import instead, reply_kind, without_lead_in
from agents.language.lexicon import CORRECTIONS, SKIP_WORDS


@pytest.mark.parametrize(
    ("said", "plain"),
    [
        ("sorry, 22 instead", "22 instead"),
        ("Oops, make it 22", "make it 22"),
        ("my bad, make it 22", "make it 22"),
        ("I meant 22 instead", "22 instead"),
        ("sorry, I meant 22 instead", "22 instead"),
        ("Whoops. Set it to 3", "set it to 3"),
        ("my mistake, medium instead please", "medium instead please"),
        ("no, sorry, make it 22", "make it 22"),
        ("actually, make it 22", "make it 22"),
    ],
)
def test_the_lead_in_of_a_correction_is_dropped(said: str, plain: str) -> None:
    assert without_lead_in(said) == plain


@pytest.mark.parametrize(
    ("said", "value"),
    [("sorry, 22 instead", "22"), ("oops, 3 instead", "3"), ("my bad, I meant high instead", "high")],
)
def test_another_value_after_a_lead_in(said: str, value: str) -> None:
    assert instead(said) == value


def test_a_lead_in_is_dropped_only_at_the_start() -> None:
    assert without_lead_in("make it 22 sorry") == "make it 22 sorry"
    assert without_lead_in("sorrybut 22") == "sorrybut 22"  # a word that only begins like one


def test_an_undo_after_a_lead_in_is_an_undo() -> None:
    assert reply_kind("oops, undo that") == "undo"
    assert reply_kind("my bad, put it back") == "undo"


def test_the_grammars_skip_the_lead_ins_but_a_no() -> None:
    assert {"sorry", "oops", "my bad", "i meant"} <= set(CORRECTIONS)
    assert {"sorry", "my bad", "i meant", "whoops"} <= set(SKIP_WORDS)
    assert "no" not in SKIP_WORDS and "nope" not in SKIP_WORDS
