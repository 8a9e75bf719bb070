"""An echo / clarification agent built on the hosting layer, used by the hosting tests.

Its behaviour is chosen by the first word of the text:

- `ask ...`     -> a Question; the answer (next message on the task) completes it with the saved state
- `refuse ...`  -> a Rejection
- `fail ...`    -> a Failure
- `crash ...`   -> `handle` raises
- `wait ...`    -> blocks until cancelled (records that its cleanup ran)
- `sleep ...`   -> sleeps 5 s (for the handler time limit)
- `garbage ...` -> returns something that is not an Outcome
- anything else -> a Reply echoing the text, seat, origin and intent
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

from agents.hosting import (
    AgentRequest,
    AgentSpec,
    CabinExecutor,
    Failure,
    Outcome,
    Question,
    Rejection,
    Reply,
    SkillSpec,
)

TOKEN = "test-token-0123456789abcdef"
OTHER_TOKEN = "operator-token-0123456789abcdef"
BASE_URL = "http://echo.agent"
A2A_HEADERS = {"A2A-Version": "1.0", "Authorization": f"Bearer {TOKEN}"}

ECHO_SPEC = AgentSpec(
    name="echo",
    description="Echoes what it is told and asks back when told to ask.",
    version="1.2.3",
    skills=(
        SkillSpec(
            id="echo",
            name="Echo",
            description="Says back what it heard.",
            tags=("test", "echo"),
            examples=("say hello",),
        ),
        SkillSpec(
            id="clarify",
            name="Clarify",
            description="Asks which side before it answers.",
            tags=("test",),
            examples=("ask me which side",),
        ),
    ),
)


class EchoExecutor(CabinExecutor):
    """The echo / clarification agent (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[AgentRequest] = []
        # threading events: the agent may run in a server thread with its own event loop.
        self.started = threading.Event()
        self.cleaned_up = threading.Event()

    async def handle(self, request: AgentRequest) -> Outcome:
        self.requests.append(request)
        if request.resumed is not None:
            return Reply(
                text=f"Got it: {request.text}.",
                data={"answer": request.text, "saved": request.resumed.state},
            )
        word = request.text.split(" ", 1)[0]
        if word == "ask":
            return Question(text="Which side?", state={"asked": request.text, "turn": 1, "ratio": 0.5})
        if word == "refuse":
            return Rejection(reason="I will not do that.", data={"rule": "test"})
        if word == "fail":
            return Failure(reason="The thing broke.")
        if word == "crash":
            raise RuntimeError("secret internal detail")
        if word == "wait":
            self.started.set()
            try:
                await asyncio.Event().wait()
            finally:
                self.cleaned_up.set()
        if word == "sleep":
            await asyncio.sleep(5)
        if word == "garbage":
            return "not an outcome"  # type: ignore[return-value]
        return Reply(
            text=f"You said: {request.text}",
            data={
                "seat": request.seat,
                "origin": request.origin,
                "from_occupant": request.from_occupant,
                "intent": request.intent.model_dump(mode="json", exclude_none=True)
                if request.intent
                else None,
            },
        )


class QuickEchoExecutor(EchoExecutor):
    """The same agent with a short handler time limit."""

    handler_timeout_s = 0.2


def rpc(method: str, params: dict[str, Any], request_id: int | str = 1) -> dict[str, Any]:
    """A JSON-RPC 2.0 request body."""
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def user_message(text: str, **extra: Any) -> dict[str, Any]:
    """A v1.0 user message in its JSON form."""
    message: dict[str, Any] = {"messageId": f"m-{uuid.uuid4()}", "role": "ROLE_USER"}
    message["parts"] = [{"text": text}]
    message.update(extra)
    return message


class CancelIgnoringExecutor(CabinExecutor):
    """Ignores every cancellation and answers anyway, to show that a late answer is dropped."""

    cancel_grace_s = 0.1

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.answered = threading.Event()

    async def handle(self, request: AgentRequest) -> Outcome:
        self.started.set()
        deadline = asyncio.get_running_loop().time() + 0.4
        while asyncio.get_running_loop().time() < deadline:
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue
        self.answered.set()
        return Reply(text="Too late.")
