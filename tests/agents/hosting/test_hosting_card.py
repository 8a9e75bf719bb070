"""The Agent Card: AgentSpec validation, conversion to the 1.0 protobuf card, and what is served."""

from __future__ import annotations

import httpx
import pytest
from a2a.utils.proto_utils import validate_proto_required_fields
from pydantic import ValidationError

from agents.hosting import AgentSpec, ConfigurationError, SkillSpec, build_agent_card

from .hosting_doubles import BASE_URL, ECHO_SPEC


def test_card_carries_every_required_field_of_the_spec() -> None:
    card = build_agent_card(ECHO_SPEC, base_url=BASE_URL, secured=True)

    validate_proto_required_fields(card)  # raises InvalidParamsError naming any missing field
    assert card.name == "echo"
    assert card.version == "1.2.3"
    assert card.capabilities.streaming is True
    assert card.capabilities.push_notifications is False
    assert list(card.default_input_modes) == ["text/plain", "application/json"]


def test_card_lists_jsonrpc_and_http_json_interfaces_under_the_base_url() -> None:
    card = build_agent_card(ECHO_SPEC, base_url="http://127.0.0.1:8711/", secured=False)

    interfaces = [(i.protocol_binding, i.url, i.protocol_version) for i in card.supported_interfaces]
    assert interfaces == [
        ("JSONRPC", "http://127.0.0.1:8711", "1.0"),
        ("HTTP+JSON", "http://127.0.0.1:8711/rest", "1.0"),
    ]


def test_card_skills_keep_id_name_description_tags_and_examples() -> None:
    card = build_agent_card(ECHO_SPEC, base_url=BASE_URL, secured=False)

    skill = card.skills[1]
    assert (skill.id, skill.name, skill.description) == (
        "clarify",
        "Clarify",
        "Asks which side before it answers.",
    )
    assert list(skill.tags) == ["test"]
    assert list(skill.examples) == ["ask me which side"]


def test_secured_card_declares_a_bearer_scheme_and_requires_it() -> None:
    card = build_agent_card(ECHO_SPEC, base_url=BASE_URL, secured=True)

    scheme = card.security_schemes["bearer"]
    assert scheme.WhichOneof("scheme") == "http_auth_security_scheme"
    assert scheme.http_auth_security_scheme.scheme == "Bearer"
    assert len(card.security_requirements) == 1
    requirement = card.security_requirements[0]
    assert list(requirement.schemes) == ["bearer"]
    assert list(requirement.schemes["bearer"].list) == []


def test_insecure_card_declares_no_security() -> None:
    card = build_agent_card(ECHO_SPEC, base_url=BASE_URL, secured=False)

    assert len(card.security_schemes) == 0
    assert len(card.security_requirements) == 0


async def test_served_card_is_public_and_uses_the_1_0_json_names(http: httpx.AsyncClient) -> None:
    response = await http.get("/.well-known/agent-card.json")

    assert response.status_code == 200
    body = response.json()
    assert body["supportedInterfaces"][0] == {
        "url": BASE_URL,
        "protocolBinding": "JSONRPC",
        "protocolVersion": "1.0",
    }
    assert body["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "Bearer"
    assert body["securityRequirements"] == [{"schemes": {"bearer": {}}}]
    assert body["capabilities"]["streaming"] is True
    assert [skill["id"] for skill in body["skills"]] == ["echo", "clarify"]
    assert "ETag" in response.headers


def test_provider_is_set_only_as_a_complete_pair() -> None:
    with_provider = ECHO_SPEC.model_copy(update={"provider": "cabin", "provider_url": "https://example.org"})

    card = build_agent_card(with_provider, base_url=BASE_URL, secured=False)
    bare = build_agent_card(ECHO_SPEC, base_url=BASE_URL, secured=False)

    assert (card.provider.organization, card.provider.url) == ("cabin", "https://example.org")
    assert not bare.HasField("provider")
    with pytest.raises(ValidationError, match="provider and provider_url must be given together"):
        AgentSpec(name="x", description="x", skills=ECHO_SPEC.skills, provider="cabin")


def test_spec_refuses_duplicate_skill_ids() -> None:
    skill = SkillSpec(id="a", name="A", description="a", tags=("t",))

    with pytest.raises(ValidationError, match="skill id 'a' is declared twice"):
        AgentSpec(name="x", description="x", skills=(skill, skill))


def test_spec_needs_a_skill_and_skills_need_a_tag() -> None:
    with pytest.raises(ValidationError, match="skills"):
        AgentSpec(name="x", description="x", skills=())
    with pytest.raises(ValidationError, match="tags"):
        SkillSpec(id="a", name="A", description="a", tags=())


def test_spec_refuses_bad_skill_ids_and_media_types() -> None:
    with pytest.raises(ValidationError, match="id"):
        SkillSpec(id="Bad Id", name="A", description="a", tags=("t",))
    with pytest.raises(ValidationError, match="input_modes"):
        AgentSpec(name="x", description="x", skills=ECHO_SPEC.skills, input_modes=("text",))


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("ftp://host:1", "must start with http"),
        ("http://", "names no host"),
        ("http://host:99999", "invalid port"),
        ("http://host:1/agent", "must not carry a path"),
    ],
)
def test_card_refuses_unusable_base_urls(base_url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        build_agent_card(ECHO_SPEC, base_url=base_url, secured=False)
