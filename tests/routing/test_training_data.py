"""Checks on the router's training and probe data in ``orchestrator/routing/data``."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "orchestrator" / "routing" / "data"
TRAIN_PATH = DATA_DIR / "train.jsonl"
PROBE_PATH = DATA_DIR / "probe.jsonl"
SLURP_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "slurp-devel.jsonl"

LABELS = frozenset(
    {
        "vehicle-control/climate",
        "vehicle-control/seats",
        "vehicle-control/windows",
        "vehicle-control/doors",
        "vehicle-control/lights",
        "vehicle-control/media",
        "navigation/poi",
        "navigation/route",
        "perception/surroundings",
        "perception/signs",
        "perception/driver",
        "none",
    }
)
STYLES = frozenset({"terse", "polite", "indirect", "filler", "question", "command", "misc"})
KEYS = frozenset({"text", "label", "style"})

MIN_TRAIN_TOTAL = 3500
MIN_PER_SKILL_LABEL = 180
MIN_NONE = 1000
MIN_PROBE_TOTAL = 150
MIN_PROBE_PER_LABEL = 5
# Token-set Jaccard similarity at or above which a probe line counts as a near-copy of a training line.
NEAR_DUPLICATE_JACCARD = 0.75


class Row(NamedTuple):
    line_no: int
    text: str
    label: str
    style: str | None


def normalise(text: str) -> str:
    """Case-, whitespace- and punctuation-insensitive key used for duplicate and overlap checks."""
    lowered = text.casefold().replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^\w]+", " ", lowered).split())


def load_rows(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, raw in enumerate(handle, start=1):
            assert raw.strip(), f"{path.name}:{line_no}: blank line"
            obj = json.loads(raw)
            assert isinstance(obj, dict), f"{path.name}:{line_no}: not a JSON object"
            keys = set(obj)
            assert {"text", "label"} <= keys <= KEYS, f"{path.name}:{line_no}: keys {sorted(keys)}"
            text = obj["text"]
            label = obj["label"]
            style = obj.get("style")
            assert isinstance(text, str), f"{path.name}:{line_no}: text is not a string"
            assert isinstance(label, str), f"{path.name}:{line_no}: label is not a string"
            assert style is None or isinstance(style, str), f"{path.name}:{line_no}: style is not a string"
            rows.append(Row(line_no, text, label, style))
    return rows


@pytest.fixture(scope="module")
def train() -> list[Row]:
    return load_rows(TRAIN_PATH)


@pytest.fixture(scope="module")
def probe() -> list[Row]:
    return load_rows(PROBE_PATH)


@pytest.mark.parametrize("path", [TRAIN_PATH, PROBE_PATH], ids=["train", "probe"])
def test_file_parses_with_clean_text(path: Path) -> None:
    rows = load_rows(path)
    assert rows, f"{path.name} is empty"
    for row in rows:
        where = f"{path.name}:{row.line_no}"
        assert row.text == row.text.strip(), f"{where}: leading or trailing whitespace"
        assert "\n" not in row.text, f"{where}: text spans lines"
        assert re.search(r"[A-Za-z]", row.text), f"{where}: no letters in {row.text!r}"
        assert row.style is None or row.style in STYLES, f"{where}: unknown style {row.style!r}"


@pytest.mark.parametrize("which", ["train", "probe"])
def test_labels_are_the_known_set(which: str, request: pytest.FixtureRequest) -> None:
    rows: list[Row] = request.getfixturevalue(which)
    unknown = {row.label for row in rows} - LABELS
    assert not unknown, f"unknown labels in {which}: {sorted(unknown)}"


def test_train_counts_meet_minimums(train: list[Row]) -> None:
    counts = Counter(row.label for row in train)
    assert len(train) >= MIN_TRAIN_TOTAL
    assert counts["none"] >= MIN_NONE, f"none has {counts['none']} lines"
    short = {label: counts[label] for label in LABELS - {"none"} if counts[label] < MIN_PER_SKILL_LABEL}
    assert not short, f"labels under {MIN_PER_SKILL_LABEL} lines: {short}"


def test_probe_size_and_spread(probe: list[Row]) -> None:
    counts = Counter(row.label for row in probe)
    assert len(probe) >= MIN_PROBE_TOTAL
    thin = {label: counts[label] for label in LABELS if counts[label] < MIN_PROBE_PER_LABEL}
    assert not thin, f"probe labels under {MIN_PROBE_PER_LABEL} lines: {thin}"


@pytest.mark.parametrize("which", ["train", "probe"])
def test_no_duplicates(which: str, request: pytest.FixtureRequest) -> None:
    rows: list[Row] = request.getfixturevalue(which)
    first_seen: dict[str, Row] = {}
    duplicates: list[str] = []
    for row in rows:
        key = normalise(row.text)
        if key in first_seen:
            earlier = first_seen[key]
            duplicates.append(f"line {row.line_no} {row.text!r} repeats line {earlier.line_no}")
        else:
            first_seen[key] = row
    assert not duplicates, "\n".join(duplicates[:20])


def test_probe_does_not_overlap_train(train: list[Row], probe: list[Row]) -> None:
    train_keys = {normalise(row.text) for row in train}
    overlap = [row.text for row in probe if normalise(row.text) in train_keys]
    assert not overlap, f"probe lines also in train: {overlap}"


def test_probe_has_no_near_copies_of_train(train: list[Row], probe: list[Row]) -> None:
    train_tokens = [frozenset(normalise(row.text).split()) for row in train]
    near: list[str] = []
    for row in probe:
        tokens = frozenset(normalise(row.text).split())
        for other in train_tokens:
            if len(tokens & other) / len(tokens | other) >= NEAR_DUPLICATE_JACCARD:
                near.append(f"{row.text!r} ~ {' '.join(sorted(other))!r}")
                break
    assert not near, "\n".join(near)


def test_no_slurp_sentence_is_in_the_data(train: list[Row], probe: list[Row]) -> None:
    if not SLURP_PATH.is_file():
        pytest.skip(f"evaluation set not present at {SLURP_PATH}; cannot check for copied sentences")
    slurp_keys: set[str] = set()
    with SLURP_PATH.open(encoding="utf-8") as handle:
        for raw in handle:
            if raw.strip():
                obj = json.loads(raw)
                assert isinstance(obj, dict)
                text = obj["text"]
                assert isinstance(text, str)
                slurp_keys.add(normalise(text))
    copied = [f"{row.label}: {row.text!r}" for row in (*train, *probe) if normalise(row.text) in slurp_keys]
    assert not copied, "sentences found in slurp-devel.jsonl:\n" + "\n".join(copied)
