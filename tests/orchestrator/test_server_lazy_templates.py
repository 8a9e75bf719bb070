"""`cabin run`'s orchestrator compiles each routing template when a text first reaches it, not the
whole grammar before serving (docs/performance.md, "Templates compiled when used")."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_orchestrators_app_is_built_without_compiling_the_templates() -> None:
    script = textwrap.dedent(
        """
        import argparse
        from agents.hosting import templates
        from orchestrator.server import build
        args = argparse.Namespace(
            host="127.0.0.1", port=9, agent=["http://127.0.0.1:9"],
            vehicle_mcp_url="http://127.0.0.1:9/mcp", perception_mcp_url=None, budget_ms=800.0,
            no_ui=True, insecure=True,
        )
        build(args, {})
        built = len(templates._COMPILED)
        from orchestrator.routing.templates import TemplateSet
        TemplateSet.load(warm=True)
        print(built, len(templates._COMPILED))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    built, warmed = (int(n) for n in done.stdout.split()[-2:])
    assert warmed > 500  # the whole vehicle-control grammar, compiled when asked
    assert built == 0
