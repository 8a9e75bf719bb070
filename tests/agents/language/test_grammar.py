"""The language layer's loader of the agents' sentence templates (`agents/language/grammar.py`): files
are validated and their errors name the file and key; a match reads the whole text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agents.language.grammar import GrammarError, SentenceGrammar
from agents.navigation.grammar import SENTENCES as NAVIGATION_SENTENCES
from agents.perception.grammar import SENTENCES as PERCEPTION_SENTENCES

SKILLS = ("poi", "route")


def _write(folder: Path, text: str, name: str = "broken.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("language: en\nskill: poi\nintents:\n  x:\n    data:\n      - sentences: []\n", "sentences"),
        ("language: en\nskill: teleport\nintents: {}\n", "teleport"),
        ("language: en\nintents:\n  x:\n    data:\n      - sentences: ['hi']\n", "'skill' is required"),
        (
            "language: en\nskill: poi\nintents:\n  x:\n    data:\n      - sentences: ['find {nowhere}']\n",
            "{nowhere} names no list",
        ),
        (
            "language: en\nskill: poi\nintents:\n  x:\n    data:\n      - sentences: ['find <nothing>']\n",
            "<nothing> names no expansion rule",
        ),
        (
            "language: en\nskill: poi\nintents:\n  x:\n    data:\n      - sentences: ['find (a|b']\n",
            "cannot parse",
        ),
        (
            "language: en\nskill: poi\nintents:\n  x:\n    data:\n      - sentences: ['hi']\n        bogus: 1\n",
            "bogus",
        ),
        ("language: en\nlists:\n  l:\n    values: [a]\n    wildcard: true\n", "exactly one of"),
        ("language: en\nskill: [unclosed\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_a_broken_grammar_file_is_named_with_its_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(GrammarError) as caught:
        SentenceGrammar.load(tmp_path, skills=SKILLS)
    assert str(path) in str(caught.value)
    assert fragment in str(caught.value)


def test_an_intent_defined_twice_is_refused(tmp_path: Path) -> None:
    body = "language: en\nskill: poi\nintents:\n  find:\n    data:\n      - sentences: ['find it']\n"
    _write(tmp_path, body, "a.yaml")
    _write(tmp_path, body, "b.yaml")
    with pytest.raises(GrammarError, match=re.escape("intents.find is already defined in a.yaml")):
        SentenceGrammar.load(tmp_path, skills=SKILLS)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GrammarError, match="no grammar files"):
        SentenceGrammar.load(tmp_path)


def test_matches_of_two_skills_are_ambiguous(tmp_path: Path) -> None:
    for name, skill in (("a", "poi"), ("b", "route")):
        _write(
            tmp_path,
            f"language: en\nskill: {skill}\nintents:\n  intent_{name}:\n    data:\n"
            "      - sentences: ['make it nicer']\n",
            f"{name}.yaml",
        )
    grammar = SentenceGrammar.load(tmp_path, skills=SKILLS)
    assert grammar.match("make it nicer") is None


def test_a_match_is_of_the_whole_text_in_the_normal_form(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "language: en\nskill: route\nintents:\n  go_home:\n    data:\n      - sentences: ['take me home']\n"
        "        slots: {destination: home}\n",
        "route.yaml",
    )
    grammar = SentenceGrammar.load(tmp_path, skills=SKILLS)
    found = grammar.match("Uh, TAKE me home, please!")
    assert found is not None
    assert (found.intent, found.skill, dict(found.slots), found.wildcard) == (
        "go_home",
        "route",
        {"destination": "home"},
        False,
    )
    assert grammar.match("take me home and open the window") is None


def test_the_agents_ship_their_sentence_templates_in_their_packages() -> None:
    for folder in (NAVIGATION_SENTENCES, PERCEPTION_SENTENCES):
        assert (folder / "_common.yaml").is_file()
        SentenceGrammar.load(folder, warm=False)
