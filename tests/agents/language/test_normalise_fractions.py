"""A position said as a fraction of the way is a percentage in the normal form, for every fraction of
the lexicon; a fraction said without "of the way" stays words (the grammars read it in context)."""

from __future__ import annotations

import pytest

from agents.language.lexicon import FRACTIONS
from agents.language.normalise import normalise


@pytest.mark.parametrize("fraction", sorted(FRACTIONS))
def test_every_fraction_of_the_way_is_a_percentage(fraction: str) -> None:
    said = f"put the window {fraction} of the way down"

    assert normalise(said) == f"put the window {FRACTIONS[fraction]} percent down"
    assert normalise(normalise(said)) == normalise(said)


@pytest.mark.parametrize(
    ("said", "normal"),
    [
        ("Open it Two Thirds of the way", "open it 67 percent"),
        ("close them half the way", "close them 50 percent"),
        ("open the sunshade a quarter", "open the sunshade a quarter"),
        ("open it all the way", "open it all the way"),
        ("the rest of the way", "the rest of the way"),
    ],
)
def test_fractions_in_context(said: str, normal: str) -> None:
    assert normalise(said) == normal
