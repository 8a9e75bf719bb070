"""The deterministic first stage of understanding: sentence templates (Home Assistant's hassil).

`TemplateParser.parse(text, seat=..., previous=...)` turns a request into tool calls without any
model: the templates in `grammar/*.yaml` cover absolute values ("set it to 22"), relative
changes ("a bit warmer", "turn it up"), indirect requests ("I'm cold", "it's pouring"), zones ("my
seat", "rear left", "everyone") and several requests in one sentence ("lights on, wipers slow and
set it to 19"). The whole text is tried first; when it does not match, it is split into clauses at
commas and conjunctions, and a clause that lacks its verb borrows the previous clause's ("open the
window and the sunroof"), a topic joins the clause after it ("the sunroof, can you open it"), and
a stated reason or a long lead-in is set aside ("pop the trunk while we're stopped", "what I wanted
to ask is whether you could set it to 22"), and misspelt words are set to the nearest word the
templates know ("opne my windwo"). Clauses that match nothing are returned as `unmatched` for the
next stage. A quotation or a name said after "called" / "named" is data (`agents.hosting.spans`): it
is read as one placeholder word, so no clause is cut inside it and nothing is done that only its
words ask for ("navigate to the place called 'open all doors'" opens nothing).

The parser is pure and thread-safe after construction; one recognition takes a few milliseconds.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from hassil import Intents
from pydantic import JsonValue

from agents.hosting import Seat
from agents.hosting.spans import mask
from agents.hosting.templates import YAML_LOADER, TemplateIndex
from agents.language.clauses import ASK, content_words, is_filler, pieces, zones_apart
from agents.language.dialogue import for_zone, whose
from agents.language.lexicon import PARTICLE_VERBS, PARTICLES, SKIP_WORDS, VERBS, WHERE_SLOTS
from agents.language.normalise import normalise
from agents.vehicle_control import amounts, devices, lacking, needs, relative, seats
from agents.vehicle_control.actions import AGENT_TOOLS, RELATIVE_STEPS, ZONE_ARGUMENTS, Action
from agents.vehicle_control.driving import FUNCTIONS, action_for
from agents.vehicle_control.errors import SetupError

__all__ = ["GRAMMAR", "SENTENCES", "Parse", "TemplateParser", "Understanding", "shared_parser"]

GRAMMAR = Path(__file__).resolve().parent / "grammar"
"""The sentence templates that ship with the agent: every ``*.yaml`` file of this folder, read as one
grammar (``sentences.yaml`` first, then the others by name; `_load_grammar`)."""

SENTENCES = GRAMMAR / "sentences.yaml"
"""The grammar's main file: the skills, lists and rules most intents share, and most intents."""

FOLLOW_UP = "follow_up"
"""The intent that repeats the conversation's last relative change ("a bit more", "less")."""

_FAHRENHEIT = "fahrenheit"
_CELSIUS = "celsius"
_SIGN = "sign"
_REFERENCE = "$"
_DRIVING = "driving"
_LACKING = "lacking"
"""Metadata of the templates that ask for what this car cannot do (see `agents.vehicle_control.lacking`)."""
_NEED = "need"
"""Metadata of the templates that say a need indirectly (see `agents.vehicle_control.needs`)."""
_COPY = "copy"
"""Metadata of the templates that copy one seat's or zone's setting to others (`grammar/copy.yaml`):
the call is the device's tool with the seat or zone to set and `like`, whose setting to copy
(`agents.vehicle_control.relative`)."""
_COPY_WHAT = "copy_what"
"""The lacking feature said when a copy names no device and none was sent with it."""
"""Metadata of the templates that name a driving function (see `agents.vehicle_control.driving`)."""

_MIN_CORRECTED = 4
_MAX_CORRECTED_WORDS = 8
_PURPOSE = re.compile(r"\s+\b(?:so that|so|because|since|'cause|cause|while|as)\b\s+", re.IGNORECASE)

_SKILLS = "skills"
"""The grammar's own top-level key: each skill of the agent's card and the intents that belong to it."""


@dataclass(frozen=True)
class Parse:
    """What the templates understood of one request.

    `actions` are tool calls with every zone written out for the speaker's seat. `queries` name what
    the request asks about the car (`locks`, `windows`, `temperature`), in order. `lacking` names what
    it asks that this car cannot do (`agents.vehicle_control.lacking`), in order. `unmatched` holds
    the clauses no template matched, in order (the whole text when nothing matched). `needs_context`
    is True when a follow-up ("a bit more") came with no earlier change in the conversation.
    `clauses` are the parts the text was split into (for tracing; not compared).
    """

    actions: tuple[Action, ...] = ()
    unmatched: tuple[str, ...] = ()
    needs_context: bool = False
    queries: tuple[str, ...] = ()
    lacking: tuple[str, ...] = ()
    clauses: tuple[str, ...] = field(default=(), compare=False)

    @property
    def understood_all(self) -> bool:
        """True when every clause was understood."""
        return not self.unmatched and not self.needs_context

    @classmethod
    def of_all(cls, parses: Sequence[Parse], actions: Sequence[Action]) -> Parse:
        """The parses of several clauses or seats as one, with `actions` as the calls (the caller says
        how the parses' actions combine); the rest is each parse's, in order, without repeats."""
        return cls(
            actions=tuple(actions),
            unmatched=tuple(dict.fromkeys(c for parse in parses for c in parse.unmatched)),
            needs_context=any(parse.needs_context for parse in parses),
            queries=tuple(dict.fromkeys(q for parse in parses for q in parse.queries)),
            lacking=tuple(dict.fromkeys(f for parse in parses for f in parse.lacking)),
            clauses=tuple(c for parse in parses for c in parse.clauses),
        )


@dataclass(frozen=True)
class Understanding:
    """What the grammar read in a text: an intent of the grammar and its slots (JSON values, as
    captured: `zone` "self" is the speaker, a `fahrenheit` slot is not yet converted)."""

    intent: str
    slots: Mapping[str, JsonValue]


class _MissingSlot(Exception):
    """An action of a block refers to a slot the intent was not given."""


@dataclass(frozen=True)
class _Match:
    actions: tuple[Action, ...]
    follow_up_sign: int | None = None
    query: str | None = None
    lacking: str | None = None


class TemplateParser:
    """Sentence-template recognizer over the agent's YAML grammar (hassil format plus `metadata.actions`).

    `path` is one grammar file or a folder whose ``*.yaml`` files are one grammar (the default: the
    agent's own, :data:`GRAMMAR`). Construction loads and checks it: every intent must be a tool of
    `AGENT_TOOLS`, the follow-up intent, or carry `metadata.actions` naming such tools; slot names must
    be strings; an intent, list or rule is written in one file only. Raises SetupError naming the file,
    line and intent otherwise.
    """

    def __init__(self, path: Path = GRAMMAR) -> None:
        self._path = path
        data, lines = _load_grammar(path)
        # Each kind of request ("switch it on", "turn it up a bit") is written once for every device.
        data["intents"] = devices.grammar_intents(
            dict(data["intents"]), dict(data.get("expansion_rules") or {}), dict(data.get("lists") or {})
        )
        _check_grammar(path, data, lines)
        self._skills = _skills_of(path, data)
        self._blocks = _blocks_of(path, data)
        data = {key: value for key, value in data.items() if key != _SKILLS}
        data["skip_words"] = list(SKIP_WORDS)
        # The words for seats and zones and for how much are the language layer's.
        data["lists"] = seats.grammar_lists(
            amounts.grammar_lists(dict(data.get("lists") or {}), lowest_on=devices.LOWEST_ON)
        )
        data["expansion_rules"] = devices.grammar_rules(
            amounts.grammar_rules(dict(data.get("expansion_rules") or {}))
        )
        try:
            self._intents = Intents.from_dict(data)
        except Exception as exc:
            raise SetupError(f"{path}: the sentence templates do not compile: {exc}") from exc
        # Parses and compiles every template now, so the first request does not pay for it.
        self._index = TemplateIndex(self._intents)
        self._vocabulary = _vocabulary(data)
        self._known = frozenset(self._vocabulary)

    @property
    def path(self) -> Path:
        """The grammar file or folder in use."""
        return self._path

    def parse(self, text: str, *, seat: Seat, previous: Action | None = None) -> Parse:
        """Understand `text` spoken from `seat`; `previous` is the conversation's last relative change."""
        normalized = _normal(text)
        if not normalized:
            return Parse()
        apart = zones_apart(normalized)
        if len(apart) > 1 and self._recognize(normalized) is None:
            # "the driver and passenger seat heating": the same request for each of them.
            return _joined([self.parse(one, seat=seat, previous=previous) for one in apart])
        whole = self._recognize(normalized)
        if whole is not None:
            return self._resolve([(normalized, whole)], [], seat, previous, clauses=(normalized,))
        clauses = [c for c in pieces(normalized) if not is_filler(c)]
        if not clauses:
            return Parse(unmatched=(normalized,), clauses=(normalized,))
        matched: list[tuple[str, _Match]] = []
        unmatched: list[str] = []
        verb: str | None = None
        index = 0
        while index < len(clauses):
            clause = clauses[index]
            index += 1
            match = self._recognize(clause)
            acting = self._only_verb(clauses[index]) if index < len(clauses) else None
            if match is None and acting is not None:
                # "rear right door, close": a topic, then only the verb that acts on it.
                match = self._recognize(f"{acting} {clause}")
                if match is not None:
                    clause = f"{acting} {clause}"
                    index += 1
            if match is None and matched:
                # "twenty-two on my side and nineteen for the passenger": a value and whose, of the
                # device the clause before worked.
                match = self._of_same_device(clause, matched[-1][1])
            if match is None and verb is not None:
                match = self._recognize(f"{verb} {clause}")
            if match is None and index < len(clauses):
                # "the sunroof, can you open it": a topic, then what to do with it.
                joined = f"{clause} {clauses[index]}"
                match = self._recognize(joined)
                if match is not None:
                    clause = joined
                    index += 1
            if match is None:
                match = self._recover(clause)
            if match is None and matched:
                match = _for_someone_else(clause, matched[-1][1])
            if match is None:
                unmatched.append(clause)
                continue
            matched.append((clause, match))
            verb = self._verb(clause) or verb
        if not matched:
            return Parse(unmatched=(normalized,), clauses=tuple(clauses))
        return self._resolve(matched, unmatched, seat, previous, clauses=tuple(clauses))

    # -- recognition ---------------------------------------------------------------------------------

    def warm_up(self) -> None:
        """Compile every template now, so that a server's first requests are not slower than the
        rest (see :meth:`agents.hosting.templates.TemplateIndex.warm_up`)."""
        self._index.warm_up()

    def understand(self, text: str) -> Understanding | None:
        """What the grammar reads in the whole of `text`: its intent and slots (None when no template
        matches it whole). `parse_intent` acts on the result without reading the text again."""
        normalized = _normal(text)
        return self._understand(normalized) if normalized else None

    def parse_intent(
        self, intent: str, slots: Mapping[str, JsonValue], *, seat: Seat, previous: Action | None = None
    ) -> Parse | None:
        """The calls of an intent of this grammar with its slots (an `understand` result, sent on by the
        orchestrator, perhaps with a slot edited for a follow-up), resolved for `seat`; None when the
        intent is not one of this grammar's or no block of it takes these slots."""
        match = self._match_for(intent, dict(slots))
        if match is None:
            return None
        return self._resolve([(intent, match)], [], seat, previous, clauses=())

    def skill_of(self, intent: str) -> str | None:
        """The skill (the card's skill id) an intent of this grammar belongs to."""
        return self._skills.get(intent)

    @property
    def intents(self) -> frozenset[str]:
        """The intents of this grammar."""
        return frozenset(self._blocks)

    @property
    def stepped(self) -> frozenset[str]:
        """The intents of this grammar whose device is changed by steps (:data:`amounts.STEPS`): a
        relative change of one is the slot ``delta`` holding a grade of the language layer's
        intensity words (``small``), with ``sign`` -1 downwards."""
        return frozenset(amounts.STEPS) & frozenset(self._blocks)

    def _understand(self, text: str) -> Understanding | None:
        result = self._index.recognize_best(text)
        if result is None:
            return None
        slots: dict[str, JsonValue] = {name: _json(entity.value) for name, entity in result.entities.items()}
        return Understanding(intent=result.intent.name, slots=slots)

    def _recognize(self, text: str) -> _Match | None:
        understood = self._understand(text)
        return None if understood is None else self._match_for(understood.intent, dict(understood.slots))

    def _match_for(self, name: str, slots: dict[str, JsonValue]) -> _Match | None:
        blocks = self._blocks.get(name)
        if blocks is None:
            return None
        # The block's metadata says what the intent does; where blocks differ in it, the fixed slots
        # that do not say where tell them apart (checked when the grammar is loaded).
        fitting = {repr(metadata): metadata for _fixed, metadata in blocks}
        if len(fitting) > 1:
            fitting = {
                repr(metadata): metadata
                for fixed, metadata in blocks
                if all(slots.get(key) == value for key, value in fixed.items() if key not in WHERE_SLOTS)
            }
        if len(fitting) != 1:
            return None
        metadata = next(iter(fitting.values()))
        fahrenheit = slots.pop(_FAHRENHEIT, None)
        if isinstance(fahrenheit, int | float):
            slots[_CELSIUS] = _json(round((fahrenheit - 32) * 5 / 9 * 2) / 2)
        if name == FOLLOW_UP:
            return _Match(actions=(), follow_up_sign=_sign(slots))
        if isinstance(metadata.get("query"), str):
            return _Match(actions=(), query=metadata["query"])
        if isinstance(metadata.get(_LACKING), str):
            return _Match(actions=(), lacking=metadata[_LACKING])
        if metadata.get(_COPY) is True:
            return _copy(slots)
        if metadata.get(_DRIVING) is True:
            try:
                return _Match(actions=(action_for(str(slots.get("function")), slots.get("value")),))
            except ValueError:
                return None  # no driving function this grammar knows (only a sent intent can say one)
        templates = metadata.get("actions")
        need = metadata.get(_NEED)
        if isinstance(need, str):
            # "it's stuffy": what meets the need is the needs table's, felt where the sentence says.
            slots.setdefault("zone", "self")
            templates = [
                {"tool": tool, "arguments": arguments} for tool, arguments in needs.calls_for(need) or ()
            ]
        if templates is None:
            arguments = {slot: value for slot, value in slots.items() if slot != _SIGN}
            templates = [{"tool": name, "arguments": arguments}]
        try:
            actions = tuple(self._action(name, template, slots) for template in templates)
        except _MissingSlot:
            return None
        return _Match(actions=actions)

    def _action(self, intent: str, template: Mapping[str, Any], slots: Mapping[str, JsonValue]) -> Action:
        arguments: dict[str, JsonValue] = {}
        for argument, raw in dict(template.get("arguments") or {}).items():
            value: JsonValue = raw
            if isinstance(raw, str) and raw.startswith(_REFERENCE):
                reference = raw[len(_REFERENCE) :]
                if reference not in slots:
                    raise _MissingSlot(f"intent {intent}: argument {argument} refers to no slot {raw}")
                value = slots[reference]
            arguments[str(argument)] = value
        grade = arguments.get("delta")
        if isinstance(grade, str):
            # "a smidge", "all the way": a grade of the language layer, this tool's step or its end.
            said = amounts.amount(str(template["tool"]), grade, _sign(slots))
            if said is None:
                raise _MissingSlot(f"intent {intent}: {grade!r} is no amount of {template['tool']}")
            del arguments["delta"]
            arguments.update(said)
        elif isinstance(arguments.get("delta"), int | float):
            delta = arguments["delta"]
            assert isinstance(delta, int | float)
            arguments["delta"] = _json(delta * _sign(slots))
        return Action(tool=str(template["tool"]), arguments=arguments)

    def _recover(self, clause: str) -> _Match | None:
        """Second tries for a clause that matched nothing as it stands."""
        # "pop the trunk while we're stopped": the request without its reason.
        head = _PURPOSE.split(clause, maxsplit=1)[0].strip()
        candidates = [head] if head and head != clause else []
        # "what I wanted to ask is whether you could set it to 22": the request after its lead-in.
        lead_ins = list(ASK.finditer(head or clause))
        if lead_ins:
            candidates.append((head or clause)[lead_ins[-1].end() :].strip())
        # "opne my windwo": words the templates do not know, set to the nearest word they do (short
        # requests only: a long clause that matched nothing is rarely one typo away from a command).
        for candidate in [clause, *candidates]:
            if len(candidate.split()) > _MAX_CORRECTED_WORDS:
                continue
            corrected = self._spelling(candidate)
            if corrected != candidate:
                candidates.append(corrected)
        for candidate in candidates:
            if candidate:
                match = self._recognize(candidate)
                if match is not None:
                    return match
        return None

    def _spelling(self, text: str) -> str:
        fixed = []
        for word in text.split():
            bare = word.lower().strip(".,!?;:")
            if len(bare) < _MIN_CORRECTED or bare in self._known or not bare.isalpha():
                fixed.append(word)
                continue
            fixed.append(_nearest(bare, self._vocabulary) or word)
        return " ".join(fixed)

    def _only_verb(self, clause: str) -> str | None:
        """The verb of a clause that says nothing else ("close", "turn on"); None for any other."""
        verb = self._verb(clause)
        return verb if verb is not None and " ".join(content_words(clause)) == verb else None

    def _of_same_device(self, clause: str, before: _Match) -> _Match | None:
        """`clause` read as said of the device of the last action of `before` (None when it says more
        than a value, whose or how much of it, or names another device)."""
        if not before.actions:
            return None
        noun = devices.NOUNS.get(before.actions[-1].tool)
        if noun is None:
            return None
        match = self._recognize(f"{noun} {clause}")
        if match is None or any(action.tool != before.actions[-1].tool for action in match.actions):
            return None
        return match

    def _verb(self, clause: str) -> str | None:
        words = content_words(clause)
        if not words:
            return None
        if words[0] in PARTICLE_VERBS and len(words) > 1 and words[1] in PARTICLES:
            return f"{words[0]} {words[1]}"
        return words[0] if words[0] in VERBS else None

    # -- resolution ----------------------------------------------------------------------------------

    def _resolve(
        self,
        matched: Sequence[tuple[str, _Match]],
        unmatched: Sequence[str],
        seat: Seat,
        previous: Action | None,
        *,
        clauses: tuple[str, ...],
    ) -> Parse:
        actions: list[Action] = []
        queries: list[str] = []
        lacking: list[str] = []
        needs_context = False
        for _, match in matched:
            if match.lacking is not None:
                if match.lacking not in lacking:
                    lacking.append(match.lacking)
                continue
            if match.query is not None:
                if match.query not in queries:
                    queries.append(match.query)
                continue
            if match.follow_up_sign is not None:
                follow = _follow_up(previous, match.follow_up_sign)
                if follow is None:
                    needs_context = True
                    continue
                actions.append(follow)
                previous = follow
                continue
            resolved_all = [_for_seat(action, seat) for action in match.actions]
            if any(resolved is None for resolved in resolved_all):
                # "the window behind me" said from the back: no such seat, nothing is done for it, and
                # the reply says why (`replies.no_such_place`).
                for missing in dict.fromkeys(_nowhere(action, seat) for action in match.actions):
                    feature = f"{seats.NOWHERE}{missing}" if missing is not None else None
                    if feature is not None and feature not in lacking:
                        lacking.append(feature)
                continue
            for resolved in (one for many in resolved_all if many is not None for one in many):
                # A repeated absolute request is one request; a repeated relative step is two steps.
                if resolved not in actions or "delta" in resolved.arguments:
                    actions.append(resolved)
                if resolved.tool in RELATIVE_STEPS:
                    previous = resolved
        return Parse(
            actions=tuple(actions),
            unmatched=tuple(unmatched),
            needs_context=needs_context,
            queries=tuple(queries),
            lacking=tuple(lacking),
            clauses=clauses,
        )


def _normal(text: str) -> str:
    """`text` in the language layer's normal form (quotations masked), with a relative position said
    after what it qualifies moved before it ("the seat next to me": "the next to me seat")."""
    return seats.postposed(normalise(mask(text), fold_case=False))


def _joined(parses: Sequence[Parse]) -> Parse:
    """The parses of one request said for several seats or zones, as one."""
    actions: list[Action] = []
    for parse in parses:
        actions.extend(action for action in parse.actions if action not in actions)
    return Parse.of_all(parses, actions)


def _json(value: Any) -> JsonValue:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)


def _sign(slots: Mapping[str, JsonValue]) -> int:
    return -1 if slots.get(_SIGN) == -1 else 1


def _for_seat(action: Action, seat: Seat) -> tuple[Action, ...] | None:
    """`action` with the zone it names resolved for the speaker in `seat` (see
    :func:`agents.vehicle_control.seats.resolve`): one action per zone (a side of the car is two
    seats), None when the speaker's seat has no such neighbour."""
    actions = [action]
    for name in (*WHERE_SLOTS, "doors", relative.LIKE):
        value = action.arguments.get(name)
        if not isinstance(value, str):
            continue
        zones = seats.resolve(value, seat)
        if zones is None:
            return None
        actions = [
            Action(tool=one.tool, arguments={**one.arguments, name: zone})
            for one in actions
            for zone in zones
        ]
    return tuple(actions)


def _nowhere(action: Action, seat: Seat) -> str | None:
    """The relative position `action` names that the speaker in `seat` has none of (see
    :func:`agents.vehicle_control.seats.nowhere`), or None."""
    for name in (*WHERE_SLOTS, "doors", relative.LIKE):
        value = action.arguments.get(name)
        if isinstance(value, str):
            missing = seats.nowhere(value, seat)
            if missing is not None:
                return missing
    return None


def _copy(slots: Mapping[str, JsonValue]) -> _Match | None:
    """The call of a copy of one seat's or zone's setting ("match my temperature"): the device's tool
    with the seat or zone to set (every one unless said) and, as `like`, whose setting (the
    speaker's unless said); said with no device, what was not done and why."""
    device = slots.get("device")
    if not isinstance(device, str):
        return _Match(actions=(), lacking=_COPY_WHAT)
    where = ZONE_ARGUMENTS.get(device)
    if where is None or device not in relative.COPIES:
        return None
    target, source = slots.get("target", "all"), slots.get("source", "self")
    return _Match(actions=(Action(tool=device, arguments={where: target, relative.LIKE: source}),))


def _follow_up(previous: Action | None, sign: int) -> Action | None:
    """One more step of `previous` ("more": same direction, "less": the other one)."""
    if previous is None or previous.tool not in RELATIVE_STEPS:
        return None
    earlier = previous.arguments.get("delta")
    direction = -1 if isinstance(earlier, int | float) and earlier < 0 else 1
    arguments: dict[str, JsonValue] = {"delta": RELATIVE_STEPS[previous.tool] * direction * sign}
    zone = ZONE_ARGUMENTS.get(previous.tool)
    if zone is not None and zone in previous.arguments:
        arguments = {zone: previous.arguments[zone], **arguments}
    return Action(tool=previous.tool, arguments=arguments)


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _nearest(word: str, vocabulary: Sequence[str]) -> str | None:
    """The one vocabulary word within 1 edit (2 for words of 8+ letters); None when none or a tie."""
    allowed = 2 if len(word) >= 8 else 1
    best: list[str] = []
    best_distance = allowed + 1
    for candidate in vocabulary:
        if abs(len(candidate) - len(word)) > allowed:
            continue
        distance = _edits(word, candidate)
        if distance > allowed:
            continue
        if distance < best_distance:
            best, best_distance = [candidate], distance
        elif distance == best_distance:
            best.append(candidate)
    return best[0] if len(best) == 1 else None


def _vocabulary(data: Mapping[str, Any]) -> list[str]:
    """Every word the templates, lists and rules spell out (the targets of spelling correction)."""
    texts: list[str] = []
    for intent in dict(data.get("intents") or {}).values():
        for block in intent.get("data") or []:
            texts.extend(str(sentence) for sentence in block.get("sentences") or [])
    for spec in dict(data.get("lists") or {}).values():
        for value in spec.get("values") or []:
            texts.append(str(value.get("in", "")) if isinstance(value, dict) else str(value))
    texts.extend(str(rule) for rule in dict(data.get("expansion_rules") or {}).values())
    words = {word for text in texts for word in re.findall(r"[a-z]+", text.lower())}
    return sorted(word for word in words if len(word) >= _MIN_CORRECTED)


def _for_someone_else(clause: str, before: _Match) -> _Match | None:
    """The actions of `before` for the seat or zone `clause` names ("turn on my seat heating and the
    passenger's"); None unless `clause` names only that and every action of `before` says where."""
    where = whose(clause)
    if where is None or not before.actions:
        return None
    actions: list[Action] = []
    for action in before.actions:
        arguments = for_zone(action.arguments, where)
        if arguments is None:
            return None
        actions.append(Action(tool=action.tool, arguments=arguments))
    return _Match(actions=tuple(actions))


def shared_parser(path: Path = GRAMMAR) -> TemplateParser:
    """One `TemplateParser` per grammar (file or folder) and process, built on first use (about a
    second) and shared by every caller: the router and the vehicle-control agent of an in-process
    stack read the same templates. Sharing is safe because the parser is pure after construction.
    Raises SetupError as `TemplateParser` does (and builds again on the next call)."""
    return _parser_for(path.resolve())


@functools.cache
def _parser_for(path: Path) -> TemplateParser:
    return TemplateParser(path)


# -- loading and checking the grammar files --------------------------------------------------------

_MERGED = ("intents", "lists", "expansion_rules")
"""The grammar's keys whose entries may come from any of its files (each entry from one file only)."""


def _grammar_files(path: Path) -> list[Path]:
    """The files of the grammar at `path`: the file itself, or the folder's ``*.yaml`` files with
    ``sentences.yaml`` first and the others by name."""
    if not path.is_dir():
        return [path]
    files = sorted(path.glob("*.yaml"), key=lambda file: (file.name != SENTENCES.name, file.name))
    if not files:
        raise SetupError(f"{path}: holds no sentence templates (*.yaml)")
    return files


def _load_grammar(path: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """The grammar at `path` read as one mapping, and where each intent is written ("file:line").

    Intents, lists and expansion rules of every file are put together (one written twice is a
    SetupError naming both files); the intents each file lists under `skills` join that skill's; every
    file says the same `language`."""
    merged: dict[str, Any] = {}
    lines: dict[str, str] = {}
    origin: dict[tuple[str, str], Path] = {}
    for file in _grammar_files(path):
        data, root = _load_yaml(file)
        for key, value in data.items():
            if key in _MERGED:
                if not isinstance(value, dict):
                    raise SetupError(f"{file}: '{key}' must be a mapping")
                into = merged.setdefault(key, {})
                for name, entry in value.items():
                    if name in into:
                        raise SetupError(
                            f"{file}: {key} {name} is written in {origin[(key, str(name))]} already"
                        )
                    into[name] = entry
                    origin[(key, str(name))] = file
            elif key == _SKILLS:
                if not isinstance(value, dict):
                    raise SetupError(f"{file}: '{_SKILLS}' must map each skill to its intents")
                skills = merged.setdefault(_SKILLS, {})
                for skill, intents in value.items():
                    skills.setdefault(skill, []).extend(intents or [])
            elif key in merged and merged[key] != value:
                raise SetupError(f"{file}: '{key}' differs from the other grammar files'")
            else:
                merged[key] = value
        for name in dict(data["intents"]):
            line = _line_of(root, ["intents", str(name)])
            lines[str(name)] = f"{file}:{line}" if line is not None else str(file)
    return merged, lines


def _load_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SetupError(f"{path}: cannot read the sentence templates ({exc.strerror})") from exc
    try:
        root = yaml.compose(text, Loader=YAML_LOADER)
        data = yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise SetupError(f"{path}{where}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("intents"), dict):
        raise SetupError(f"{path}: expected a mapping with 'language', 'intents' and 'lists'")
    return data, root


def _line_of(root: yaml.Node | None, keys: Sequence[str]) -> int | None:
    node = root
    line: int | None = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return line
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                line = key_node.start_mark.line + 1
                node = value_node
                break
        else:
            return line
    return line


def _check_grammar(path: Path, data: Mapping[str, Any], lines: Mapping[str, str]) -> None:
    for name, intent in dict(data["intents"]).items():
        where = lines.get(str(name), str(path))
        blocks = intent.get("data") if isinstance(intent, dict) else None
        if not isinstance(blocks, list) or not blocks:
            raise SetupError(f"{where}: intent {name}: needs a non-empty 'data' list")
        for block in blocks:
            slots = block.get("slots") or {}
            bad = [key for key in slots if not isinstance(key, str)]
            if bad:
                raise SetupError(
                    f"{where}: intent {name}: slot name {bad[0]!r} is not a string (quote on/off/yes/no keys)"
                )
            metadata = block.get("metadata") or {}
            if isinstance(metadata.get("query"), str):
                continue
            if _LACKING in metadata:
                if metadata[_LACKING] not in lacking.FEATURES:
                    known = ", ".join(lacking.FEATURES)
                    raise SetupError(
                        f"{where}: intent {name}: {metadata[_LACKING]!r} is no lacking feature ({known})"
                    )
                continue
            need = metadata.get(_NEED)
            if need is not None:
                if not isinstance(need, str) or needs.calls_for(need) is None:
                    known = ", ".join(needs.NEEDS)
                    raise SetupError(
                        f"{where}: intent {name}: {need!r} is no need of the needs table ({known})"
                    )
                continue
            if metadata.get(_COPY) is True:
                continue
            if metadata.get(_DRIVING) is True:
                function = slots.get("function")
                if function is not None and function not in FUNCTIONS:
                    known = ", ".join(FUNCTIONS)
                    raise SetupError(f"{where}: intent {name}: {function!r} is no driving function ({known})")
                continue
            templates = metadata.get("actions")
            if templates is None:
                if name not in AGENT_TOOLS and name != FOLLOW_UP:
                    raise SetupError(
                        f"{where}: intent {name}: names no tool of this agent and has no metadata.actions"
                    )
                continue
            for template in templates:
                tool = template.get("tool") if isinstance(template, dict) else None
                if tool not in AGENT_TOOLS:
                    raise SetupError(
                        f"{where}: intent {name}: action tool {tool!r} is not one of AGENT_TOOLS"
                    )
                arguments = template.get("arguments") or {}
                bad = [key for key in arguments if not isinstance(key, str)]
                if bad:
                    raise SetupError(
                        f"{where}: intent {name}: argument {bad[0]!r} is not a string (quote on/off keys)"
                    )


def _blocks_of(path: Path, data: Mapping[str, Any]) -> dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]:
    """Per intent, each data block's fixed slots and metadata. Blocks of one intent whose metadata differ
    must differ in a fixed slot that does not say where, so that an intent and its slots name one
    meaning (SetupError otherwise)."""
    blocks: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for name, intent in dict(data["intents"]).items():
        entries = [
            (dict(block.get("slots") or {}), dict(block.get("metadata") or {})) for block in intent["data"]
        ]
        for index, (fixed, metadata) in enumerate(entries):
            for other, other_metadata in entries[index + 1 :]:
                if metadata == other_metadata:
                    continue
                if not any(
                    key in other and other[key] != value
                    for key, value in fixed.items()
                    if key not in WHERE_SLOTS
                ):
                    raise SetupError(
                        f"{path}: intent {name}: two data blocks do different things but no fixed slot "
                        "tells them apart; make them intents of their own"
                    )
        blocks[str(name)] = entries
    return blocks


def _skills_of(path: Path, data: Mapping[str, Any]) -> dict[str, str]:
    """Intent -> skill from the grammar's `skills` key; every intent belongs to exactly one skill."""
    raw = data.get(_SKILLS)
    if not isinstance(raw, dict):
        raise SetupError(f"{path}: needs a '{_SKILLS}' mapping of each skill to its intents")
    skills: dict[str, str] = {}
    for skill, intents in raw.items():
        for intent in intents or []:
            if intent in skills:
                raise SetupError(f"{path}: intent {intent} is in skills {skills[intent]} and {skill}")
            if intent not in data["intents"]:
                raise SetupError(f"{path}: skills.{skill} names {intent}, which is no intent of the grammar")
            skills[str(intent)] = str(skill)
    missing = [name for name in data["intents"] if name not in skills]
    if missing:
        raise SetupError(f"{path}: intents in no skill: {', '.join(missing)}")
    return skills
