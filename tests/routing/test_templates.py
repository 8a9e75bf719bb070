"""The template fast path, the union of the agents' own grammars: YAML-driven sentence tests (like Home
Assistant's intent tests), the out-of-domain checks, and that the router keeps no grammar of its own.

A sentence file names the label it routes to (`route`, which a block may override). Where a block
names an intent, the intent and slots the grammar reads are checked too (navigation's and perception's
sentence templates); vehicle-control's intents and slots are its grammar's, tested with the agent
(tests/agents/vehicle_control). `pending` lists sentences no grammar reads yet (the model path routes
them)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.routing import LABELS, NONE, TemplateSet, agent_skill
from orchestrator.routing.grammars import GrammarMatch
from orchestrator.routing.templates import TemplateStage

SENTENCES = Path(__file__).parent / "sentences"


def _cases() -> list[Any]:
    cases = []
    for path in sorted(SENTENCES.glob("*.yaml")):
        if path.name == "_no_match.yaml":
            continue
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in spec.get("tests", []):
            # A block names its own route where the agent's grammar gives it another skill of its card
            # ("it's too windy in here": a draft, which climate meets).
            route = block.get("route", spec["route"])
            expected = (route, block["intent"], block.get("slots", {})) if "intent" in block else (route,)
            for sentence in block["sentences"]:
                cases.append(pytest.param(sentence, expected, id=f"{path.stem}: {sentence}"))
    return cases


def _pending() -> list[Any]:
    cases = []
    for path in sorted(SENTENCES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for sentence in spec.get("pending", []):
            cases.append(pytest.param(sentence, spec["route"], id=f"{path.stem}: {sentence}"))
    return cases


def _no_match() -> list[str]:
    spec = yaml.safe_load((SENTENCES / "_no_match.yaml").read_text(encoding="utf-8"))
    return list(spec["sentences"])


@pytest.mark.parametrize(("sentence", "expected"), _cases())
def test_sentence_routes_to_its_label_intent_and_slots(
    templates: TemplateSet, sentence: str, expected: tuple[Any, ...]
) -> None:
    found = templates.match(sentence)
    assert found is not None, f"no grammar reads {sentence!r}"
    assert (found.label, found.intent, found.slots)[: len(expected)] == expected


@pytest.mark.parametrize(("sentence", "label"), _pending())
def test_a_pending_sentence_is_read_for_its_own_agent_or_not_at_all(
    templates: TemplateSet, sentence: str, label: str
) -> None:
    """Sentences that the agent's grammar does not read yet (the model path routes them): no grammar
    may read one for another agent. One that is read belongs among the tests above."""
    found = templates.match(sentence)
    assert found is None or agent_skill(found.label)[0] == agent_skill(label)[0]


@pytest.mark.parametrize("sentence", _no_match())
def test_hard_negatives_match_no_template(templates: TemplateSet, sentence: str) -> None:
    assert templates.match(sentence) is None


def test_every_skill_has_sentence_tests() -> None:
    tested: set[str] = set()
    for path in SENTENCES.glob("*.yaml"):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        if spec.get("tests"):
            tested.add(spec["route"])
    assert tested == set(LABELS) - {NONE}


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


def test_templates_agree_with_the_training_labels_on_the_agent(
    templates: TemplateSet, train_lines: list[dict[str, str]]
) -> None:
    """Each agent's grammar names the skill of its own card, which may differ from the label a training
    line was given ("let some air in": the line says windows, vehicle-control's grammar reads it as
    stuffy air, a climate intent); the agent must agree."""
    inside = [r for r in train_lines if r["label"] != NONE]
    hits = [(r, templates.match(r["text"])) for r in inside]
    wrong = [
        (r["text"], r["label"], m.label)
        for r, m in hits
        if m is not None and agent_skill(m.label)[0] != agent_skill(r["label"])[0]
    ]
    assert wrong == []
    coverage = sum(1 for _, m in hits if m is not None) / len(inside)
    assert coverage > 0.3, f"the grammars cover only {coverage:.0%} of the in-domain training lines"


# SLURP (Bastianelli et al., 2020, CC BY 4.0): real requests to home assistants. These intents can be
# meant for a car ("turn the volume up", "how is traffic", "lower lights": the dipped beam, "i would
# like coffee now": a place that has it); every other SLURP line must match nothing. Each names the
# agents that may read it.
IN_CAR_INTENTS = {
    "audio_volume_up": {"vehicle-control"},
    "audio_volume_down": {"vehicle-control"},
    "audio_volume_mute": {"vehicle-control"},
    "iot_hue_lighton": {"vehicle-control"},
    "iot_hue_lightoff": {"vehicle-control"},
    "iot_hue_lightdim": {"vehicle-control"},
    "hue_lightoff": {"vehicle-control"},
    "transport_traffic": {"navigation"},
    "transport_query": {"navigation"},
    "transport_taxi": {"navigation"},
    "recommendation_locations": {"navigation"},
    "recommendation_movies": {"navigation"},
    "iot_coffee": {"navigation"},
}


PLAYBACK_INTENTS = frozenset(
    {"music", "podcasts", "play_music", "play_podcasts", "play_audiobook", "play_radio"}
)
"""SLURP files a playback command ("pause the audiobook", "play next episode") under what plays; such a
line may be read only as vehicle-control's playback intent (pause, resume, skip), never as a choice of
what to play."""


def test_templates_stay_out_of_slurp(templates: TemplateSet, slurp_lines: list[dict[str, str]]) -> None:
    unexpected = []
    for row in slurp_lines:
        found = templates.match(row["text"])
        if found is None:
            continue
        if found.wildcard:
            continue  # a free-text destination: the model path must confirm it (see test_router)
        if found.intent == "set_media_playback" and row["intent"] in PLAYBACK_INTENTS:
            continue
        if agent_skill(found.label)[0] not in IN_CAR_INTENTS.get(row["intent"], set()):
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


class _Reads:
    """A double grammar: reads exactly the texts of its table, and keeps the texts it was asked."""

    def __init__(self, agent: str, table: dict[str, GrammarMatch]) -> None:
        self.agent = agent
        self.table = table
        self.asked: list[str] = []

    def read(self, text: str) -> GrammarMatch | None:
        self.asked.append(text)
        return self.table.get(text)


def _reading(agent: str, skill: str, *, wildcard: bool = False) -> GrammarMatch:
    return GrammarMatch(agent=agent, skill=skill, intent=f"{skill}_intent", slots={}, wildcard=wildcard)


def test_readings_with_free_text_of_two_agents_are_left_to_the_next_stage() -> None:
    both = TemplateSet(
        [
            _Reads(
                "vehicle-control", {"make it nicer": _reading("vehicle-control", "climate", wildcard=True)}
            ),
            _Reads("navigation", {"make it nicer": _reading("navigation", "route", wildcard=True)}),
        ]
    )
    assert both.match("make it nicer") is None


def test_a_reading_without_free_text_settles_the_text_and_no_later_grammar_is_asked() -> None:
    vehicle = _Reads("vehicle-control", {"set it to 21": _reading("vehicle-control", "climate")})
    navigation = _Reads("navigation", {"set it to 21": _reading("navigation", "route")})
    perception = _Reads("perception-summary", {})
    found = TemplateSet([vehicle, navigation, perception]).match("set it to 21")
    assert found is not None and found.label == "vehicle-control/climate"
    assert vehicle.asked == ["set it to 21"] and navigation.asked == [] and perception.asked == []


def test_no_two_agents_grammars_read_a_sentence_of_the_tests_without_free_text(
    templates: TemplateSet,
) -> None:
    """What lets the first reading without free text settle a text: the agents' grammars do not both
    read one sentence (the routing tests' sentences, pending ones and hard negatives included)."""
    sentences = [p.values[0] for p in (*_cases(), *_pending())] + _no_match()
    both = []
    for sentence in sentences:
        readers = [
            g.agent for g in templates.grammars if (m := g.read(sentence)) is not None and not m.wildcard
        ]
        if len(readers) > 1:
            both.append((sentence, readers))
    assert both == []


def test_a_reading_without_free_text_beats_one_with_it() -> None:
    grammars = TemplateSet(
        [
            _Reads("navigation", {"take me to the sun": _reading("navigation", "route", wildcard=True)}),
            _Reads("vehicle-control", {"take me to the sun": _reading("vehicle-control", "windows")}),
        ]
    )
    found = grammars.match("take me to the sun")
    assert found is not None and found.label == "vehicle-control/windows" and not found.wildcard


async def test_a_reading_the_agent_acts_on_is_sent_and_one_that_only_routes_is_not(
    templates: TemplateSet,
) -> None:
    stage = TemplateStage(templates)
    acted, routed = await stage.decide(["find me a charger", "what did that sign say"], deadline=1e18)
    assert acted is not None and acted.grammar == "navigation" and acted.intent == "find_poi"
    assert routed is not None and routed.label == "perception/signs" and routed.grammar is None


def test_the_router_keeps_no_grammar_of_its_own() -> None:
    package = Path(__file__).resolve().parents[2] / "orchestrator" / "routing"
    assert not (package / "templates").exists()
    assert not list(package.rglob("*.yaml"))
