"""The committed artefact with the real default model: it loads, and routes probe sentences (written
apart from the training data) that no template matches."""

from __future__ import annotations

import pytest

from models import ModelRuntime
from orchestrator.routing import Router
from orchestrator.routing.model_stage import ModelStage, default_artefact_path, load_artefact

PROBE_SENTENCES = [
    ("Set the air so it only comes out the top vents.", "vehicle-control", "climate"),
    ("My lumbar area needs more support.", "vehicle-control", "seats"),
    ("Raise every pane of glass in the car.", "vehicle-control", "windows"),
    ("Are we all locked up?", "vehicle-control", "doors"),
    ("Turn the cabin lighting to a soft orange.", "vehicle-control", "lights"),
    ("Make the audio a whole lot louder.", "vehicle-control", "media"),
    ("Look up a place for a quick bite.", "navigation", "poi"),
    ("Guide me to the harbour.", "navigation", "route"),
    ("Any cars lurking in my mirror blind zone?", "perception-summary", "surroundings"),
    ("Did that sign ban overtaking?", "perception-summary", "signs"),
    ("Tell me if I seem to be drifting off.", "perception-summary", "driver"),
    ("Who won the Eurovision song contest?", None, None),
    ("Play the track Sunroof Summer.", None, None),
    ("Email my landlord that the back door lock is broken.", None, None),
]


@pytest.mark.model
async def test_the_committed_artefact_routes_probe_sentences(real_runtime: ModelRuntime) -> None:
    """The model path alone routes each probe; the whole cascade (whose grammars may read some of them
    before the model does) sends each to the same agent and skill."""
    classifier, settings = load_artefact(default_artefact_path())
    model_only = Router([ModelStage(real_runtime, classifier, settings)])
    router = await Router.open(real_runtime, require_model=True)
    assert router.model_available and router.problems == ()
    for text, agent, skill in PROBE_SENTENCES:
        (part,) = (await model_only.route(text, budget_s=5.0)).parts
        expected_via = "model" if agent is not None else "fallback"
        assert (part.agent, part.skill, part.via) == (agent, skill, expected_via), text
        assert 0.5 <= part.confidence <= 1.0
        (whole,) = (await router.route(text, budget_s=5.0)).parts
        assert (whole.agent, whole.skill) == (agent, skill), text


@pytest.mark.model
async def test_a_multi_intent_utterance_with_the_real_model(real_runtime: ModelRuntime) -> None:
    router = await Router.open(real_runtime, require_model=True)
    route = await router.route("open the boot and tell me if I seem to be drifting off", budget_s=5.0)
    assert [(p.agent, p.skill, p.via) for p in route.parts] == [
        ("vehicle-control", "doors", "template"),
        ("perception-summary", "driver", "model"),
    ]
    assert route.latency_ms["model"] < 2000
