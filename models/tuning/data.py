"""Training data for the vehicle tool-call model, generated from the agent's own definitions.

Three sources, each labelled by something other than the model being trained:

* the vehicle-control grammar (`agents/vehicle_control/grammar/sentences.yaml`): sentences are drawn
  at random from its templates (one random path through each template, slot values drawn from the
  slot lists) and labelled by the agent's template parser; a sentence the parser reads as exactly one
  call of a vehicle tool is a positive example, one it reads as a driving-function request or a
  question about the car is a negative (`none`);
* hand-written paraphrases of indirect needs (`data/needs.yaml`), with numbers drawn from the ranges
  of the tools' input schemas and zones from their enums;
* hand-written requests no vehicle tool serves (`data/needs.yaml`, `negatives`) -> `none`;
* the example sentences every declared vehicle tool carries (`mcp_servers.vehicle.declarations`,
  core tools and installed plugins), said from each seat and labelled by the template parser where
  it reads them as that tool, else with no arguments where the tool's schema accepts none (the tool's
  defaults): a tool added by a plugin is in the data without editing a grammar or this package.

Grammar sentences and declared examples are also said the way people wrap requests: with the
language layer's courtesy and hesitation words (`agents.language.lexicon`) before or after them,
which the parser skips and which do not change the call.

Every call is checked against the tool's input schema as the vehicle MCP server lists it
(`tools/list` of the in-process server, not a copy), and its arguments are written in the order the
constrained decoder emits them (`models.tuning.format`). The speaker's seat is drawn per example; a
zone equal to it is left out (the tools' default). Generation is deterministic for a seed. A request
equal to one of a held-out file's (`data/heldout*.jsonl`: the default split and the files written for
tools added later) is dropped: no held-out file is ever trained on.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, JsonValue

from models.tuning.errors import DataError
from models.tuning.format import NO_TOOL

__all__ = [
    "DATA_DIR",
    "HELDOUT",
    "NEEDS",
    "Call",
    "Example",
    "GenerationReport",
    "ToolSchemas",
    "data_hash",
    "generate",
    "heldout_files",
    "load_examples",
    "tool_schemas",
    "write_examples",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
NEEDS = DATA_DIR / "needs.yaml"
HELDOUT = DATA_DIR / "heldout.jsonl"
"""The held-out split `cabin models eval` reads by default; every `heldout*.jsonl` of DATA_DIR is a
held-out file (`heldout_files`), each written before the training it measures."""
SEATS = ("driver", "passenger", "rear_left", "rear_right")
_SEAT_WEIGHTS = (5, 3, 1, 1)
_CELSIUS = [x / 2 for x in range(32, 57)]
"""Set points for `celsius`, which the schema leaves unbounded: 16-28 °C in half degrees."""
_CONTRACTION = re.compile(r" '(t|s|re|ll|d|m|ve)\b")
_ZONE_WORDS = {
    "driver": ["driver", "driver's", "front left"],
    "passenger": ["passenger", "passenger's", "front right"],
    "rear_left": ["rear left", "back left"],
    "rear_right": ["rear right", "back right"],
    "rear": ["rear", "back"],
    "front": ["front"],
    "all": ["all the", "every"],
}


class Call(BaseModel):
    """One tool call (`tool` "none": no tool fits)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool: str = Field(min_length=1, max_length=100)
    arguments: dict[str, JsonValue] = Field(default_factory=dict)


class Example(BaseModel):
    """One request of a person in a seat and the call it stands for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str = Field(min_length=1, max_length=500)
    seat: str = Field(pattern=r"^(driver|passenger|rear_left|rear_right)$")
    call: Call
    source: str = ""


class GenerationReport(BaseModel):
    """What a generation produced."""

    model_config = ConfigDict(frozen=True)

    examples: int
    by_source: dict[str, int]
    by_tool: dict[str, int]
    dropped_heldout: int
    sha256: str


class ToolSchemas(BaseModel):
    """The vehicle tools as `tools/list` gives them: the argument schema the model fills per tool
    (`arguments_schema`) and each argument's declared default."""

    model_config = ConfigDict(frozen=True)

    schemas: dict[str, dict[str, Any]]
    defaults: dict[str, dict[str, JsonValue]]

    def canonical(self, tool: str, arguments: Mapping[str, JsonValue], seat: str) -> dict[str, Any]:
        """`arguments` as training writes them and evaluation compares them: an argument equal to
        its declared default or (for a zone) to the speaker's seat is left out, the rest in the
        grammar's order."""
        from models.tuning.format import canonical_arguments

        defaults = self.defaults.get(tool, {})
        kept = {k: v for k, v in arguments.items() if not (k in defaults and defaults[k] == v)}
        kept = _without_own_zone(tool, kept, seat)
        return canonical_arguments(self.schemas.get(tool, {}), kept)


def tool_schemas() -> ToolSchemas:
    """The argument schemas the model fills, per vehicle tool, as the in-process vehicle MCP server
    lists them to the vehicle-control agent (`tools/list` through the agent's own link)."""
    from agents.vehicle_control.interpreter import arguments_schema
    from agents.vehicle_control.link import VehicleLink
    from mcp_servers.vehicle.backends.simulator import SimulatorBackend
    from mcp_servers.vehicle.server import build_server
    from mcp_servers.vehicle.service import VehicleService

    async def listing() -> ToolSchemas:
        link = VehicleLink(build_server(VehicleService(SimulatorBackend()), client="vehicle-control"))
        try:
            catalog = await link.catalog()
            defaults = {
                name: {
                    key: prop["default"]
                    for key, prop in dict(catalog.schema(name).get("properties", {})).items()
                    if isinstance(prop, dict) and prop.get("default") is not None
                }
                for name in catalog.names
            }
            return ToolSchemas(
                schemas={name: arguments_schema(catalog, name) for name in catalog.names}, defaults=defaults
            )
        finally:
            await link.aclose()

    return asyncio.run(listing())


# -- validation against the schemas ----------------------------------------------------------------


def _valid(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> bool:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    return bool(Draft202012Validator(dict(schema)).is_valid(dict(arguments)))


def _bounds(schema: Mapping[str, Any], argument: str) -> tuple[int, int] | None:
    variants = schema.get("anyOf", [schema])
    for variant in variants:
        prop = variant.get("properties", {}).get(argument)
        if (
            isinstance(prop, dict)
            and isinstance(prop.get("minimum"), int)
            and isinstance(prop.get("maximum"), int)
        ):
            return int(prop["minimum"]), int(prop["maximum"])
    return None


def _zone_values(schema: Mapping[str, Any], argument: str) -> list[str]:
    variants = schema.get("anyOf", [schema])
    for variant in variants:
        prop = variant.get("properties", {}).get(argument)
        if isinstance(prop, dict) and isinstance(prop.get("enum"), list):
            return [str(v) for v in prop["enum"]]
    return []


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def _without_own_zone(tool: str, arguments: dict[str, JsonValue], seat: str) -> dict[str, JsonValue]:
    from agents.vehicle_control.actions import ZONE_ARGUMENTS

    argument = ZONE_ARGUMENTS.get(tool)
    if (
        argument is not None
        and arguments.get(argument) == seat
        and tool not in {"lock_doors", "unlock_doors"}
    ):
        return {k: v for k, v in arguments.items() if k != argument}
    return arguments


# -- hand-written paraphrases ---------------------------------------------------------------------


def _spelled(number: int, rng: random.Random) -> str:
    """`number` in digits, or sometimes in words (the language layer's number words)."""
    from agents.language.lexicon import NUMBERS, TENS

    if rng.random() < 0.7 or number >= 100:
        return str(number)
    units = {v: k for k, v in NUMBERS.items()}
    tens = {v: k for k, v in TENS.items()}
    if number in units:
        return units[number]
    if number in tens:
        return tens[number]
    if number // 10 * 10 in tens and number % 10 in units:
        return f"{tens[number // 10 * 10]} {units[number % 10]}"
    return str(number)


def _paraphrases(
    needs: Mapping[str, Any], tools: ToolSchemas, rng: random.Random, count: int
) -> list[Example]:
    schemas = tools.schemas
    entries = needs.get("calls", [])
    zones: dict[str, list[str]] = needs.get("zones", {})
    out: list[Example] = []
    pairs = [(entry, text) for entry in entries for text in entry["texts"]]
    if not pairs:
        return out
    rng.shuffle(pairs)
    for index in range(count):
        # Every paraphrase once (in a shuffled order) before any is used twice.
        entry, text = pairs[index % len(pairs)]
        call = entry["call"]
        tool = call["tool"]
        schema = schemas.get(tool)
        if schema is None:
            raise DataError(f"{NEEDS}: tool {tool!r} is not a vehicle tool (tools/list has no such tool)")
        arguments: dict[str, JsonValue] = {}
        for key, value in dict(call.get("arguments", {})).items():
            if value == "$celsius":
                celsius = rng.choice(_CELSIUS)
                arguments[key] = celsius
                said = str(int(celsius)) if celsius.is_integer() else str(celsius)
                text = text.replace("$celsius", said)
            elif value == "$percent":
                low, high = _bounds(schema, key) or (0, 100)
                number = (
                    rng.randrange(max(low, 0), high + 1, 5) if high - low >= 20 else rng.randint(low, high)
                )
                arguments[key] = number
                text = text.replace("$percent", _spelled(number, rng))
            elif value == "$zone":
                choices = [z for z in _zone_values(schema, key) if z in _ZONE_WORDS and z != "all"]
                zone = rng.choice(choices)
                arguments[key] = zone
                text = text.replace("$zone_word", rng.choice(_ZONE_WORDS[zone]))
            else:
                arguments[key] = value
        seat = rng.choices(SEATS, _SEAT_WEIGHTS)[0]
        zoned = entry.get("zoned")
        if "{zone}" in text:
            if zoned and rng.random() < 0.45:
                zone = rng.choice([z for z in zones if z in _zone_values(schema, zoned)])
                arguments[zoned] = zone
                text = text.replace("{zone}", rng.choice(zones[zone]))
            else:
                text = text.replace("{zone}", "")
        text = " ".join(text.split()).replace(" ,", ",")
        out.append(_example(text, seat, tool, arguments, tools, "needs"))
    return out


def _negatives(needs: Mapping[str, Any], rng: random.Random, count: int) -> list[Example]:
    lines: list[str] = list(needs.get("negatives", []))
    fill = {"thing": list(needs.get("things", [])), "place": list(needs.get("places", []))}
    out: list[Example] = []
    rng.shuffle(lines)
    for index in range(count):
        text = lines[index % len(lines)]
        for key, values in fill.items():
            while "{" + key + "}" in text:
                text = text.replace("{" + key + "}", rng.choice(values), 1)
        seat = rng.choices(SEATS, _SEAT_WEIGHTS)[0]
        out.append(Example(text=text, seat=seat, call=Call(tool=NO_TOOL), source="negatives"))
    return out


# -- the tools' declared example sentences --------------------------------------------------------


def _wrapped(text: str, rng: random.Random) -> str:
    """`text` as said with politeness or hesitation around it (sometimes), from the language layer's
    words that change nothing a request asks."""
    from agents.language.lexicon import COURTESY, HESITATION

    # Said after a request: thanks, please, a form of address, "for me", "if possible"; the rest before.
    after = [
        w for w in COURTESY if w.startswith(("please", "thank", "cheers", "mate", "buddy", "for ", "if "))
    ]
    before = [w for w in (*COURTESY, *HESITATION) if w not in after and w not in ("too", "as well")]
    draw = rng.random()
    if draw < 0.2:
        return f"{rng.choice(before)} {text}"
    if draw < 0.35:
        return f"{text} {rng.choice(after)}"
    if draw < 0.42:
        return f"{rng.choice(before)} {text} {rng.choice(after)}"
    return text


def _declared_examples(tools: ToolSchemas, rng: random.Random, count: int) -> list[Example]:
    """`count` examples from the declared tools' example sentences (every sentence in turn, each
    time from a seat drawn anew, sometimes wrapped in courtesy words)."""
    from agents.vehicle_control.parser import shared_parser
    from mcp_servers.vehicle.declarations import examples as declared

    parser = shared_parser()
    sentences = [s for s in declared() if s.tool in tools.schemas]
    out: list[Example] = []
    if not sentences or count <= 0:
        return out
    attempts = 0
    while len(out) < count and attempts < count * 4:
        sentence = sentences[attempts % len(sentences)]
        attempts += 1
        seat = rng.choices(SEATS, _SEAT_WEIGHTS)[0]
        parse = parser.parse(sentence.text, seat=seat)  # type: ignore[arg-type]
        mine = [a for a in parse.actions if a.tool == sentence.tool]
        if parse.understood_all and len(mine) == 1:
            arguments: dict[str, JsonValue] = dict(mine[0].arguments)
        elif not parse.actions and _valid(tools.schemas[sentence.tool], {}):
            arguments = {}
        else:
            continue
        if not _valid(tools.schemas[sentence.tool], arguments):
            continue
        text = _wrapped(sentence.text, rng)
        out.append(_example(text, seat, sentence.tool, arguments, tools, f"declared:{sentence.source}"))
    return out


# -- the agent's grammar ----------------------------------------------------------------------------


def _grammar_intents() -> Any:
    """The agent's grammar as its template parser compiled it (the language layer's slot lists and
    rules included), so sampling draws from exactly what the parser reads."""
    from agents.vehicle_control.parser import shared_parser

    intents = shared_parser()._intents
    if intents is None:
        raise DataError("the vehicle-control parser exposes no compiled grammar to sample from")
    return intents


def _draw(expression: Any, lists: Mapping[str, Any], rules: Mapping[str, Any], rng: random.Random) -> str:
    """One random sentence of a hassil expression: one branch of each alternative, optional parts
    kept about half the time, one value of each slot list."""
    from hassil.expression import (
        Alternative,
        ListReference,
        Permutation,
        RuleReference,
        Sequence,
        TextChunk,
    )
    from hassil.intents import RangeSlotList, TextSlotList

    if isinstance(expression, TextChunk):
        return str(expression.original_text)
    if isinstance(expression, Alternative):
        items = list(expression.items)
        if expression.is_optional:
            return "" if rng.random() < 0.5 else _draw(rng.choice(items), lists, rules, rng)
        return _draw(rng.choice(items), lists, rules, rng)
    if isinstance(expression, Permutation):
        items = list(expression.items)
        rng.shuffle(items)
        return " ".join(_draw(item, lists, rules, rng) for item in items)
    if isinstance(expression, Sequence):
        return "".join(_draw(item, lists, rules, rng) for item in expression.items)
    if isinstance(expression, ListReference):
        slot_list = lists.get(expression.list_name)
        if isinstance(slot_list, TextSlotList):
            value = rng.choice(list(slot_list.values))
            return _draw(value.text_in, lists, rules, rng)
        if isinstance(slot_list, RangeSlotList):
            numbers = list(range(slot_list.start, slot_list.stop + 1, slot_list.step))
            return _spelled(rng.choice(numbers), rng)
        raise DataError(f"the grammar's slot list {expression.list_name!r} cannot be sampled")
    if isinstance(expression, RuleReference):
        rule = rules.get(expression.rule_name)
        if rule is None:
            raise DataError(f"the grammar has no expansion rule <{expression.rule_name}>")
        return _draw(rule.expression, lists, rules, rng)
    raise DataError(f"unexpected grammar expression {type(expression).__name__}")


def _grammar_examples(
    tools: ToolSchemas, rng: random.Random, positives: int, negatives: int
) -> list[Example]:
    schemas = tools.schemas
    from agents.vehicle_control.parser import shared_parser

    intents = _grammar_intents()
    parser = shared_parser()
    templates: list[tuple[str, Any, Mapping[str, Any], Mapping[str, Any]]] = []
    for name, intent in intents.intents.items():
        for data in intent.data:
            rules = {**intents.expansion_rules, **(data.expansion_rules or {})}
            lists = {**intents.slot_lists, **(data.slot_lists or {})}
            for sentence in data.sentences:
                templates.append((name, sentence, rules, lists))
    refusing = [t for t in templates if t[0] == "driving_function" or t[0].startswith("query_")]
    acting = [
        t for t in templates if not (t[0] in {"driving_function", "follow_up"} or t[0].startswith("query_"))
    ]
    out: list[Example] = []
    seen: set[str] = set()
    for pool, wanted in ((acting, positives), (refusing, negatives)):
        rng.shuffle(pool)
        made = 0
        attempts = 0
        while made < wanted and attempts < wanted * 20:
            attempts += 1
            _, sentence, rule_map, slot_lists = (
                pool[attempts % len(pool)] if attempts <= len(pool) else rng.choice(pool)
            )
            drawn = _draw(sentence.expression, slot_lists, rule_map, rng)
            text = _wrapped(_CONTRACTION.sub(r"'\1", " ".join(drawn.split())), rng)
            if not text or text in seen:
                continue
            seat = rng.choices(SEATS, _SEAT_WEIGHTS)[0]
            parse = parser.parse(text, seat=seat)  # type: ignore[arg-type]
            if not parse.understood_all:
                continue
            if pool is refusing:
                if parse.actions and not all(a.tool == "set_signals" for a in parse.actions):
                    continue
                if not parse.actions and not parse.queries:
                    continue
                example = Example(text=text, seat=seat, call=Call(tool=NO_TOOL), source="grammar-none")
            else:
                if len(parse.actions) != 1 or parse.actions[0].tool not in schemas:
                    continue
                action = parse.actions[0]
                schema = schemas[action.tool]
                if not _valid(schema, action.arguments):
                    continue
                example = _example(text, seat, action.tool, dict(action.arguments), tools, "grammar")
            seen.add(text)
            out.append(example)
            made += 1
    return out


def _example(
    text: str, seat: str, tool: str, arguments: dict[str, JsonValue], tools: ToolSchemas, source: str
) -> Example:
    schema = tools.schemas[tool]
    if not _valid(schema, arguments):
        raise DataError(f"{source}: {tool} {arguments} does not fit the tool's input schema ({text!r})")
    return Example(
        text=text,
        seat=seat,
        call=Call(tool=tool, arguments=tools.canonical(tool, arguments, seat)),
        source=source,
    )


# -- the whole set ----------------------------------------------------------------------------------


def heldout_files(directory: Path = DATA_DIR) -> list[Path]:
    """The held-out files of `directory`: `heldout.jsonl` and every `heldout-*.jsonl` beside it."""
    return sorted(directory.glob("heldout*.jsonl"))


def load_examples(path: Path) -> list[Example]:
    """Examples from a JSONL file; a bad line is a DataError naming the file and line."""
    out: list[Example] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(Example.model_validate_json(line))
        except ValueError as exc:
            raise DataError(f"{path}:{number}: not an example line: {exc}") from exc
    return out


def write_examples(examples: Iterable[Example], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for example in examples:
            fh.write(example.model_dump_json(exclude={"source"} if not example.source else set()) + "\n")


def data_hash(examples: Sequence[Example]) -> str:
    """sha256 of the examples as written (text, seat, call; sources included)."""
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps(example.model_dump(mode="json"), sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def generate(
    size: int = 2000,
    *,
    seed: int = 0,
    tools: ToolSchemas | None = None,
    needs_path: Path = NEEDS,
    heldout_paths: Sequence[Path] | None = None,
) -> tuple[list[Example], GenerationReport]:
    """`size` examples: about 35 % from the grammar, 10 % from the tools' declared examples, 30 %
    paraphrases, 25 % `none` (half from the grammar's driving-function and query templates, half
    hand-written), shuffled; deterministic. A request equal to one of `heldout_paths` (default: every
    held-out file of the data folder, `heldout_files`) is dropped."""
    if size < 20:
        raise DataError(f"size must be at least 20 examples, got {size}")
    rng = random.Random(seed)
    tools = tools if tools is not None else tool_schemas()
    try:
        needs = yaml.safe_load(needs_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read {needs_path}: {exc}") from exc
    n_grammar = size * 35 // 100
    n_declared = size * 10 // 100
    n_needs = size * 30 // 100
    n_none = size - n_grammar - n_declared - n_needs
    examples = [
        *_grammar_examples(tools, rng, n_grammar, n_none // 2),
        *_declared_examples(tools, rng, n_declared),
        *_paraphrases(needs, tools, rng, n_needs),
        *_negatives(needs, rng, n_none - n_none // 2),
    ]
    held_files = heldout_files() if heldout_paths is None else heldout_paths
    heldout = {_normalised(e.text) for path in held_files if path.is_file() for e in load_examples(path)}
    kept = [e for e in examples if _normalised(e.text) not in heldout]
    rng.shuffle(kept)
    report = GenerationReport(
        examples=len(kept),
        by_source=dict(Counter(e.source for e in kept)),
        by_tool=dict(sorted(Counter(e.call.tool for e in kept).items())),
        dropped_heldout=len(examples) - len(kept),
        sha256=data_hash(kept),
    )
    return kept, report
