"""The model stage: what the templates miss goes to the on-device model under schema-constrained decoding,
and a proposal moves the car only when the request grounds it. The scripted backend drives the unit
tests; one test runs the real default model."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from agents.hosting import AgentClient
from agents.vehicle_control import Action, ToolCatalog, VehicleLink
from agents.vehicle_control.actions import AGENT_TOOLS
from agents.vehicle_control.grounding import grounding_problem, numbers_in
from agents.vehicle_control.interpreter import (
    PROMPT_PREFIX,
    ModelInterpreter,
    RuntimeSource,
    arguments_schema,
)
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from models import (
    CompletionRequest,
    ModelNotInstalled,
    ModelRegistry,
    ModelRuntime,
    ScriptedBackend,
    open_runtime,
)
from models.grammar import literal_choices, schema_to_grammar

from .vehicle_control_doubles import OCCUPANT, actions, requested

REAR_WINDOWS = [
    "Vehicle.Cabin.Door.Row2.DriverSide.Window.Position",
    "Vehicle.Cabin.Door.Row2.PassengerSide.Window.Position",
]
TRUNK = "Vehicle.Body.Trunk.Rear.IsOpen"
FOLKS_IN_THE_BACK = "the folks in the back would like their windows open"


@pytest.fixture
def scripted() -> ScriptedBackend:
    return ScriptedBackend()


@pytest.fixture
async def model(scripted: ScriptedBackend) -> AsyncIterator[RuntimeSource]:
    runtime = ModelRuntime(scripted)
    yield runtime
    await runtime.aclose()


@pytest.fixture
async def tools(service: VehicleService) -> AsyncIterator[ToolCatalog]:
    link = VehicleLink(build_server(service, client="vehicle-control"))
    yield await link.catalog()
    await link.aclose()


def completions(scripted: ScriptedBackend) -> list[CompletionRequest]:
    return [request for request in scripted.requests if isinstance(request, CompletionRequest)]


async def test_template_phrasings_never_reach_the_model(
    agent: AgentClient, scripted: ScriptedBackend
) -> None:
    result = await agent.send_text("open the rear windows", seat="driver", **OCCUPANT)

    assert result.data is not None and result.data["via"] == "template"
    assert completions(scripted) == []


async def test_a_grounded_proposal_is_acted_on(
    agent: AgentClient, backend: SimulatorBackend, scripted: ScriptedBackend
) -> None:
    scripted.enqueue('set_window"', '{"window": "rear", "action": "open"}')

    result = await agent.send_text(FOLKS_IN_THE_BACK, seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert result.data is not None and result.data["via"] == "model"
    assert actions(result) == [
        {
            "tool": "set_window",
            "arguments": {"window": "rear", "action": "open"},
            "outcome": "applied",
            "ruleId": None,
            "message": None,
        }
    ]
    assert [await requested(backend, path) for path in REAR_WINDOWS] == [100, 100]
    assert result.text == "The rear windows are opening."


async def test_generation_is_constrained_to_tool_names_then_that_tools_schema(
    agent: AgentClient, scripted: ScriptedBackend, tools: ToolCatalog
) -> None:
    scripted.enqueue('set_window"', '{"window": "rear", "action": "open"}')

    await agent.send_text(FOLKS_IN_THE_BACK, seat="driver", **OCCUPANT)

    choose, fill = completions(scripted)
    assert choose.prefix == fill.prefix == PROMPT_PREFIX
    assert choose.prompt == f'Request: {FOLKS_IN_THE_BACK}\nCall: {{"tool": "'
    assert literal_choices(choose.grammar or "") == [f'{name}"' for name in (*AGENT_TOOLS, "none")]
    assert fill.prompt == f'{choose.prompt}set_window", "arguments": '
    assert fill.json_schema == arguments_schema(tools, "set_window")


async def test_no_tool_is_an_honest_answer(agent: AgentClient, scripted: ScriptedBackend) -> None:
    scripted.enqueue('none"')

    result = await agent.send_text("what is the meaning of life", seat="driver", **OCCUPANT)

    assert result.text.startswith("Sorry, I can't do that yet.")
    assert result.data == {"actions": [], "stateChanges": {}, "via": "fallback"}
    assert len(completions(scripted)) == 1


@pytest.mark.rule("GR-18")
async def test_an_ungrounded_proposal_never_moves_the_car(
    agent: AgentClient, backend: SimulatorBackend, scripted: ScriptedBackend
) -> None:
    before = backend.snapshot()
    scripted.enqueue('set_trunk"', '{"open": true}')

    result = await agent.send_text("tell me a story about dragons", seat="driver", **OCCUPANT)

    assert result.text.startswith("Sorry, I can't do that yet.")
    assert actions(result) == []
    assert backend.snapshot() == before
    assert await requested(backend, TRUNK) is False
    # Only the tool choice ran: no arguments could have made a trunk call grounded.
    assert len(completions(scripted)) == 1


async def test_a_proposal_for_the_wrong_zone_is_not_taken(
    agent: AgentClient, backend: SimulatorBackend, scripted: ScriptedBackend
) -> None:
    # The model leaves the zone out (the speaker's own) although the request names the back.
    scripted.enqueue('set_window"', '{"action": "open"}')

    result = await agent.send_text(FOLKS_IN_THE_BACK, seat="driver", **OCCUPANT)

    assert actions(result) == []
    assert await requested(backend, "Vehicle.Cabin.Door.Row1.DriverSide.Window.Position") == 0


async def test_a_failing_model_gives_the_honest_answer(agent: AgentClient, scripted: ScriptedBackend) -> None:
    # Nothing queued: the scripted backend fails the request like a broken engine would.
    result = await agent.send_text(FOLKS_IN_THE_BACK, seat="driver", **OCCUPANT)

    assert result.state == "completed"
    assert result.text.startswith("Sorry, I can't do that yet.")


async def test_templates_and_model_share_one_request(
    agent: AgentClient, backend: SimulatorBackend, scripted: ScriptedBackend
) -> None:
    scripted.enqueue('set_window"', '{"window": "rear", "action": "open"}')

    result = await agent.send_text(f"lights on and {FOLKS_IN_THE_BACK}", seat="driver", **OCCUPANT)

    assert [a["tool"] for a in actions(result)] == ["set_lights", "set_window"]
    assert result.data is not None and result.data["via"] == "model"
    assert await requested(backend, "Vehicle.Body.Lights.Beam.Low.IsOn") is True
    assert [await requested(backend, path) for path in REAR_WINDOWS] == [100, 100]
    assert completions(scripted)[0].prompt.startswith(f"Request: {FOLKS_IN_THE_BACK}\n")


async def test_an_unavailable_model_is_opened_once_and_the_agent_keeps_to_templates(
    tools: ToolCatalog,
) -> None:
    opened: list[int] = []

    def missing() -> ModelRuntime:
        opened.append(1)
        raise ModelNotInstalled("no model file")

    interpreter = ModelInterpreter(missing)
    first = await interpreter.interpret(FOLKS_IN_THE_BACK, seat="driver", catalog=tools)
    second = await interpreter.interpret(FOLKS_IN_THE_BACK, seat="driver", catalog=tools)
    await interpreter.aclose()

    assert first.action is None and second.action is None
    assert "no model file" in first.reason
    assert opened == [1]


async def test_invalid_arguments_from_the_model_are_not_taken(
    tools: ToolCatalog, scripted: ScriptedBackend, model: RuntimeSource
) -> None:
    scripted.enqueue('set_media_volume"', '{"delta": -1000}')
    interpreter = ModelInterpreter(model)

    reading = await interpreter.interpret("the music is too loud", seat="driver", catalog=tools)

    assert reading.action is None
    assert "not valid" in reading.reason


async def test_every_tools_argument_schema_compiles_to_a_grammar(tools: ToolCatalog) -> None:
    for name in tools.names:
        schema = arguments_schema(tools, name)
        assert "confirm_token" not in str(schema)
        assert schema_to_grammar(schema)


W = "set_window"
T = "set_cabin_temperature"


@pytest.mark.parametrize(
    ("text", "tool", "arguments", "problem"),
    [
        ("open the rear windows", W, {"window": "rear", "action": "open"}, None),
        ("tell me a joke", "set_trunk", {"open": True}, "does not mention"),
        ("set the fan to sixty percent", "set_fan", {"zone": "driver", "percent": 60}, None),
        ("set the fan higher", "set_fan", {"zone": "driver", "percent": 90}, "not a number"),
        ("make it way warmer", T, {"zone": "driver", "delta": 9}, "more than"),
        ("raise the temperature by five", T, {"zone": "driver", "delta": 5}, None),
        ("turn off the dome light", "set_lights", {"light": "dome", "on": True}, "says on=True"),
        ("switch the hazard lights on", "set_lights", {"light": "fog_front", "on": True}, "light=fog_front"),
        ("my seat is cold", "set_seat_heating", {"seat": "rear_left", "level": 2}, "rear_left"),
        ("close the trunk", "set_trunk", {"open": True}, "says open=True"),
        ("air on my feet", "set_air_distribution", {"zone": "driver", "direction": "up"}, "direction=up"),
        ("put the sound on silent", "set_media_volume", {"percent": 0}, None),
        # Proposals the default model made for held-out requests; each would have moved the car wrongly.
        ("The glass in front of me has gone all cloudy on the inside.", W, {"window": "front", "action": "open"}, "action=open"),
        ("The rear glass has frost on it, sort that out.", W, {"window": "rear", "action": "open"}, "action=open"),
        ("The back glass is full of spray, wipe it.", W, {"window": "rear", "action": "open"}, "action=open"),
        ("Turn the climate system down to eighteen for the driver only.", T, {"zone": "driver", "delta": 18}, "more"),
        ("Turn the climate system down to eighteen for the driver only.", T, {"zone": "driver", "celsius": 18}, None),
        ("Could the front passenger have a cooler seat?", "set_seat_heating", {"seat": "passenger", "level": 1}, "on"),
        ("Could the front passenger have a cooler seat?", "set_seat_ventilation", {"seat": "passenger", "level": 2}, None),
        ("the stereo is way too quiet bump it", "set_media_volume", {"delta": -10}, "clearly"),
        ("switch the heated chair off for the back right passenger", "set_seat_heating", {"seat": "passenger", "level": 2}, "on"),
        ("switch the heated chair off for the back right passenger", "set_seat_heating", {"seat": "passenger", "level": 0}, "rear_right"),
        ("switch the heated chair off for the back right passenger", "set_seat_heating", {"seat": "rear_right", "level": 0}, None),
        ("Draw the roof blind across, it's glaring.", "set_sunshade", {"action": "close", "rear": False}, None),
        ("make the screen wipers sweep really slowly", "set_wipers", {"mode": "slow", "rear": False}, None),
        # A real out-of-domain request that once switched the headlights on ("lit" matched "little").
        ("please lower the lights a little bit", "set_lights", {"light": "low_beam", "on": True}, "says on=True"),
        # A row the car does not have supports no call at all; the rows it has are zones.
        ("can you heat the third row seats for the kids", T, {"zone": "rear", "delta": 3}, "no third row"),
        ("warm the seats in row 3", "set_seat_heating", {"seat": "rear_left", "level": 2}, "no row 3"),
        ("warm up the second row a bit", T, {"zone": "rear", "delta": 1}, None),
        # Weather talk is not a misted windscreen (a SLURP weather line once switched the defroster on).
        ("it is cloudy today", "set_defrost", {"on": True}, "on the glass"),
        ("it's foggy out there", "set_defrost", {"on": True}, "on the glass"),
        ("the windscreen is all cloudy", "set_defrost", {"on": True}, None),
        ("I can't see, it's all fogged up", "set_defrost", {"on": True}, None),
        ("defog please", "set_defrost", {"on": True}, None),
        # The tools added later are grounded like the others: what they change, and the value chosen.
        ("hold the podcast for a sec", "set_media_playback", {"action": "pause"}, None),
        ("ugh, I can't stand this song", "set_media_playback", {"action": "next"}, None),
        ("ugh, I can't stand this song", "set_media_playback", {"action": "play"}, "action=play"),
        ("tell me a joke", "set_media_playback", {"action": "play"}, "does not mention"),
        ("the directions are way too loud", "set_navigation_volume", {"delta": -10}, None),
        ("the directions are way too loud", "set_navigation_volume", {"delta": 10}, "clearly"),
        ("the music is too loud", "set_navigation_volume", {"delta": -10}, "does not mention"),
        ("stop the navigation lady talking", "set_navigation_guidance", {"mode": "muted"}, None),
        ("only tell me the important navigation alerts", "set_navigation_guidance", {"mode": "alerts_only"}, None),
        ("mute the gps", "set_navigation_guidance", {"mode": "voice"}, "mode=voice"),
        ("my side mirrors are all frosted over", "set_mirror_heating", {"on": True}, None),
        ("my side mirrors are all frosted over", "set_mirror_heating", {"on": False}, "on=False"),
        ("stop the kids opening the rear windows", "set_window_child_lock", {"on": True}, None),
        ("close the rear windows", "set_window_child_lock", {"on": True}, "on=True"),
        ("lock the doors", "set_window_child_lock", {"on": True}, "does not mention"),
        ("let the kids work the back windows again", "set_window_child_lock", {"on": False}, None),
        ("let the kids work the back windows again", "set_window_child_lock", {"on": True}, "on=True"),
        ("release the window lock", "set_window_child_lock", {"on": False}, None),
        ("I want to check the oil, pop the bonnet", "set_hood", {"open": True}, None),
        ("shut the hood", "set_hood", {"open": True}, "open=True"),
        ("open the trunk", "set_hood", {"open": True}, "does not mention"),
    ],
)  # fmt: skip
def test_grounding(text: str, tool: str, arguments: dict[str, Any], problem: str | None) -> None:
    found = grounding_problem(text, Action(tool=tool, arguments=arguments), seat="driver")

    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_numbers_in_words_and_digits() -> None:
    assert numbers_in("set it to twenty-two, then 18.5 and half") == {20.0, 22.0, 2.0, 18.5, 50.0}


# -- the real model ----------------------------------------------------------------------------------


@pytest.fixture
def real_model() -> RuntimeSource:
    if not ModelRegistry.load().is_installed():
        pytest.skip("the default model is not assembled yet (`cabin models prepare`)")
    return open_runtime


@pytest.mark.model
async def test_the_real_model_fills_in_what_the_templates_miss(
    real_model: RuntimeSource, tools: ToolCatalog
) -> None:
    interpreter = ModelInterpreter(real_model, timeout_s=15.0)
    started = time.monotonic()
    try:
        back = await interpreter.interpret(FOLKS_IN_THE_BACK, seat="driver", catalog=tools)
        joke = await interpreter.interpret("tell me a joke about penguins", seat="driver", catalog=tools)
    finally:
        await interpreter.aclose()

    assert back.action == Action(tool="set_window", arguments={"window": "rear", "action": "open"}), back
    assert joke.action is None, joke
    assert time.monotonic() - started < 20


@pytest.mark.rule("GR-18")
@pytest.mark.parametrize(
    "question", ["is the tailgate up yet", "Was the hatch left open?", "did the boot pop"]
)
async def test_a_question_about_the_car_never_reaches_the_model(
    agent: AgentClient, backend: SimulatorBackend, scripted: ScriptedBackend, question: str
) -> None:
    before = backend.snapshot()
    scripted.enqueue('set_trunk"', '{"open": true}')  # what a model might propose for it

    result = await agent.send_text(question, seat="driver", **OCCUPANT)

    assert completions(scripted) == []
    assert result.data is not None and result.data["actions"] == []
    assert backend.snapshot() == before


async def test_a_dead_model_host_is_said_to_be_unavailable_not_a_request_it_cannot_do(
    service: VehicleService, backend: SimulatorBackend
) -> None:
    import httpx

    from agents.vehicle_control import build_vehicle_control_app
    from models import ModelHostClient
    from tests.conftest import free_port

    from .conftest import BASE_URL, TOKEN

    dead = ModelHostClient(f"http://127.0.0.1:{free_port()}", connect_timeout=1.0)
    app = build_vehicle_control_app(
        build_server(service, client="vehicle-control"), token=TOKEN, base_url=BASE_URL, runtime=dead
    )
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as agent,
        ):
            result = await agent.send_text(FOLKS_IN_THE_BACK, seat="driver", **OCCUPANT)
            template = await agent.send_text("open the rear windows", seat="driver", **OCCUPANT)
    finally:
        await app.aclose()
        await dead.aclose()
    assert result.state == "failed"
    assert result.text == "Sorry, I can't understand that right now: the on-device model is not available."
    assert result.data == {"actions": [], "stateChanges": {}, "via": "fallback"}
    # What the templates read is still done without the model.
    assert [a["outcome"] for a in actions(template)] == ["applied"]
