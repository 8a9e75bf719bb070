"""Compiled template expressions kept between processes: an expression read back matches exactly what
`re.compile` of it matches, and a file that cannot be used is compiled again, never trusted."""

from __future__ import annotations

import json
import os
import re
import zlib
from pathlib import Path

import pytest

from agents.hosting import Seat, template_cache, templates
from agents.hosting.template_cache import TemplateCache
from agents.hosting.templates import CompiledExpressions, TemplateIndex
from agents.vehicle_control.parser import SENTENCES, TemplateParser

from .test_hosting_template_cache import _TEXTS, _grammar, _results
from .test_hosting_templates import CORPUS

_PATTERNS = (
    r"[\W_]*(?:set|turn)[\W_]*+(?:the[\W_]*+)?(?:heat|temperature)[\W_]*+to[\W_]*+(?:0*1[0-9]|0*2[0-9])[\W_]*",
    r"(?P<verb>open|close)\s+(?:the\s+)?(?P<what>window|sunroof)(?:\s+(?P=what))?",
    r"(?:(?:one|two|three)[\W_]*+)*(?:one|two|three)",
)
_SAMPLES = (
    "set the temperature to 21",
    "Turn heat to 019",
    "set the heat to 31",
    "open the window",
    "CLOSE sunroof sunroof",
    "one two three",
    "two, three-one",
    "",
)

needs_engine = pytest.mark.skipif(templates._SRE is None, reason="no CPython regular-expression engine")


def _same(kept: re.Pattern[str], pattern: str) -> None:
    fresh = re.compile(pattern, re.IGNORECASE)
    assert (kept.pattern, kept.flags, kept.groups, kept.groupindex) == (
        fresh.pattern,
        fresh.flags,
        fresh.groups,
        fresh.groupindex,
    )
    for text in _SAMPLES:
        for match, expected in (
            (kept.fullmatch(text), fresh.fullmatch(text)),
            (kept.search(text), fresh.search(text)),
        ):
            assert (match and (match.span(), match.groups())) == (
                expected and (expected.span(), expected.groups())
            )


@needs_engine
def test_an_expression_read_back_matches_as_compiled(tmp_path: Path) -> None:
    writer = CompiledExpressions(tmp_path)
    for pattern in _PATTERNS:
        assert writer.load(pattern) is None
        _same(writer.compile(pattern), pattern)
    reader = CompiledExpressions(tmp_path)  # another process's view of the same folder
    for pattern in _PATTERNS:
        kept = reader.load(pattern)
        assert kept is not None
        _same(kept, pattern)


@needs_engine
def test_the_vehicle_control_expressions_read_back_parse_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every third corpus sentence, from two seats: a parser whose expressions were compiled in this
    process and one whose expressions were all read back parse the same."""
    monkeypatch.setenv(template_cache.ENV_VAR, str(tmp_path))
    texts = CORPUS[::3]
    seats: tuple[Seat, ...] = ("driver", "rear_left")
    monkeypatch.setattr(templates, "_COMPILED", {})
    first = TemplateParser(SENTENCES)
    compiled = [[first.parse(text, seat=seat) for seat in seats] for text in texts]
    written = list((tmp_path / CompiledExpressions.FOLDER).iterdir())
    assert written
    monkeypatch.setattr(templates, "_COMPILED", {})
    loads: list[str] = []
    original = CompiledExpressions.load

    def counted(self: CompiledExpressions, pattern: str) -> re.Pattern[str] | None:
        kept = original(self, pattern)
        if kept is not None:
            loads.append(pattern)
        return kept

    monkeypatch.setattr(CompiledExpressions, "load", counted)
    second = TemplateParser(SENTENCES)
    read_back = [[second.parse(text, seat=seat) for seat in seats] for text in texts]
    assert read_back == compiled
    assert len(loads) == len(written)


@needs_engine
def test_an_index_reads_its_expressions_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = TemplateCache(tmp_path)
    monkeypatch.setattr(templates, "_COMPILED", {})
    expected = _results(TemplateIndex(_grammar(), cache=False), _TEXTS)
    monkeypatch.setattr(templates, "_COMPILED", {})
    assert _results(TemplateIndex(_grammar(), cache=cache), _TEXTS) == expected
    assert list((tmp_path / CompiledExpressions.FOLDER).iterdir())
    monkeypatch.setattr(templates, "_COMPILED", {})
    monkeypatch.setattr(CompiledExpressions, "compile", _no_compile)
    assert _results(TemplateIndex(_grammar(), cache=cache), _TEXTS) == expected


def _no_compile(*args: object, **kwargs: object) -> re.Pattern[str]:
    raise AssertionError("an expression kept on disk was compiled again")


def _rewrite(path: Path, change: dict[str, object]) -> None:
    kept = json.loads(zlib.decompress(path.read_bytes()))
    kept.update(change)
    path.write_bytes(zlib.compress(json.dumps(kept).encode()))


@needs_engine
@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"not compressed"), id="not-zlib"),
        pytest.param(lambda path: path.write_bytes(zlib.compress(b"{")), id="not-json"),
        pytest.param(lambda path: _rewrite(path, {"code": [999999, 1, 2, 3]}), id="code-refused"),
        pytest.param(lambda path: _rewrite(path, {"code": "abc"}), id="code-not-numbers"),
        pytest.param(lambda path: _rewrite(path, {"pattern": "another"}), id="another-expression"),
        pytest.param(lambda path: _rewrite(path, {"flags": 0}), id="case-sensitive"),
        pytest.param(lambda path: _rewrite(path, {"groups": None}), id="groups-missing"),
    ],
)
def test_a_file_that_cannot_be_used_is_compiled_again(tmp_path: Path, damage: object) -> None:
    pattern = _PATTERNS[1]
    store = CompiledExpressions(tmp_path)
    store.compile(pattern)
    path = store.path_for(pattern)
    damage(path)  # type: ignore[operator]
    assert store.load(pattern) is None
    assert not path.exists()
    _same(store.compile(pattern), pattern)
    kept = CompiledExpressions(tmp_path).load(pattern)
    assert kept is not None
    _same(kept, pattern)


def test_a_folder_that_cannot_be_written_compiles_without_keeping(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    store = CompiledExpressions(blocked / "expressions")
    for pattern in _PATTERNS:
        _same(store.compile(pattern), pattern)
        assert store.load(pattern) is None


def test_an_expression_re_cannot_compile_raises_as_re_does(tmp_path: Path) -> None:
    store = CompiledExpressions(tmp_path)
    with pytest.raises(re.error):
        store.compile("(unclosed")
    assert not list(tmp_path.iterdir())


@needs_engine
def test_the_least_recently_used_files_go_first(tmp_path: Path) -> None:
    old = CompiledExpressions(tmp_path)
    for number in range(6):
        old.compile(f"old{number}")
        os.utime(old.path_for(f"old{number}"), (1_000_000 + number, 1_000_000 + number))
    newest = CompiledExpressions(tmp_path, keep=3)
    newest.compile("new")
    left = {path.name for path in tmp_path.iterdir()}
    assert len(left) == 3
    assert newest.path_for("new").name in left
    assert old.path_for("old5").name in left
