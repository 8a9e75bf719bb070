"""The HTML report (self-contained: pass rates by tag, rule and agent, an SVG latency histogram, each
failure with its trace) and the progress display (a bar with ETA on a terminal, lines otherwise)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from orchestrator.models import Action, Latency, RouteStep, TurnResult
from orchestrator.replay.html import agents_of, histogram_svg, report_html, rules_of
from orchestrator.replay.progress import Progress, eta_s, render_bar
from orchestrator.replay.runner import ScenarioResult, StepResult


def _turn(agent: str, outcome: str, rule: str | None, reply: str, total: float) -> TurnResult:
    return TurnResult(
        session_id="s",
        turn_id="t",
        reply=reply,
        route=[RouteStep(text="open the door", agent=agent, skill="doors", via="template")],
        actions=[Action(tool="set_door", arguments={"open": True}, outcome=outcome, rule_id=rule)],  # type: ignore[arg-type]
        latency_ms=Latency(total=total, route=1.0),
    )


REFUSED = _turn("vehicle-control", "refused", "GR-07", "I can't open a door while driving.", 90.0)
APPLIED = _turn("vehicle-control", "applied", None, "Opening the <driver> door.", 2500.0)
RESULTS = [
    ScenarioResult(
        "a.yaml",
        "door while moving",
        ["doors", "gr-07"],
        True,
        [StepResult(0, "say", True, [], 90.0, REFUSED)],
        1.0,
    ),
    ScenarioResult(
        "b.yaml",
        "door opens parked",
        ["doors"],
        False,
        [StepResult(0, "say", False, ["state X.IsOpen: expected True, actual False"], 2500.0, APPLIED)],
        1.0,
    ),
    ScenarioResult("c.yaml", "pedestrian", ["perception"], False, [], 0.0, skipped="no scripted feed"),
]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.external.append(value)


def test_rules_and_agents_come_from_tags_and_turns() -> None:
    assert rules_of(RESULTS[0]) == {"GR-07"}
    assert rules_of(RESULTS[1]) == set()
    assert agents_of(RESULTS[1]) == {"vehicle-control"}


def test_the_report_is_self_contained_and_has_every_section() -> None:
    page = report_html(RESULTS)
    parser = _Links()
    parser.feed(page)
    assert parser.external == [] and "script" not in parser.tags and "svg" in parser.tags
    assert "1 passed</span>, <span class=fail>1 failed</span>, <span class=skip>1 skipped" in page
    for heading in ("By tag", "By rule", "By agent", "Step latency (ms)", "Failures (1)", "Skipped (1)"):
        assert f"<h2>{heading}</h2>" in page
    # doors: 1 of 2 run passed; perception: nothing run, one skipped
    assert re.search(r"<td>doors</td><td class=n>1/2</td><td class=n>50%</td>", page)
    assert re.search(r"<td>GR-07</td><td class=n>1/1</td><td class=n>100%</td>", page)
    assert re.search(r"<td>perception</td><td class=n>0/0</td>.*?<td class=n>1</td>", page)
    # the failure with its trace, escaped
    assert "state X.IsOpen: expected True, actual False" in page
    assert "reply:   Opening the &lt;driver&gt; door." in page
    assert "route:   vehicle-control/doors via template" in page
    assert "set_door {&#x27;open&#x27;: True} → applied" in page


def test_the_histogram_counts_each_latency_once() -> None:
    svg = histogram_svg([10.0, 20.0, 90.0, 2500.0, 99999.0])
    counts = [int(n) for n in re.findall(r"y='\d+'>(\d+)</text>", svg)]
    assert sum(counts) == 5 and counts[0] == 2 and counts[-1] == 1


def test_progress_bar_and_eta() -> None:
    assert eta_s(0, 10, 5.0) is None
    assert eta_s(2, 10, 4.0) == 16.0
    assert render_bar(3, 12, 1, 6.0) == "[" + "#" * 7 + "-" * 23 + "] 3/12 (1 failed) 0.5/s ETA 00:18"
    ticks = iter([0.0, 2.0, 4.0])
    out = io.StringIO()
    shown = Progress(2, out, bar=True, clock=lambda: next(ticks))
    shown.finished("a", "ok")
    shown.finished("b", "FAILED")
    shown.close()
    assert out.getvalue().endswith("] 2/2 (1 failed) 0.5/s ETA 00:00\n")
    assert out.getvalue().count("\r") == 2


def test_progress_without_a_terminal_prints_plain_lines() -> None:
    out = io.StringIO()
    shown = Progress(2, out, bar=False)
    shown.finished("door", "ok")
    shown.finished("pedestrian", "skip")
    shown.close()
    assert out.getvalue().splitlines() == ["[1/2] ok     door", "[2/2] skip   pedestrian"]
