"""The agents' own grammars, read by the router's template stage.

An agent that understands sentences with a grammar of its own (vehicle-control:
``agents/vehicle_control/grammar/sentences.yaml``) lends it to the router: a part that grammar reads
whole is routed to that agent with the grammar's intent and slots, and the orchestrator sends them
to the agent in the message's data part (``{intent, slots, text}``), so the agent acts on what was
understood without parsing the words a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from pydantic import JsonValue

from agents.language.clauses import cut
from agents.navigation.grammar import NavigationGrammar
from agents.vehicle_control.parser import TemplateParser, shared_parser

__all__ = ["AgentGrammar", "GrammarMatch", "NavigationAgentGrammar", "ParserGrammar", "agent_grammars"]


@dataclass(frozen=True)
class GrammarMatch:
    """What an agent's grammar read in a whole text."""

    agent: str
    skill: str
    intent: str
    slots: Mapping[str, JsonValue]


class AgentGrammar(Protocol):
    """One agent's grammar as the router reads it.

    ``read(text)`` returns the match for the whole of ``text`` or None; it is pure, fast (about a
    millisecond) and thread-safe, and raises nothing for any text.
    """

    agent: str

    def read(self, text: str) -> GrammarMatch | None: ...


class ParserGrammar:
    """An :class:`AgentGrammar` over a :class:`~agents.vehicle_control.parser.TemplateParser`."""

    def __init__(self, agent: str, parser: TemplateParser) -> None:
        self.agent = agent
        self._parser = parser

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
    suits the agent; the router asks whether the whole text is one request, so a text the clause cutter
    cuts into several pieces is left to the router's splitting (each piece is read on its own).
    """

    def __init__(self, grammar: NavigationGrammar | None = None) -> None:
        self._grammar = grammar or NavigationGrammar()
        self.agent = self._grammar.agent

    def read(self, text: str) -> GrammarMatch | None:
        if len(cut(text)) > 1:
            return None
        reading = self._grammar.read(text)
        if reading is None:
            return None
        return GrammarMatch(
            agent=self.agent, skill=reading.skill, intent=reading.intent, slots=dict(reading.slots)
        )


def agent_grammars() -> list[AgentGrammar]:
    """The grammars the agents of this project ship (loaded from their packages), in the order read."""
    return [ParserGrammar("vehicle-control", shared_parser()), NavigationAgentGrammar()]
