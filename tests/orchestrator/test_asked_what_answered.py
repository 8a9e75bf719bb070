"""The answer to "What would you like me to set to 3?" (`asked_what`): a device named alone is the
request to set it to that value (`set_named`); anything else is no such answer."""

from __future__ import annotations

import pytest

from orchestrator.dialogue import SessionStore, asked_what, set_named


@pytest.mark.parametrize(
    ("said", "asked"),
    [
        ("the fan", "set the fan to 3"),
        ("fan", "set fan to 3"),
        ("my seat heating please", "set my seat heating to 3"),
        ("oh, the seat heating", "set the seat heating to 3"),
        ("the volume.", "set the volume to 3"),
        ("sorry, the passenger seat heating", "set the passenger seat heating to 3"),
    ],
)
def test_a_device_named_alone_is_set_to_the_value_asked_about(said: str, asked: str) -> None:
    assert set_named(said, "3") == asked


@pytest.mark.parametrize(
    "said",
    ["open the window", "yes", "no", "never mind", "what?", "turn it up", "set the fan", "22", "thanks"],
)
def test_anything_else_is_no_answer(said: str) -> None:
    assert set_named(said, "3") is None


def test_the_question_is_the_sessions_open_question() -> None:
    store = SessionStore()
    session = store.open(None, "driver")

    waiting = store.expect_device(session, "3")

    assert store.waiting(session) is waiting
    assert (waiting.question, waiting.value) == (asked_what("3"), "3")
