"""How the navigation agent puts its sentences together: the answer first, a question always last,
and while the car is not parked (GR-12) only the answer and the question."""

from __future__ import annotations

import pytest

from agents.navigation.speech import brief

ANSWER = "The nearest pharmacy is on Mannerheimintie, 400 metres, about 2 minutes away."
MORE = "There's also Kluuvin Apteekki."
ASK = "Shall I take you there?"


def test_the_question_goes_last_whatever_the_order() -> None:
    assert brief([ASK, ANSWER, MORE], restricted=False) == f"{ANSWER} {MORE} {ASK}"


@pytest.mark.rule("GR-12")
def test_gr12_only_the_answer_and_the_question_while_moving() -> None:
    assert brief([ANSWER, MORE, ASK], restricted=True) == f"{ANSWER} {ASK}"
    assert brief([ANSWER, MORE], restricted=True) == ANSWER


def test_empty_sentences_are_left_out() -> None:
    assert brief(["", ANSWER, ""], restricted=False) == ANSWER
