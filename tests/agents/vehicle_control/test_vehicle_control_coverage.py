"""What people say in a car, by mechanism: intensity words, zones (several at once, relative to the
speaker, sides of the car), spelled-out amounts. Each test runs a mechanism over every word of its
table in the language layer, not over chosen sentences."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.hosting import Seat
from agents.language.lexicon import INTENSIFIERS, INTENSITY, SPEAKER_ZONES, ZONE_MODIFIERS, ZONE_WORDS, ZONES
from agents.language.normalise import normalise
from agents.vehicle_control import Action, TemplateParser
from agents.vehicle_control.actions import SEATS
from agents.vehicle_control.amounts import EXTREMES, STEPS, amount
from agents.vehicle_control.seats import NOWHERE, SIDE, nowhere, postposed, resolve
from mcp_servers.vehicle.guardrails.rules import ComfortBounds

_SEATS = st.sampled_from(SEATS)


def _arguments(parser: TemplateParser, text: str, seat: Seat = "driver") -> list[dict[str, object]]:
    parse = parser.parse(text, seat=seat)
    assert parse.understood_all, (text, parse.unmatched)
    return [dict(action.arguments) for action in parse.actions]


# -- intensity -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("word", "grade"), sorted(INTENSITY.items()))
def test_every_intensity_word_is_a_fan_step_or_its_end(parser: TemplateParser, word: str, grade: str) -> None:
    expected = amount("set_fan", grade, 1)
    assert expected is not None

    assert _arguments(parser, f"turn the fan up {word}") == [{"zone": "driver", **expected}]


@pytest.mark.parametrize(("word", "grade"), sorted(INTENSITY.items()))
def test_every_intensity_word_is_a_volume_step_down_or_silence(
    parser: TemplateParser, word: str, grade: str
) -> None:
    expected = amount("set_media_volume", grade, -1)
    assert expected is not None

    assert _arguments(parser, f"turn the volume {word} down") == [expected]


@pytest.mark.parametrize(("verb", "grade"), sorted(INTENSIFIERS.items()))
def test_a_verb_that_says_how_much_sets_the_step(parser: TemplateParser, verb: str, grade: str) -> None:
    warmer = amount("set_cabin_temperature", grade, 1)
    fan = amount("set_fan", grade, 1)

    assert _arguments(parser, f"{verb} the heat") == [{"zone": "driver", **(warmer or {})}]
    assert _arguments(parser, f"{verb} the fan") == [{"zone": "driver", **(fan or {})}]


@given(tool=st.sampled_from(sorted(STEPS)), grade=st.sampled_from(["small", "medium", "large"]))
def test_a_step_down_is_the_step_up_turned_around(tool: str, grade: str) -> None:
    up, down = amount(tool, grade, 1), amount(tool, grade, -1)

    assert up is not None and down is not None
    assert up["delta"] == -down["delta"]  # type: ignore[operator]


def test_steps_grow_with_the_grade_and_ends_stay_in_the_cars_bounds() -> None:
    for steps in STEPS.values():
        assert steps["small"] < steps["medium"] < steps["large"]
    (hot_name, hot), (cold_name, cold) = EXTREMES["set_cabin_temperature"]
    assert (hot_name, cold_name) == ("celsius", "celsius")
    assert (cold, hot) == (ComfortBounds.MIN_C, ComfortBounds.MAX_C)
    # The other ends are the ranges the tools' schemas declare (the volume's top is 100: a rise too
    # large at once is the guardrails' to refuse, GR-03).
    assert EXTREMES["set_media_volume"] == (("percent", 100), ("percent", 0))
    assert EXTREMES["set_fan"] == (("percent", 100), ("percent", 0))
    # A window takes no relative change: a grade is a change from where it is, which the agent reads.
    assert amount("set_window", "large", 1) == {"by": 60}
    assert amount("set_window", "small", -1) == {"by": -20}
    assert amount("set_seat_heating", "small", -1) == {"by": -1}
    assert amount("set_seat_heating", "extreme", 1) == {"level": 3}
    assert amount("set_air_conditioning", "large", 1) is None
    assert amount("set_fan", "enormous", 1) is None


@pytest.mark.parametrize(
    ("said", "arguments"),
    [
        ("as cold as it goes", {"zone": "driver", "celsius": ComfortBounds.MIN_C}),
        ("make it as warm as it gets", {"zone": "driver", "celsius": ComfortBounds.MAX_C}),
        ("seat heat on full blast", {"seat": "driver", "level": 3}),
        ("massage on the highest setting", {"seat": "driver", "level": 100}),
    ],
)
def test_as_far_as_it_goes_is_the_devices_end(
    parser: TemplateParser, said: str, arguments: dict[str, object]
) -> None:
    assert _arguments(parser, said) == [arguments]


# -- zones -----------------------------------------------------------------------------------------


def test_every_zone_word_is_in_one_table_only() -> None:
    assert len(ZONE_WORDS) == len(ZONES) + len(ZONE_MODIFIERS) + len(SPEAKER_ZONES)


@settings(max_examples=60, deadline=None)
@given(word=st.sampled_from(sorted(ZONE_WORDS)), seat=_SEATS)
def test_every_zone_word_is_resolved_from_the_speakers_seat(
    parser: TemplateParser, word: str, seat: Seat
) -> None:
    zones = resolve(ZONE_WORDS[word], seat)
    parse = parser.parse(f"set the temperature to 22 for the {word}", seat=seat)

    if zones is None:
        assert parse.actions == ()
        assert parse.lacking == (f"{NOWHERE}{nowhere(ZONE_WORDS[word], seat)}",)
    else:
        assert [a.arguments for a in parse.actions] == [{"celsius": 22, "zone": zone} for zone in zones]


@given(seat=_SEATS)
def test_relative_seats_are_consistent(seat: Seat) -> None:
    (beside,) = resolve("beside", seat) or ()
    assert beside != seat
    assert resolve("beside", beside) == (seat,)
    behind = resolve("behind", seat)
    if behind is not None:
        assert resolve("ahead", behind[0]) == (seat,)
    assert resolve("self", seat) == (seat,)
    assert seat in (resolve(f"{SIDE}self", seat) or ())
    assert not set(resolve(f"{SIDE}self", seat) or ()) & set(resolve(f"{SIDE}beside", seat) or ())


@settings(deadline=None)
@given(seat=_SEATS, noun=st.sampled_from(["window", "seat"]))
def test_a_position_said_after_its_noun_is_read(parser: TemplateParser, seat: Seat, noun: str) -> None:
    for word, where in SPEAKER_ZONES.items():
        if not word.endswith(" me"):
            continue
        assert postposed(f"open the {noun} {word}") == f"open the {word} {noun}"
        zones = resolve(where, seat)
        parse = parser.parse(f"open the window {word}", seat=seat)
        expected = (
            []
            if zones is None
            else [Action(tool="set_window", arguments={"window": z, "action": "open"}) for z in zones]
        )
        assert list(parse.actions) == expected


@pytest.mark.parametrize(
    ("said", "seat", "windows"),
    [
        ("open the left windows", "passenger", ["driver", "rear_left"]),
        ("open the passenger side windows", "driver", ["passenger", "rear_right"]),
        ("open the windows on my side", "rear_right", ["passenger", "rear_right"]),
        ("open the windows on the other side", "rear_right", ["driver", "rear_left"]),
        ("open the driver and passenger windows", "driver", ["driver", "passenger"]),
        ("open both rear windows", "driver", ["rear"]),
    ],
)
def test_a_side_said_of_windows_is_both_seats_on_it(
    parser: TemplateParser, said: str, seat: Seat, windows: list[str]
) -> None:
    assert [a["window"] for a in _arguments(parser, said, seat)] == windows


@settings(deadline=None)
@given(first=st.sampled_from(["driver", "passenger", "rear left", "rear right"]), seat=_SEATS)
def test_a_zone_and_the_speaker_are_each_served(parser: TemplateParser, first: str, seat: Seat) -> None:
    zones = [a["zone"] for a in _arguments(parser, f"make it warmer for the {first} and me", seat)]

    assert zones == list(dict.fromkeys([ZONES[first], seat]))


# -- amounts said in words -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "arguments"),
    [
        ("half a degree warmer", {"zone": "driver", "delta": 0.5}),
        ("go up a couple of degrees", {"zone": "driver", "delta": 2}),
        ("drop it three degrees", {"zone": "driver", "delta": -3}),
        ("nineteen and a half on my side", {"zone": "driver", "celsius": 19.5}),
    ],
)
def test_amounts_said_in_words(parser: TemplateParser, said: str, arguments: dict[str, object]) -> None:
    assert _arguments(parser, said) == [arguments]


@given(part=st.sampled_from([("a", 25), ("one", 25), ("three", 75)]))
def test_parts_of_the_way_are_percentages(part: tuple[str, int]) -> None:
    word, percent = part
    quarters = "quarter" if percent == 25 else "quarters"
    assert normalise(f"open it {word} {quarters} of the way") == f"open it {percent} percent"


# -- indirect needs --------------------------------------------------------------------------------


def test_every_need_is_met_by_tools_of_this_agent_and_said_in_the_grammar(parser: TemplateParser) -> None:
    from agents.vehicle_control.actions import AGENT_TOOLS
    from agents.vehicle_control.needs import NEEDS
    from agents.vehicle_control.parser import GRAMMAR, _load_grammar

    said = {
        block["metadata"]["need"]
        for intent in _load_grammar(GRAMMAR)[0]["intents"].values()
        for block in intent["data"]
        if isinstance(block.get("metadata"), dict) and "need" in block["metadata"]
    }
    assert said == set(NEEDS)
    assert {tool for calls in NEEDS.values() for tool, _arguments in calls} <= set(AGENT_TOOLS)


@given(seat=_SEATS)
@settings(deadline=None)
def test_a_need_is_met_where_it_is_felt(parser: TemplateParser, seat: Seat) -> None:
    from agents.vehicle_control.needs import NEEDS, ZONE

    parse = parser.parse("it's stuffy in here", seat=seat)
    expected = [
        Action(tool=tool, arguments={k: (seat if v == ZONE else v) for k, v in arguments.items()})
        for tool, arguments in NEEDS["stuffy"]
    ]
    assert list(parse.actions) == expected


def test_a_need_the_table_does_not_have_is_refused_at_load(tmp_path: object) -> None:
    from pathlib import Path

    from agents.vehicle_control import SetupError

    assert isinstance(tmp_path, Path)
    path = tmp_path / "sentences.yaml"
    path.write_text(
        "language: en\nskills: {climate: [need]}\nintents:\n  need:\n    data:\n"
        "      - sentences: ['it is gloomy']\n        metadata: {need: gloom}\n",
        encoding="utf-8",
    )
    with pytest.raises(SetupError, match="'gloom' is no need"):
        TemplateParser(path)
