"""The model host service: one loaded model shared by every process of a running stack.

Run it with ``python -m models.host --port N`` (loopback only by default). Clients use
:class:`models.client.ModelHostClient`, or simply :func:`models.open_runtime` with
``CABIN_MODEL_HOST`` set to the host's URL. With ``CABIN_MODEL_TOKEN`` set, every route except
``/healthz`` requires ``Authorization: Bearer <token>``.

Routes (JSON bodies, see :mod:`models.wire`):

========================  ==========================================================================
``GET /healthz``          ``{"status": "ok", "model": id, "pending": n}``
``GET /v1/info``          :class:`~models.types.ModelInfo`
``POST /v1/complete``     ``CompleteCall`` -> :class:`~models.types.Completion`
``POST /v1/chat``         ``ChatCall`` -> :class:`~models.types.Completion`
``POST /v1/complete/stream``, ``POST /v1/chat/stream``  NDJSON: ``{"text": ...}`` lines, then
                          ``{"completion": {...}}`` or ``{"error": {...}}``
``POST /v1/score``        ``ScoreCall`` -> :class:`~models.types.ScoreResult`
``POST /v1/embed``        ``EmbedCall`` -> ``EmbedResponse``
``POST /v1/prefix``       ``PrefixCall`` -> ``PrefixResponse``
========================  ==========================================================================

Errors are ``{"error": {"code", "message"}}`` with the status of the exception class
(:mod:`models.errors`); a failed request never stops the host.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from models.errors import InvalidRequest, ModelError, RequestCancelled
from models.runtime import ModelRuntime, Runtime
from models.wire import (
    ChatCall,
    CompleteCall,
    EmbedCall,
    ErrorBody,
    ErrorDetail,
    PrefixCall,
    PrefixResponse,
    ScoreCall,
    encode_vectors,
)

__all__ = ["create_app", "main"]

_log = logging.getLogger(__name__)
C = TypeVar("C", bound=BaseModel)
T = TypeVar("T")


def _error(exc: ModelError) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=exc.code, message=exc.message))
    return JSONResponse(body.model_dump(), status_code=exc.status)


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else time.monotonic() + timeout


async def _parse(request: Request, model: type[C]) -> C:
    try:
        raw = await request.body()
        return model.model_validate_json(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:8]
        )
        raise InvalidRequest(f"invalid {model.__name__} body: {problems}") from exc


async def _until_disconnect(request: Request, work: Awaitable[T]) -> T:
    """Run ``work``; cancel it if the client goes away first (its result would go nowhere)."""
    task: asyncio.Task[T] = asyncio.ensure_future(work)

    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                return

    watcher = asyncio.ensure_future(watch())
    try:
        done, _ = await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            return task.result()
        task.cancel()
        raise RequestCancelled("the client disconnected before the request finished")
    finally:
        watcher.cancel()
        if not task.done():
            task.cancel()


def create_app(runtime: Runtime, *, token: str | None = None) -> Starlette:
    """The host's ASGI application around ``runtime``."""
    expected = f"Bearer {token}".encode() if token else None

    def guarded(
        handler: Callable[[Request], Awaitable[Response]], *, public: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if expected is not None and not public:
                given = request.headers.get("authorization", "").encode()
                if not hmac.compare_digest(given, expected):
                    body = ErrorBody(
                        error=ErrorDetail(
                            code="unauthorized", message="missing or wrong bearer token (CABIN_MODEL_TOKEN)"
                        )
                    )
                    return JSONResponse(body.model_dump(), status_code=401)
            try:
                return await handler(request)
            except ModelError as exc:
                return _error(exc)
            except Exception as exc:
                _log.exception("model host failed on %s", request.url.path)
                body = ErrorBody(
                    error=ErrorDetail(code="backend_failure", message=f"{type(exc).__name__}: {exc}")
                )
                return JSONResponse(body.model_dump(), status_code=500)

        return endpoint

    async def healthz(request: Request) -> Response:
        info = await runtime.model_info()
        pending = runtime.pending() if isinstance(runtime, ModelRuntime) else 0
        return JSONResponse({"status": "ok", "model": info.id, "pending": pending})

    async def info(request: Request) -> Response:
        return JSONResponse((await runtime.model_info()).model_dump(mode="json"))

    async def complete(request: Request) -> Response:
        call: CompleteCall | ChatCall = (
            await _parse(request, ChatCall)
            if request.url.path.startswith("/v1/chat")
            else await _parse(request, CompleteCall)
        )
        result = await _until_disconnect(
            request, runtime.complete(call.request, priority=call.priority, deadline=_deadline(call.timeout))
        )
        return JSONResponse(result.model_dump(mode="json"))

    async def stream(request: Request) -> Response:
        call: CompleteCall | ChatCall = (
            await _parse(request, ChatCall)
            if request.url.path.startswith("/v1/chat")
            else await _parse(request, CompleteCall)
        )
        chunks = runtime.stream_request(
            call.request, priority=call.priority, deadline=_deadline(call.timeout)
        )

        async def lines() -> AsyncIterator[bytes]:
            try:
                async for text in chunks:
                    yield (json.dumps({"text": text}) + "\n").encode()
                assert chunks.result is not None
                yield (json.dumps({"completion": chunks.result.model_dump(mode="json")}) + "\n").encode()
            except ModelError as exc:
                body = ErrorBody(error=ErrorDetail(code=exc.code, message=exc.message))
                yield (body.model_dump_json() + "\n").encode()
            finally:
                await chunks.aclose()

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    async def score(request: Request) -> Response:
        call = await _parse(request, ScoreCall)
        result = await _until_disconnect(
            request,
            runtime.score_request(call.request, priority=call.priority, deadline=_deadline(call.timeout)),
        )
        return JSONResponse(result.model_dump(mode="json"))

    async def embed(request: Request) -> Response:
        call = await _parse(request, EmbedCall)
        vectors = await _until_disconnect(
            request,
            runtime.embed_request(call.request, priority=call.priority, deadline=_deadline(call.timeout)),
        )
        model = (await runtime.model_info()).id
        return JSONResponse(encode_vectors(vectors, model).model_dump(mode="json"))

    async def prefix(request: Request) -> Response:
        call = await _parse(request, PrefixCall)
        declared = await runtime.prefix(call.text, priority=call.priority, timeout=call.timeout)
        return JSONResponse(PrefixResponse(text=declared.text, tokens=declared.tokens).model_dump())

    routes = [
        Route("/healthz", guarded(healthz, public=True), methods=["GET"]),
        Route("/v1/info", guarded(info), methods=["GET"]),
        Route("/v1/complete", guarded(complete), methods=["POST"]),
        Route("/v1/chat", guarded(complete), methods=["POST"]),
        Route("/v1/complete/stream", guarded(stream), methods=["POST"]),
        Route("/v1/chat/stream", guarded(stream), methods=["POST"]),
        Route("/v1/score", guarded(score), methods=["POST"]),
        Route("/v1/embed", guarded(embed), methods=["POST"]),
        Route("/v1/prefix", guarded(prefix), methods=["POST"]),
    ]
    return Starlette(routes=routes)


def main(argv: list[str] | None = None) -> int:
    """``python -m models.host``: load the model once and serve it on loopback."""
    import uvicorn

    from models.config import RuntimeConfig

    parser = argparse.ArgumentParser(
        prog="python -m models.host", description="Serve one on-device model over loopback HTTP."
    )
    parser.add_argument("--port", type=int, required=True, help="TCP port to listen on")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--model", default=None, help="model id (default: the registry's default model)")
    parser.add_argument("--config", default=None, help="YAML file with extra models (default: $CABIN_MODELS)")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        config = RuntimeConfig.from_env(
            model=args.model, models_config=args.config, threads=args.threads, host_url=None
        )
        config = config.model_copy(update={"host_url": None})
        runtime = ModelRuntime.open(config)
    except ModelError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    token = os.environ.get("CABIN_MODEL_TOKEN") or None
    app = create_app(runtime, token=token)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            log_level="warning",
            lifespan="off",
            # Longer than clients keep idle connections (httpx: 5 s): no request lands on a closing one.
            timeout_keep_alive=75,
        )
    )
    print(f"model host serving {runtime.info.id} on http://{args.host}:{args.port}", flush=True)
    try:
        server.run()
    finally:
        asyncio.run(runtime.aclose())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
