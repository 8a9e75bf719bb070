"""The agents' own grammars: the router's template stage is their union.

Each agent owns its grammar and the router reads it from the agent's package:

- vehicle-control: ``agents/vehicle_control/grammar/sentences.yaml`` through the agent's parser;
- navigation: ``agents/navigation/grammar.py`` (its reading of place requests, then its sentence
  templates ``agents/navigation/sentences/*.yaml``);
- perception-summary: ``agents/perception/grammar.py`` (``agents/perception/sentences/*.yaml``).

A part a grammar reads whole is routed to that agent with the grammar's intent and slots; where the
agent acts on them as they are (``acts``), the orchestrator sends them in the message's data part
(``{intent, slots, text}``), so the agent acts on what was understood without parsing the words a
second time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import JsonValue

from agents.language.clauses import cut
from agents.language.grammar import SentenceMatch
from agents.navigation.grammar import NavigationGrammar
from agents.perception.grammar import PerceptionGrammar
from agents.vehicle_control.parser import TemplateParser, shared_parser

__all__ = [
    "AgentGrammar",
    "GrammarMatch",
    "NavigationAgentGrammar",
    "ParserGrammar",
    "PerceptionAgentGrammar",
    "agent_grammars",
    "stepped_intents",
]


@dataclass(frozen=True)
class GrammarMatch:
    """What an agent's grammar read in a whole text."""

    agent: str
    skill: str
    intent: str
    slots: Mapping[str, JsonValue]
    acts: bool = True
    """True when the agent acts on `intent` and `slots` as they are (the orchestrator sends them);
    False when they only route the text, which the agent reads itself."""
    wildcard: bool = False
    """True when a slot holds free text the grammar did not check (a destination): the match is
    tentative, for the router's next stage to confirm."""


class AgentGrammar(Protocol):
    """One agent's grammar as the router reads it.

    ``read(text)`` returns the match for the whole of ``text`` or None; it is pure, fast (about a
    millisecond) and thread-safe, and raises nothing for any text. ``stepped`` names the intents
    whose device is changed by steps: a relative change of one is the slot ``delta`` holding a grade
    of the language layer's intensity words (``small``), with ``sign`` -1 downwards, so that a
    follow-up ("a bit more") can be such a change of a value the grammar read.
    """

    agent: str
    stepped: frozenset[str]

    def read(self, text: str) -> GrammarMatch | None: ...


class _Reading(Protocol):
    """What a grammar of sentence templates or navigation's reading gives for a whole text."""

    @property
    def skill(self) -> str: ...
    @property
    def intent(self) -> str: ...
    @property
    def slots(self) -> Mapping[str, JsonValue]: ...
    @property
    def wildcard(self) -> bool: ...


def _from_reading(agent: str, reading: _Reading, *, acts: bool) -> GrammarMatch:
    return GrammarMatch(
        agent=agent,
        skill=reading.skill,
        intent=reading.intent,
        slots=dict(reading.slots),
        acts=acts,
        wildcard=reading.wildcard,
    )


class ParserGrammar:
    """An :class:`AgentGrammar` over a :class:`~agents.vehicle_control.parser.TemplateParser`."""

    def __init__(self, agent: str, parser: TemplateParser) -> None:
        self.agent = agent
        self._parser = parser
        self.stepped = parser.stepped

    def read(self, text: str) -> GrammarMatch | None:
        understood = self._parser.understand(text)
        if understood is None:
            return None
        skill = self._parser.skill_of(understood.intent)
        if skill is None:
            return None
        return GrammarMatch(
            agent=self.agent, skill=skill, intent=understood.intent, slots=dict(understood.slots)
        )


class NavigationAgentGrammar:
    """An :class:`AgentGrammar` over navigation's own grammar (``agents/navigation/grammar.py``).

    Navigation's reading finds a request after other words ("I'm in pain, navigate me to ..."), which
    suits the agent; the router asks whether the whole text is one request, so of a text the clause
    cutter cuts into several pieces only the sentence templates' reading counts (they match whole
    texts), and the router's splitting reads each piece on its own.
    """

    def __init__(self, grammar: NavigationGrammar | None = None, *, warm: bool = True) -> None:
        self._grammar = grammar or NavigationGrammar(warm=warm)
        self.agent = self._grammar.agent
        self.stepped: frozenset[str] = frozenset()

    def read(self, text: str) -> GrammarMatch | None:
        whole = len(cut(text)) == 1
        reading = self._grammar.read(text) if whole else self._grammar.read_templates(text)
        if reading is None:
            return None
        return _from_reading(self.agent, reading, acts=reading.acts)


class PerceptionAgentGrammar:
    """An :class:`AgentGrammar` over perception's sentence templates (``agents/perception/grammar.py``).

    The perception agent reads the region, side and kind of a question from its words, so its
    grammar's readings route (``acts`` is False)."""

    def __init__(self, grammar: PerceptionGrammar | None = None, *, warm: bool = True) -> None:
        self._grammar = grammar or PerceptionGrammar(warm=warm)
        self.agent = self._grammar.agent
        self.stepped: frozenset[str] = frozenset()

    def read(self, text: str) -> GrammarMatch | None:
        found: SentenceMatch | None = self._grammar.read(text)
        return None if found is None else _from_reading(self.agent, found, acts=False)


def stepped_intents(grammars: Sequence[AgentGrammar] | None = None) -> frozenset[str]:
    """The intents whose device is changed by steps (``AgentGrammar.stepped``) of ``grammars``, by
    default of the grammars the agents ship."""
    if grammars is None:
        return _shipped_stepped()
    return frozenset().union(*(grammar.stepped for grammar in grammars))


@functools.cache
def _shipped_stepped() -> frozenset[str]:
    return stepped_intents(agent_grammars(warm=False))


def agent_grammars(*, warm: bool = True) -> list[AgentGrammar]:
    """The grammars the agents of this project ship (loaded from their packages), in the order read;
    ``warm`` compiles their templates now rather than when a text first reaches them."""
    parser = shared_parser()
    if warm:
        parser.warm_up()
    return [
        ParserGrammar("vehicle-control", parser),
        NavigationAgentGrammar(warm=warm),
        PerceptionAgentGrammar(warm=warm),
    ]
