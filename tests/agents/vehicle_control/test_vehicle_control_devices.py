"""The frames of each kind of request, written once for every device (agents/vehicle_control/devices.py):
each test runs every frame of every device of the table, not chosen sentences."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hassil.parse_expression import parse_sentence
from hassil.sample import sample_expression

from agents.vehicle_control import TemplateParser
from agents.vehicle_control.devices import DEVICES, Device, Kind, grammar_intents, templates_of
from agents.vehicle_control.parser import GRAMMAR, _load_grammar


def _said(parser: TemplateParser, device: Device, kind: Kind) -> list[str]:
    """Sentences of each frame of `kind` for `device`: the shortest and the fullest reading."""
    intents: Any = parser._intents  # the compiled lists and rules the frames use
    said: list[str] = []
    for template in templates_of(device, kind):
        expression = parse_sentence(template).expression
        for skip in (True, False):
            samples = sample_expression(
                expression, intents.slot_lists, intents.expansion_rules, skip_optionals=skip
            )
            said.extend(itertools.islice(samples, 1))
    return list(dict.fromkeys(" ".join(text.split()) for text in said))


_CASES = [
    pytest.param(device, kind, id=f"{device.tool}:{device.names}:{kind}")
    for device in DEVICES
    for kind in device.slots
]


@pytest.mark.parametrize(("device", "kind"), _CASES)
def test_every_frame_works_its_device(parser: TemplateParser, device: Device, kind: Kind) -> None:
    fixed = {
        key: value
        for key, value in device.slots[kind].items()
        if key not in ("delta", "sign") and key != device.where
    }
    said = _said(parser, device, kind)
    assert said

    for sentence in said:
        parse = parser.parse(sentence, seat="driver")
        assert parse.understood_all, (sentence, parse.unmatched)
        assert parse.actions, sentence
        for action in parse.actions:
            assert action.tool == device.tool, (sentence, action)
            assert {key: action.arguments.get(key) for key in fixed} == fixed, (sentence, action)


@pytest.mark.parametrize(
    ("said", "arguments"),
    [
        ("turn the seat heating on for the rear left", {"seat": "rear_left", "level": 2}),
        ("raise the temperature a bit on my passenger's side", {"zone": "passenger", "delta": 1}),
        ("bump the air flow down a bit", {"zone": "driver", "delta": -10}),
        ("set my fan at maximum", {"zone": "driver", "percent": 100}),
        ("the passenger's seat heat to high", {"seat": "passenger", "level": 3}),
        ("roll the driver's window down all the way", {"window": "driver", "action": "open"}),
        ("crack the passenger window a little", {"window": "passenger", "by": 20}),
        ("pull the blind over", {"action": "close", "rear": False}),
        ("volume to half", {"percent": 50}),
        ("switch the music off", {"percent": 0}),
    ],
)
def test_a_frame_says_where_and_how_much(
    parser: TemplateParser, said: str, arguments: dict[str, Any]
) -> None:
    parse = parser.parse(said, seat="driver")

    assert [dict(action.arguments) for action in parse.actions] == [arguments]


def test_a_grammar_without_a_device_gets_no_frames_for_it() -> None:
    intents = {"set_fan": {"data": [{"sentences": ["fan please"]}]}}

    written = grammar_intents(intents, rules={}, lists={})

    assert written == intents


def test_the_shipped_grammar_names_every_device() -> None:
    data, _lines = _load_grammar(GRAMMAR)
    named = set(data["expansion_rules"]) | set(data["lists"])
    for device in DEVICES:
        assert device.tool in data["intents"], device.tool
        assert device.names.strip("{}").split(":")[0] in named, device.names
