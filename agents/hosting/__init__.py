"""Shared A2A hosting layer of cabin's agents.

An agent declares its card (`AgentSpec`), implements one method (`CabinExecutor.handle`), and gets
an A2A v1.0 app (`build_agent_app`): Agent Card, JSON-RPC and HTTP+JSON bindings, streaming,
bearer-token enforcement, body-size cap, in-memory or SQLite task store. `AgentClient` is the
matching client; `serve` and `BackgroundServer` run an app under uvicorn.
"""

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

__all__ = [
    "DATA_RULE_ID",
    "DATA_STATE_CHANGES",
    "DEFAULT_MAX_BODY_BYTES",
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
