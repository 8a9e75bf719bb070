"""The shared reply composer: one sentence where one will do, questions last, no internal words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.spoken import Part, clause, compose, join_replies, join_words, plain, sentence, sentences_of


def test_things_done_become_one_sentence() -> None:
    reply = compose(
        [
            Part(text="your side's at 20 degrees", kind="done"),
            Part(text="your seat heating is on medium", kind="done"),
        ]
    )
    assert reply == "Your side's at 20 degrees and your seat heating is on medium."


def test_what_was_not_done_is_joined_with_but_and_the_question_goes_last() -> None:
    reply = compose(
        [
            Part(text="Unlock the doors?", kind="question"),
            Part(text="the headlights are on", kind="done"),
            Part(text="The trunk can only be opened when the car is parked and stopped.", kind="not_done"),
            Part(text="I didn't act on the rest", kind="not_done"),
        ]
    )
    assert reply == (
        "The headlights are on, but the trunk can only be opened when the car is parked and stopped. "
        "I didn't act on the rest. Unlock the doors?"
    )


def test_a_reason_that_opens_with_a_name_is_not_lower_cased_into_a_sentence() -> None:
    reply = compose(
        [Part(text="the A/C is on", kind="done"), Part(text="ESC stays on while driving", kind="not_done")]
    )
    assert reply == "The A/C is on. ESC stays on while driving."


def test_internal_words_are_said_plainly() -> None:
    assert plain("GR-16: client 'vehicle-control' may not write this signal") == (
        "this assistant may not write this signal"
    )
    assert plain("only a person in the car can ask for this (request origin: remote)") == (
        "only a person in the car can ask for this"
    )
    assert plain(
        "set_window ONE_SHOT_CLOSE refused for Vehicle.Cabin.Door.Row1.DriverSide.Window.Position"
    ) == ("window close refused for that setting")
    not_done = compose(
        [Part(text="Vehicle.Cabin.Sunroof.Switch can't be ONE_SHOT_OPEN (GR-07)", kind="not_done")]
    )
    assert not_done == "That setting can't be open."


def test_replies_of_several_agents_become_one_sentence_with_the_question_last() -> None:
    reply = join_replies(
        [
            "The nearest charger is 300 metres away. Shall I take you there?",
            "Okay, the doors are unlocked.",
        ]
    )
    assert (
        reply == "The nearest charger is 300 metres away and the doors are unlocked. Shall I take you there?"
    )


def test_a_second_acknowledgement_is_dropped_and_the_first_kept_capitalised() -> None:
    assert join_replies(["Okay, cancelled.", "Okay, the doors are unlocked."]) == (
        "Cancelled and the doors are unlocked."
    )
    assert join_replies(["Your side's at 20 degrees.", "Okay, the sunroof is closing."]) == (
        "Your side's at 20 degrees and the sunroof is closing."
    )


def test_a_bare_acknowledgement_goes_and_an_elided_verb_keeps_its_sentence() -> None:
    assert join_replies(["Okay.", "The doors are unlocked."]) == "The doors are unlocked."
    assert (
        join_replies(["Okay, I won't.", "The doors are unlocked."])
        == "Okay, I won't. The doors are unlocked."
    )


def test_a_name_keeps_its_capital_so_its_sentence_stays_apart() -> None:
    reply = join_replies(["The doors are unlocked.", "Kluuvin Apteekki is 360 metres away."])
    assert reply == "The doors are unlocked. Kluuvin Apteekki is 360 metres away."


def test_long_quoted_or_listed_statements_stay_apart() -> None:
    quoted = join_replies(['The sign says "Keskusta".', "The doors are unlocked."])
    long = join_replies(
        [
            "The headlights are on, the wipers are on fast, your side's at 20 degrees and the fan is at 40 percent.",
            "The doors are unlocked.",
        ]
    )
    assert quoted == 'The sign says "Keskusta". The doors are unlocked.'
    assert sentences_of(long) == [
        "The headlights are on, the wipers are on fast, your side's at 20 degrees and the fan is at 40 percent.",
        "The doors are unlocked.",
    ]


def test_a_list_gets_a_comma_before_the_joining_and() -> None:
    reply = join_replies(["The A/C is on and the fan is at 40 percent.", "The doors are unlocked."])
    assert reply == "The A/C is on and the fan is at 40 percent, and the doors are unlocked."


def test_one_reply_is_left_as_it_is() -> None:
    assert join_replies(["Okay, I won't.", ""]) == "Okay, I won't."
    assert join_replies([]) == ""


@pytest.mark.parametrize(
    ("items", "joined"), [([], ""), (["a"], "a"), (["a", "b"], "a and b"), (["a", "b", "c"], "a, b and c")]
)
def test_join_words(items: list[str], joined: str) -> None:
    assert join_words(items) == joined


def test_sentence_and_clause() -> None:
    assert sentence("  the doors are   unlocked ") == "The doors are unlocked."
    assert sentence("Unlock the doors?") == "Unlock the doors?"
    assert sentence('the sign says "Exit 12."') == 'The sign says "Exit 12."'
    assert clause("Okay, the doors are unlocked.") == "the doors are unlocked"
    assert clause("Kluuvin Apteekki is near.") == "Kluuvin Apteekki is near"
    assert clause("I can't change gear.") == "I can't change gear"


_STATEMENT = st.sampled_from(
    [
        "The doors are unlocked.",
        "Okay, your side's at 20 degrees.",
        "Kluuvin Apteekki is 360 metres away.",
        'The sign says "Keskusta".',
        "I can't change gear for you; that stays with the driver.",
        "Cancelled.",
    ]
)
_QUESTION = st.sampled_from(["Shall I take you there?", "Unlock the doors?", "Which one do you mean?"])


@given(st.lists(st.one_of(_STATEMENT, _QUESTION), min_size=2, max_size=5))
def test_questions_always_come_last_and_nothing_is_lost(replies: list[str]) -> None:
    joined = join_replies(replies)
    pieces = sentences_of(joined)
    asked = [piece for piece in pieces if piece.endswith("?")]
    assert pieces[len(pieces) - len(asked) :] == asked
    assert asked == [reply for reply in replies if reply.endswith("?")]
    for reply in replies:
        core = clause(reply).removeprefix("I ").split(" ", 1)[-1]
        assert core.lower() in joined.lower()


def test_things_done_that_say_the_same_share_it() -> None:
    reply = compose(
        [
            Part(text="the sunshade is opening", kind="done"),
            Part(text="your side's at 20 degrees", kind="done"),
            Part(text="the sunroof is opening", kind="done"),
        ]
    )
    assert reply == "The sunshade and the sunroof are opening and your side's at 20 degrees."


def test_a_reason_without_a_capital_joins_with_but() -> None:
    reply = compose(
        [
            Part(text="your seat heating is on medium", kind="done"),
            Part(text="40 °C is outside the cabin's comfort range of 16 to 30 °C", kind="not_done"),
        ]
    )
    assert (
        reply
        == "Your seat heating is on medium, but 40 °C is outside the cabin's comfort range of 16 to 30 °C."
    )
    moving = compose(
        [
            Part(text="your side's at 21 degrees", kind="done"),
            Part(text="doors stay locked while the car is moving", kind="not_done"),
        ]
    )
    assert moving == "Your side's at 21 degrees, but doors stay locked while the car is moving."
