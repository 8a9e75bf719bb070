"""The package's public surface, its error tree and its command line (in process)."""

from __future__ import annotations

import pytest

import agents.perception as package
from agents.perception import (
    FeedError,
    FeedToolError,
    FeedUnreachableError,
    PerceptionAgentError,
    SettingsError,
    mcp_endpoint,
)
from agents.perception.cli import main

EXPORTED = [
    "AGENT_NAME",
    "DEFAULT_PORT",
    "DRIVER_SIGNALS",
    "HEALTH_PATH",
    "PERCEPTION_SPEC",
    "PHRASED_KINDS",
    "SKILL_OF_KIND",
    "Answer",
    "Ask",
    "AskKind",
    "DriverAssessment",
    "DriverState",
    "FactReader",
    "Facts",
    "FeedError",
    "FeedToolError",
    "FeedUnreachableError",
    "Gap",
    "IntentError",
    "McpTarget",
    "ModelPhraser",
    "ObjectsView",
    "PerceptionAgentError",
    "PerceptionApplication",
    "PerceptionExecutor",
    "Phrasing",
    "Policy",
    "SeenObject",
    "SeenSign",
    "SettingsError",
    "SignReading",
    "SignsView",
    "SummarySettings",
    "ask_from_intent",
    "assess_driver",
    "build_perception_app",
    "compose",
    "grounding_problems",
    "mcp_endpoint",
    "parse_question",
    "policy_of",
]


def test_the_public_surface_is_pinned() -> None:
    assert package.__all__ == EXPORTED
    assert all(hasattr(package, name) for name in EXPORTED)


def test_one_error_tree() -> None:
    assert issubclass(SettingsError, PerceptionAgentError) and issubclass(SettingsError, ValueError)
    assert issubclass(FeedUnreachableError, FeedError) and issubclass(FeedToolError, FeedError)
    assert issubclass(FeedError, PerceptionAgentError)
    assert FeedUnreachableError("x").reason == "unreachable"
    assert FeedToolError("x", reason="no_frame").reason == "no_frame"


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("http://127.0.0.1:8703", "http://127.0.0.1:8703/mcp"),
        ("http://127.0.0.1:8703/", "http://127.0.0.1:8703/mcp"),
        ("https://car.local/perception/mcp", "https://car.local/perception/mcp"),
    ],
)
def test_mcp_urls_get_the_conventional_path(url: str, endpoint: str) -> None:
    assert mcp_endpoint(url) == endpoint


@pytest.mark.parametrize("url", ["127.0.0.1:8703", "ftp://host/mcp", "http:///mcp"])
def test_unusable_mcp_urls_are_refused(url: str) -> None:
    with pytest.raises(SettingsError, match="must be http"):
        mcp_endpoint(url)


URLS = ["--vehicle-mcp-url", "http://127.0.0.1:8701/mcp", "--perception-mcp-url", "http://127.0.0.1:8703/mcp"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "CABIN_AGENT_TOKEN"),
        (["--insecure", "--token", "x" * 20], "--insecure takes no --token"),
        (["--port", "70000"], "port must be within"),
        (["--token", "short"], "at least 16 characters"),
        (["--insecure", "--task-store", "redis://x"], "task store"),
    ],
)
def test_the_command_line_refuses_bad_configuration(
    argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("CABIN_AGENT_TOKEN", "CABIN_OPERATOR_TOKEN", "CABIN_MCP_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    try:
        code = main([*URLS, *argv])
    except SystemExit as exit_:
        code = int(exit_.code or 0)

    assert code == 2
    assert message in capsys.readouterr().err


def test_a_bad_mcp_url_on_the_command_line_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--insecure", "--vehicle-mcp-url", "nowhere", "--perception-mcp-url", "http://127.0.0.1:1"])

    assert code == 2
    assert "'nowhere' must be http" in capsys.readouterr().err
