"""Fitting and evaluating the model path (on the scripted backend), and the ``cabin router`` commands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from models import ModelRuntime
from orchestrator.routing import TrainingDataError
from orchestrator.routing.cli import register
from orchestrator.routing.training import (
    COSTS,
    choose_thresholds,
    evaluate,
    fit_router,
    rates,
    read_examples,
    stratified_split,
    with_declared,
)

from .conftest import DATA


def test_the_split_is_stratified_and_reproducible() -> None:
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 2
    train, held = stratified_split(labels, 0.2, seed=3)
    assert (train, held) == stratified_split(labels, 0.2, seed=3)
    assert sorted(train + held) == list(range(len(labels)))
    assert [labels[i] for i in held].count("a") == 10
    assert [labels[i] for i in held].count("b") == 6
    assert [labels[i] for i in held].count("c") == 1
    with pytest.raises(TrainingDataError):
        stratified_split(labels, 1.0, seed=0)


def test_thresholds_minimise_the_cost_of_mistakes() -> None:
    classes = ("navigation/poi", "none", "vehicle-control/windows")
    # windows answers: three right ones at 0.95, one out-of-domain at 0.9, two right ones at 0.7
    rows = [
        ([0.0, 0.05, 0.95], "vehicle-control/windows"),
        ([0.0, 0.05, 0.95], "vehicle-control/windows"),
        ([0.0, 0.05, 0.95], "vehicle-control/windows"),
        ([0.0, 0.1, 0.9], "none"),
        ([0.0, 0.3, 0.7], "vehicle-control/windows"),
        ([0.0, 0.3, 0.7], "vehicle-control/windows"),
        # poi answers: right at 0.6, out-of-domain at 0.55
        ([0.6, 0.4, 0.0], "navigation/poi"),
        ([0.55, 0.45, 0.0], "none"),
    ]
    probabilities = np.array([r[0] for r in rows])
    chosen = choose_thresholds(probabilities, classes, [r[1] for r in rows])
    # vehicle-control: letting the 0.9 line through costs 10, dropping the two right 0.7 lines costs 2:
    # 0.91 to 0.95 cost 2, the least; the middle of them is taken
    assert chosen["vehicle-control"] == pytest.approx(0.93)
    # navigation: an out-of-domain line costs 4, a fallback 1: 0.56 to 0.60 cost nothing
    assert chosen["navigation"] == pytest.approx(0.58)
    # no answers at all for perception-summary: the highest threshold
    assert chosen["perception-summary"] == pytest.approx(0.99)
    assert COSTS.out_of_domain["vehicle-control"] > COSTS.out_of_domain["navigation"] > COSTS.fallback


def test_rates() -> None:
    truth = ["none", "none", "vehicle-control/windows", "navigation/poi", "navigation/route"]
    routed = ["vehicle-control/doors", "none", "vehicle-control/windows", "none", "navigation/poi"]
    r = rates(truth, routed)
    assert (r.none, r.none_to_agent, r.none_to_vehicle_control) == (2, 0.5, 0.5)
    assert (r.in_domain, r.in_domain_routed_right, r.in_domain_routed_wrong) == (3, 1 / 3, 1 / 3)
    assert r.in_domain_fallback == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"text": "hi", "label": "teleport"}', "unknown label"),
        ("not json", "line"),
        ('{"label": "none"}', "text"),
    ],
)
def test_bad_training_lines_are_named(tmp_path: Path, line: str, fragment: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"text": "open the boot", "label": "vehicle-control/doors"}\n' + line + "\n", encoding="utf-8"
    )
    with pytest.raises(TrainingDataError, match=rf"bad.jsonl:2: .*{fragment}"):
        read_examples(path)


async def test_fit_then_evaluate_on_the_scripted_model(
    scripted_runtime: ModelRuntime, tmp_path: Path
) -> None:
    data = tmp_path / "small.jsonl"
    data.write_text(
        "\n".join((DATA / "train.jsonl").read_text(encoding="utf-8").splitlines()[:600]) + "\n",
        encoding="utf-8",
    )
    probe = tmp_path / "probe.jsonl"
    probe.write_text(
        "\n".join((DATA / "probe.jsonl").read_text(encoding="utf-8").splitlines()[:40]) + "\n",
        encoding="utf-8",
    )
    slurp = tmp_path / "slurp.jsonl"
    slurp.write_text(
        '{"text": "turn the volume up", "scenario": "audio", "intent": "audio_volume_up"}\n'
        '{"text": "what is the weather like in paris", "scenario": "weather", "intent": "weather_query"}\n',
        encoding="utf-8",
    )
    report = await fit_router(data, scripted_runtime, tmp_path / "router.npz", seed=1)
    # The fit takes the file's lines and the example sentences the vehicle tools declare.
    fitted = with_declared(read_examples(data))
    assert len(fitted) > 600
    train, held = stratified_split([e.label for e in fitted], 0.2, seed=1)
    assert (report.n_train, report.n_held_out) == (len(train), len(held))
    assert report.model_id == "scripted" and report.artefact_bytes < 64_000
    assert 0.0 <= report.held_out_accuracy <= 1.0 and report.fit_s >= 0
    again = await fit_router(data, scripted_runtime, tmp_path / "again.npz", seed=1)
    assert (tmp_path / "router.npz").read_bytes() == (tmp_path / "again.npz").read_bytes()
    assert again.thresholds == report.thresholds

    result = await evaluate(
        scripted_runtime, data=data, probe=probe, artefact=tmp_path / "router.npz", slurp=slurp
    )
    assert result.thresholds == report.thresholds
    assert result.held_out_accuracy == pytest.approx(report.held_out_accuracy)
    assert result.probe.n == 40
    assert result.slurp is not None and (result.slurp.n, result.slurp.strict_n, result.slurp.in_car_n) == (
        2,
        1,
        1,
    )
    assert result.slurp.in_car_to == {"audio_volume_up": {"vehicle-control/media": 1}}
    assert result.template_ms["median"] > 0


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cabin")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_the_router_command_group(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("router", "fit")
    assert args.data.endswith("train.jsonl") and args.out.endswith("router.npz") and callable(args.func)
    assert _parse("router", "eval", "--no-slurp").no_slurp
    args = _parse("router", "route", "open my window and turn on the seat heating", "--templates-only")
    assert args.func(args) == 0
    route = json.loads(capsys.readouterr().out)
    assert [p["skill"] for p in route["parts"]] == ["windows", "seats"]


def test_router_commands_report_bad_inputs_before_loading_the_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _parse("router", "fit", "--data", str(tmp_path / "missing.jsonl"))
    assert args.func(args) == 2
    assert "cannot read" in capsys.readouterr().err
    args = _parse("router", "eval", "--no-slurp", "--artefact", str(tmp_path / "missing.npz"))
    assert args.func(args) == 2
    assert "cabin router fit" in capsys.readouterr().err
