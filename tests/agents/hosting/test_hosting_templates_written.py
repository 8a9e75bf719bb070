"""A `TemplateIndex` writes each list and rule once per scope and depth, not once per template that
refers to it; the expressions it writes are exactly those written one reference at a time."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hassil import Intents

from agents.hosting.templates import TemplateIndex

_GRAMMAR = {
    "language": "en",
    "lists": {
        "side": {"values": ["left", "right", {"in": "driver('s)? side", "out": "left"}]},
        "level": {"range": {"from": 1, "to": 5}},
        "place": {"values": ["[the] {side} seat", "the back"]},
    },
    "expansion_rules": {"please": "[please|kindly]", "warm": "(heat|warm) up"},
    "intents": {
        "Heat": {
            "data": [
                {"sentences": ["<please> <warm> [the] {side} seat", "<warm> {place} to {level}"]},
                {
                    "sentences": ["{side} {side} <warm>", "set {place} heat to {level}"],
                    "lists": {"side": {"values": ["front", "rear"]}},
                },
            ]
        },
        "Cool": {"data": [{"sentences": ["cool {place} <please>", "<please> cool {side}"]}]},
    },
}


def _written(intents: Intents) -> TemplateIndex:
    return TemplateIndex(intents, cache=False)  # written here, never read from the template cache


def test_each_list_and_rule_written_once_gives_the_same_expressions(monkeypatch: pytest.MonkeyPatch) -> None:
    intents = Intents.from_dict(_GRAMMAR)
    once = _written(intents)

    def every_time(self: TemplateIndex, what: tuple[str, int, int], write: Callable[[], str]) -> str:
        return write()

    monkeypatch.setattr(TemplateIndex, "_once", every_time)
    each = _written(intents)

    assert [b.patterns for b in once._blocks] == [b.patterns for b in each._blocks]
    assert once.indexed == once.templates == 6
    # The block that overrides `side` gets its own values, not the ones written for the others.
    heat_override = once._blocks[1].patterns[0]
    assert heat_override is not None and "front" in heat_override and "driver" not in heat_override
    for text in ("please heat up the left seat", "front rear warm up", "cool the back"):
        assert [r.intent.name for r in once.recognize_all(text)] == [
            r.intent.name for r in each.recognize_all(text)
        ]
        assert list(once.recognize_all(text))
