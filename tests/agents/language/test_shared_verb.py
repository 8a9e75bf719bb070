"""Two things acted on by one verb ("open the sunroof and the windows"): the one clause cutter gives
each its request, the verb said once carried to the thing that has none."""

from __future__ import annotations

import pytest

from agents.language.clauses import cut, pieces


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("open the sunroof and the windows", ["open the sunroof", "open the windows"]),
        ("switch off the seat heating and the fan", ["switch off the seat heating", "switch off the fan"]),
        ("turn the fan off and the seat heating", ["turn the fan off", "turn the seat heating off"]),
        (
            "close the windows, the sunroof and the shade",
            ["close the windows", "close the sunroof", "close the shade"],
        ),
        ("please lock the doors as well as the trunk", ["please lock the doors", "lock the trunk"]),
        (
            "turn on the AC and close the windows",
            ["turn on the AC", "close the windows"],
        ),  # each its own verb
    ],
)
def test_a_thing_without_a_verb_borrows_the_verb_before_it(text: str, expected: list[str]) -> None:
    assert pieces(text) == expected
    for chunk in cut(text):
        assert text[chunk.start : chunk.end] in chunk.text  # its own words, where they are


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # whose, not what: the follow-up readings take them
        ("turn on my seat heating and the passenger's", ["turn on my seat heating", "the passenger's"]),
        ("open the windows and the rear ones", ["open the windows", "the rear ones"]),
        # a value needs more than the verb
        ("set the fan to 3 and the temperature to 20", ["set the fan to 3", "the temperature to 20"]),
        # a statement of how things are
        ("turn off recirc, the windows are fogging", ["turn off recirc", "the windows are fogging"]),
        # "then" orders two requests, it lists no things
        ("open the sunroof then the windows", ["open the sunroof", "the windows"]),
        # a name is data
        ("navigate to 'Bob and the rest'", ["navigate to 'Bob and the rest'"]),
    ],
)
def test_no_verb_is_carried_to_what_is_no_thing_alone(text: str, expected: list[str]) -> None:
    assert pieces(text) == expected
