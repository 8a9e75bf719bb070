"""`cabin bench --url`: the template-routed turn and the bare chain are timed in the same loop."""

from __future__ import annotations

import pytest

from orchestrator import bench, bench_chain


def _recording(name: str, order: list[tuple[str, int]]) -> bench.Turn:
    async def turn(i: int) -> float:
        order.append((name, i))
        return float(len(order))

    return turn


async def test_paced_turns_of_the_stack_and_the_chain_alternate() -> None:
    order: list[tuple[str, int]] = []
    stack, chain = await bench._paced(
        [_recording("stack", order), _recording("chain", order)], n=3, warmup=1, gap_s=0.0
    )
    assert order == [(name, i) for i in range(4) for name in ("stack", "chain")]
    # the warm-up round is not counted; each series holds its own turns' figures
    assert stack == [3.0, 5.0, 7.0] and chain == [4.0, 6.0, 8.0]


async def test_bursts_of_the_stack_and_the_chain_alternate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "_BURSTS", 2)
    monkeypatch.setattr(bench, "_BURST", 3)
    monkeypatch.setattr(bench, "_BURST_REST_S", 0.0)
    order: list[tuple[str, int]] = []
    stack, chain = await bench._back_to_back([_recording("stack", order), _recording("chain", order)])
    assert [name for name, _ in order] == ["stack"] * 3 + ["chain"] * 3 + ["stack"] * 3 + ["chain"] * 3
    # the first turn of each burst (after the rest) is not counted
    assert len(stack) == len(chain) == 4
    assert stack == [2.0, 3.0, 8.0, 9.0] and chain == [5.0, 6.0, 11.0, 12.0]


def test_the_report_names_the_servers_uvicorn_runs_on_both_sides() -> None:
    # uvicorn's "auto" takes uvloop and httptools when they are installed (they are, with cabin)
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert bench_chain.server_settings() == f"uvloop + {HttpToolsProtocol.__name__}"
