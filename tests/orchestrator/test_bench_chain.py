"""The bare loopback chain `cabin bench --url` measures beside the stack: real processes on free ports."""

from __future__ import annotations

import httpx
import pytest

from orchestrator.bench_chain import open_chain

pytestmark = pytest.mark.realprocess


async def test_a_post_crosses_every_hop_and_comes_back() -> None:
    async with open_chain() as url, httpx.AsyncClient(timeout=10) as http:
        response = await http.post(url, json={"text": "set the temperature to 21"})
        assert response.status_code == 200
        assert response.json()["result"]["status"] == "completed"
        assert (await http.get(url)).status_code == 405
    # every hop is stopped on the way out
    async with httpx.AsyncClient(timeout=2) as http:
        with pytest.raises(httpx.ConnectError):
            await http.post(url, json={})
