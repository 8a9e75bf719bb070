"""The fast path: sentence templates matched with Home Assistant's ``hassil``.

Templates live in ``orchestrator/routing/templates/*.yaml``, in hassil's intent file format, with one
key of our own: ``route``, the label (``agent-domain/skill``) that every intent of the file routes to.
Shared lists and expansion rules sit in files without ``route`` (``_common.yaml``); the skip words are
the language layer's (:data:`agents.language.lexicon.SKIP_WORDS`), and a text is put in the language
layer's normal form (:func:`agents.language.normalise.normalise`) before it is matched. A
template matches the whole utterance (skip words aside), never a part of it, so a sentence that merely
mentions a window or a temperature does not match.

Intent names are the vehicle tool names where one exists (``set_cabin_temperature``, ``set_window``)
and descriptive ids otherwise (``find_poi``, ``query_speed_limit``); slots are the fixed slots of the
matched block plus the values captured from lists and ranges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from hassil import (
    Group,
    Intents,
    ListReference,
    RecognizeResult,
    RuleReference,
    is_template,
    parse_sentence,
    sample_expression,
)
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator

from agents.hosting.templates import YAML_LOADER, TemplateIndex
from agents.language.clauses import zones_apart
from agents.language.lexicon import SKIP_WORDS
from agents.language.normalise import normalise

from .errors import TemplateError
from .grammars import AgentGrammar
from .labels import LABELS, NONE, agent_skill
from .stage import Decision, RouterStage

__all__ = ["TemplateMatch", "TemplateSet", "TemplateStage", "default_template_dir"]


def default_template_dir() -> Path:
    """The templates shipped with the package."""
    return Path(str(resources.files("orchestrator.routing") / "templates"))


# -- file schema (validated before hassil sees it, so errors name the file and key) ---------------------


class _RangeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: int = Field(alias="from")
    to: int
    step: int = Field(default=1, ge=1)
    type: Literal["number", "percentage", "temperature"] = "number"
    fractions: Literal["halves", "tenths"] | None = None
    multiplier: float | None = None
    digits: bool = True
    words: bool = True


class _ListValue(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    in_: str = Field(alias="in", min_length=1)
    out: JsonValue = None


class _ListSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    values: list[str | _ListValue] | None = None
    range: _RangeSpec | None = None
    wildcard: bool = False

    def kinds(self) -> int:
        return sum((self.values is not None, self.range is not None, self.wildcard))


class _DataSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sentences: list[str] = Field(min_length=1)
    slots: dict[str, JsonValue] = Field(default_factory=dict)
    expansion_rules: dict[str, str] = Field(default_factory=dict)
    lists: dict[str, _ListSpec] = Field(default_factory=dict)
    metadata: dict[str, JsonValue] | None = None


class _IntentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: list[_DataSpec] = Field(min_length=1)


class _TemplateFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["en"]
    route: str | None = None
    intents: dict[str, _IntentSpec] = Field(default_factory=dict)
    lists: dict[str, _ListSpec] = Field(default_factory=dict)
    expansion_rules: dict[str, str] = Field(default_factory=dict)
    skip_words: list[str] = Field(default_factory=list)

    @field_validator("route")
    @classmethod
    def _known_route(cls, value: str | None) -> str | None:
        if value is not None and (value == NONE or value not in LABELS):
            raise ValueError(f"{value!r} is not a skill label (one of {', '.join(LABELS[:-1])})")
        return value


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors(include_url=False)
    )


def _references(expression: Any) -> Iterable[tuple[str, str]]:
    """``("list", name)`` and ``("rule", name)`` for every reference inside an expression."""
    if isinstance(expression, ListReference):
        yield "list", expression.list_name
    elif isinstance(expression, RuleReference):
        yield "rule", expression.rule_name
    elif isinstance(expression, Group):
        for item in expression.items:
            yield from _references(item)


class TemplateMatch(BaseModel):
    """What a template recognised: the intent, its route and its slots."""

    model_config = ConfigDict(frozen=True)

    intent: str
    label: str
    slots: dict[str, JsonValue]
    sentence: str | None
    """The template sentence that matched (for traces and tests)."""
    wildcard: bool = False
    """True when a slot was filled by a wildcard (free text such as a destination)."""


class TemplateSet:
    """Compiled templates: :meth:`match` recognises one utterance (thread-safe, no I/O)."""

    def __init__(self, intents: Intents, routes: Mapping[str, str], files: Sequence[Path]) -> None:
        self._intents = intents
        self._index = TemplateIndex(intents, language="en")
        self.routes: dict[str, str] = dict(routes)
        """Intent name -> label."""
        self.files: tuple[Path, ...] = tuple(files)

    @classmethod
    def load(cls, directory: str | Path | None = None, *, warm: bool = True) -> TemplateSet:
        """Read every ``*.yaml`` file of ``directory`` (default: the shipped templates).

        ``warm`` matches one sentence of every intent now (:meth:`warm_up`), so that a server's first
        turns do not compile what they use; a short-lived process (``cabin ask``) passes False and
        compiles only what its turns reach.

        Raises :class:`TemplateError` naming the file and key for any problem: unknown keys, an unknown
        route, a sentence that does not parse, a reference to a list or rule that no file defines, an
        intent, list or rule defined twice.
        """
        folder = Path(directory) if directory is not None else default_template_dir()
        paths = sorted(folder.glob("*.yaml"))
        if not paths:
            raise TemplateError(f"{folder}: no template files (*.yaml) found")
        merged: dict[str, Any] = {"language": "en", "intents": {}, "lists": {}, "expansion_rules": {}}
        skip_words: list[str] = []
        routes: dict[str, str] = {}
        origin: dict[tuple[str, str], Path] = {}
        parsed: list[tuple[Path, _TemplateFile]] = []
        for path in paths:
            spec = cls._read(path)
            parsed.append((path, spec))
            if spec.intents and spec.route is None:
                raise TemplateError(f"{path}: key 'route' is required in a file that defines intents")
            for kind, names in (
                ("intents", spec.intents),
                ("lists", spec.lists),
                ("expansion_rules", spec.expansion_rules),
            ):
                for name in names:
                    if (kind, name) in origin:
                        raise TemplateError(
                            f"{path}: {kind}.{name} is already defined in {origin[(kind, name)].name}"
                        )
                    origin[(kind, name)] = path
            for name in spec.intents:
                routes[name] = spec.route or NONE
            dumped = spec.model_dump(by_alias=True, exclude_none=True, exclude={"route", "skip_words"})
            for key in ("intents", "lists", "expansion_rules"):
                merged[key].update(dumped.get(key, {}))
            for name, lst in spec.lists.items():
                if lst.values is not None:
                    merged["lists"][name] = {"values": cls._plain_values(path, name, lst.values)}
            skip_words += spec.skip_words
        # The language layer's skip words, for every grammar alike; a file may add words of its own.
        merged["skip_words"] = list(dict.fromkeys([*SKIP_WORDS, *skip_words]))
        for path, spec in parsed:
            cls._check_references(path, spec, merged)
        try:
            intents = Intents.from_dict(merged)
        except (KeyError, ValueError, TypeError, AssertionError) as exc:
            raise TemplateError(f"{folder}: the templates do not compile: {exc}") from exc
        templates = cls(intents, routes, paths)
        if warm:
            templates.warm_up()
        return templates

    def warm_up(self) -> None:
        """Match one sentence of every intent, so that hassil's lazy parsing and indexing happen now
        rather than in the first turns."""
        for intent in self._intents.intents.values():
            data = intent.data[0]
            samples = sample_expression(
                data.sentences[0].expression,
                {**self._intents.slot_lists, **data.slot_lists},
                {**self._intents.expansion_rules, **data.expansion_rules},
                language="en",
            )
            self.match(next(iter(samples), ""))

    @staticmethod
    def _plain_values(path: Path, name: str, values: Sequence[str | _ListValue]) -> list[dict[str, Any]]:
        """List values with every alternative spelled out: hassil indexes plain values in a trie, but
        must try a value written as a template (``(driver|driver's)``) at every position."""
        out: list[dict[str, Any]] = []
        for value in values:
            text, result = (value, value) if isinstance(value, str) else (value.in_, value.out)
            if not is_template(text):
                out.append({"in": text, "out": result})
                continue
            try:
                spellings = sample_expression(parse_sentence(text, keep_text=True).expression)
                plain = dict.fromkeys(" ".join(s.split()) for s in spellings)
            except Exception as exc:  # hassil raises several exception types for bad syntax
                raise TemplateError(f"{path}: lists.{name}: cannot parse {text!r}: {exc}") from exc
            out += [{"in": spelling, "out": result} for spelling in plain if spelling]
        return out

    @staticmethod
    def _read(path: Path) -> _TemplateFile:
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        except OSError as exc:
            raise TemplateError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise TemplateError(f"{path}{where}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise TemplateError(f"{path}: expected a mapping with 'language' and 'intents'")
        try:
            spec = _TemplateFile.model_validate(raw)
        except ValidationError as exc:
            raise TemplateError(f"{path}: {_problems(exc)}") from exc
        for name, lst in spec.lists.items():
            if lst.kinds() != 1:
                raise TemplateError(
                    f"{path}: lists.{name}: give exactly one of 'values', 'range', 'wildcard'"
                )
        return spec

    @staticmethod
    def _check_references(path: Path, spec: _TemplateFile, merged: Mapping[str, Any]) -> None:
        global_rules = merged["expansion_rules"]
        global_lists = merged["lists"]

        def check(where: str, text: str, rules: Mapping[str, str], lists: Mapping[str, Any]) -> None:
            try:
                expression = parse_sentence(text, keep_text=True).expression
            except Exception as exc:  # hassil raises several exception types for bad syntax
                raise TemplateError(f"{path}: {where}: cannot parse {text!r}: {exc}") from exc
            for kind, name in _references(expression):
                if kind == "list" and name not in lists and name not in global_lists:
                    raise TemplateError(f"{path}: {where}: {{{name}}} names no list")
                if kind == "rule" and name not in rules and name not in global_rules:
                    raise TemplateError(f"{path}: {where}: <{name}> names no expansion rule")

        for rule, body in spec.expansion_rules.items():
            check(f"expansion_rules.{rule}", body, {}, {})
        for intent, ispec in spec.intents.items():
            for b, block in enumerate(ispec.data):
                for rule, body in block.expansion_rules.items():
                    check(
                        f"intents.{intent}.data[{b}].expansion_rules.{rule}", body, block.expansion_rules, {}
                    )
                for s, sentence in enumerate(block.sentences):
                    check(
                        f"intents.{intent}.data[{b}].sentences[{s}]",
                        sentence,
                        block.expansion_rules,
                        block.lists,
                    )

    def match(self, text: str) -> TemplateMatch | None:
        """The best template match for the whole of ``text``, or ``None``.

        Among the matches, one without wildcard slots beats one with them, then the one that captured
        more slots ("my window": the zone, not just the word), then the one that matched more literal
        text. When the best matches route to different labels, the utterance is ambiguous
        and ``None`` is returned so that a later stage decides.
        """
        text = normalise(text, fold_case=False)
        if not text:
            return None
        best: list[RecognizeResult] = []
        best_key: tuple[int, int, int] | None = None
        for result in self._index.recognize_all(text):
            wildcard = any(e.is_wildcard for e in result.entities_list)
            key = (0 if wildcard else 1, len(result.entities_list), result.text_chunks_matched)
            if best_key is None or key > best_key:
                best, best_key = [result], key
            elif key == best_key:
                best.append(result)
        if not best:
            return None
        labels = {self.routes[r.intent.name] for r in best}
        if len(labels) != 1:
            return None
        result = best[0]
        assert best_key is not None
        slots: dict[str, JsonValue] = dict(result.intent_data.slots)
        for entity in result.entities_list:
            value = entity.text_clean if entity.is_wildcard else entity.value
            slots[entity.name] = value
        sentence = result.intent_sentence.text if result.intent_sentence is not None else None
        return TemplateMatch(
            intent=result.intent.name,
            label=labels.pop(),
            slots=slots,
            sentence=sentence,
            wildcard=best_key[0] == 0,
        )


class TemplateStage(RouterStage):
    """The cascade's fast path over a :class:`TemplateSet`; answers ``None`` where no template matches."""

    name = "template"

    def __init__(
        self, templates: TemplateSet | None = None, *, grammars: Sequence[AgentGrammar] = ()
    ) -> None:
        self.templates = templates if templates is not None else TemplateSet.load()
        self.grammars = tuple(grammars)

    async def decide(self, texts: Sequence[str], *, deadline: float) -> list[Decision | None]:
        out: list[Decision | None] = []
        for text in texts:
            found = self.templates.match(text)
            own = self._own_reading(text, found)
            if own is not None:
                out.append(own)
                continue
            if found is None:
                out.append(None)
                continue
            out.append(
                Decision(
                    label=found.label,
                    confidence=1.0,
                    via="template",
                    intent=found.intent,
                    slots=found.slots,
                    tentative=found.wildcard,
                )
            )
        return out

    def _own_reading(self, text: str, found: TemplateMatch | None) -> Decision | None:
        """The decision of the agent grammar that reads `text` whole, with its intent and slots; None
        when none does, or the router's templates read it for another agent (the routing stays
        theirs). Where the router's templates read it for the same agent, their skill is kept."""
        for grammar in self.grammars:
            match = grammar.read(text)
            if match is None:
                continue
            if found is not None and agent_skill(found.label)[0] != match.agent:
                return None
            label = found.label if found is not None else f"{match.agent}/{match.skill}"
            return Decision(
                label=label,
                confidence=1.0,
                via="template",
                intent=match.intent,
                slots=dict(match.slots),
                grammar=match.agent,
            )
        for grammar in self.grammars:
            each = self._for_each_zone(text, found, grammar)
            if each is not None:
                return each
        return None

    @staticmethod
    def _for_each_zone(text: str, found: TemplateMatch | None, grammar: AgentGrammar) -> Decision | None:
        """A request said for several seats or zones at once ("turn on the driver and passenger seat
        heating") that the agent's grammar reads for each of them alike: routed to that agent, without
        an intent (one intent cannot say both), so the agent reads the words."""
        apart = zones_apart(text)
        if found is not None or len(apart) < 2:
            return None
        matches = [grammar.read(one) for one in apart]
        labels = {f"{m.agent}/{m.skill}" for m in matches if m is not None}
        if None in matches or len(labels) != 1:
            return None
        return Decision(label=labels.pop(), confidence=1.0, via="template")
