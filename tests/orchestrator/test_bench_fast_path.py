"""`cabin bench --url`: the template-routed turn and the bare chain are timed in the same loop."""

from __future__ import annotations

import os

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


def test_cpu_time_is_read_for_a_live_process_and_none_for_a_gone_one() -> None:
    used = bench.cpu_ms(os.getpid())
    assert used is not None and used > 0
    assert bench.cpu_ms(2**22 + 12345) is None  # above the kernel's largest pid


@pytest.mark.realprocess
async def test_the_report_gives_cpu_per_turn_of_the_stack_and_of_each_chain_hop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bench, "_PACED_TURNS", 4)
    monkeypatch.setattr(bench, "_PACED_WARMUP", 1)
    monkeypatch.setattr(bench, "_BURSTS", 1)
    monkeypatch.setattr(bench, "_BURST", 3)
    monkeypatch.setattr(bench, "_BURST_REST_S", 0.0)

    async def turn(_: int) -> float:
        return 1.0

    # this test process stands in for the stack
    report = await bench.bench_fast_path(turn, {"test": os.getpid()})
    cpu = report["fast_path_cpu_ms_per_turn"]
    assert set(cpu["stack"]) == {"test"} and cpu["stack"]["test"] >= 0
    assert sorted(cpu["chain"]) == [f"hop {n}" for n in range(1, bench_chain.HOPS + 1)]
    assert cpu["chain_total"] == pytest.approx(sum(cpu["chain"].values()), abs=0.02)


@pytest.mark.realprocess
async def test_the_stack_processes_are_found_by_the_ports_they_listen_on() -> None:
    async with bench_chain.open_chain() as url:
        found = bench.stack_processes(url, url)
        # one process listening on both URLs is named once, with both names; it names no vehicle
        # MCP server on its command line (--vehicle-mcp-url), so none is found
        assert list(found) == ["orchestrator + vehicle-control"]
        assert bench.cpu_ms(found["orchestrator + vehicle-control"]) is not None


def test_no_stack_process_is_looked_for_behind_a_url_of_another_machine() -> None:
    assert bench.stack_processes("http://192.0.2.1:8700", "http://192.0.2.1:8711") == {}
