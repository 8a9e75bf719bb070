"""The package's public surface and its command line (in process)."""

from __future__ import annotations

import pytest

import mcp_servers.perception as perception
from mcp_servers.perception.cli import main, parser

EXPORTED = [
    "DEFAULT_PORT",
    "DEFAULT_THRESHOLDS",
    "SERVER_NAME",
    "CameraImage",
    "Clock",
    "ConfigError",
    "DescriberError",
    "FrameDescriber",
    "FrameDescription",
    "FrameError",
    "FrameResult",
    "ImageError",
    "ImageInfo",
    "InjectedSource",
    "LimitInForce",
    "NoFrameError",
    "NoImageError",
    "ObjectReport",
    "ObjectsResult",
    "OcrError",
    "OcrFrameDescriber",
    "OcrLine",
    "OcrReading",
    "OcrSettings",
    "PerceivedObject",
    "PerceptionError",
    "PerceptionFrame",
    "PerceptionSource",
    "PushResult",
    "RapidOcrReader",
    "RecognisedSign",
    "RegionThresholds",
    "RememberedSign",
    "SignMemory",
    "SignMemoryView",
    "SignTextResult",
    "SignsResult",
    "SimulatedSource",
    "TextReader",
    "analyse",
    "build_server",
    "http_app",
    "shared_reader",
]


def test_public_surface_is_pinned() -> None:
    assert perception.__all__ == EXPORTED
    for name in EXPORTED:
        assert getattr(perception, name) is not None


def test_every_error_is_a_perception_error() -> None:
    for error in (
        perception.FrameError,
        perception.NoFrameError,
        perception.ImageError,
        perception.NoImageError,
        perception.OcrError,
        perception.DescriberError,
        perception.ConfigError,
    ):
        assert issubclass(error, perception.PerceptionError)
    assert issubclass(perception.FrameError, ValueError)
    assert issubclass(perception.NoImageError, perception.ImageError)


def test_defaults_of_the_command_line() -> None:
    args = parser().parse_args([])
    assert (args.transport, args.host, args.port, args.inject, args.token) == (
        "stdio",
        "127.0.0.1",
        8703,
        False,
        None,
    )


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--transport", "carrier-pigeon"], "carrier-pigeon"),
        (["--port", "70000"], "0..65535"),
        (["--port", "eighty"], "port must be a number"),
        (["--seed", "x"], "--seed"),
    ],
)
def test_bad_arguments_exit_2_naming_the_option(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert needle in capsys.readouterr().err


def test_bad_settings_exit_2_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--transport", "http", "--token", "two words", "--port", "0"]) == 2
    assert "bearer token" in capsys.readouterr().err
    assert main(["--ego-speed", "900"]) == 2
    assert "ego_speed_kmh" in capsys.readouterr().err
