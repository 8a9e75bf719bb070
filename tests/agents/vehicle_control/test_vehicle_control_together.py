"""Several requests said in one turn to vehicle-control are one message (`ParsedIntent.together`) and
acted on as one parse: a later request replaces what an earlier one asked of the same device."""

from __future__ import annotations

from typing import Any

import pytest

from agents.hosting import INTENTS, AgentSpec, ParsedIntent
from agents.vehicle_control.executor import _joined_in_order
from agents.vehicle_control.parser import shared_parser


def _parse(intent: str, slots: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
    parse = shared_parser().parse_intent(intent, dict(slots or {}), seat="driver")  # type: ignore[arg-type]
    assert parse is not None, intent
    return parse


def test_a_data_part_of_several_intents_lists_them_in_order() -> None:
    data = ParsedIntent(
        intent=INTENTS,
        slots={
            INTENTS: [
                {"intent": "raining", "slots": {}, "text": "it's raining"},
                {"intent": "close_everything"},
            ]
        },
    )
    assert [i.intent for i in data.together() or []] == ["raining", "close_everything"]
    assert ParsedIntent(intent="set_window", slots={"window": "all"}).together() is None


@pytest.mark.parametrize("slots", [{}, {INTENTS: []}, {INTENTS: "raining"}, {INTENTS: [{"slots": {}}]}])
def test_a_malformed_list_of_intents_names_what_is_wrong(slots: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=INTENTS):
        ParsedIntent(intent=INTENTS, slots=slots).together()


def test_a_later_request_replaces_what_an_earlier_one_asked_of_the_same_device() -> None:
    joined = _joined_in_order([_parse("raining"), _parse("close_everything")])
    tools = [(a.tool, a.arguments.get("window")) for a in joined.actions]
    # "close everything" closes each window and the sunroof itself; the rain adds the wipers only.
    assert tools.count(("set_sunroof", None)) == 1
    assert ("set_window", "all") not in tools and ("set_wipers", None) in tools

    stuffy = _joined_in_order([_parse("stuffy"), _parse("set_window", {"window": "all", "action": "open"})])
    assert [a.arguments.get("window") for a in stuffy.actions if a.tool == "set_window"] == ["all"]
    assert any(a.tool == "set_fan" for a in stuffy.actions)


def test_requests_for_different_devices_or_seats_are_all_kept() -> None:
    joined = _joined_in_order(
        [
            _parse("set_window", {"window": "driver", "action": "close"}),
            _parse("set_window", {"window": "passenger", "action": "open"}),
        ]
    )
    assert [a.arguments.get("window") for a in joined.actions] == ["driver", "passenger"]


def test_the_card_says_the_agent_takes_several_intents_together() -> None:
    from agents.hosting import INTENTS_EXTENSION
    from agents.hosting.spec import build_agent_card
    from agents.navigation.card import NAVIGATION_SPEC
    from agents.vehicle_control.card import VEHICLE_CONTROL_SPEC

    def declared(spec: AgentSpec) -> list[str]:
        card = build_agent_card(spec, base_url="http://127.0.0.1:1", secured=False)
        return [extension.uri for extension in card.capabilities.extensions]

    assert declared(VEHICLE_CONTROL_SPEC) == [INTENTS_EXTENSION]
    # An agent that does not declare it is sent its requests one by one.
    assert declared(NAVIGATION_SPEC) == []
