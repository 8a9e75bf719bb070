"""A value said of "it" after a request is an edit of that request's value whatever the verb ("make it
40" after "set the fan to 60" is "set the fan to 40"): `dialogue.refer_back` gives the same value said
the way every device's grammar reads one (`Reference.set_to`)."""

from __future__ import annotations

import pytest

from orchestrator.dialogue import refer_back, value_alone


@pytest.mark.parametrize(
    ("said", "previous", "set_to"),
    [
        ("make it 40", "set the fan to 60", "set the fan to 40"),
        ("make it 40 percent", "set the fan to 60", "set the fan to 40 percent"),
        ("put it at 30", "open my window", "set my window to 30"),
        ("turn it to 8", "turn on the seat heating", "set the seat heating to 8"),
        ("make it the max", "set the volume to 30", "set the volume to the max"),
    ],
)
def test_a_value_said_of_it_is_also_said_as_set_to(said: str, previous: str, set_to: str) -> None:
    reference = refer_back(said, previous, valued=True)

    assert reference is not None
    assert reference.set_to == set_to


def test_a_clause_without_a_value_has_no_set_to() -> None:
    reference = refer_back("close it again", "open my window")

    assert reference is not None
    assert reference.resolved == "close my window"
    assert reference.set_to is None


def test_a_value_of_it_needs_a_previous_object() -> None:
    assert refer_back("make it 40", "I'm cold", valued=True) is None


@pytest.mark.parametrize(
    ("said", "value"), [("make it 40", "40"), ("set it to 3", "3"), ("make it 22", None)]
)
def test_first_thing_only_a_number_outside_the_comfort_range_is_asked_about(
    said: str, value: str | None
) -> None:
    # "make it 22" with nothing before is the temperature, as the templates read it (GR-03's range)
    assert value_alone(said) == value
