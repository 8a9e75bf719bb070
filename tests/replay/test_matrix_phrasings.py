"""The phrasings of a matrix request mean the same thing: the vehicle-control grammar reads each terse
phrasing of ``scenarios/matrix`` ("rear right door, close": the thing first, then only its verb) as the
same calls as the variant's plain phrasing ("close the rear right door"), without the model."""

from __future__ import annotations

from typing import Any, cast

import pytest

from agents.hosting import Seat
from agents.vehicle_control.parser import shared_parser
from mcp_servers.vehicle.catalog import Catalog
from orchestrator.replay.expand import expand_all

from ..conftest import ROOT

MATRIX = ROOT / "scenarios" / "matrix"


def _pairs() -> list[tuple[str, str, str]]:
    """(seat, terse sentence, plain sentence) of every variant with a terse phrasing, each once."""
    said: dict[str, tuple[str, str]] = {}
    for variant in expand_all([MATRIX], Catalog.load()):
        step: dict[str, Any] = variant.document["steps"][0]
        said[variant.path] = (str(step.get("seat", "driver")), str(step["say"]))
    pairs = {
        (seat, say, said[path.replace("-terse.yaml", "-plain.yaml")][1])
        for path, (seat, say) in said.items()
        if path.endswith("-terse.yaml")
    }
    return sorted(pairs)


PAIRS = _pairs()


def test_the_matrix_has_terse_phrasings_of_several_requests() -> None:
    assert len({plain for _seat, _terse, plain in PAIRS}) >= 20


@pytest.mark.parametrize(("seat", "terse", "plain"), PAIRS)
def test_a_terse_phrasing_is_read_as_the_plain_one(seat: str, terse: str, plain: str) -> None:
    parser = shared_parser()
    speaker = cast(Seat, seat)
    short, full = parser.parse(terse, seat=speaker), parser.parse(plain, seat=speaker)
    assert full.actions and not full.unmatched, plain
    assert short.unmatched == (), terse
    assert short.actions == full.actions, terse
