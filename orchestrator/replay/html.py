"""The replay report a person reads (``cabin replay --html FILE``): one self-contained HTML file.

Pass rates by tag, by guardrail rule and by agent, a histogram of step latencies (inline SVG), and every
failure with its turn's trace (what was said, the route, the actions, the reply). No script, no style
sheet, font or image from elsewhere: the file opens offline and can be attached to a review.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from html import escape

from .runner import ScenarioResult, StepResult, report_json

RULE_TAG = re.compile(r"^gr-(\d+)$", re.IGNORECASE)
BUCKETS_MS = (25, 50, 100, 200, 400, 800, 1600, 3200, 6400)
"""Upper bounds of the latency histogram's bars; a last bar holds everything slower."""

_STYLE = """
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
td.n{text-align:right}
.pass{color:#17692b}.fail{color:#b00020}.skip{color:#777}
.bar{display:inline-block;height:.8em;background:#17692b}
.failure{border-left:4px solid #b00020;padding:.2em .8em;margin:1em 0}
pre{white-space:pre-wrap;margin:.2em 0}
"""


def rules_of(result: ScenarioResult) -> set[str]:
    """The guardrail rules a scenario exercises: its ``gr-NN`` tags and the rule ids its turns met."""
    rules = {f"GR-{m.group(1)}" for t in result.tags if (m := RULE_TAG.match(t))}
    for step in result.steps:
        if step.turn is not None:
            rules.update(a.rule_id for a in step.turn.actions if a.rule_id)
    return rules


def agents_of(result: ScenarioResult) -> set[str]:
    """The agents a scenario's turns were routed to (``none`` for a part no agent took)."""
    return {r.agent or "none" for s in result.steps if s.turn is not None for r in s.turn.route}


def _rates(groups: dict[str, list[ScenarioResult]], title: str) -> str:
    rows = []
    for name in sorted(groups):
        run = [r for r in groups[name] if r.skipped is None]
        passed = sum(r.passed for r in run)
        rate = passed / len(run) if run else 0.0
        rows.append(
            f"<tr><td>{escape(name)}</td><td class=n>{passed}/{len(run)}</td>"
            f"<td class=n>{rate:.0%}</td><td><span class=bar style='width:{round(rate * 120)}px'></span></td>"
            f"<td class=n>{len(groups[name]) - len(run)}</td></tr>"
        )
    body = "".join(rows) or "<tr><td colspan=5>none</td></tr>"
    return (
        f"<h2>By {escape(title)}</h2><table><tr><th>{escape(title)}</th><th>passed</th><th>rate</th>"
        f"<th></th><th>skipped</th></tr>{body}</table>"
    )


def histogram_svg(latencies_ms: list[float]) -> str:
    """Step latencies as an inline SVG bar chart, one bar per bucket of :data:`BUCKETS_MS`."""
    labels = [f"≤{b}" for b in BUCKETS_MS] + [f">{BUCKETS_MS[-1]}"]
    counts = [0] * len(labels)
    for value in latencies_ms:
        counts[next((i for i, b in enumerate(BUCKETS_MS) if value <= b), len(BUCKETS_MS))] += 1
    width, height, bar = 60 * len(labels), 160, 44
    top = max(counts) or 1
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height + 40}' "
        f"role='img' aria-label='step latency histogram (ms)'>"
    ]
    for i, (label, count) in enumerate(zip(labels, counts, strict=True)):
        h = math.ceil(height * count / top) if count else 0
        x = i * 60 + 8
        parts.append(f"<rect x='{x}' y='{height - h + 16}' width='{bar}' height='{h}' fill='#3a6ea5'/>")
        text = f"<text x='{x + bar / 2}' font-size='11' text-anchor='middle'"
        parts.append(f"{text} y='{height - h + 12}'>{count}</text>")
        parts.append(f"{text} y='{height + 32}'>{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _trace(step: StepResult) -> str:
    failures = "".join(f"<li>{escape(f)}</li>" for f in step.failures)
    if step.turn is None:
        return f"<ul>{failures}</ul>"
    turn = step.turn
    route = ", ".join(f"{r.agent or 'none'}/{r.skill or '-'} via {r.via} ({r.text!r})" for r in turn.route)
    actions = "; ".join(
        f"{a.tool} {a.arguments} → {a.outcome}{' ' + a.rule_id if a.rule_id else ''}" for a in turn.actions
    )
    return (
        f"<ul>{failures}</ul><pre>route:   {escape(route or 'none')}\n"
        f"actions: {escape(actions or 'none')}\nreply:   {escape(turn.reply)}\n"
        f"latency: {turn.latency_ms.total:.0f} ms</pre>"
    )


def report_html(results: list[ScenarioResult], title: str = "cabin scenario replay") -> str:
    """The whole report as one HTML document (no external assets)."""
    summary = report_json(results)
    by_tag: dict[str, list[ScenarioResult]] = defaultdict(list)
    by_rule: dict[str, list[ScenarioResult]] = defaultdict(list)
    by_agent: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in results:
        for tag in r.tags:
            by_tag[tag].append(r)
        for rule in rules_of(r):
            by_rule[rule].append(r)
        for agent in agents_of(r):
            by_agent[agent].append(r)
    latencies = [s.latency_ms for r in results for s in r.steps if s.latency_ms is not None]
    failures = []
    for r in results:
        if r.passed or r.skipped is not None:
            continue
        items = [f"<p class=fail>error: {escape(r.error)}</p>"] if r.error else []
        items += [f"<h4>step {s.index}</h4>{_trace(s)}" for s in r.steps if not s.passed]
        failures.append(
            f"<div class=failure><h3>{escape(r.name)}</h3><p>{escape(r.file)}</p>{''.join(items)}</div>"
        )
    skipped = "".join(
        f"<li>{escape(r.file)}: {escape(r.name)} — {escape(r.skipped)}</li>"
        for r in results
        if r.skipped is not None
    )
    latency = summary["latency_ms"]
    return (
        f"<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<p><span class=pass>{summary['passed']} passed</span>, <span class=fail>{summary['failed']} failed"
        f"</span>, <span class=skip>{summary['skipped']} skipped</span> of {summary['scenarios']} scenarios "
        f"({summary['steps']} steps; latency p50 {latency['p50']} ms, p95 {latency['p95']} ms)</p>"
        f"{_rates(by_tag, 'tag')}{_rates(by_rule, 'rule')}{_rates(by_agent, 'agent')}"
        f"<h2>Step latency (ms)</h2>{histogram_svg(latencies)}"
        f"<h2>Failures ({len(failures)})</h2>{''.join(failures) or '<p>none</p>'}"
        f"<h2>Skipped ({summary['skipped']})</h2><ul>{skipped}</ul></body></html>"
    )
