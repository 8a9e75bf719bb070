"""Understanding questions: common phrasings and parsed intents, as data."""

from __future__ import annotations

from typing import Any

import pytest

from agents.hosting import ParsedIntent
from agents.perception import Ask, IntentError, ask_from_intent, parse_question

PHRASINGS: list[tuple[str, dict[str, Any]]] = [
    ("What's around me?", {"kind": "surroundings", "region": "all"}),
    ("what’s around us", {"kind": "surroundings", "region": "all"}),
    ("Anything nearby?", {"kind": "surroundings", "region": "all"}),
    ("what do you see", {"kind": "surroundings", "region": "all"}),
    ("any cyclists", {"kind": "surroundings", "region": "all"}),
    ("what's ahead", {"kind": "surroundings", "region": "ahead"}),
    ("what's in front of me", {"kind": "surroundings", "region": "ahead"}),
    ("who's behind me", {"kind": "surroundings", "region": "behind"}),
    ("is someone following us", {"kind": "surroundings", "region": "behind"}),
    ("anything on my left", {"kind": "surroundings", "region": "left"}),
    ("what's on the right side", {"kind": "surroundings", "region": "right"}),
    ("Anything in my blind spot?", {"kind": "blind_spot", "side": None}),
    ("check my right blind spot", {"kind": "blind_spot", "side": "right"}),
    ("is my left blindspot clear", {"kind": "blind_spot", "side": "left"}),
    ("is anything in my blind spot right now", {"kind": "blind_spot", "side": None}),
    ("Is it safe to change lanes?", {"kind": "lane_change", "side": None}),
    ("can I move over to the left", {"kind": "lane_change", "side": "left"}),
    ("can I merge right", {"kind": "lane_change", "side": "right"}),
    ("is the left lane clear", {"kind": "lane_change", "side": "left"}),
    ("ok to overtake?", {"kind": "lane_change", "side": None}),
    ("What did that sign say?", {"kind": "sign_text"}),
    ("read that sign for me", {"kind": "sign_text"}),
    ("what was written on the sign", {"kind": "sign_text"}),
    ("What's the speed limit?", {"kind": "speed_limit"}),
    ("how fast can I go here", {"kind": "speed_limit"}),
    ("am I speeding", {"kind": "speed_limit"}),
    ("any signs?", {"kind": "signs"}),
    ("Am I looking tired?", {"kind": "driver_state"}),
    ("do I seem distracted", {"kind": "driver_state"}),
    ("am I paying attention", {"kind": "driver_state"}),
    ("Should I take a break?", {"kind": "take_break", "self_reported": False}),
    ("do I need a rest", {"kind": "take_break", "self_reported": False}),
    ("is a short break a good idea", {"kind": "take_break", "self_reported": False}),
    ("am I getting tired?", {"kind": "driver_state"}),
    ("I'm tired", {"kind": "take_break", "self_reported": True}),
    ("I am getting really sleepy", {"kind": "take_break", "self_reported": True}),
    ("I'm falling asleep", {"kind": "take_break", "self_reported": True}),
    ("I keep nodding off", {"kind": "take_break", "self_reported": True}),
    ("I want to sleep", {"kind": "take_break", "self_reported": True}),
    ("I can barely keep my eyes open", {"kind": "take_break", "self_reported": True}),
    ("I feel really sleepy", {"kind": "take_break", "self_reported": True}),
    ("I feel a bit dizzy", {"kind": "take_break", "self_reported": True, "unwell": True}),
    ("I think I might faint", {"kind": "take_break", "self_reported": True, "unwell": True}),
    ("I'm not feeling well", {"kind": "take_break", "self_reported": True, "unwell": True}),
    ("I'm tired", {"kind": "take_break", "self_reported": True, "unwell": False}),
    ("can I park here?", {"kind": "parking"}),
    ("is stopping allowed here", {"kind": "parking"}),
    ("am I allowed to park here", {"kind": "parking"}),
]


@pytest.mark.parametrize(("text", "expected"), PHRASINGS)
def test_common_phrasings_are_understood(text: str, expected: dict[str, Any]) -> None:
    assert parse_question(text) == Ask.model_validate(expected)


@pytest.mark.parametrize(
    "text", ["play some jazz", "open the window", "navigate home", "my wipers might break", "", "   ", "?!"]
)
def test_other_requests_are_not_understood(text: str) -> None:
    assert parse_question(text) is None


def test_every_kind_belongs_to_a_card_skill() -> None:
    skills = {Ask.model_validate(expected).skill for _, expected in PHRASINGS}
    assert skills == {"surroundings", "signs", "driver"}


INTENTS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"intent": "blind_spot", "slots": {"side": "left"}}, {"kind": "blind_spot", "side": "left"}),
    ({"intent": "blind_spot", "slots": {"region": "right"}}, {"kind": "blind_spot", "side": "right"}),
    ({"intent": "perception.lane_change", "slots": {}}, {"kind": "lane_change"}),
    ({"intent": "surroundings", "slots": {"region": "blind_spot"}}, {"kind": "blind_spot"}),
    ({"intent": "surroundings", "slots": {"region": "behind"}}, {"kind": "surroundings", "region": "behind"}),
    ({"intent": "whats_ahead", "slots": {}}, {"kind": "surroundings", "region": "ahead"}),
    ({"intent": "Perception-Summary.Speed-Limit", "slots": {"ignored": 1}}, {"kind": "speed_limit"}),
    ({"intent": "driver", "slots": {"region": "left"}}, {"kind": "driver_state"}),
    (
        {"intent": "take_break", "slots": {"self_reported": True}},
        {"kind": "take_break", "self_reported": True},
    ),
]


@pytest.mark.parametrize(("intent", "expected"), INTENTS)
def test_parsed_intents_map_to_questions(intent: dict[str, Any], expected: dict[str, Any]) -> None:
    assert ask_from_intent(ParsedIntent.model_validate(intent)) == Ask.model_validate(expected)


@pytest.mark.parametrize(
    ("intent", "message"),
    [
        ({"intent": "open_window", "slots": {}}, "open_window"),
        ({"intent": "blind_spot", "slots": {"side": "up"}}, "slot 'side'"),
        ({"intent": "surroundings", "slots": {"region": "sky"}}, "slot 'region'"),
    ],
)
def test_unusable_intents_name_the_problem(intent: dict[str, Any], message: str) -> None:
    with pytest.raises(IntentError, match=message):
        ask_from_intent(ParsedIntent.model_validate(intent))
