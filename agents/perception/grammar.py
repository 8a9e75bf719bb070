"""Perception's own grammar: which whole sentences are questions for the perception-summary agent.

The sentence templates live in ``agents/perception/sentences/*.yaml`` (hassil's format, one file per
skill of the card: ``surroundings``, ``signs``, ``driver``; loaded by
:class:`agents.language.grammar.SentenceGrammar`). The router's template stage reads this grammar with
the other agents' (``orchestrator/routing/grammars.py``): a sentence it reads whole goes to this agent
and skill. The agent itself answers from the words (:func:`agents.perception.understanding.parse_question`
reads the region, side and kind of the question), so what is sent is the text and the skill.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from agents.language.grammar import PackagedGrammar, SentenceMatch
from agents.perception.understanding import SkillId

__all__ = ["AGENT", "SENTENCES", "PerceptionGrammar"]

AGENT = "perception-summary"
SENTENCES = Path(__file__).resolve().parent / "sentences"
"""The sentence templates that ship with the agent."""


class PerceptionGrammar(PackagedGrammar):
    """Perception's grammar as the router reads one: ``agent`` and ``read(text)`` (pure, fast,
    thread-safe, never raises), over the sentence templates of ``SENTENCES``."""

    agent = AGENT
    folder = SENTENCES
    skills = get_args(SkillId)

    def read(self, text: str) -> SentenceMatch | None:
        """The question `text` is as a whole, or None."""
        return self._sentences.match(text)
