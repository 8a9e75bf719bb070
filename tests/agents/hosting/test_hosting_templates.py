"""TemplateIndex: hassil's results, from only the templates that can match.

The index must never drop a template that hassil would match: every test compares it with hassil's
own recognition over the whole set, on the project's sentence corpora and on generated texts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from hassil import (
    Group,
    Intents,
    ListReference,
    RecognizeResult,
    WildcardSlotList,
    recognize_all,
    recognize_best,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.hosting.templates import MAX_INDEXED_CHARS, TemplateIndex
from agents.navigation.grammar import NavigationGrammar
from agents.perception.grammar import PerceptionGrammar
from agents.vehicle_control.parser import shared_parser

ROOT = Path(__file__).resolve().parents[3]


def _key(results: list[RecognizeResult]) -> list[tuple[Any, ...]]:
    return [
        (
            r.intent.name,
            r.intent_sentence.text if r.intent_sentence is not None else None,
            tuple((e.name, e.value, e.text, e.is_wildcard) for e in r.entities_list),
            r.text_chunks_matched,
            tuple(sorted((r.intent_metadata or {}).items())),
        )
        for r in results
    ]


@cache
def _agent_intents() -> Intents:
    # As the vehicle-control agent compiles its grammar (its seat, zone and amount lists are the
    # language layer's words, filled in when the grammar is loaded).
    intents: Intents = shared_parser()._intents
    return intents


@cache
def _agent_index() -> TemplateIndex:
    return TemplateIndex(_agent_intents())


@pytest.fixture(scope="module")
def agent_intents() -> Intents:
    return _agent_intents()


@pytest.fixture(scope="module")
def router_intents() -> Intents:
    # Navigation's sentence templates: the ones with a wildcard (a free-text destination).
    return NavigationGrammar(warm=False).sentences.intents


@pytest.fixture(scope="module")
def perception_intents() -> Intents:
    return PerceptionGrammar(warm=False).sentences.intents


def _corpus() -> list[str]:
    texts: set[str] = set()
    for path in sorted((ROOT / "tests" / "agents" / "vehicle_control" / "sentences").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")).get("tests", []):
            texts.update(str(s) for s in case.get("sentences", []))
    train = ROOT / "orchestrator" / "routing" / "data" / "train.jsonl"
    lines = train.read_text(encoding="utf-8").splitlines()
    texts.update(json.loads(line)["text"] for line in lines[::4] if line.strip())
    return sorted(texts)


CORPUS = _corpus()


def test_the_corpus_is_large_and_the_grammars_are_indexed(
    agent_intents: Intents, router_intents: Intents, perception_intents: Intents
) -> None:
    assert len(CORPUS) > 1000
    assert _wildcard_templates(router_intents) > 0
    for intents in (agent_intents, router_intents, perception_intents):
        index = TemplateIndex(intents)
        # Only templates with a wildcard go to hassil unfiltered.
        assert index.indexed == index.templates - _wildcard_templates(intents)


def _wildcard_templates(intents: Intents) -> int:
    def refers_to_wildcard(expression: object, lists: Mapping[str, object]) -> bool:
        if isinstance(expression, ListReference):
            return isinstance(lists.get(expression.list_name), WildcardSlotList)
        if isinstance(expression, Group):
            return any(refers_to_wildcard(item, lists) for item in expression.items)
        return False

    count = 0
    for intent in intents.intents.values():
        for data in intent.data:
            lists = {**intents.slot_lists, **data.slot_lists}
            count += sum(refers_to_wildcard(s.expression, lists) for s in data.sentences)
    return count


@pytest.mark.parametrize("grammar", ["agent", "navigation", "perception"])
def test_same_results_as_hassil_on_the_corpus(
    grammar: str, agent_intents: Intents, router_intents: Intents, perception_intents: Intents
) -> None:
    intents = {"agent": agent_intents, "navigation": router_intents, "perception": perception_intents}[
        grammar
    ]
    index = TemplateIndex(intents, language="en")
    differ = [
        text
        for text in CORPUS
        if _key(list(index.recognize_all(text))) != _key(list(recognize_all(text, intents, language="en")))
    ]
    assert differ == []


def test_recognize_best_is_hassils_best(agent_intents: Intents) -> None:
    index = TemplateIndex(agent_intents)
    for text in ["set the temperature to 21", "turn on the seat heating", "open my window", "hello there"]:
        assert _key([r for r in [index.recognize_best(text)] if r]) == _key(
            [r for r in [recognize_best(text, agent_intents)] if r]
        )


def test_a_text_that_cannot_match_keeps_no_template(agent_intents: Intents) -> None:
    index = TemplateIndex(agent_intents)
    assert index.candidates("what's the capital of peru").intents == {}
    kept = index.candidates("set the temperature to 21").intents
    assert "set_cabin_temperature" in kept and len(kept) <= 2


def test_number_ranges_digits_and_words(agent_intents: Intents) -> None:
    index = TemplateIndex(agent_intents)
    for text, celsius in [("set the temperature to 21.5", 21.5), ("set the temperature to twenty one", 21)]:
        best = index.recognize_best(text)
        assert best is not None and best.entities["celsius"].value == celsius
    # 120 is no temperature in either unit: no template that reads a number from it is kept.
    assert "set_cabin_temperature" not in index.candidates("set the temperature to 120").intents


def test_skip_words_and_punctuation_do_not_hide_a_match(agent_intents: Intents) -> None:
    index = TemplateIndex(agent_intents)
    for text in ["Could you please open my window?", "um, open my window... thanks!", "OPEN MY WINDOW"]:
        assert _key(list(index.recognize_all(text))) == _key(list(recognize_all(text, agent_intents)))
        assert list(index.recognize_all(text))


def test_wildcard_templates_always_go_to_hassil(router_intents: Intents) -> None:
    index = TemplateIndex(router_intents)
    kept = index.candidates("take me to the nearest charging station").intents
    assert "navigate" in kept
    results = list(index.recognize_all("take me to the nearest charging station"))
    assert any("destination" in r.entities and r.entities["destination"].is_wildcard for r in results)
    assert _key(results) == _key(
        list(recognize_all("take me to the nearest charging station", router_intents))
    )


def test_very_long_texts_skip_the_index(agent_intents: Intents) -> None:
    index = TemplateIndex(agent_intents)
    long = "open my window " + "and " * MAX_INDEXED_CHARS
    assert index.candidates(long) is agent_intents


WORDS = sorted(
    {
        word
        for text in CORPUS[:400]
        for word in text.lower().replace(",", " ").replace("?", " ").replace(".", " ").split()
    }
    | {"21", "22.5", "70", "-3", "twenty", "one", "please", "the", "my", "seat", "a/c", "air-con"}
)


# The grammar is read from the module, not passed in: hypothesis writes out a failing example's
# arguments, and a whole grammar is no readable example.
@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=9), sep=st.sampled_from([" ", ", ", " - "])
)
def test_generated_texts_give_hassils_results(words: list[str], sep: str) -> None:
    text = sep.join(words)
    indexed = _key(list(_agent_index().recognize_all(text)))
    assert indexed == _key(list(recognize_all(text, _agent_intents()))), text
