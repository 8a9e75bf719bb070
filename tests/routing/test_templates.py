"""The template fast path: YAML-driven sentence tests (like Home Assistant's intent tests), the
template files' validation, and the out-of-domain checks."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.routing import LABELS, NONE, TemplateError, TemplateSet, default_template_dir

SENTENCES = Path(__file__).parent / "sentences"


def _cases() -> list[Any]:
    cases = []
    for path in sorted(SENTENCES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in spec.get("tests", []):
            for sentence in block["sentences"]:
                expected = (spec["route"], block["intent"], block.get("slots", {}))
                cases.append(pytest.param(sentence, expected, id=f"{path.stem}: {sentence}"))
    return cases


def _no_match() -> list[str]:
    spec = yaml.safe_load((SENTENCES / "_no_match.yaml").read_text(encoding="utf-8"))
    return list(spec["sentences"])


@pytest.mark.parametrize(("sentence", "expected"), _cases())
def test_sentence_routes_to_its_intent_and_slots(
    templates: TemplateSet, sentence: str, expected: tuple[str, str, dict[str, Any]]
) -> None:
    found = templates.match(sentence)
    assert found is not None, f"no template matches {sentence!r}"
    assert (found.label, found.intent, found.slots) == expected


@pytest.mark.parametrize("sentence", _no_match())
def test_hard_negatives_match_no_template(templates: TemplateSet, sentence: str) -> None:
    assert templates.match(sentence) is None


def test_every_intent_and_every_skill_has_sentence_tests(templates: TemplateSet) -> None:
    tested: set[str] = set()
    for path in SENTENCES.glob("*.yaml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        tested |= {block["intent"] for block in spec.get("tests", [])}
    assert set(templates.routes) == tested
    assert set(templates.routes.values()) == set(LABELS) - {NONE}


REFUSED_ON_PURPOSE = frozenset({"driving_function"})
"""Template intents for requests no agent carries out (the training data labels them none), sent to
vehicle-control only so that the car's guardrails refuse them with their rule ("shift into reverse")."""


def test_templates_never_match_none_lines_of_the_training_data(
    templates: TemplateSet, train_lines: list[dict[str, str]]
) -> None:
    matched = [
        (r["text"], m.intent)
        for r in train_lines
        if r["label"] == NONE and (m := templates.match(r["text"])) and m.intent not in REFUSED_ON_PURPOSE
    ]
    assert matched == []


def test_templates_agree_with_the_training_labels(
    templates: TemplateSet, train_lines: list[dict[str, str]]
) -> None:
    inside = [r for r in train_lines if r["label"] != NONE]
    hits = [(r, templates.match(r["text"])) for r in inside]
    wrong = [(r["text"], r["label"], m.label) for r, m in hits if m is not None and m.label != r["label"]]
    assert wrong == []
    coverage = sum(1 for _, m in hits if m is not None) / len(inside)
    assert coverage > 0.3, f"the templates cover only {coverage:.0%} of the in-domain training lines"


# SLURP (Bastianelli et al., 2020, CC BY 4.0): real requests to home assistants. These intents can be
# meant for a car ("turn the volume up", "how is traffic"); every other SLURP line must match nothing.
IN_CAR_INTENTS = {
    "audio_volume_up": "vehicle-control/media",
    "audio_volume_down": "vehicle-control/media",
    "audio_volume_mute": "vehicle-control/media",
    "iot_hue_lighton": "vehicle-control/lights",
    "iot_hue_lightoff": "vehicle-control/lights",
    "hue_lightoff": "vehicle-control/lights",
    "transport_traffic": "navigation/route",
    "transport_query": "navigation/route",
    "recommendation_locations": "navigation/poi",
}


def test_templates_stay_out_of_slurp(templates: TemplateSet, slurp_lines: list[dict[str, str]]) -> None:
    unexpected = []
    for row in slurp_lines:
        found = templates.match(row["text"])
        if found is None:
            continue
        if found.wildcard:
            continue  # a free-text destination: the model path must confirm it (see test_router)
        if IN_CAR_INTENTS.get(row["intent"]) != found.label:
            unexpected.append((row["text"], row["intent"], found.label))
    assert unexpected == []


def test_a_wildcard_match_is_marked_as_such(templates: TemplateSet) -> None:
    found = templates.match("take me to the huffington post website")
    assert (
        found is not None and found.wildcard and found.slots["destination"] == "the huffington post website"
    )
    home = templates.match("take me home")
    assert home is not None and not home.wildcard


def test_recognition_is_fast_when_warm(templates: TemplateSet, train_lines: list[dict[str, str]]) -> None:
    texts = [r["text"] for r in train_lines[:300]]
    times = []
    for text in texts:
        started = time.perf_counter()
        templates.match(text)
        times.append(time.perf_counter() - started)
    times.sort()
    assert times[len(times) // 2] < 0.010, f"median {times[len(times) // 2] * 1000:.1f} ms"


def test_ambiguous_matches_are_left_to_the_next_stage(tmp_path: Path) -> None:
    for name, route in (("a", "vehicle-control/climate"), ("b", "vehicle-control/windows")):
        (tmp_path / f"{name}.yaml").write_text(
            f"language: en\nroute: {route}\nintents:\n  intent_{name}:\n    data:\n"
            "      - sentences: ['make it nicer']\n",
            encoding="utf-8",
        )
    assert TemplateSet.load(tmp_path).match("make it nicer") is None


# -- template files are validated and their errors name the file and key ------------------------------


def _write(folder: Path, text: str, name: str = "broken.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "language: en\nroute: vehicle-control/climate\nintents:\n  x:\n    data:\n      - sentences: []\n",
            "sentences",
        ),
        ("language: en\nroute: vehicle-control/teleport\nintents: {}\n", "route"),
        ("language: en\nintents:\n  x:\n    data:\n      - sentences: ['hi']\n", "'route' is required"),
        (
            "language: en\nroute: navigation/poi\nintents:\n  x:\n    data:\n      - sentences: ['find {nowhere}']\n",
            "{nowhere} names no list",
        ),
        (
            "language: en\nroute: navigation/poi\nintents:\n  x:\n    data:\n      - sentences: ['find <nothing>']\n",
            "<nothing> names no expansion rule",
        ),
        (
            "language: en\nroute: navigation/poi\nintents:\n  x:\n    data:\n      - sentences: ['find (a|b']\n",
            "cannot parse",
        ),
        (
            "language: en\nroute: navigation/poi\nintents:\n  x:\n    data:\n      - sentences: ['hi']\n        bogus: 1\n",
            "bogus",
        ),
        ("language: en\nlists:\n  l:\n    values: [a]\n    wildcard: true\n", "exactly one of"),
        ("language: en\nroute: [unclosed\n", "not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_a_broken_template_file_is_named_with_its_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(TemplateError) as caught:
        TemplateSet.load(tmp_path)
    assert str(path) in caught.value.message
    assert fragment in caught.value.message


def test_an_intent_defined_twice_is_refused(tmp_path: Path) -> None:
    body = (
        "language: en\nroute: navigation/poi\nintents:\n  find:\n    data:\n      - sentences: ['find it']\n"
    )
    _write(tmp_path, body, "a.yaml")
    _write(tmp_path, body, "b.yaml")
    with pytest.raises(TemplateError, match=re.escape("intents.find is already defined in a.yaml")):
        TemplateSet.load(tmp_path)


def test_an_empty_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="no template files"):
        TemplateSet.load(tmp_path)


def test_the_shipped_templates_live_in_the_package() -> None:
    folder = default_template_dir()
    assert (folder / "_common.yaml").is_file()
    assert len(list(folder.glob("*.yaml"))) >= 12
