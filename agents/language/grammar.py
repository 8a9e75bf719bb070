"""Sentence grammars in Home Assistant's ``hassil`` intent format, as the agents ship them.

An agent that reads requests with sentence templates keeps them in a folder of its own package
(``agents/perception/sentences/``, ``agents/navigation/sentences/``) and loads them with
:meth:`SentenceGrammar.load`. The format is hassil's intent file format (``language``, ``intents``,
``data``, ``sentences``, ``slots``, ``lists`` with ``values``/``range``/``wildcard``,
``expansion_rules``, ``skip_words``) with one key of our own: ``skill``, the skill of the agent's card
that every intent of the file belongs to. Files without ``skill`` hold shared lists and expansion
rules (``_common.yaml``). The skip words are the language layer's
(:data:`agents.language.lexicon.SKIP_WORDS`), and a text is put in the language layer's normal form
(:func:`agents.language.normalise.normalise`) before it is matched. A template matches the whole
text (skip words aside), never a part of it, so a sentence that merely mentions a sign or a route does
not match.

The router's template stage reads these grammars through the agents (``orchestrator/routing/
grammars.py``); nothing here knows about routing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Literal

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
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from agents.hosting.templates import YAML_LOADER, TemplateIndex
from agents.language.lexicon import SKIP_WORDS
from agents.language.normalise import normalise

__all__ = ["GrammarError", "PackagedGrammar", "SentenceGrammar", "SentenceMatch", "packaged"]


class GrammarError(Exception):
    """A grammar folder cannot be loaded; the message names the file and key."""


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


class _GrammarFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Literal["en"]
    skill: str | None = None
    intents: dict[str, _IntentSpec] = Field(default_factory=dict)
    lists: dict[str, _ListSpec] = Field(default_factory=dict)
    expansion_rules: dict[str, str] = Field(default_factory=dict)
    skip_words: list[str] = Field(default_factory=list)


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


@dataclass(frozen=True)
class SentenceMatch:
    """What a grammar read in a whole text: the intent, its skill and its slots."""

    intent: str
    skill: str
    slots: Mapping[str, JsonValue]
    sentence: str | None
    """The template sentence that matched (for traces and tests)."""
    wildcard: bool = False
    """True when a slot was filled by a wildcard (free text such as a destination)."""


class SentenceGrammar:
    """Compiled sentence templates of one agent: :meth:`match` reads one text (thread-safe, no I/O)."""

    def __init__(self, intents: Intents, skills: Mapping[str, str], files: Sequence[Path]) -> None:
        self._intents = intents
        self._index = TemplateIndex(intents, language="en")
        self.skills: dict[str, str] = dict(skills)
        """Intent name -> skill."""
        self.files: tuple[Path, ...] = tuple(files)

    @property
    def intents(self) -> Intents:
        """The compiled hassil intents (for tests and tools)."""
        return self._intents

    @classmethod
    def load(
        cls, folder: str | Path, *, skills: Collection[str] | None = None, warm: bool = True
    ) -> SentenceGrammar:
        """Read every ``*.yaml`` file of ``folder``; ``skills`` are the skills a file may name.

        ``warm`` matches one sentence of every intent now (:meth:`warm_up`), so that a server's first
        turns do not compile what they use; a short-lived process passes False and compiles only what
        its texts reach.

        Raises :class:`GrammarError` naming the file and key for any problem: unknown keys, an unknown
        skill, a sentence that does not parse, a reference to a list or rule that no file defines, an
        intent, list or rule defined twice.
        """
        folder = Path(folder)
        paths = sorted(folder.glob("*.yaml"))
        if not paths:
            raise GrammarError(f"{folder}: no grammar files (*.yaml) found")
        merged: dict[str, Any] = {"language": "en", "intents": {}, "lists": {}, "expansion_rules": {}}
        skip_words: list[str] = []
        intent_skills: dict[str, str] = {}
        origin: dict[tuple[str, str], Path] = {}
        parsed: list[tuple[Path, _GrammarFile]] = []
        for path in paths:
            spec = cls._read(path)
            parsed.append((path, spec))
            if spec.intents and spec.skill is None:
                raise GrammarError(f"{path}: key 'skill' is required in a file that defines intents")
            if spec.skill is not None and skills is not None and spec.skill not in skills:
                raise GrammarError(f"{path}: skill: {spec.skill!r} is not one of {', '.join(sorted(skills))}")
            for kind, names in (
                ("intents", spec.intents),
                ("lists", spec.lists),
                ("expansion_rules", spec.expansion_rules),
            ):
                for name in names:
                    if (kind, name) in origin:
                        raise GrammarError(
                            f"{path}: {kind}.{name} is already defined in {origin[(kind, name)].name}"
                        )
                    origin[(kind, name)] = path
            for name in spec.intents:
                intent_skills[name] = spec.skill or ""
            dumped = spec.model_dump(by_alias=True, exclude_none=True, exclude={"skill", "skip_words"})
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
            raise GrammarError(f"{folder}: the grammar does not compile: {exc}") from exc
        grammar = cls(intents, intent_skills, paths)
        if warm:
            grammar.warm_up()
        return grammar

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
                raise GrammarError(f"{path}: lists.{name}: cannot parse {text!r}: {exc}") from exc
            out += [{"in": spelling, "out": result} for spelling in plain if spelling]
        return out

    @staticmethod
    def _read(path: Path) -> _GrammarFile:
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)
        except OSError as exc:
            raise GrammarError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f":{mark.line + 1}" if mark is not None else ""
            raise GrammarError(f"{path}{where}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise GrammarError(f"{path}: expected a mapping with 'language' and 'intents'")
        try:
            spec = _GrammarFile.model_validate(raw)
        except ValidationError as exc:
            raise GrammarError(f"{path}: {_problems(exc)}") from exc
        for name, lst in spec.lists.items():
            if lst.kinds() != 1:
                raise GrammarError(f"{path}: lists.{name}: give exactly one of 'values', 'range', 'wildcard'")
        return spec

    @staticmethod
    def _check_references(path: Path, spec: _GrammarFile, merged: Mapping[str, Any]) -> None:
        global_rules = merged["expansion_rules"]
        global_lists = merged["lists"]

        def check(where: str, text: str, rules: Mapping[str, str], lists: Mapping[str, Any]) -> None:
            try:
                expression = parse_sentence(text, keep_text=True).expression
            except Exception as exc:  # hassil raises several exception types for bad syntax
                raise GrammarError(f"{path}: {where}: cannot parse {text!r}: {exc}") from exc
            for kind, name in _references(expression):
                if kind == "list" and name not in lists and name not in global_lists:
                    raise GrammarError(f"{path}: {where}: {{{name}}} names no list")
                if kind == "rule" and name not in rules and name not in global_rules:
                    raise GrammarError(f"{path}: {where}: <{name}> names no expansion rule")

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

    def match(self, text: str) -> SentenceMatch | None:
        """The best match for the whole of ``text``, or ``None``.

        Among the matches, one without wildcard slots beats one with them, then the one that captured
        more slots, then the one that matched more literal text. When the best matches belong to
        different skills, the text is ambiguous and ``None`` is returned.
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
        skills = {self.skills[r.intent.name] for r in best}
        if len(skills) != 1:
            return None
        result = best[0]
        assert best_key is not None
        slots: dict[str, JsonValue] = dict(result.intent_data.slots)
        for entity in result.entities_list:
            slots[entity.name] = entity.text_clean if entity.is_wildcard else entity.value
        sentence = result.intent_sentence.text if result.intent_sentence is not None else None
        return SentenceMatch(
            intent=result.intent.name,
            skill=skills.pop(),
            slots=slots,
            sentence=sentence,
            wildcard=best_key[0] == 0,
        )


@cache
def packaged(folder: Path, skills: tuple[str, ...]) -> SentenceGrammar:
    """The sentence templates an agent ships in ``folder``, loaded once per process (each template is
    compiled when a text first reaches it, or by :meth:`SentenceGrammar.warm_up`)."""
    return SentenceGrammar.load(folder, skills=skills, warm=False)


class PackagedGrammar:
    """The base of an agent's grammar over the sentence templates of its package (``folder``, whose
    files name one of ``skills``). One compiled set per process; ``warm`` compiles every template now
    rather than when a text first reaches it. Raises :class:`GrammarError` when the files are bad."""

    agent: ClassVar[str]
    folder: ClassVar[Path]
    skills: ClassVar[tuple[str, ...]]

    def __init__(self, *, warm: bool = True) -> None:
        self._sentences = packaged(self.folder, self.skills)
        if warm:
            self._sentences.warm_up()

    @property
    def sentences(self) -> SentenceGrammar:
        """The compiled sentence templates."""
        return self._sentences
