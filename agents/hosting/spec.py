"""Typed declaration of an agent's Agent Card, and its conversion to the A2A protobuf `AgentCard`.

An agent declares *what* it is (`AgentSpec`: name, skills, modes); where it is served and whether it
needs a token are known only when the app is built, so `build_agent_card` takes those separately.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentExtension,
    AgentInterface,
    AgentProvider,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)
from a2a.utils.constants import PROTOCOL_VERSION_1_0, TransportProtocol
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from agents.hosting.errors import ConfigurationError
from agents.hosting.messages import INTENTS_EXTENSION

__all__ = [
    "BEARER_SCHEME",
    "JSONRPC_PATH",
    "REST_PATH",
    "AgentSpec",
    "SkillSpec",
    "build_agent_card",
    "normalize_base_url",
]

JSONRPC_PATH = "/"
"""Path of the JSON-RPC endpoint, relative to the agent's base URL."""

REST_PATH = "/rest"
"""Prefix of the HTTP+JSON endpoints (`/rest/message:send`, `/rest/tasks/{id}`, ...)."""

BEARER_SCHEME = "bearer"
"""Name of the security scheme in `securitySchemes` when the agent requires a token."""

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{0,63}$")]
_MediaType = Annotated[str, StringConstraints(pattern=r"^[\w.+-]+/[\w.+*-]+$")]


class SkillSpec(BaseModel):
    """One skill of an agent, as the orchestrator's router sees it in the Agent Card."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: _Identifier
    name: _Text
    description: _Text
    tags: tuple[_Text, ...] = Field(min_length=1)
    examples: tuple[_Text, ...] = ()
    input_modes: tuple[_MediaType, ...] = ()
    output_modes: tuple[_MediaType, ...] = ()


class AgentSpec(BaseModel):
    """What an agent declares about itself; `build_agent_card` turns it into the A2A Agent Card.

    `accepts_files` says whether raw-byte and URL parts reach the handler; when False (the default,
    a text agent) a message carrying one is refused with A2A error -32005 before any task exists.
    `provider` and `provider_url` go together (the card's provider needs both) or not at all.
    `intents_together` says that the agent acts on a data part of several intents said in one turn
    (`agents.hosting.messages.INTENTS`) together; the card declares it as the extension
    `INTENTS_EXTENSION`, and only then does the orchestrator send one.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: _Text
    description: _Text
    version: _Text = "0.1.0"
    skills: tuple[SkillSpec, ...] = Field(min_length=1)
    input_modes: tuple[_MediaType, ...] = ("text/plain", "application/json")
    output_modes: tuple[_MediaType, ...] = ("text/plain", "application/json")
    accepts_files: bool = False
    streaming: bool = True
    provider: _Text | None = None
    provider_url: _Text | None = None
    documentation_url: str | None = None
    intents_together: bool = False

    @field_validator("input_modes", "output_modes")
    @classmethod
    def _modes_not_empty(cls, modes: tuple[str, ...]) -> tuple[str, ...]:
        if not modes:
            raise ValueError("at least one media type is needed")
        return modes

    @model_validator(mode="after")
    def _provider_complete(self) -> AgentSpec:
        if (self.provider is None) != (self.provider_url is None):
            raise ValueError("provider and provider_url must be given together")
        return self

    @model_validator(mode="after")
    def _unique_skill_ids(self) -> AgentSpec:
        seen: set[str] = set()
        for skill in self.skills:
            if skill.id in seen:
                raise ValueError(f"skill id {skill.id!r} is declared twice")
            seen.add(skill.id)
        return self


def normalize_base_url(base_url: str) -> str:
    """Check that `base_url` is `http(s)://host[:port]` with no path, and return it without a final '/'.

    Raises ConfigurationError naming the problem otherwise.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(f"base URL {base_url!r} must start with http:// or https://")
    if not parts.hostname:
        raise ConfigurationError(f"base URL {base_url!r} names no host")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ConfigurationError(f"base URL {base_url!r} has an invalid port") from exc
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(f"base URL {base_url!r} must not carry a path, query or fragment")
    return f"{parts.scheme}://{parts.netloc}"


def build_agent_card(spec: AgentSpec, *, base_url: str, secured: bool) -> AgentCard:
    """The protobuf Agent Card for `spec` served at `base_url`.

    It lists the JSON-RPC and HTTP+JSON interfaces (protocol 1.0) under `base_url`, declares
    streaming as `spec.streaming` says, and, when `secured`, an HTTP bearer security scheme named
    `bearer` plus the requirement to use it on every call.
    """
    root = normalize_base_url(base_url)
    card = AgentCard(
        name=spec.name,
        description=spec.description,
        version=spec.version,
        supported_interfaces=[
            AgentInterface(
                url=root + JSONRPC_PATH.rstrip("/"),
                protocol_binding=TransportProtocol.JSONRPC.value,
                protocol_version=PROTOCOL_VERSION_1_0,
            ),
            AgentInterface(
                url=root + REST_PATH,
                protocol_binding=TransportProtocol.HTTP_JSON.value,
                protocol_version=PROTOCOL_VERSION_1_0,
            ),
        ],
        capabilities=AgentCapabilities(
            streaming=spec.streaming,
            push_notifications=False,
            extensions=[
                AgentExtension(
                    uri=INTENTS_EXTENSION,
                    description="acts together on several intents said in one turn (data part 'intents')",
                )
            ]
            if spec.intents_together
            else [],
        ),
        default_input_modes=list(spec.input_modes),
        default_output_modes=list(spec.output_modes),
        skills=[
            AgentSkill(
                id=skill.id,
                name=skill.name,
                description=skill.description,
                tags=list(skill.tags),
                examples=list(skill.examples),
                input_modes=list(skill.input_modes),
                output_modes=list(skill.output_modes),
            )
            for skill in spec.skills
        ],
    )
    if spec.provider is not None and spec.provider_url is not None:
        card.provider.CopyFrom(AgentProvider(organization=spec.provider, url=spec.provider_url))
    if spec.documentation_url is not None:
        card.documentation_url = spec.documentation_url
    if secured:
        card.security_schemes[BEARER_SCHEME].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="Bearer",
                    description="Send `Authorization: Bearer <token>` on every A2A call.",
                )
            )
        )
        card.security_requirements.append(SecurityRequirement(schemes={BEARER_SCHEME: StringList(list=[])}))
    return card
