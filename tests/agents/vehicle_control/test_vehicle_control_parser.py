"""The sentence templates, driven by YAML tables (like Home Assistant's intent tests): every phrasing in
`sentences/*.yaml` must give exactly the listed calls for the speaker's seat, and the negatives none."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.hosting import Seat
from agents.vehicle_control import Action, SetupError, TemplateParser
from agents.vehicle_control.actions import AGENT_TOOLS
from agents.vehicle_control.driving import DRIVING_TOOL

TABLES = Path(__file__).resolve().parent / "sentences"


def _cases() -> list[Any]:
    cases: list[Any] = []
    for path in sorted(TABLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for index, test in enumerate(data.get("tests", [])):
            seat = test.get("seat", "driver")
            expected = [Action.model_validate(action) for action in test["actions"]]
            for sentence in test["sentences"]:
                cases.append(
                    pytest.param(sentence, seat, expected, id=f"{path.stem}[{index}]:{seat}:{sentence}")
                )
    return cases


def _negatives() -> list[Any]:
    data = yaml.safe_load((TABLES / "negative.yaml").read_text(encoding="utf-8"))
    return [pytest.param(sentence, id=sentence) for sentence in data["no_actions"]]


@pytest.mark.parametrize(("sentence", "seat", "expected"), _cases())
def test_sentence_gives_the_listed_calls(
    parser: TemplateParser, sentence: str, seat: Seat, expected: list[Action]
) -> None:
    parse = parser.parse(sentence, seat=seat)

    assert list(parse.actions) == expected
    assert parse.understood_all, parse.unmatched


@pytest.mark.parametrize("sentence", _negatives())
def test_other_requests_give_no_call(parser: TemplateParser, sentence: str) -> None:
    parse = parser.parse(sentence, seat="driver")

    assert parse.actions == ()
    assert parse.unmatched


def test_tables_cover_every_tool(parser: TemplateParser) -> None:
    covered = {action.tool for case in _cases() for action in case.values[2]}

    assert covered == {*AGENT_TOOLS, DRIVING_TOOL}


def test_a_clause_nothing_matches_is_returned_unmatched(parser: TemplateParser) -> None:
    parse = parser.parse("lights on and make me a sandwich", seat="driver")

    assert parse.actions == (Action(tool="set_lights", arguments={"light": "low_beam", "on": True}),)
    assert parse.unmatched == ("make me a sandwich",)
    assert not parse.understood_all


def test_filler_clauses_are_dropped(parser: TemplateParser) -> None:
    parse = parser.parse("um, uh, like, volume 20, thanks", seat="driver")

    assert parse.actions == (Action(tool="set_media_volume", arguments={"percent": 20}),)
    assert parse.understood_all


def test_nothing_understood_returns_the_whole_text(parser: TemplateParser) -> None:
    parse = parser.parse("make me a sandwich, and a coffee", seat="driver")

    assert parse.actions == ()
    assert parse.unmatched == ("make me a sandwich, and a coffee",)


def test_empty_text_gives_nothing(parser: TemplateParser) -> None:
    assert parser.parse("   ", seat="driver") == parser.parse("", seat="driver")
    assert parser.parse("", seat="driver").actions == ()


# -- follow-ups ------------------------------------------------------------------------------------


def test_follow_up_repeats_the_last_relative_change(parser: TemplateParser) -> None:
    warmer = Action(tool="set_cabin_temperature", arguments={"zone": "passenger", "delta": 1})

    more = parser.parse("a bit more", seat="driver", previous=warmer)
    less = parser.parse("a bit less", seat="driver", previous=warmer)

    assert more.actions == (
        Action(tool="set_cabin_temperature", arguments={"zone": "passenger", "delta": 1}),
    )
    assert less.actions == (
        Action(tool="set_cabin_temperature", arguments={"zone": "passenger", "delta": -1}),
    )


def test_follow_up_keeps_the_direction_of_a_decrease(parser: TemplateParser) -> None:
    quieter = Action(tool="set_media_volume", arguments={"delta": -5})

    assert parser.parse("more", seat="driver", previous=quieter).actions == (
        Action(tool="set_media_volume", arguments={"delta": -10}),
    )
    assert parser.parse("less", seat="driver", previous=quieter).actions == (
        Action(tool="set_media_volume", arguments={"delta": 10}),
    )


def test_follow_up_after_an_absolute_setting_goes_up(parser: TemplateParser) -> None:
    fan = Action(tool="set_fan", arguments={"zone": "driver", "percent": 40})

    assert parser.parse("a bit more", seat="driver", previous=fan).actions == (
        Action(tool="set_fan", arguments={"zone": "driver", "delta": 20}),
    )


@pytest.mark.parametrize(
    "previous", [None, Action(tool="set_window", arguments={"window": "driver", "action": "open"})]
)
def test_follow_up_without_a_repeatable_change_needs_context(
    parser: TemplateParser, previous: Action | None
) -> None:
    parse = parser.parse("a bit more", seat="driver", previous=previous)

    assert parse.actions == ()
    assert parse.needs_context
    assert not parse.understood_all


# -- the grammar file ------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sentences.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unquoted_on_key_is_refused_with_file_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "language: en\nintents:\n  set_air_conditioning:\n    data:\n"
        '      - sentences: ["ac please"]\n        slots:\n          on: true\n',
    )

    with pytest.raises(SetupError, match=rf"{path}:3: intent set_air_conditioning: slot name True"):
        TemplateParser(path)


def test_an_intent_that_names_no_tool_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path, 'language: en\nintents:\n  make_coffee:\n    data:\n      - sentences: ["coffee"]\n'
    )

    with pytest.raises(SetupError, match=r"sentences.yaml:3: intent make_coffee: names no tool"):
        TemplateParser(path)


def test_an_action_with_an_unknown_tool_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "language: en\nintents:\n  cozy:\n    data:\n      - sentences: [cozy]\n"
        "        metadata:\n          actions:\n            - {tool: set_signals, arguments: {}}\n",
    )

    with pytest.raises(SetupError, match="action tool 'set_signals' is not one of AGENT_TOOLS"):
        TemplateParser(path)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "language: en\nintents:\n  x: [\n")

    with pytest.raises(SetupError, match=r"sentences.yaml:\d+: not valid YAML"):
        TemplateParser(path)


def test_a_missing_file_is_a_setup_error(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="cannot read the sentence templates"):
        TemplateParser(tmp_path / "absent.yaml")


# -- latency ---------------------------------------------------------------------------------------


def test_recognition_takes_milliseconds(parser: TemplateParser) -> None:
    sentences = [case.values[0] for case in _cases()][:120]
    for sentence in sentences[:10]:
        parser.parse(sentence, seat="driver")
    timings = []
    for sentence in sentences:
        started = time.perf_counter()
        parser.parse(sentence, seat="driver")
        timings.append((time.perf_counter() - started) * 1000)

    # Generous bounds: this runs beside other work on a small machine; typical warm figures are
    # a few milliseconds per request (see docs/agents.md).
    assert statistics.median(timings) < 50
    assert max(timings) < 500


@pytest.mark.parametrize(
    ("sentence", "queries"),
    [
        ("wait, did I lock the car?", ("locks",)),
        ("are the doors locked", ("locks",)),
        ("is my door locked", ("locks",)),
        ("is the trunk open", ("trunk",)),
        ("is the sunroof open", ("sunroof",)),
        ("are all the windows closed?", ("windows",)),
        ("did I leave a window open", ("windows",)),
        ("what's the temperature set to", ("temperature",)),
    ],
)
def test_questions_about_the_car_act_on_nothing(
    parser: TemplateParser, sentence: str, queries: tuple[str]
) -> None:
    parse = parser.parse(sentence, seat="driver")

    assert parse.queries == queries
    assert parse.actions == ()
    assert parse.understood_all


def test_a_question_and_a_request_together(parser: TemplateParser) -> None:
    parse = parser.parse("lock the car and are the windows closed", seat="driver")

    assert parse.actions == (Action(tool="lock_doors", arguments={"doors": "all"}),)
    assert parse.queries == ("windows",)


def test_whose_alone_repeats_only_an_action_that_says_where(parser: TemplateParser) -> None:
    parse = parser.parse("turn on the lights and the passenger's", seat="driver")
    assert [action.tool for action in parse.actions] == ["set_lights"]
    assert parse.unmatched == ("the passenger's",)


def test_an_intent_and_its_slots_give_the_same_calls_as_the_words(parser: TemplateParser) -> None:
    """What the grammar understands of a whole sentence (the orchestrator sends it on) is acted on
    without the words, with the same calls the words give: for every table sentence read whole."""
    whole = 0
    for case in _cases():
        sentence, seat, expected = case.values
        understood = parser.understand(sentence)
        if understood is None:
            continue  # read clause by clause: the orchestrator sends such a request as words
        whole += 1
        parse = parser.parse_intent(understood.intent, understood.slots, seat=seat)
        assert parse is not None, sentence
        assert list(parse.actions) == expected, sentence
        assert parser.skill_of(understood.intent) in {
            "climate",
            "seats",
            "windows",
            "doors",
            "lights",
            "media",
        }
    assert whole >= 0.9 * len(_cases())


def test_an_intent_is_edited_for_someone_else_by_its_slots(parser: TemplateParser) -> None:
    understood = parser.understand("I'm cold")
    assert understood is not None and understood.slots == {"zone": "self"}
    parse = parser.parse_intent(understood.intent, {"zone": "passenger"}, seat="driver")

    assert parse is not None
    assert [a.arguments for a in parse.actions] == [
        {"zone": "passenger", "delta": 2},
        {"seat": "passenger", "level": 2},
    ]


def test_an_intent_the_grammar_does_not_have_gives_none(parser: TemplateParser) -> None:
    assert parser.parse_intent("make_coffee", {}, seat="driver") is None
    # A driving function the grammar does not know (only a sent intent can name one).
    assert parser.parse_intent("driving_function", {"function": "warp"}, seat="driver") is None


def test_spelled_out_and_decimal_numbers_are_read(parser: TemplateParser) -> None:
    for said in ("set it to nineteen and a half", "set it to 19.5", "make it nineteen point five 🥶"):
        assert parser.parse(said, seat="driver").actions == (
            Action(tool="set_cabin_temperature", arguments={"zone": "driver", "celsius": 19.5}),
        ), said


def test_blocks_that_do_different_things_alike_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
language: en
skills: {climate: [cold]}
intents:
  cold:
    data:
      - sentences: ["brr"]
        metadata: {actions: [{tool: set_fan, arguments: {delta: 20}}]}
      - sentences: ["freezing"]
        metadata: {actions: [{tool: set_fan, arguments: {delta: -20}}]}
""",
    )
    with pytest.raises(SetupError, match="intent cold: two data blocks do different things"):
        TemplateParser(path)


def test_an_intent_in_no_skill_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
language: en
skills: {climate: []}
intents:
  set_fan:
    data:
      - sentences: ["fan up"]
        slots: {delta: 20}
""",
    )
    with pytest.raises(SetupError, match="intents in no skill: set_fan"):
        TemplateParser(path)


@pytest.mark.parametrize(
    ("said", "tool", "where"),
    [
        ("turn on the driver and passenger seat heating", "set_seat_heating", "seat"),
        ("open the driver and passenger windows", "set_window", "window"),
        ("set the driver and the passenger to 21", "set_cabin_temperature", "zone"),
    ],
)
def test_several_zones_at_once(parser: TemplateParser, said: str, tool: str, where: str) -> None:
    parse = parser.parse(said, seat="driver")

    assert [(a.tool, a.arguments[where]) for a in parse.actions] == [(tool, "driver"), (tool, "passenger")]
    assert parse.understood_all
