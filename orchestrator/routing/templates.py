"""The fast path: the union of the agents' own grammars.

The router keeps no sentence templates of its own. Each agent ships its grammar in its package and
the router reads it from there (:mod:`orchestrator.routing.grammars`): vehicle-control's
``agents/vehicle_control/grammar/sentences.yaml``, navigation's ``agents/navigation/grammar.py`` and
``agents/navigation/sentences/``, perception's ``agents/perception/sentences/``. A :class:`TemplateSet`
asks them in turn whether they read the whole text, until one reads it without free text; a reading
yields the agent, skill, intent and slots.
A text is put in the language layer's normal form by each grammar, and a grammar matches the whole text
(skip words aside), never a part of it, so a sentence that merely mentions a window or a temperature
does not match.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, JsonValue

from agents.language.clauses import zones_apart
from agents.language.grammar import GrammarError
from agents.vehicle_control.errors import SetupError

from .errors import TemplateError
from .grammars import AgentGrammar, GrammarMatch, agent_grammars
from .labels import label_of
from .stage import Decision, RouterStage

__all__ = ["TemplateMatch", "TemplateSet", "TemplateStage"]


class TemplateMatch(BaseModel):
    """What an agent's grammar recognised: the intent, its route and its slots."""

    model_config = ConfigDict(frozen=True)

    intent: str
    label: str
    slots: dict[str, JsonValue]
    grammar: str
    """The agent whose grammar read the text."""
    acts: bool = True
    """True when that agent acts on the intent and slots as they are (they are sent to it)."""
    wildcard: bool = False
    """True when a slot was filled by a wildcard (free text such as a destination)."""


def _match(found: GrammarMatch) -> TemplateMatch:
    return TemplateMatch(
        intent=found.intent,
        label=label_of(found.agent, found.skill),
        slots=dict(found.slots),
        grammar=found.agent,
        acts=found.acts,
        wildcard=found.wildcard,
    )


class TemplateSet:
    """The agents' grammars read as one: :meth:`match` recognises one utterance (thread-safe, no I/O)."""

    def __init__(self, grammars: Sequence[AgentGrammar]) -> None:
        self.grammars: tuple[AgentGrammar, ...] = tuple(grammars)

    @classmethod
    def load(cls, *, warm: bool = True) -> TemplateSet:
        """The grammars the agents ship (:func:`~orchestrator.routing.grammars.agent_grammars`).

        ``warm`` compiles every template now, so that a server's first turns do not compile what they
        use; a short-lived process (``cabin ask``) passes False and compiles only what its turns reach.
        Raises :class:`TemplateError` when an agent's grammar cannot be loaded (naming the file).
        """
        try:
            return cls(agent_grammars(warm=warm))
        except (GrammarError, SetupError) as exc:
            raise TemplateError(str(exc)) from exc

    def match(self, text: str) -> TemplateMatch | None:
        """The reading of the whole of ``text``, or ``None``.

        The agents' grammars are asked in order until one reads the whole text without free text (a
        wildcard): that reading settles it and the grammars after it are not asked (a text is read
        by the grammar of the agent it is for; no grammar reads another agent's sentences, which the
        tests check on the labelled training lines). A reading without free text beats one with it;
        when only readings with free text were found and they are of different agents, the utterance
        is ambiguous and ``None`` is returned so that a later stage decides.
        """
        tentative: list[GrammarMatch] = []
        for grammar in self.grammars:
            found = grammar.read(text)
            if found is None:
                continue
            if not found.wildcard:
                return _match(found)
            tentative.append(found)
        if not tentative or len({m.agent for m in tentative}) != 1:
            return None
        return _match(tentative[0])


class TemplateStage(RouterStage):
    """The cascade's fast path over a :class:`TemplateSet`; answers ``None`` where no grammar reads a
    text whole."""

    name = "template"

    def __init__(self, templates: TemplateSet | None = None) -> None:
        self.templates = templates if templates is not None else TemplateSet.load()

    async def decide(self, texts: Sequence[str], *, deadline: float) -> list[Decision | None]:
        out: list[Decision | None] = []
        for text in texts:
            found = self.templates.match(text)
            if found is None:
                out.append(self._for_each_zone(text))
                continue
            out.append(
                Decision(
                    label=found.label,
                    confidence=1.0,
                    via="template",
                    intent=found.intent,
                    slots=found.slots,
                    grammar=found.grammar if found.acts else None,
                    tentative=found.wildcard,
                )
            )
        return out

    def _for_each_zone(self, text: str) -> Decision | None:
        """A request said for several seats or zones at once ("turn on the driver and passenger seat
        heating") that an agent's grammar reads for each of them alike: routed to that agent, without
        an intent (one intent cannot say both), so the agent reads the words."""
        apart = zones_apart(text)
        if len(apart) < 2:
            return None
        for grammar in self.templates.grammars:
            labels: set[str] = set()
            for one in apart:
                found = grammar.read(one)
                if found is None:
                    break  # this grammar does not read every one of them: the rest are not asked
                labels.add(label_of(found.agent, found.skill))
            else:
                if len(labels) == 1:
                    return Decision(label=labels.pop(), confidence=1.0, via="template")
        return None
