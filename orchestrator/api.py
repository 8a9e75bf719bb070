"""The front-end HTTP API (CONTRACTS.md §4), the web cockpit, and the orchestrator's own A2A door."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any

from fastapi import Body, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from google.protobuf import json_format
from sse_starlette import EventSourceResponse

from agents.hosting import AgentSpec, CabinExecutor, Reply, SkillSpec, build_agent_app
from agents.hosting.messages import AgentRequest, Outcome

from .dialogue import UnknownSession
from .models import AgentInfo, TurnResult, Utterance
from .turn import Orchestrator
from .vehicle import VehicleAccess, VehicleStateError

ORCHESTRATOR_SPEC = AgentSpec(
    name="cabin",
    description="The car's assistant: one door to the vehicle-control, navigation and perception agents.",
    skills=(
        SkillSpec(
            id="converse",
            name="Talk to the car",
            description="Any request a person in the car would make: climate, seats, windows, doors, "
            "lights, volume, places and routes, what is around the car.",
            tags=("car", "assistant", "routing"),
            examples=("set the temperature to 21", "find me a charger", "what's in my blind spot"),
        ),
    ),
)


class OrchestratorExecutor(CabinExecutor):
    """Serves the orchestrator as an A2A agent: each message is one turn of a session kept per A2A
    context. Only messages whose metadata says a person in the car said them may act on the car."""

    def __init__(self, orchestrator: Orchestrator) -> None:
        super().__init__()
        self.orchestrator = orchestrator
        self._sessions: dict[str, str] = {}

    async def handle(self, request: AgentRequest) -> Outcome:
        if request.origin != "occupant":
            text = "I only act on requests from the people in the car."
            return Reply(text=text, data={"actions": [], "refused": "GR-18"})
        session_id = self._sessions.get(request.context_id)
        try:
            result = await self.orchestrator.handle(request.text, request.seat or "driver", session_id)
        except UnknownSession:
            result = await self.orchestrator.handle(request.text, request.seat or "driver", None)
        self._sessions[request.context_id] = result.session_id
        return Reply(text=result.reply, data=json.loads(result.model_dump_json()))


def create_app(
    orchestrator: Orchestrator,
    vehicle: VehicleAccess,
    *,
    base_url: str = "http://127.0.0.1:8700",
    a2a_token: str | None = None,
    ui: bool = True,
) -> FastAPI:
    app = FastAPI(
        title="cabin orchestrator",
        version="0.1.0",
        description="Front-end API of cabin: send what a person said, get the full account of the turn.",
    )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    @app.post("/v1/utterances", response_model=TurnResult)
    async def utterances(utterance: Utterance) -> TurnResult:
        try:
            return await orchestrator.handle(utterance.text, utterance.seat, utterance.session_id)
        except UnknownSession as exc:
            raise HTTPException(
                404, f"unknown or expired session_id {utterance.session_id!r}; send null to start one"
            ) from exc

    @app.get("/v1/vehicle/state")
    async def vehicle_state(prefix: str = Query("Vehicle", max_length=200)) -> dict[str, Any]:
        try:
            return await vehicle.state(prefix)
        except VehicleStateError as exc:
            raise HTTPException(exc.status, str(exc)) from exc

    @app.put("/v1/vehicle/state")
    async def put_vehicle_state(values: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008
        if not values:
            raise HTTPException(422, "give at least one VSS path and value")
        try:
            applied = await vehicle.inject(values)
        except VehicleStateError as exc:
            raise HTTPException(exc.status, str(exc)) from exc
        for key in applied:
            orchestrator.events.publish("state_change", "-", changes={key: applied[key]}, source="api")
        return {"applied": applied}

    @app.get("/v1/agents", response_model=list[AgentInfo])
    async def agents() -> list[AgentInfo]:
        await orchestrator.directory.refresh()
        return [
            AgentInfo(
                name=e.name or e.url,
                url=e.url,
                healthy=e.healthy,
                breaker=e.breaker.state,
                card=json_format.MessageToDict(e.card) if e.card is not None else None,
                error=e.error,
            )
            for e in orchestrator.directory.entries
        ]

    @app.get("/v1/events")
    async def events() -> EventSourceResponse:
        async def stream() -> AsyncIterator[dict[str, str]]:
            async for event in orchestrator.events.subscribe():
                yield {"event": event["type"], "data": json.dumps(event, default=str)}

        return EventSourceResponse(stream(), ping=15)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        await orchestrator.directory.refresh()
        agents = {e.name or e.url: e.healthy for e in orchestrator.directory.entries}
        vehicle_ok = await vehicle.healthy()
        ok = vehicle_ok and all(agents.values())
        body = {"status": "ok" if ok else "degraded", "vehicle": vehicle_ok, "agents": agents}
        return JSONResponse(body, status_code=200 if ok else 503)

    if ui:
        page = resources.files("orchestrator").joinpath("cockpit.html").read_text(encoding="utf-8")

        @app.get("/", response_class=HTMLResponse, include_in_schema=False)
        async def cockpit() -> str:
            return page

    a2a = build_agent_app(
        ORCHESTRATOR_SPEC, OrchestratorExecutor(orchestrator), base_url=base_url, token=a2a_token
    )
    app.state.a2a = a2a
    app.mount("/", a2a)
    return app
