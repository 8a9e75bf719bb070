"""Sentence-template recognition (Home Assistant's hassil) that tries only the templates that can match.

hassil's matcher walks a template's expression tree against the text, and a template whose literal
words all occur in the text (hassil's own prefilter) can still cost a fraction of a millisecond to
reject: with a few hundred templates that is most of a turn's time on a small machine. A
`TemplateIndex` compiles every template once into a regular expression that accepts a *superset* of
the texts hassil can match with it, notes the words the template can begin with, and hands hassil
only the templates that can begin with the text's first word and whose expression accepts the text.
hassil then decides exactly as before, over fewer templates, so the results (and their order, which
hassil's ranking uses to break ties) are those of the whole set.

How the superset is drawn: only the word characters of a template are constrained. Literal text must
appear in order; everything between words (spaces, hyphens, apostrophes, punctuation) is free, as is
any non-word text before and after. A `{list}` accepts any of its values (each value's own template
compiled the same way); a number range accepts digits or a run of the number words that the range's
spelled-out values use. A template that refers to a wildcard list, a list or rule that is not there,
or anything else the compiler does not bound is always handed to hassil. Texts longer than
`MAX_INDEXED_CHARS` go to hassil whole.

Before a template's expression is compiled and tried, the text must hold the literal fragments the
expression requires (the word runs it spells out in every way it can match, in conjunctive normal
form, as hassil's own prefilter): compiling an expression costs milliseconds and a text that begins
with "set" reaches some seventy templates, of which a handful hold its other words.

What the index derives from its templates (the expressions, the first words, the fragments) is kept
on disk between processes (`agents.hosting.template_cache`): a process whose templates were indexed
before reads it instead of parsing every template with hassil. So is each expression once compiled
(`CompiledExpressions`): the code CPython's regular-expression compiler made of it, which a later
process hands back to the engine instead of compiling the expression again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import logging
import os
import re
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml
from hassil import (
    Alternative,
    Expression,
    Group,
    Intents,
    ListReference,
    Permutation,
    RangeSlotList,
    RecognizeResult,
    RuleReference,
    Sentence,
    SlotList,
    TextChunk,
    TextSlotList,
    recognize_all,
    recognize_best,
)
from hassil.intents import Intent, IntentData
from hassil.numbers import get_rbnf_engine
from hassil.util import fold_case, normalize_for_matching

from agents.hosting.template_cache import CachedIndex, TemplateCache, cache_key

YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe YAML loader for packaged template and grammar files: libyaml's where PyYAML was built
with it (about ten times faster), else the pure-Python one. Same documents, same errors."""


__all__ = ["MAX_INDEXED_CHARS", "CompiledExpressions", "TemplateIndex"]

log = logging.getLogger(__name__)

MAX_INDEXED_CHARS = 400
"""Longer texts skip the index (hassil sees every template), which bounds the regular expressions'
work on pathological input."""

_GAP = r"[\W_]*+"
_WORD_RUN = re.compile(r"[^\W_]+")
_DIGITS = r"[0-9]+(?:[.,][0-9]+)?"
_MAX_DEPTH = 24
_MAX_RANGE_VALUES = 2000
_NUMBER = "#"
_COMPILER = Path(__file__).resolve()

Clauses = tuple[tuple[str, ...], ...]
"""Required fragments of a template: the text must hold one fragment of every clause."""


class _Unbounded(Exception):
    """The compiler cannot bound this expression: the template always goes to hassil."""


@dataclasses.dataclass(frozen=True)
class _Block:
    intent: str
    data: IntentData
    patterns: tuple[str | None, ...]
    """One regular expression per template of `data.sentences`, in hassil's order, compiled when a
    text first reaches it (`_regex`); None: always tried."""
    clauses: tuple[Clauses, ...]
    """The fragments each template's expression requires (checked before it is compiled)."""


class TemplateIndex:
    """hassil recognition over `intents`, each call trying only the templates that can match the text.

    `recognize_all` and `recognize_best` take the arguments of hassil's functions of the same name
    (except `intents`, `slot_lists` and `expansion_rules`, which are the index's) and return what
    hassil returns for the whole set. Construction writes every template's expression; each is
    compiled when a text first reaches it (once per process: later indexes of the same templates
    reuse the compiled expressions), so a short-lived process pays only for the templates its texts
    try. Calls are thread-safe and do no I/O.
    """

    def __init__(
        self, intents: Intents, *, language: str | None = None, cache: TemplateCache | bool = True
    ) -> None:
        """`cache`: where to keep what the index derives from `intents` between processes (True: the
        folder the environment names, `TemplateCache.from_env`; False: nowhere). The index is the
        same either way."""
        self.intents = intents
        self.language = language or intents.language
        self._range_words: dict[tuple[Any, ...], frozenset[str]] = {}
        words = sorted({fold_case(w.strip()) for w in intents.skip_words if w.strip()}, key=len, reverse=True)
        self._skip = (
            re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(w) for w in words)})(?!\w)", re.IGNORECASE)
            if words
            else None
        )
        # Which templates can begin with which word: a text is only tried against the templates that
        # can begin with (a prefix of) its first word, the ones that begin with a number when it
        # begins with a digit, and the ones that can begin with anything.
        self._by_first: dict[str, list[tuple[int, int]]] = {}
        self._by_digit: list[tuple[int, int]] = []
        self._always: list[tuple[int, int]] = []
        store = TemplateCache.from_env() if cache is True else cache or None
        self._expressions = CompiledExpressions.beside(store) if store is not None else None
        key = cache_key(intents, self.language, _COMPILER) if store is not None else ""
        cached = store.load(key) if store is not None else None
        self.from_cache = cached is not None and self._restore(cached)
        """True when the index was read from the cache rather than built."""
        if not self.from_cache:
            if cached is not None and store is not None:
                store.discard(key, "it does not fit the templates")
            self._build()
            if store is not None:
                store.store(self._state(key))
        self._number_clauses()

    def _number_clauses(self) -> None:
        # Templates that begin alike require the same clauses (some 800 clause checks for the 220
        # templates that can begin with "set", 98 of them distinct): each distinct clause gets a
        # number, and `candidates` checks a text against each number once.
        numbers: dict[tuple[str, ...], int] = {}
        self._needs: tuple[tuple[tuple[int, ...], ...], ...] = tuple(
            tuple(
                tuple(numbers.setdefault(clause, len(numbers)) for clause in clauses)
                for clauses in block.clauses
            )
            for block in self._blocks
        )
        """The numbers of the clauses each template requires, by block and template."""
        self._numbered: tuple[tuple[str, ...], ...] = tuple(numbers)
        """The distinct clauses, by number."""

    def _build(self) -> None:
        intents = self.intents
        blocks: list[_Block] = []
        # A list or rule is written once per place it can be reached from (the mappings it resolves
        # names through and its depth), not once per template that refers to it.
        self._written: dict[tuple[str, int, int, int, int], str | None] = {}
        self._required: dict[tuple[str, int, int, int], Clauses] = {}
        self._scope: tuple[int, int] = (0, 0)
        for name, intent in intents.intents.items():
            for data in intent.data:
                lists = {**intents.slot_lists, **data.slot_lists}
                rules = {**intents.expansion_rules, **data.expansion_rules}
                self._scope = (
                    id(data.slot_lists) if data.slot_lists else 0,
                    id(data.expansion_rules) if data.expansion_rules else 0,
                )
                patterns: list[str | None] = []
                clauses: list[Clauses] = []
                for sentence in data.sentences:
                    where = (len(blocks), len(patterns))
                    pattern = self._compile(sentence, lists, rules)
                    patterns.append(pattern)
                    clauses.append(self._clauses(sentence, lists, rules) if pattern is not None else ())
                    firsts = self._firsts(sentence, lists, rules) if pattern is not None else None
                    if firsts is None:
                        self._always.append(where)
                        continue
                    for word in firsts:
                        if word == _NUMBER:
                            self._by_digit.append(where)
                        else:
                            self._by_first.setdefault(word, []).append(where)
                blocks.append(_Block(name, data, tuple(patterns), tuple(clauses)))
        self._blocks = tuple(blocks)
        self._written.clear()
        self._required.clear()

    def _state(self, key: str) -> CachedIndex:
        """What the index derived from its templates, to be read back by `_restore`."""
        return CachedIndex(
            format=1,
            key=key,
            sizes=[len(block.patterns) for block in self._blocks],
            patterns=[list(block.patterns) for block in self._blocks],
            clauses=[[[list(clause) for clause in c] for c in block.clauses] for block in self._blocks],
            by_first=self._by_first,
            by_digit=self._by_digit,
            always=self._always,
        )

    def _restore(self, cached: CachedIndex) -> bool:
        """Take the derived state from `cached` (without parsing a template); False when it does not
        fit the intents (then nothing is taken)."""
        datas = [(name, data) for name, intent in self.intents.intents.items() for data in intent.data]
        sizes = [len(data.sentence_texts) for _, data in datas]
        if (
            cached.sizes != sizes
            or [len(p) for p in cached.patterns] != sizes
            or [len(c) for c in cached.clauses] != sizes
        ):
            return False
        places = [*cached.by_digit, *cached.always, *(w for ws in cached.by_first.values() for w in ws)]
        if any(not (0 <= b < len(sizes) and 0 <= i < sizes[b]) for b, i in places):
            return False
        self._blocks = tuple(
            _Block(name, data, tuple(patterns), tuple(tuple(tuple(c) for c in t) for t in clauses))
            for (name, data), patterns, clauses in zip(datas, cached.patterns, cached.clauses, strict=True)
        )
        self._by_first = {word: [(b, i) for b, i in ws] for word, ws in cached.by_first.items()}
        self._by_digit = [(b, i) for b, i in cached.by_digit]
        self._always = [(b, i) for b, i in cached.always]
        return True

    def warm_up(self) -> None:
        """Compile every template's expression now (seconds for a large grammar) rather than when a
        text first reaches it: a server calls this before it listens, so that its first turns are as
        fast as the later ones; in-process tools (`cabin ask`) leave it to the first use."""
        for block in self._blocks:
            for pattern in block.patterns:
                if pattern is not None:
                    _regex(pattern)

    @property
    def indexed(self) -> int:
        """How many templates have an expression (the others are always handed to hassil)."""
        return sum(p is not None for block in self._blocks for p in block.patterns)

    @property
    def templates(self) -> int:
        """How many templates there are."""
        return sum(len(block.patterns) for block in self._blocks)

    def candidates(self, text: str) -> Intents:
        """The intents, each with only the templates whose expression accepts `text` (or has none)."""
        if len(text) > MAX_INDEXED_CHARS:
            return self.intents
        haystacks = self._haystacks(text)
        tried: set[tuple[int, int]] = set(self._always)
        for haystack in haystacks:
            first = _WORD_RUN.search(haystack)
            if first is None:
                return self.intents  # no word at all: nothing to look up
            word = first.group()
            if word[0].isdigit():
                tried.update(self._by_digit)
            for end in range(1, len(word) + 1):
                tried.update(self._by_first.get(word[:end], ()))
        keep_by_block: dict[int, set[int]] = {}
        said = haystacks[0]  # holds every fragment that the text with skip words removed holds
        held: dict[int, bool] = {}  # clause number -> whether `said` holds one of its fragments
        numbered = self._numbered
        for b, i in tried:
            block = self._blocks[b]
            source = block.patterns[i]
            if source is not None and not all(
                held[n] if n in held else held.setdefault(n, any(f in said for f in numbered[n]))
                for n in self._needs[b][i]
            ):
                continue
            pattern = _regex(source, self._expressions) if source is not None else None
            if pattern is None or any(pattern.fullmatch(h) for h in haystacks):
                keep_by_block.setdefault(b, set()).add(i)
        chosen: dict[str, Intent] = {}
        for b in sorted(keep_by_block):
            block = self._blocks[b]
            keep = [s for i, s in enumerate(block.data.sentences) if i in keep_by_block[b]]
            data = block.data
            if len(keep) < len(data.sentences):
                data = dataclasses.replace(data, sentence_texts=[s.text or "" for s in keep])
                # The parsed templates are reused (IntentData.sentences is a cached property: seed it).
                data.__dict__["sentences"] = keep
            intent = chosen.get(block.intent)
            if intent is None:
                chosen[block.intent] = Intent(name=block.intent, data=[data])
            else:
                intent.data.append(data)
        return dataclasses.replace(self.intents, intents=chosen)

    def recognize_all(self, text: str, **kwargs: Any) -> Iterator[RecognizeResult]:
        """hassil's `recognize_all` over the candidate templates."""
        kwargs.setdefault("language", self.language)
        yield from recognize_all(text, self.candidates(text), **kwargs)

    def recognize_best(self, text: str, **kwargs: Any) -> RecognizeResult | None:
        """hassil's `recognize_best` over the candidate templates."""
        kwargs.setdefault("language", self.language)
        return recognize_best(text, self.candidates(text), **kwargs)

    # -- texts ---------------------------------------------------------------------------------------

    def _haystacks(self, text: str) -> tuple[str, ...]:
        # The two texts hassil matches a template against: as said, and with the skip words removed
        # (as hassil removes them; the spaces left behind do not matter to the expressions).
        said = fold_case(normalize_for_matching(text).text)
        if self._skip is None:
            return (said,)
        skipped = self._skip.sub(" ", said)
        return (said,) if skipped == said else (said, skipped)

    # -- compiling -----------------------------------------------------------------------------------

    def _firsts(
        self, sentence: Sentence, lists: Mapping[str, SlotList], rules: Mapping[str, Sentence]
    ) -> frozenset[str] | None:
        """The words the template's text can begin with (`_NUMBER`: a digit); None: it can begin with
        anything, or with nothing at all."""
        try:
            words, nullable = self._begin(sentence.expression, lists, rules, 0)
        except _Unbounded:
            return None
        return None if nullable else words

    def _begin(
        self, expression: Expression, lists: Mapping[str, SlotList], rules: Mapping[str, Sentence], depth: int
    ) -> tuple[frozenset[str], bool]:
        """(first words, whether the expression can match no word at all)."""
        if depth > _MAX_DEPTH:
            raise _Unbounded
        if isinstance(expression, Sentence):
            return self._begin(expression.expression, lists, rules, depth + 1)
        if isinstance(expression, TextChunk):
            runs = _WORD_RUN.findall(fold_case(expression.text))
            return (frozenset(runs[:1]), not runs)
        if isinstance(expression, Alternative | Permutation):
            words: set[str] = set()
            nullable = isinstance(expression, Permutation)
            for item in expression.items:
                first, empty = self._begin(item, lists, rules, depth + 1)
                words |= first
                nullable = (
                    (nullable and empty) if isinstance(expression, Permutation) else (nullable or empty)
                )
            return frozenset(words), nullable
        if isinstance(expression, Group):  # a sequence
            words = set()
            for item in expression.items:
                first, empty = self._begin(item, lists, rules, depth + 1)
                words |= first
                if not empty:
                    return frozenset(words), False
            return frozenset(words), True
        if isinstance(expression, RuleReference):
            return self._begin(_rule(expression, rules), lists, rules, depth + 1)
        if isinstance(expression, ListReference):
            slot_list = _slot_list(expression, lists)
            if isinstance(slot_list, TextSlotList):
                words, nullable = set(), False
                for value in slot_list.values:
                    first, empty = self._begin(value.text_in, lists, rules, depth + 1)
                    words |= first
                    nullable = nullable or empty
                return frozenset(words), nullable
            if isinstance(slot_list, RangeSlotList):
                spelled = self._number_word_set(slot_list) if slot_list.words else frozenset()
                return frozenset({_NUMBER, *spelled}), False
        raise _Unbounded

    def _clauses(
        self, sentence: Sentence, lists: Mapping[str, SlotList], rules: Mapping[str, Sentence]
    ) -> Clauses:
        """The fragments the template's expression requires, as sorted tuples (a stable order)."""
        required = self._require(sentence.expression, lists, rules, 0)
        return tuple(sorted(tuple(sorted(clause)) for clause in required))

    def _require(
        self, expression: Expression, lists: Mapping[str, SlotList], rules: Mapping[str, Sentence], depth: int
    ) -> Clauses:
        """Clauses of folded word runs such that every text the expression's regular expression
        (`_expression`) accepts holds one fragment of each clause (after `fold_case`, as a substring).
        Only ASCII runs count: `fold_case` unifies what `re.IGNORECASE` does for them. Anything not
        bounded requires nothing (an empty tuple), which is always safe."""
        if depth > _MAX_DEPTH:
            return ()
        if isinstance(expression, Sentence):
            return self._require(expression.expression, lists, rules, depth + 1)
        if isinstance(expression, TextChunk):
            runs = (fold_case(run) for run in _WORD_RUN.findall(expression.text))
            return tuple((run,) for run in dict.fromkeys(runs) if run.isascii())
        if isinstance(expression, Alternative):
            return _any_of([self._require(item, lists, rules, depth + 1) for item in expression.items])
        if isinstance(expression, Permutation):
            return ()  # its expression accepts its items any number of times, none included
        if isinstance(expression, Group):  # a sequence: every item
            clauses: dict[tuple[str, ...], None] = {}
            for item in expression.items:
                clauses.update(dict.fromkeys(self._require(item, lists, rules, depth + 1)))
            return tuple(clauses)
        if isinstance(expression, RuleReference):
            rule = rules.get(expression.rule_name)
            if rule is None:
                return ()
            key = ("rule", id(rule), self._scope[0], self._scope[1])
            if key not in self._required:
                self._required[key] = self._require(rule.expression, lists, rules, depth + 1)
            return self._required[key]
        if isinstance(expression, ListReference):
            if expression.prefix or expression.suffix:
                return ()
            slot_list = lists.get(expression.list_name)
            if not isinstance(slot_list, TextSlotList):
                return ()
            key = ("list", id(slot_list), self._scope[0], self._scope[1])
            if key not in self._required:
                values = [
                    value.text_in
                    for value in slot_list.values
                    if not (isinstance(value.text_in, TextChunk) and not value.text_in.text.strip())
                ]
                self._required[key] = (
                    _any_of([self._require(v, lists, rules, depth + 1) for v in values]) if values else ()
                )
            return self._required[key]
        return ()

    def _compile(
        self, sentence: Sentence, lists: Mapping[str, SlotList], rules: Mapping[str, Sentence]
    ) -> str | None:
        """The template's expression as a regular expression's source (compiled on first use: a
        grammar has hundreds of templates and a text reaches a few of them); None: unbounded."""
        if self.intents.settings.ignore_whitespace:
            return None
        try:
            body = self._expression(sentence.expression, lists, rules, 0)
        except _Unbounded:
            return None
        return rf"[\W_]*{body}[\W_]*"

    def _expression(
        self, expression: Expression, lists: Mapping[str, SlotList], rules: Mapping[str, Sentence], depth: int
    ) -> str:
        if depth > _MAX_DEPTH:
            raise _Unbounded
        if isinstance(expression, Sentence):
            return self._expression(expression.expression, lists, rules, depth + 1)
        if isinstance(expression, TextChunk):
            return _chunk(expression.text)
        if isinstance(expression, Alternative):
            items = [self._expression(item, lists, rules, depth + 1) for item in expression.items]
            return "(?:" + "|".join(items) + ")"
        if isinstance(expression, Permutation):
            items = [self._expression(item, lists, rules, depth + 1) for item in expression.items]
            return "(?:" + _GAP + "(?:" + "|".join(items) + "))*" + _GAP
        if isinstance(expression, Group):  # a sequence
            items = [self._expression(item, lists, rules, depth + 1) for item in expression.items]
            return "(?:" + _GAP.join(items) + ")"
        if isinstance(expression, RuleReference):
            rule = _rule(expression, rules)
            return self._once(
                ("rule", id(rule), depth), lambda: self._expression(rule, lists, rules, depth + 1)
            )
        if isinstance(expression, ListReference):
            return self._list(expression, lists, rules, depth)
        raise _Unbounded

    def _once(self, what: tuple[str, int, int], write: Callable[[], str]) -> str:
        """`write()`, or what it returned (or raised) before for the same list or rule, reached at the
        same depth through the same mappings. Lists and rules live as long as the intents, so their
        ids stay theirs while the index is built."""
        key = (what[0], what[1], what[2], self._scope[0], self._scope[1])
        if key in self._written:
            written = self._written[key]
            if written is None:
                raise _Unbounded
            return written
        try:
            self._written[key] = write()
        except _Unbounded:
            self._written[key] = None
            raise
        return self._written[key] or ""

    def _list(
        self,
        reference: ListReference,
        lists: Mapping[str, SlotList],
        rules: Mapping[str, Sentence],
        depth: int,
    ) -> str:
        slot_list = _slot_list(reference, lists)
        if isinstance(slot_list, TextSlotList):
            text_list = slot_list

            def write() -> str:
                values = [
                    self._expression(value.text_in, lists, rules, depth + 1)
                    for value in text_list.values
                    if not (isinstance(value.text_in, TextChunk) and not value.text_in.text.strip())
                ]
                return "(?:" + "|".join(values) + ")" if values else "(?!)"

            return self._once(("list", id(slot_list), depth), write)
        if isinstance(slot_list, RangeSlotList):
            return self._range(slot_list)
        raise _Unbounded  # a wildcard, or a kind of list this index does not know

    def _range(self, slot_list: RangeSlotList) -> str:
        alternatives = [_digits(slot_list)] if slot_list.digits else []
        if slot_list.words:
            words = self._number_words(slot_list)
            if words:
                alternatives.append(f"(?:(?:{words}){_GAP})*(?:{words})")
        if not alternatives:
            return "(?!)"
        return "(?:" + "|".join(alternatives) + ")"

    def _number_words(self, slot_list: RangeSlotList) -> str:
        """An alternation of every word the range's values are spelled out with."""
        return "|".join(re.escape(w) for w in sorted(self._number_word_set(slot_list), key=len, reverse=True))

    def _number_word_set(self, slot_list: RangeSlotList) -> frozenset[str]:
        """Every word (folded) the range's values are spelled out with, as hassil spells them."""
        language = slot_list.words_language or self.language
        key = (language, slot_list.start, slot_list.stop, slot_list.step, slot_list.fraction_type)
        cached = self._range_words.get(key)
        if cached is not None:
            return cached
        numbers = list(slot_list.get_numbers())
        if len(numbers) > _MAX_RANGE_VALUES:
            raise _Unbounded
        try:
            engine = get_rbnf_engine(language)
        except ValueError as exc:  # no spelling rules for the language: the template is always tried
            raise _Unbounded from exc
        words: set[str] = set()
        for number in numbers:
            for spelled in engine.format_number(number).text_by_ruleset.values():
                for variant in (spelled, spelled.replace("ß", "ss")):
                    words.update(fold_case(w) for w in _WORD_RUN.findall(variant))
        self._range_words[key] = frozenset(words)
        return self._range_words[key]


def _rule(reference: RuleReference, rules: Mapping[str, Sentence]) -> Expression:
    rule = rules.get(reference.rule_name)
    if rule is None:
        raise _Unbounded
    return rule.expression


def _slot_list(reference: ListReference, lists: Mapping[str, SlotList]) -> SlotList:
    """The list a `{list}` refers to (an inline `{1..10:x}` is a range, as hassil makes it)."""
    if reference.prefix or reference.suffix:
        raise _Unbounded
    slot_list = lists.get(reference.list_name)
    if slot_list is not None:
        return slot_list
    bounds = reference.get_inline_range() if reference.is_inline_range else None
    if bounds is None:
        raise _Unbounded
    return RangeSlotList(name=reference.list_name, start=bounds[0], stop=bounds[1], step=bounds[2])


def _any_of(branches: list[Clauses]) -> Clauses:
    """The clause an alternation requires: one fragment of one branch (the smallest clause of each),
    or nothing when a branch requires nothing."""
    if not branches or any(not branch for branch in branches):
        return ()
    merged: dict[str, None] = {}
    for branch in branches:
        smallest: tuple[str, ...] = min(branch, key=len)
        merged.update(dict.fromkeys(smallest))
    return (tuple(merged),)


_COMPILED: dict[str, re.Pattern[str] | None] = {}


def _regex(pattern: str, kept: CompiledExpressions | None = None) -> re.Pattern[str] | None:
    """Compiled once per process, when a text first reaches the template: compiling all of a
    grammar's expressions takes seconds, a turn needs a few of them, and every agent app or router
    built in the process (tests build many) shares the same ones. With `kept`, an expression compiled
    by an earlier process is read back from it instead, and one compiled now is written to it. None
    when `re` cannot compile it (the template is then always handed to hassil, which is still exact)."""
    if pattern in _COMPILED:
        return _COMPILED[pattern]
    compiled = kept.load(pattern) if kept is not None else None
    if compiled is None:
        try:
            compiled = kept.compile(pattern) if kept is not None else re.compile(pattern, re.IGNORECASE)
        except (re.error, RecursionError, OverflowError):
            compiled = None
    _COMPILED[pattern] = compiled
    return compiled


_SRE: Any = None
_SRE_PARSER: Any = None
_SRE_COMPILER: Any = None
try:  # CPython's engine and compiler (the modules behind `re.compile`)
    _SRE = importlib.import_module("_sre")
    _SRE_PARSER = importlib.import_module("re._parser")
    _SRE_COMPILER = importlib.import_module("re._compiler")
except ImportError:  # another interpreter: expressions are compiled in every process
    pass


class CompiledExpressions:
    """Compiled template expressions kept between processes, one file per expression in `directory`.

    `re.compile` parses an expression and turns it into the code of CPython's matching engine
    (milliseconds for a template's expression, which spells out every value of the lists it refers
    to); the engine then builds its pattern object from that code in microseconds. `compile` does
    what `re.compile(pattern, re.IGNORECASE)` does and writes the code, the flags and the groups it
    made to a file (zlib-compressed JSON, a few KiB) named by the sha256 of the expression, the
    interpreter's version and the engine's magic number and code size; `load` reads such a file back
    and hands it to the engine, which checks the code as it checks any. A file for another
    expression, one that does not parse or whose code the engine refuses is ignored and removed (the
    expression is compiled again); a folder that cannot be written turns the writing off for this
    object. About the `keep` most recently used files are kept. Where the interpreter has no such
    engine, `load` finds nothing and `compile` is `re.compile`. Neither method raises an `OSError`;
    `compile` raises what `re.compile` raises.
    """

    FOLDER = "expressions"
    FORMAT = 1
    KEEP = 1024
    _PRUNE_EVERY = 64
    _SUFFIX = ".sre.json.z"

    def __init__(self, directory: Path, *, keep: int = KEEP) -> None:
        self.directory = directory
        self.keep = keep
        self._writable = _SRE is not None
        self._written = 0

    @classmethod
    def beside(cls, cache: TemplateCache) -> CompiledExpressions:
        """The expressions kept in the template cache's folder (one per process and folder)."""
        folder = cache.directory / cls.FOLDER
        kept = _KEPT.get(folder)
        if kept is None:
            kept = _KEPT[folder] = cls(folder)
        return kept

    def path_for(self, pattern: str) -> Path:
        digest = hashlib.sha256()
        engine = f"{getattr(_SRE, 'MAGIC', '')}\0{getattr(_SRE, 'CODESIZE', '')}"
        digest.update(f"{self.FORMAT}\0{sys.version}\0{engine}\0".encode())
        digest.update(pattern.encode("utf-8", "surrogatepass"))
        return self.directory / f"{digest.hexdigest()}{self._SUFFIX}"

    def load(self, pattern: str) -> re.Pattern[str] | None:
        """`pattern` compiled (`re.IGNORECASE`) from the code kept for it, or None when none is kept
        or it cannot be used."""
        if _SRE is None:
            return None
        path = self.path_for(pattern)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        try:
            kept = json.loads(zlib.decompress(raw))
            if kept["pattern"] != pattern:
                raise ValueError("it was written for another expression")
            compiled = _SRE.compile(
                pattern,
                int(kept["flags"]),
                [int(word) for word in kept["code"]],
                int(kept["groups"]),
                {str(name): int(index) for name, index in kept["groupindex"].items()},
                tuple(None if name is None else str(name) for name in kept["indexgroup"]),
            )
        except Exception as exc:  # any fault in the file: compile the expression again
            log.warning("compiled expressions: ignoring %s (%s); compiling it again", path, exc)
            _unlink(path)
            return None
        if not isinstance(compiled, re.Pattern) or compiled.flags & re.IGNORECASE == 0:
            _unlink(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # most recently used: pruned last
        return compiled

    def compile(self, pattern: str) -> re.Pattern[str]:
        """`re.compile(pattern, re.IGNORECASE)`, the code it made written to this folder."""
        if not self._writable:
            return re.compile(pattern, re.IGNORECASE)
        try:
            parsed = _SRE_PARSER.parse(pattern, re.IGNORECASE)
            code = _SRE_COMPILER._code(parsed, re.IGNORECASE)
            groupindex = dict(parsed.state.groupdict)
            indexgroup: list[str | None] = [None] * parsed.state.groups
            for name, index in groupindex.items():
                indexgroup[index] = name
            flags = re.IGNORECASE | parsed.state.flags
            groups = parsed.state.groups - 1
            compiled: re.Pattern[str] = _SRE.compile(
                pattern, flags, code, groups, groupindex, tuple(indexgroup)
            )
        except (re.error, RecursionError, OverflowError):
            raise
        except Exception as exc:  # the engine's internals differ: compile as re does
            log.info("compiled expressions: not kept (%s)", exc)
            self._writable = False
            return re.compile(pattern, re.IGNORECASE)
        kept = {
            "pattern": pattern,
            "flags": flags,
            "code": list(code),
            "groups": groups,
            "groupindex": groupindex,
            "indexgroup": indexgroup,
        }
        text = json.dumps(kept, separators=(",", ":"))
        self._write(self.path_for(pattern), zlib.compress(text.encode(), 1))
        return compiled

    def _write(self, path: Path, data: bytes) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=self._SUFFIX)
        except OSError as exc:
            self._off(exc)
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except OSError as exc:
            _unlink(Path(temporary))
            self._off(exc)
            return
        if self._written % self._PRUNE_EVERY == 0:
            self._prune()
        self._written += 1

    def _off(self, exc: OSError) -> None:
        self._writable = False
        log.info("compiled expressions: %s cannot be written (%s); not keeping them", self.directory, exc)

    def _prune(self) -> None:
        try:
            files = [
                (entry.stat().st_mtime, entry.path)
                for entry in os.scandir(self.directory)
                if entry.name.endswith(self._SUFFIX) and not entry.name.startswith(".")
            ]
        except OSError:
            return
        files.sort()
        for _, old in files[: max(0, len(files) - self.keep)]:
            _unlink(Path(old))


_KEPT: dict[Path, CompiledExpressions] = {}


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _digits(slot_list: RangeSlotList) -> str:
    """The digit strings hassil can read as one of the range's values (leading zeros included)."""
    if (
        slot_list.start < 0
        or (slot_list.stop - slot_list.start) // max(slot_list.step, 1) > _MAX_RANGE_VALUES
    ):
        return _DIGITS
    forms: list[str] = []
    for number in slot_list.get_numbers():
        whole = int(number)
        fraction = number - whole
        if fraction == 0:
            forms.append(f"0*{whole}" + (r"(?:[.,][0-9]+)?" if slot_list.fraction_type else ""))
        elif round(fraction, 3) == fraction:
            forms.append(f"0*{whole}[.,]{f'{fraction:.3f}'[2:].rstrip('0')}[0-9]*")
        else:
            return _DIGITS
    return "(?:" + "|".join(sorted(set(forms), key=len, reverse=True)) + ")"


def _chunk(text: str) -> str:
    """A literal text chunk: its word runs in order, anything that is not a word character between."""
    runs = [re.escape(fold_case(run)) for run in _WORD_RUN.findall(text)]
    return _GAP.join(runs) if runs else ""
