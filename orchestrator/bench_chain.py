"""The bare loopback chain `cabin bench --url` measures beside the stack: what three process hops cost.

A template-routed turn crosses three server processes (orchestrator, vehicle-control agent, vehicle
MCP server), each an ASGI app under uvicorn that calls the next with an HTTP client. This module is
the same shape with nothing else in it: each hop reads the JSON body, posts it to the next hop with
`httpx` and answers with what came back; the last hop answers a fixed JSON object. The difference
between a stack turn and a chain round trip, measured in the same run with the same pacing, is what
cabin's own code costs; the chain alone is what the machine charges for the hops (process wake-ups,
loopback TCP, the HTTP stacks).

    python -m orchestrator.bench_chain PORT [NEXT_URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence

import httpx
import uvicorn
from starlette.types import Receive, Scope, Send

from mcp_servers.http import KEEP_ALIVE_S

__all__ = ["HOPS", "ChainHop", "open_chain", "server_settings"]

HOPS = 3
"""Server processes a template-routed turn crosses: orchestrator, agent, vehicle MCP server."""

_ANSWER = b'{"result": {"status": "completed", "text": "' + b"x" * 400 + b'"}}'


class ChainHop:
    """One hop: forwards each POST body to `next_url` and relays the answer; the last hop
    (`next_url=None`) answers `_ANSWER`. Anything but `POST` gets 405."""

    def __init__(self, next_url: str | None) -> None:
        self._next_url = next_url
        self._client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        status, answer = 200, _ANSWER
        if scope["method"] != "POST":
            status, answer = 405, b'{"error": "POST only"}'
        elif self._next_url is not None:
            if self._client is None:
                self._client = httpx.AsyncClient(timeout=10.0)
            response = await self._client.post(
                self._next_url, content=bytes(body), headers={"content-type": "application/json"}
            )
            status, answer = response.status_code, response.content
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


def server_settings() -> str:
    """The event loop and HTTP protocol that uvicorn's defaults (`loop="auto"`, `http="auto"`) take in
    this environment, as uvicorn resolves them: uvloop and httptools when they are installed. The
    stack's servers and the chain's hops (`main`) all run with those defaults, so both sides of the
    comparison use the same ("uvloop + HttpToolsProtocol")."""
    from uvicorn.loops.auto import auto_loop_factory
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    loop = auto_loop_factory()
    return f"{loop.__module__.split('.')[0]} + {AutoHTTPProtocol.__name__}"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextlib.asynccontextmanager
async def open_chain(*, startup_timeout_s: float = 30.0) -> AsyncIterator[str]:
    """Start `HOPS` hop processes on free loopback ports and yield the first hop's URL once the
    whole chain answers; stop them all on exit. Raises RuntimeError when a hop does not come up."""
    ports = _free_ports(HOPS)
    urls = [f"http://127.0.0.1:{port}/" for port in ports]
    processes: list[asyncio.subprocess.Process] = []
    try:
        for i, port in enumerate(ports):
            args = [str(port), *(urls[i + 1 : i + 2])]
            processes.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "orchestrator.bench_chain",
                    *args,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                )
            )
        deadline = time.monotonic() + startup_timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                dead = [p for p in processes if p.returncode is not None]
                if dead:
                    error = await dead[0].stderr.read() if dead[0].stderr else b""
                    raise RuntimeError(f"a bench chain hop exited: {error.decode(errors='replace')[-500:]}")
                try:
                    if (await client.post(urls[0], content=b"{}")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the bench chain on ports {ports} did not start")
                await asyncio.sleep(0.2)
        yield urls[0]
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
        for process in processes:
            try:
                await asyncio.wait_for(process.wait(), timeout=5)
            except TimeoutError:
                process.kill()
                await process.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestrator.bench_chain", description=__doc__)
    parser.add_argument("port", type=int)
    parser.add_argument("next_url", nargs="?")
    args = parser.parse_args(argv)
    uvicorn.run(
        ChainHop(args.next_url),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        lifespan="off",  # nothing to start; the HTTP client goes with the process
        timeout_keep_alive=KEEP_ALIVE_S,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
