"""Vehicle task tools as declarations: one place says what a tool is, everything else is derived.

A :class:`ToolDeclaration` names a task tool, describes it, gives its arguments as a pydantic model,
the VSS signals it may write (glob patterns), the guardrail rules that guard those writes, its zone
argument, the agent skill it belongs to and example sentences a person would say. From it come:

- the MCP tool of the vehicle server (:mod:`.server`): its input schema is the argument model plus
  ``confirm_token`` with ``additionalProperties: false``; its body resolves the zone, asks the
  declaration's ``build`` for a :class:`~.tools.WriteSpec` and sends that through the one guarded
  write every tool uses (guardrails, confirmation, audit);
- the tool's scope: a call writes only what the declaration says it writes (anything else is
  refused under GR-16, like a client writing outside its scope);
- ``cabin tools``' "guarded by" column (:func:`guarded_by`);
- the vehicle-control agent's catalog (``agents/vehicle_control/actions.py``) and the skill examples
  of its Agent Card (``agents/vehicle_control/card.py``);
- the labelled sentences that ``cabin router fit`` and the model-tuning data take in addition to their
  files (:func:`examples`).

The core tools are declared in :mod:`.tools`; third-party packages add theirs through the entry-point
group ``cabin.tools`` (:mod:`.plugins`). :func:`check_declaration` is the one validation both pass.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .catalog import Catalog
from .errors import VehicleError
from .guardrails.rules import ENGINE_RULES, Rule, default_rules
from .tools import WriteSpec

__all__ = [
    "RESERVED_ARGUMENTS",
    "SKILLS",
    "UNIVERSAL_RULES",
    "DeclarationError",
    "LabelledSentence",
    "ToolDeclaration",
    "check_declaration",
    "covering_rules",
    "declarations",
    "examples",
    "guarded_by",
    "written_paths",
]

ToolKind = Literal["set", "relative", "destructive"]

SKILLS: tuple[str, ...] = ("climate", "seats", "windows", "doors", "lights", "media")
"""The vehicle-control agent's skills (its Agent Card); a tool for that agent belongs to one of them."""

RESERVED_ARGUMENTS = frozenset({"confirm_token", "ctx"})
"""Argument names the server adds or uses itself: a declaration may not take them."""

_NAME = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
_PATTERN = re.compile(r"^Vehicle(\.[A-Za-z0-9*?\[\]]+)+$")


class DeclarationError(VehicleError):
    """A tool declaration that cannot be served: the message names the tool and what is wrong."""


class ToolDeclaration(BaseModel):
    """One vehicle task tool.

    ``build`` turns a validated ``arguments`` instance (its zone argument already resolved to the
    speaker's seat when left out) into the values and relative changes to request; it raises
    :class:`~.tools.ToolArgumentError` for arguments that do not make one clear request. It never
    writes anything itself: the server sends its :class:`~.tools.WriteSpec` through the guarded write.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str = Field(description="the MCP tool name, snake_case")
    description: str = Field(min_length=10, description="what the tool does, for the model and people")
    arguments: type[BaseModel] = Field(description="the tool's arguments (confirm_token is added)")
    writes: tuple[str, ...] = Field(min_length=1, description="VSS glob patterns the tool may write")
    rules: tuple[str, ...] = Field(
        default=(), description="ids of the guardrail rules that decide whether these writes are safe"
    )
    build: Callable[[Any], WriteSpec]
    zone: str | None = Field(default=None, description="the argument that names a seat zone")
    kind: ToolKind = "set"
    skill: str | None = Field(
        default=None, description="the vehicle-control skill it serves; None: not one of the agent's tools"
    )
    examples: tuple[str, ...] = Field(default=(), description="sentences a person says to ask for it")
    exclusive: tuple[str, str] | None = Field(
        default=None, description="two arguments of which a call gives exactly one"
    )
    relative_step: int | None = Field(
        default=None, description="one step of a follow-up ('a bit more'), in the tool's unit"
    )
    every_zone_by_default: bool = Field(
        default=False, description="the zone argument left out means every zone, not the speaker's"
    )
    source: str = Field(default="cabin", description="the package that declared it")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(
                f"tool name {value!r} must be snake_case, 3-64 characters, starting with a letter"
            )
        return value

    @field_validator("writes")
    @classmethod
    def _writes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            if not _PATTERN.match(pattern):
                raise ValueError(f"{pattern!r} is not a VSS path or glob pattern (Vehicle.Cabin.…)")
        return value

    @field_validator("examples")
    @classmethod
    def _examples(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for sentence in value:
            if not sentence.strip() or len(sentence) > 200:
                raise ValueError(f"example sentence {sentence!r} must be 1-200 characters")
        return value

    def argument_names(self) -> tuple[str, ...]:
        return tuple(field.alias or name for name, field in self.arguments.model_fields.items())

    def may_write(self, path: str) -> bool:
        """Whether ``path`` is among the signals this tool declares it writes."""
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.writes)


class LabelledSentence(BaseModel):
    """An example sentence of a declared tool, labelled as ``cabin router fit`` labels its lines."""

    model_config = ConfigDict(frozen=True)

    text: str
    label: str = Field(description="routing label: vehicle-control/<skill>")
    tool: str
    source: str


def _is_universal(rule: Rule) -> bool:
    return any(pattern == "Vehicle.*" for pattern in rule.concerns)


UNIVERSAL_RULES: tuple[str, ...] = tuple(rule.id for rule in default_rules() if _is_universal(rule))
"""Rules that judge every write whatever its signal (provenance, scope, seat authority, rate limit)."""


def written_paths(declaration: ToolDeclaration, catalog: Catalog) -> list[str]:
    """The catalog's signals a declaration's ``writes`` patterns match."""
    return [path for path in catalog.paths if declaration.may_write(path)]


def covering_rules(path: str, rules: Iterable[Rule]) -> list[str]:
    """The ids of the signal rules (not the universal ones) whose concerns include ``path``."""
    return [
        rule.id
        for rule in rules
        if not _is_universal(rule) and any(fnmatch.fnmatchcase(path, c) for c in rule.concerns)
    ]


def guarded_by(declaration: ToolDeclaration, catalog: Catalog, rules: Sequence[Rule]) -> list[str]:
    """Every rule id that judges this tool's writes: the engine's value checks, the universal rules
    and each rule whose concerns meet a signal the tool writes."""
    ids = set(ENGINE_RULES) | set(UNIVERSAL_RULES)
    for path in written_paths(declaration, catalog):
        ids.update(covering_rules(path, rules))
    ids.update(declaration.rules)
    return sorted(ids)


def check_declaration(
    declaration: ToolDeclaration,
    catalog: Catalog,
    rules: Sequence[Rule],
    *,
    require_cover: bool,
    taken: Iterable[str] = (),
) -> None:
    """Raise :class:`DeclarationError` naming the first thing that makes ``declaration`` unservable.

    Checked: a unique name; no reserved argument; a zone and exclusive arguments the model has; every
    ``writes`` pattern matches at least one actuator of the catalog and nothing read-only; every rule
    id exists and concerns something the tool writes; a skill the agent has and, for a tool of the
    agent, at least one example. With ``require_cover`` (every plugin tool) each written signal must
    be concerned by one of the declaration's own signal rules: a plugin cannot write a signal no rule
    speaks for.
    """
    name = declaration.name
    if name in set(taken):
        raise DeclarationError(f"tool {name!r} ({declaration.source}): a tool of that name is already served")
    arguments = set(declaration.argument_names())
    reserved = sorted(arguments & RESERVED_ARGUMENTS)
    if reserved:
        raise DeclarationError(
            f"tool {name!r} ({declaration.source}): argument {reserved[0]!r} is reserved "
            "(the server adds confirm_token itself; a tool cannot confirm for the person)"
        )
    if declaration.arguments.model_config.get("extra") != "forbid":
        raise DeclarationError(
            f"tool {name!r} ({declaration.source}): its argument model must forbid extra fields "
            '(model_config = ConfigDict(extra="forbid"))'
        )
    for argument in (declaration.zone, *(declaration.exclusive or ())):
        if argument is not None and argument not in arguments:
            raise DeclarationError(f"tool {name!r} ({declaration.source}): it has no argument {argument!r}")
    known_rules = {rule.id for rule in rules} | set(ENGINE_RULES)
    written: list[str] = []
    for pattern in declaration.writes:
        matched = [path for path in catalog.paths if fnmatch.fnmatchcase(path, pattern)]
        if not matched:
            raise DeclarationError(
                f"tool {name!r} ({declaration.source}): it writes {pattern}, which matches no signal of the "
                "vehicle catalog"
            )
        read_only = [path for path in matched if not catalog.get(path).writable]
        if read_only:
            raise DeclarationError(
                f"tool {name!r} ({declaration.source}): it writes {read_only[0]}, which is a "
                f"{catalog.get(read_only[0]).type} and can only be read (GR-01)"
            )
        written.extend(matched)
    by_id = {rule.id: rule for rule in rules}
    for rule_id in declaration.rules:
        if rule_id not in known_rules:
            raise DeclarationError(f"tool {name!r} ({declaration.source}): no guardrail rule {rule_id!r}")
        rule = by_id.get(rule_id)
        concerned = (
            rule is None
            or _is_universal(rule)
            or any(fnmatch.fnmatchcase(p, c) for p in written for c in rule.concerns)
        )
        if not concerned:
            raise DeclarationError(
                f"tool {name!r} ({declaration.source}): rule {rule_id} concerns none of the signals it writes"
            )
    if require_cover:
        own = [by_id[r] for r in declaration.rules if r in by_id]
        for path in written:
            if not covering_rules(path, own):
                raise DeclarationError(
                    f"tool {name!r} ({declaration.source}): it writes {path}, but none of its rules "
                    f"({', '.join(declaration.rules) or 'none declared'}) covers that signal; declare a "
                    "guardrail rule whose concerns include it"
                )
    if declaration.skill is not None:
        if declaration.skill not in SKILLS:
            raise DeclarationError(
                f"tool {name!r} ({declaration.source}): skill {declaration.skill!r} is not one of "
                f"{', '.join(SKILLS)}"
            )
        if not declaration.examples:
            raise DeclarationError(
                f"tool {name!r} ({declaration.source}): give at least one example sentence, so the tool is "
                "understood"
            )


def declarations() -> tuple[ToolDeclaration, ...]:
    """Every task tool served: the core tools, then those of installed plugins (:mod:`.plugins`)."""
    from .plugins import installed

    return installed().tools


def examples() -> Iterator[LabelledSentence]:
    """The example sentences of every declared tool of the vehicle-control agent (core and installed
    plugins), labelled ``vehicle-control/<skill>``: what ``cabin router fit`` and the model-tuning data
    take in addition to their files, so a new tool is understood without editing a grammar."""
    seen: set[str] = set()
    for declaration in declarations():
        if declaration.skill is None:
            continue
        for text in declaration.examples:
            if text in seen:
                continue
            seen.add(text)
            yield LabelledSentence(
                text=text,
                label=f"vehicle-control/{declaration.skill}",
                tool=declaration.name,
                source=declaration.source,
            )
