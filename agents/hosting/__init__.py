"""Shared A2A hosting layer of cabin's agents.

An agent declares its card (`AgentSpec`), implements one method (`CabinExecutor.handle`), and gets
an A2A v1.0 app (`build_agent_app`): Agent Card, JSON-RPC and HTTP+JSON bindings, streaming,
bearer-token enforcement, body-size cap, in-memory or SQLite task store. `AgentClient` is the
matching client; `serve` and `BackgroundServer` run an app under uvicorn.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.hosting.app import AgentApplication, build_agent_app
    from agents.hosting.auth import new_token, token_digest
    from agents.hosting.client import AgentClient, AgentResult, TaskStateName
    from agents.hosting.errors import (
        AgentAuthError,
        AgentCallError,
        AgentProtocolError,
        AgentUnreachableError,
        ConfigurationError,
        HostingError,
        InvalidMessageError,
        RequestError,
        TaskNotCancelableError,
        UnknownTaskError,
        UnsupportedPartError,
    )
    from agents.hosting.executor import CabinExecutor
    from agents.hosting.guards import DEFAULT_MAX_BODY_BYTES
    from agents.hosting.messages import (
        DATA_RULE_ID,
        DATA_STATE_CHANGES,
        INTENTS,
        INTENTS_EXTENSION,
        METADATA_ORIGIN,
        METADATA_SEAT,
        AgentRequest,
        Failure,
        FileInput,
        Origin,
        Outcome,
        ParsedIntent,
        PendingQuestion,
        Question,
        Rejection,
        Reply,
        Seat,
        camel_data,
    )
    from agents.hosting.server import BackgroundServer, base_url_for, serve
    from agents.hosting.spec import AgentSpec, SkillSpec, build_agent_card
    from agents.hosting.store import MEMORY_URL, open_task_store

# Loaded on first use (PEP 562), so importing one light submodule does not import them all.
_EXPORTS: dict[str, str] = {
    "AgentApplication": "agents.hosting.app",
    "build_agent_app": "agents.hosting.app",
    "new_token": "agents.hosting.auth",
    "token_digest": "agents.hosting.auth",
    "AgentClient": "agents.hosting.client",
    "AgentResult": "agents.hosting.client",
    "TaskStateName": "agents.hosting.client",
    "AgentAuthError": "agents.hosting.errors",
    "AgentCallError": "agents.hosting.errors",
    "AgentProtocolError": "agents.hosting.errors",
    "AgentUnreachableError": "agents.hosting.errors",
    "ConfigurationError": "agents.hosting.errors",
    "HostingError": "agents.hosting.errors",
    "InvalidMessageError": "agents.hosting.errors",
    "RequestError": "agents.hosting.errors",
    "TaskNotCancelableError": "agents.hosting.errors",
    "UnknownTaskError": "agents.hosting.errors",
    "UnsupportedPartError": "agents.hosting.errors",
    "CabinExecutor": "agents.hosting.executor",
    "DEFAULT_MAX_BODY_BYTES": "agents.hosting.guards",
    "DATA_RULE_ID": "agents.hosting.messages",
    "DATA_STATE_CHANGES": "agents.hosting.messages",
    "INTENTS": "agents.hosting.messages",
    "INTENTS_EXTENSION": "agents.hosting.messages",
    "METADATA_ORIGIN": "agents.hosting.messages",
    "METADATA_SEAT": "agents.hosting.messages",
    "AgentRequest": "agents.hosting.messages",
    "Failure": "agents.hosting.messages",
    "FileInput": "agents.hosting.messages",
    "Origin": "agents.hosting.messages",
    "Outcome": "agents.hosting.messages",
    "ParsedIntent": "agents.hosting.messages",
    "PendingQuestion": "agents.hosting.messages",
    "Question": "agents.hosting.messages",
    "Rejection": "agents.hosting.messages",
    "Reply": "agents.hosting.messages",
    "Seat": "agents.hosting.messages",
    "camel_data": "agents.hosting.messages",
    "BackgroundServer": "agents.hosting.server",
    "base_url_for": "agents.hosting.server",
    "serve": "agents.hosting.server",
    "AgentSpec": "agents.hosting.spec",
    "SkillSpec": "agents.hosting.spec",
    "build_agent_card": "agents.hosting.spec",
    "MEMORY_URL": "agents.hosting.store",
    "open_task_store": "agents.hosting.store",
}

__all__ = [
    "DATA_RULE_ID",
    "DATA_STATE_CHANGES",
    "DEFAULT_MAX_BODY_BYTES",
    "INTENTS",
    "INTENTS_EXTENSION",
    "MEMORY_URL",
    "METADATA_ORIGIN",
    "METADATA_SEAT",
    "AgentApplication",
    "AgentAuthError",
    "AgentCallError",
    "AgentClient",
    "AgentProtocolError",
    "AgentRequest",
    "AgentResult",
    "AgentSpec",
    "AgentUnreachableError",
    "BackgroundServer",
    "CabinExecutor",
    "ConfigurationError",
    "Failure",
    "FileInput",
    "HostingError",
    "InvalidMessageError",
    "Origin",
    "Outcome",
    "ParsedIntent",
    "PendingQuestion",
    "Question",
    "Rejection",
    "Reply",
    "RequestError",
    "Seat",
    "SkillSpec",
    "TaskNotCancelableError",
    "TaskStateName",
    "UnknownTaskError",
    "UnsupportedPartError",
    "base_url_for",
    "build_agent_app",
    "build_agent_card",
    "camel_data",
    "new_token",
    "open_task_store",
    "serve",
    "token_digest",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
