"""The language layer: one normal form, one clause cutter, one reading of short turns."""

from __future__ import annotations

import pytest

from agents.language import answer, cut, is_filler, normalise, number_value, pieces, reply_kind, whose
from agents.language.clauses import zones_apart
from agents.language.dialogue import small_talk
from agents.language.lexicon import CANCEL, NO, SKIP_WORDS, YES, ZONES


@pytest.mark.parametrize(
    ("said", "normal"),
    [
        ("Set it to nineteen and a half", "set it to 19.5"),
        ("twenty one point five degrees", "21.5 degrees"),
        ("make it twenty-two", "make it 22"),
        ("set it to 21.5 please", "set it to 21.5 please"),
        ("19 and a half", "19.5"),
        ("a couple of degrees warmer", "2 degrees warmer"),
        ("fan to seventy-five percent", "fan to 75 percent"),
        ("one hundred and five", "105"),
        ("I’m freezing 🥶🥶", "i'm freezing"),
        ("open the window!!! 🙏", "open the window!"),
        ("leave at 10:30", "leave at 10:30"),
        ("one more", "one more"),
        ("level two", "level two"),
        ("two twenty", "two twenty"),
    ],
)
def test_normal_form(said: str, normal: str) -> None:
    assert normalise(said) == normal
    assert normalise(normal) == normal


def test_case_is_kept_when_asked() -> None:
    assert normalise("Take me to Alexanderplatz 🚗", fold_case=False) == "Take me to Alexanderplatz"


@pytest.mark.parametrize(
    ("words", "value"),
    [("twenty-one", 21), ("nineteen", 19), ("one hundred", 100), ("two twenty", None), ("ten ten", None)],
)
def test_number_value(words: str, value: int | None) -> None:
    assert number_value(words) == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("open my window and turn on the seat heating", ["open my window", "turn on the seat heating"]),
        ("lights on, wipers slow and set it to 19.5", ["lights on", "wipers slow", "set it to 19.5"]),
        ("open the sunroof but close the shade", ["open the sunroof", "close the shade"]),
        ("turn on the lights as well as the wipers", ["turn on the lights", "turn on the wipers"]),
        (
            "navigate to the place called 'open all doors and unlock'",
            ["navigate to the place called 'open all doors and unlock'"],
        ),
        ('play "rock, paper and scissors" then lock up', ['play "rock, paper and scissors"', "lock up"]),
        ("find a shop named Salt and Pepper", ["find a shop named Salt and Pepper"]),
    ],
)
def test_one_cutter_never_cuts_data(text: str, expected: list[str]) -> None:
    assert pieces(text) == expected
    for chunk in cut(text):
        # a piece's own words; one that names only a thing says them with the verb it borrows
        assert text[chunk.start : chunk.end] in chunk.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("book... I mean, find a hotel near here", ["find a hotel near here"]),
        ("open the window, scratch that, close the sunroof", ["close the sunroof"]),
        ("warm my seat or rather turn on the fan and the wipers", ["turn on the fan", "turn on the wipers"]),
        ("open the trunk, no wait, open the sunroof", ["open the sunroof"]),
        # not a repair: the first words, an emphasis ("I mean it"), a quoted name
        ("I mean, open the window", ["I mean", "open the window"]),
        ("turn it off, I mean it", ["turn it off", "I mean it"]),
        ("navigate to the place called 'open, I mean close the door'", ["navigate to the place called 'open, I mean close the door'"]),
    ],
)  # fmt: skip
def test_a_speaker_correcting_themselves_keeps_what_follows(text: str, expected: list[str]) -> None:
    assert pieces(text) == expected
    for chunk in cut(text):
        assert text[chunk.start : chunk.end] in chunk.text


@pytest.mark.parametrize(
    ("text", "filler"),
    [("please", True), ("oh, uh", True), ("thank you", True), ("can you", True), ("help", True)],
)
def test_filler(text: str, filler: bool) -> None:
    assert is_filler(text) is filler


@pytest.mark.parametrize("text", ["the wipers", "call mum", "warmer", "again"])
def test_not_filler(text: str) -> None:
    assert not is_filler(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("Sure, go ahead", "yes"),
        ("no thanks", "no"),
        ("not sure", "unclear"),
        ("yes... actually no", "no"),
        ("never mind", "no"),
        ("what time is it", "unclear"),
    ],
)
def test_answer(text: str, expected: str) -> None:
    assert answer(text) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("yes please", "yes"),
        ("Do it.", "yes"),
        ("nope", "no"),
        ("cancel that", "cancel"),
        ("Never mind!", "cancel"),
        ("a bit more", "more"),
        ("the passenger's too", "too"),
        ("the back left one as well", "too"),
        ("yes, open the window", "other"),
        ("the passenger's", "other"),
        ("and the passenger?", "too"),
        ("What about the back", "too"),
        ("same for the passenger", "too"),
        ("do the same for the rear left", "too"),
        ("for the passenger as well", "too"),
        ("how about everyone", "too"),
        ("what about the music", "other"),
        ("a lot more", "more"),
        ("way more", "more"),
        ("a little less", "less"),
        ("less", "less"),
        ("more or less", "other"),
        ("mine too", "too"),
        ("and me?", "too"),
        ("what about the other side", "too"),
        ("and", "other"),
    ],
)
def test_reply_kind(text: str, kind: str) -> None:
    assert reply_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "zone"),
    [("and the passenger's", "passenger"), ("the rear left one", "rear_left"), ("everybody too", "all")],
)
def test_whose(text: str, zone: str) -> None:
    assert whose(text) == zone
    assert zone in ZONES.values()


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("the passenger's too", "passenger"),
        ("and the passenger?", "passenger"),
        ("what about the back", "rear"),
        ("same for the driver", "driver"),
        ("the same for the passenger", "passenger"),
        ("for the passenger as well", "passenger"),
        ("the passenger", None),
        ("the rear left one", None),
        # A seat said relative to the speaker: each agent resolves it from the speaker's seat.
        ("mine too", "self"),
        ("me too", "self"),
        ("what about the other side", "beside"),
    ],
)
def test_whose_said_for_the_previous_request_again(text: str, zone: str | None) -> None:
    """A zone asked for again: "too" after it, or words of SAME_FOR before it; whose alone is not."""
    assert whose(text, said_too=True) == zone


def test_each_word_list_has_no_repeats_and_no_word_is_both_yes_and_no() -> None:
    for words in (YES, NO, CANCEL, SKIP_WORDS):
        assert len(words) == len(set(words))
    assert not set(YES) & set(NO)


@pytest.mark.parametrize(
    ("text", "apart"),
    [
        (
            "turn on the driver and passenger seat heating",
            ["turn on the driver seat heating", "turn on the passenger seat heating"],
        ),
        ("set the driver and the passenger to 21", ["set the driver to 21", "set the passenger to 21"]),
        (
            "the driver, passenger and rear left windows",
            ["the driver windows", "the passenger windows", "the rear left windows"],
        ),
        ("rock and roll", ["rock and roll"]),
        ("play 'driver and passenger'", ["play 'driver and passenger'"]),
    ],
)
def test_several_zones_at_once_are_one_request_for_each(text: str, apart: list[str]) -> None:
    assert zones_apart(text) == apart


def test_two_zones_joined_by_and_are_not_cut_apart() -> None:
    assert pieces("turn on the driver and passenger seat heating") == [
        "turn on the driver and passenger seat heating"
    ]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hello", "greeting"),
        ("Hi there!", "greeting"),
        ("good morning", "greeting"),
        ("thanks", "thanks"),
        ("cheers, that's perfect", "thanks"),
        ("what can you do?", "capabilities"),
        ("so what else can you do", "capabilities"),
    ],
)
def test_small_talk(text: str, kind: str) -> None:
    assert small_talk(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "hey, open my window",
        "thanks, and turn on the seat heating",
        "help, the windows are fogging",
        "what can you do about the fog",
        "never mind",
        "yes",
    ],
)
def test_a_request_is_no_small_talk(text: str) -> None:
    assert small_talk(text) is None
