"""Reading user messages: parts, parsed intent, cabin metadata, and the typed errors for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from a2a.types import Message, Part, Role
from google.protobuf import json_format, struct_pb2
from hypothesis import given
from hypothesis import strategies as st
from pydantic import JsonValue

from agents.hosting import InvalidMessageError, UnsupportedPartError
from agents.hosting.messages import data_part, read_user_message, value_to_python


def _message(*parts: Part, metadata: dict[str, Any] | None = None) -> Message:
    message = Message(message_id="m-1", role=Role.ROLE_USER, parts=list(parts))
    if metadata is not None:
        message.metadata.CopyFrom(json_format.ParseDict(metadata, struct_pb2.Struct()))
    return message


def test_text_parts_are_joined_with_newlines() -> None:
    user = read_user_message(_message(Part(text="open the"), Part(text="window")), accepts_files=False)

    assert user.text == "open the\nwindow"
    assert user.intent is None
    assert user.seat is None
    assert user.origin is None


def test_data_part_becomes_the_parsed_intent_with_whole_numbers_as_int() -> None:
    intent: dict[str, JsonValue] = {
        "intent": "set_temperature",
        "slots": {"celsius": 22, "zone": "driver", "step": 0.5},
    }
    user = read_user_message(_message(Part(text="set it to 22"), data_part(intent)), accepts_files=False)

    assert user.intent is not None
    assert user.intent.intent == "set_temperature"
    assert user.intent.slots == {"celsius": 22, "zone": "driver", "step": 0.5}
    assert isinstance(user.intent.slots["celsius"], int)


def test_seat_and_origin_come_from_the_cabin_metadata_keys() -> None:
    metadata = {"cabin/seat": "rear_left", "cabin/origin": "occupant", "trace": "t-1"}
    user = read_user_message(_message(Part(text="hi"), metadata=metadata), accepts_files=False)

    assert user.seat == "rear_left"
    assert user.origin == "occupant"
    assert user.metadata == metadata


@pytest.mark.parametrize(
    ("metadata", "problem"),
    [
        ({"cabin/seat": "roof"}, "'cabin/seat' is 'roof'; expected one of: driver, passenger"),
        ({"cabin/seat": 3}, "'cabin/seat' is 3"),
        ({"cabin/origin": "web"}, "'cabin/origin' is 'web'; expected one of: occupant, agent, external"),
    ],
)
def test_bad_cabin_metadata_is_named(metadata: dict[str, Any], problem: str) -> None:
    with pytest.raises(InvalidMessageError, match=problem):
        read_user_message(_message(Part(text="hi"), metadata=metadata), accepts_files=False)


def test_raw_part_is_unsupported_for_a_text_agent() -> None:
    with pytest.raises(UnsupportedPartError, match="part 1 is a raw file part"):
        read_user_message(_message(Part(text="look"), Part(raw=b"\x89PNG")), accepts_files=False)


def test_file_parts_reach_an_agent_that_accepts_files() -> None:
    message = _message(
        Part(raw=b"\x89PNG", media_type="image/png", filename="frame.png"),
        Part(url="https://example.com/a.jpg", media_type="image/jpeg"),
    )
    user = read_user_message(message, accepts_files=True)

    assert [(f.raw, f.url, f.media_type) for f in user.files] == [
        (b"\x89PNG", None, "image/png"),
        (None, "https://example.com/a.jpg", "image/jpeg"),
    ]


@pytest.mark.parametrize(
    ("parts", "problem"),
    [
        ((), "the message has no parts"),
        ((Part(),), "part 0 has no content"),
        ((Part(text="  "),), "carries no text, no intent and no file"),
        ((data_part({"slots": {}}),), r"part 0: a data part must be .*intent: Field required"),
        ((data_part({"intent": "a"}), data_part({"intent": "b"})), "part 1: only one data part"),
        ((data_part({"intent": "a", "slots": [1]}),), r"slots: Input should be a valid dictionary"),
    ],
)
def test_malformed_messages_are_named(parts: tuple[Part, ...], problem: str) -> None:
    with pytest.raises(InvalidMessageError, match=problem):
        read_user_message(_message(*parts), accepts_files=False)


_json_leaf = st.none() | st.booleans() | st.integers(-(2**52), 2**52) | st.text(max_size=8)
_json_value = st.recursive(
    _json_leaf,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), _json_value, max_size=4))
def test_data_parts_round_trip_json_with_integers_kept(slots: dict[str, JsonValue]) -> None:
    assert value_to_python(data_part(slots).data) == slots


def test_camel_data_names_fields_in_camel_case_and_keeps_free_form_keys() -> None:
    from pydantic import BaseModel

    from agents.hosting import camel_data

    class Inner(BaseModel):
        rule_id: str | None
        arguments: dict[str, object]

    class Outer(BaseModel):
        turn_id: str
        state_changes: dict[str, float]
        actions: list[Inner]

    data = camel_data(
        Outer(
            turn_id="t-1",
            state_changes={"Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": 22.0},
            actions=[Inner(rule_id="GR-13", arguments={"confirm_token": "x", "zone": "driver"})],
        )
    )
    assert data == {
        "turnId": "t-1",
        "stateChanges": {"Vehicle.Cabin.HVAC.Station.Row1.Driver.Temperature": 22.0},
        "actions": [{"ruleId": "GR-13", "arguments": {"confirm_token": "x", "zone": "driver"}}],
    }
