"""The probe report says which scored turns vehicle-control's model path read: the evaluation's model
runtime notes each tool call the agent's interpreter asks for, and the summary counts those probes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from agents.vehicle_control import ToolCatalog, VehicleLink
from agents.vehicle_control.interpreter import ModelInterpreter
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService
from models import ModelRuntime, ScriptedBackend
from orchestrator.evaluation.understanding import RecordingRuntime, format_probe_table, summarize_probes


@pytest.fixture
async def catalog() -> AsyncIterator[ToolCatalog]:
    link = VehicleLink(build_server(VehicleService(SimulatorBackend()), client="vehicle-control"))
    yield await link.catalog()
    await link.aclose()


async def test_the_recording_runtime_notes_the_tools_the_model_path_chose(catalog: ToolCatalog) -> None:
    scripted = ScriptedBackend().enqueue(
        'set_window"', '{"window": "rear", "action": "open"}', 'none"', "a reply for someone else"
    )
    inner = ModelRuntime(scripted)
    recording = RecordingRuntime(inner)
    interpreter = ModelInterpreter(recording)
    try:
        assert recording.take() == []
        opened = await interpreter.interpret(
            "the folks in the back would like their windows open", seat="driver", catalog=catalog
        )
        assert opened.action is not None and opened.action.tool == "set_window"
        declined = await interpreter.interpret("sing me a song", seat="driver", catalog=catalog)
        assert declined.action is None
        # Another caller's generation (not the interpreter's prompt) is not a model-path call.
        other = await recording.generate("Summary:", prefix="Perception.\n", max_tokens=8)
        assert other.text == "a reply for someone else"

        assert recording.take() == ["set_window", "none"]
        assert recording.take() == []
    finally:
        await interpreter.aclose()
        await recording.aclose()  # leaves the wrapped runtime open: it is the caller's
        assert (await inner.model_info()).id == (await recording.model_info()).id
        await inner.aclose()


def _result(category: str, routed: bool, acted: bool, tools: list[str]) -> dict[str, Any]:
    return {
        "category": category,
        "routed": routed,
        "acted": acted,
        "changed": {},
        "problems": [],
        "model_path": bool(tools),
        "model_tools": tools,
    }


def test_the_summary_counts_in_car_probes_the_model_path_read_and_how_many_were_right() -> None:
    results = [
        _result("climate", True, True, []),  # templates read it
        _result("indirect", True, True, ["set_cabin_temperature"]),
        _result("indirect", True, False, ["set_sunshade"]),
        _result("zones", True, True, ["none", "set_fan"]),
        _result("out-of-domain", True, True, ["none"]),  # not an in-car request
    ]
    summary = summarize_probes(results)
    assert summary["model_path"] == {"probes": 3, "correct": 2, "correct_pct": 66.7}
    assert "model read: 3; acted on correctly: 2 (66.7%)" in format_probe_table(summary)
