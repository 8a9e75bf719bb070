"""The template cache: an index read from disk is the index built from the templates, and the cache
never makes a process fail (a changed grammar, a corrupt file, a folder that cannot be written)."""

from __future__ import annotations

import errno
import json
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hassil import Intents

from agents.hosting import template_cache
from agents.hosting.template_cache import TemplateCache, cache_key, default_directory
from agents.hosting.templates import TemplateIndex
from agents.vehicle_control.parser import SENTENCES, TemplateParser

from .test_hosting_templates import CORPUS, _key

ROOT = Path(__file__).resolve().parents[3]

_GRAMMAR: dict[str, Any] = {
    "language": "en",
    "lists": {
        "side": {"values": ["left", "right", {"in": "driver('s)? side", "out": "left"}]},
        "level": {"range": {"from": 1, "to": 5}},
        "place": {"wildcard": True},
        "person": {"wildcard": True},
    },
    "expansion_rules": {"please": "[please|kindly]", "warm": "(heat|warm) up"},
    "intents": {
        "Heat": {
            "data": [{"sentences": ["<please> <warm> [the] {side} seat", "set {side} heat to {level}"]}]
        },
        "Go": {"data": [{"sentences": ["take me to {place}", "call {person} at {place}"]}]},
    },
}
_TEXTS = ("please heat up the left seat", "set driver's side heat to 3", "take me to the zoo", "hello")


def _grammar(**changes: Any) -> Intents:
    data = json.loads(json.dumps(_GRAMMAR))
    data["intents"].update(changes)
    return Intents.from_dict(data)


def _results(index: TemplateIndex, texts: tuple[str, ...] | list[str]) -> list[Any]:
    return [_key(list(index.recognize_all(text))) for text in texts]


def test_a_miss_writes_the_index_and_a_hit_reads_the_same_index(tmp_path: Path) -> None:
    cache = TemplateCache(tmp_path / "cache")
    built = TemplateIndex(_grammar(), cache=cache)
    assert not built.from_cache
    assert len(list(cache.directory.glob("*.json"))) == 1
    read = TemplateIndex(_grammar(), cache=cache)
    assert read.from_cache
    assert [b.patterns for b in read._blocks] == [b.patterns for b in built._blocks]
    assert [b.clauses for b in read._blocks] == [b.clauses for b in built._blocks]
    assert (read._by_first, read._by_digit, read._always) == (built._by_first, built._by_digit, built._always)
    uncached = TemplateIndex(_grammar(), cache=False)
    assert _results(read, _TEXTS) == _results(built, _TEXTS) == _results(uncached, _TEXTS)
    assert [r.intent.name for r in read.recognize_all("please heat up the left seat")] == ["Heat"]


def test_the_vehicle_grammar_parses_every_sentence_the_same_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(template_cache.ENV_VAR, str(tmp_path / "cache"))
    built = TemplateParser(SENTENCES)
    read = TemplateParser(SENTENCES)
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(template_cache.ENV_VAR, str(tmp_path / "a-file" / "cache"))
    uncached = TemplateParser(SENTENCES)
    assert not built._index.from_cache and read._index.from_cache and not uncached._index.from_cache
    texts = CORPUS[::3]
    for seat in ("driver", "rear_left"):
        parsed = [
            (built.parse(t, seat=seat), read.parse(t, seat=seat), uncached.parse(t, seat=seat)) for t in texts
        ]
        differ = [t for t, (a, b, c) in zip(texts, parsed, strict=True) if not a == b == c]
        assert differ == []
    assert _results(read._index, texts) == _results(uncached._index, texts)


def test_a_changed_grammar_is_a_miss_and_reads_the_new_templates(tmp_path: Path) -> None:
    cache = TemplateCache(tmp_path)
    TemplateIndex(_grammar(), cache=cache)
    changed = _grammar(Heat={"data": [{"sentences": ["<warm> the {side} seat now"]}]})
    index = TemplateIndex(changed, cache=cache)
    assert not index.from_cache
    assert [r.intent.name for r in index.recognize_all("heat up the left seat now")] == ["Heat"]
    assert list(index.recognize_all("please heat up the left seat")) == []
    assert len(list(tmp_path.glob("*.json"))) == 2
    # A list value changed (not a sentence) is a change too.
    data = json.loads(json.dumps(_GRAMMAR))
    data["lists"]["side"]["values"].append("middle")
    assert cache_key(
        Intents.from_dict(data), "en", ROOT / "agents" / "hosting" / "templates.py"
    ) != cache_key(_grammar(), "en", ROOT / "agents" / "hosting" / "templates.py")


def _only_file(folder: Path) -> Path:
    (path,) = folder.glob("*.json")
    return path


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b'{"format": 1}', b"\xff\xfe garbage", b'{"format": 2, "key": "x"}'],
    ids=["empty", "not-json", "missing-keys", "not-utf8", "other-format"],
)
def test_a_corrupt_file_is_ignored_with_a_warning_and_rebuilt(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    cache = TemplateCache(tmp_path)
    built = TemplateIndex(_grammar(), cache=cache)
    path = _only_file(tmp_path)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger=template_cache.__name__):
        index = TemplateIndex(_grammar(), cache=cache)
    assert not index.from_cache
    assert any("ignoring" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
    assert _results(index, _TEXTS) == _results(built, _TEXTS)
    assert TemplateIndex(_grammar(), cache=cache).from_cache  # written again


def test_a_file_that_does_not_fit_the_templates_is_ignored_and_rebuilt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = TemplateCache(tmp_path)
    built = TemplateIndex(_grammar(), cache=cache)
    path = _only_file(tmp_path)
    for damage in ("sizes", "place", "key"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if damage == "sizes":
            data["sizes"][0] += 1
        elif damage == "place":
            data["always"].append([0, 99])
        else:
            data["key"] = "0" * 64
        path.write_text(json.dumps(data), encoding="utf-8")
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=template_cache.__name__):
            index = TemplateIndex(_grammar(), cache=cache)
        assert not index.from_cache, damage
        assert any("ignoring" in r.getMessage() for r in caplog.records), damage
        assert _results(index, _TEXTS) == _results(built, _TEXTS)


def test_a_folder_that_cannot_be_written_turns_the_cache_off(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = TemplateCache(blocker / "cache")
    first = TemplateIndex(_grammar(), cache=cache)
    second = TemplateIndex(_grammar(), cache=cache)
    assert not first.from_cache and not second.from_cache
    assert _results(first, _TEXTS) == _results(TemplateIndex(_grammar(), cache=False), _TEXTS)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_folder_serves_what_it_holds_and_writes_nothing(tmp_path: Path) -> None:
    cache = TemplateCache(tmp_path)
    TemplateIndex(_grammar(), cache=cache)
    tmp_path.chmod(0o500)
    try:
        assert TemplateIndex(_grammar(), cache=cache).from_cache
        changed = TemplateIndex(_grammar(Other={"data": [{"sentences": ["something else"]}]}), cache=cache)
        assert not changed.from_cache
        assert len(list(tmp_path.glob("*.json"))) == 1
    finally:
        tmp_path.chmod(0o700)


def test_the_folder_keeps_the_most_recently_used_files(tmp_path: Path) -> None:
    cache = TemplateCache(tmp_path, keep=2)
    grammars = [_grammar(**{f"Extra{n}": {"data": [{"sentences": [f"extra {n}"]}]}}) for n in range(3)]
    for n, grammar in enumerate(grammars):
        TemplateIndex(grammar, cache=cache)
        os.utime(_newest(tmp_path), (1_000_000 + n, 1_000_000 + n))
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert not TemplateIndex(grammars[0], cache=cache).from_cache
    assert TemplateIndex(grammars[2], cache=cache).from_cache


def _newest(folder: Path) -> Path:
    return max(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)


def test_the_key_is_the_same_in_every_process() -> None:
    # Sets of names (the wildcard lists) are walked in a fixed order, whatever the hash seed.
    script = (
        "import json, sys; from pathlib import Path; from hassil import Intents;"
        "from agents.hosting.template_cache import cache_key;"
        f"print(cache_key(Intents.from_dict(json.loads(sys.argv[1])), 'en', Path({str(ROOT)!r}) / 'agents'"
        " / 'hosting' / 'templates.py'))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", script, json.dumps(_GRAMMAR)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(keys) == 1 and len(keys.pop()) == 64


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (template_cache.ENV_VAR, "CABIN_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home" / ".cache" / "cabin" / "templates"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "xdg" / "cabin" / "templates"
    monkeypatch.setenv("CABIN_HOME", str(tmp_path / "cabin"))
    assert default_directory() == tmp_path / "cabin" / "templates"
    monkeypatch.setenv(template_cache.ENV_VAR, str(tmp_path / "mine"))
    assert default_directory() == tmp_path / "mine"
    assert TemplateCache.from_env().directory == tmp_path / "mine"
    assert not (tmp_path / "mine").exists()  # created on first write
    TemplateIndex(_grammar(), cache=True)
    assert len(list((tmp_path / "mine").glob("*.json"))) == 1


def test_a_read_only_file_system_serves_what_the_folder_holds_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    cache = TemplateCache(tmp_path)
    built = TemplateIndex(_grammar(), cache=cache)

    def read_only(*args: Any, **kwargs: Any) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with caplog.at_level(logging.INFO, logger=template_cache.__name__):
        assert TemplateIndex(_grammar(), cache=cache).from_cache
        changed = TemplateIndex(_grammar(Other={"data": [{"sentences": ["something else"]}]}), cache=cache)
        again = TemplateIndex(_grammar(Other={"data": [{"sentences": ["something else"]}]}), cache=cache)
    assert not changed.from_cache and not again.from_cache
    assert [r.intent.name for r in changed.recognize_all("something else")] == ["Other"]
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert sum("not caching templates" in r.getMessage() for r in caplog.records) == 1
    assert _results(changed, _TEXTS) == _results(built, _TEXTS)
