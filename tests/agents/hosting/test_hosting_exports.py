"""The public surface of `agents.hosting` is deliberate: adding or dropping a name must show up here."""

from __future__ import annotations

import agents.hosting as hosting
from agents.hosting import errors

EXPECTED = {
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
    "DATA_RULE_ID",
    "DATA_STATE_CHANGES",
    "DEFAULT_MAX_BODY_BYTES",
    "INTENTS",
    "INTENTS_EXTENSION",
    "Failure",
    "FileInput",
    "HostingError",
    "InvalidMessageError",
    "MEMORY_URL",
    "METADATA_ORIGIN",
    "METADATA_SEAT",
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
    "token_digest",
    "open_task_store",
    "serve",
}


def test_public_names_are_pinned() -> None:
    assert set(hosting.__all__) == EXPECTED
    assert all(hasattr(hosting, name) for name in hosting.__all__)


def test_every_error_descends_from_the_one_root() -> None:
    classes = [getattr(errors, name) for name in errors.__all__]

    assert all(issubclass(cls, errors.HostingError) for cls in classes)
    assert issubclass(errors.UnknownTaskError, errors.AgentProtocolError)
    assert issubclass(errors.UnsupportedPartError, errors.RequestError)
