"""What `cabin ask` says while it loads: plain lines off a terminal, one redrawn spinner line on one."""

from __future__ import annotations

import io
import time

from orchestrator.progress import TICK_S, Progress


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with Progress(out) as progress:
        progress.step("loading the model")
        progress.step("starting the agents")
    assert out.getvalue() == "loading the model ...\nstarting the agents ...\n"


def test_spinner_on_a_terminal_redraws_one_line_and_erases_it() -> None:
    out = io.StringIO()
    with Progress(out, tty=True) as progress:
        progress.step("compiling the routing templates")
        deadline = time.monotonic() + 30
        while "compiling" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(TICK_S)
    text = out.getvalue()
    assert "\n" not in text
    assert "\r| compiling the routing templates (" in text
    assert text.endswith("\r")
    assert text.rstrip("\r").split("\r")[-1].strip() == ""
