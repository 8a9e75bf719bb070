"""The tool-call training data: generated from the vehicle tools' schemas and the agent's grammar,
deterministic for a seed, never containing a held-out request; the held-out split itself is valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from models.tuning import DataError
from models.tuning.data import HELDOUT, ToolSchemas, generate, load_examples, tool_schemas
from models.tuning.format import NO_TOOL, arguments_opening, completion, opening


@pytest.fixture(scope="module")
def tools() -> ToolSchemas:
    return tool_schemas()


def test_the_tools_are_those_the_vehicle_server_lists(tools: ToolSchemas) -> None:
    from agents.vehicle_control.actions import AGENT_TOOLS

    assert set(tools.schemas) == set(AGENT_TOOLS)
    # Declared defaults come from the server's schemas ("rear": false for the wipers).
    assert tools.defaults["set_wipers"].get("rear") is False


def test_generation_is_deterministic_for_a_seed(tools: ToolSchemas) -> None:
    first, report = generate(120, seed=3, tools=tools)
    again, _ = generate(120, seed=3, tools=tools)
    other, other_report = generate(120, seed=4, tools=tools)

    assert [e.model_dump() for e in first] == [e.model_dump() for e in again]
    assert report.sha256 != other_report.sha256
    assert report.examples == len(first) and len(other) == other_report.examples


def test_every_call_fits_its_tool_schema_and_every_source_contributes(tools: ToolSchemas) -> None:
    examples, report = generate(400, seed=0, tools=tools)

    assert set(report.by_source) == {"grammar", "grammar-none", "needs", "negatives", "declared:cabin"}
    assert report.by_tool[NO_TOOL] >= 80
    assert len([t for t in report.by_tool if t != NO_TOOL]) >= 18
    for example in examples:
        if example.call.tool == NO_TOOL:
            assert example.call.arguments == {}
            continue
        schema = tools.schemas[example.call.tool]
        assert Draft202012Validator(schema).is_valid(example.call.arguments), example
        # A zone equal to the speaker's own is left out (the tools' default), except for door locks.
        zone = example.call.arguments.get("zone") or example.call.arguments.get("seat")
        assert zone != example.seat, example


def test_the_tools_declared_example_sentences_are_in_the_data(tools: ToolSchemas) -> None:
    from mcp_servers.vehicle.declarations import examples as declared

    examples, _ = generate(400, seed=0, tools=tools)
    from_declarations = [e for e in examples if e.source.startswith("declared:")]
    sentences = {s.text: s.tool for s in declared()}

    # Each said as declared (perhaps with courtesy words around it), labelled with its own tool.
    for example in from_declarations:
        said = [text for text in sentences if text in example.text]
        assert said and example.call.tool in {sentences[text] for text in said}, example
    assert len({e.call.tool for e in from_declarations}) >= 18


def test_driving_functions_and_questions_from_the_grammar_call_no_tool(tools: ToolSchemas) -> None:
    examples, _ = generate(400, seed=0, tools=tools)
    refused = [e for e in examples if e.source == "grammar-none"]

    assert refused and all(e.call.tool == NO_TOOL for e in refused)


def test_no_held_out_request_is_ever_generated(tools: ToolSchemas) -> None:
    held = {" ".join(e.text.lower().split()) for e in load_examples(HELDOUT)}
    examples, _ = generate(2000, seed=0, tools=tools)

    assert not held & {" ".join(e.text.lower().split()) for e in examples}


def test_the_held_out_split_is_valid(tools: ToolSchemas) -> None:
    examples = load_examples(HELDOUT)
    texts = [e.text for e in examples]

    assert len(examples) >= 150 and len(set(texts)) == len(texts)
    assert sum(e.call.tool == NO_TOOL for e in examples) >= 40
    for example in examples:
        if example.call.tool != NO_TOOL:
            assert Draft202012Validator(tools.schemas[example.call.tool]).is_valid(example.call.arguments)


def test_a_bad_line_names_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "split.jsonl"
    good = {
        "text": "open the boot",
        "seat": "driver",
        "call": {"tool": "set_trunk", "arguments": {"open": True}},
    }
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "seat": "roof"}) + "\n", encoding="utf-8")

    with pytest.raises(DataError, match=r"split\.jsonl:2"):
        load_examples(path)


def test_the_prompt_format_is_what_the_decoder_continues(tools: ToolSchemas) -> None:
    schema = tools.schemas["set_window"]
    text = opening("open  my window", "passenger")
    answer = completion("set_window", {"action": "open", "window": "rear"}, schema)

    assert text.endswith('Call: {"tool": "') and "Request: open my window" in text
    # Required arguments first, as llama.cpp's JSON-schema grammar writes them.
    assert answer == 'set_window", "arguments": {"action": "open", "window": "rear"}}'
    assert arguments_opening("x", "driver", "set_fan").endswith('set_fan", "arguments": ')
    assert completion(NO_TOOL, None, None) == 'none"}'


def test_no_request_of_any_held_out_file_is_generated(tools: ToolSchemas, tmp_path: Path) -> None:
    from models.tuning.data import heldout_files

    files = heldout_files()
    # The default split and the file written for the tools added after vehicle-tools@2.
    assert HELDOUT in files and len(files) >= 2
    examples, _ = generate(600, seed=0, tools=tools)
    # A request of a held-out file is dropped whichever file holds it.
    extra = tmp_path / "heldout-extra.jsonl"
    extra.write_text(
        "".join(e.model_dump_json(exclude={"source"}) + "\n" for e in examples[:5]), encoding="utf-8"
    )
    again, report = generate(600, seed=0, tools=tools, heldout_paths=[*files, extra])

    said = {" ".join(e.text.lower().split()) for e in again}
    held = {" ".join(e.text.lower().split()) for path in [*files, extra] for e in load_examples(path)}
    assert not said & held
    assert report.dropped_heldout >= 5


def test_every_held_out_file_is_valid(tools: ToolSchemas) -> None:
    from models.tuning.data import heldout_files

    for path in heldout_files():
        examples = load_examples(path)
        texts = [" ".join(e.text.lower().split()) for e in examples]
        assert len(set(texts)) == len(texts), path
        assert any(e.call.tool == NO_TOOL for e in examples), path
        for example in examples:
            if example.call.tool != NO_TOOL:
                schema = tools.schemas[example.call.tool]
                assert Draft202012Validator(schema).is_valid(example.call.arguments), (path, example)


def test_the_paraphrases_say_every_tool_both_ways(tools: ToolSchemas) -> None:
    """needs.yaml names every vehicle tool, and for each argument that is not a zone and has no
    declared default it says every value of an enum, both values of a boolean (on and off, open and
    closed) and both signs of a relative change (warmer and cooler, louder and quieter)."""
    import yaml

    from agents.vehicle_control.actions import ZONE_ARGUMENTS
    from models.tuning.data import NEEDS

    calls = [entry["call"] for entry in yaml.safe_load(NEEDS.read_text(encoding="utf-8"))["calls"]]
    said: dict[tuple[str, str], set[object]] = {}
    for call in calls:
        for key, value in dict(call.get("arguments", {})).items():
            if isinstance(value, int | float) and not isinstance(value, bool) and key == "delta":
                value = value > 0
            said.setdefault((call["tool"], key), set()).add(value)

    assert {call["tool"] for call in calls} == set(tools.schemas)
    for tool, schema in tools.schemas.items():
        for variant in schema.get("anyOf", [schema]):
            for key, prop in variant["properties"].items():
                if key == ZONE_ARGUMENTS.get(tool) or key in tools.defaults.get(tool, {}):
                    continue
                values = said.get((tool, key), set())
                if "enum" in prop:
                    assert set(prop["enum"]) <= values, (tool, key, values)
                elif prop.get("type") == "boolean" or key == "delta":
                    assert values == {True, False}, (tool, key, values)
