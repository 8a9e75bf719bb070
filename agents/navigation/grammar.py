"""Navigation's own grammar: which whole sentences are navigation requests, with their intent and slots.

The router reads each agent's grammar before its model path (`orchestrator/routing/grammars.py`):
a sentence a grammar reads whole goes to that agent with the intent and slots read. Navigation's
grammar is its own reading of requests (`understanding.understand_text`) and its one category
vocabulary (`vocabulary.CategoryVocabulary` over the map server's catalogue,
`mcp_servers.navigation.categories`), so the router and the agent cannot disagree about what a
navigation sentence is.

:func:`read_navigation` takes a sentence when it asks for a place (a search or a trip, in any of the
phrasings `understand_text` reads: "where's the nearest gas station", "give me directions to the
closest parking garage", "take me to a coffee shop with no traffic", "what's the address of the
nearest supermarket", "I want pizza") and that place is

- a whole category, in the catalogue's or everyday words, with nothing beside it but filler or a
  street or landmark ("a pharmacy", "somewhere to eat", "the Lidl on Kaivokatu" is not: "Lidl" is a
  name), or
- a place the person keeps (home, work, a friend's house), or
- a name said as the nearest of its kind ("directions to the nearest Starbucks": a chain's branch).

It does not take a sentence about something else that mentions a place: a message to someone
("email Jane the address of the restaurant", "tell my wife I'm ten minutes away"), media ("what
stations are playing good music"), a thing of the person's own ("find my food"), or an order to the
car ("close the garage", "park the car"); and a wish without a verb that asks for a place ("I want
pizza", "I need a cash machine") only when it names a kind of place as a noun (not "can I park here").

A place named by its name alone otherwise ("take me to Stanford Express Care") is not taken here: such words
can name anything ("take me to the huffington post website"), and the router's other stages judge
them. What is taken is routed as ``find_poi`` (skill ``poi``) or ``navigate`` (skill ``route``)
with the slots the agent accepts in a parsed intent (`understanding.IntentSlots`): ``place`` (the
words naming the place, read again by the agent's vocabulary), ``street``, ``near``,
``existence``. The function is pure and never raises.

:class:`NavigationGrammar` reads that first, then the agent's sentence templates
(``agents/navigation/sentences/*.yaml``, hassil's format: the arrival time, traffic, route
preferences, stopping guidance, waypoints, a trip home or to work, "take me to {destination}"). A
sentence only the templates read is the agent's to read again from its words (``acts`` is False):
their intents and slots route it, and a destination said as free text (a wildcard) is tentative,
for the router's next stage to confirm.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import JsonValue

from agents.language.grammar import PackagedGrammar
from agents.navigation.activities import catalogue_vocabulary
from agents.navigation.understanding import FILLER_WORDS, PlaceRef, understand_text
from agents.navigation.vocabulary import is_label, normalize

__all__ = ["SENTENCES", "NavigationGrammar", "NavigationReading", "read_navigation"]

AGENT = "navigation"
SENTENCES = Path(__file__).resolve().parent / "sentences"
"""The sentence templates that ship with the agent."""


@dataclass(frozen=True)
class NavigationReading:
    """A sentence navigation's grammar read whole: the skill, intent and slots it asks for."""

    skill: Literal["poi", "route"]
    intent: str
    slots: Mapping[str, JsonValue] = field(default_factory=dict)
    agent: str = AGENT
    acts: bool = True
    """True when the agent acts on this intent and these slots as they are (`understanding.
    understand_intent` takes them); False when they only say where the sentence goes."""
    wildcard: bool = False
    """True when a slot holds free text the templates did not check (a destination)."""


_ABOUT_SOMETHING_ELSE = re.compile(
    r"\b(?:email|e mail|text|texts|message|whatsapp|tweet|call|phone|ring|remind|reminder|play|playing|"
    r"plays|played|shown|showing|music|song|songs|radio|podcast|review|reviews|rating|ratings|order|deliver|"
    r"delivery|"
    r"book|booking|reserve|recipe)\b|\btell (?!me\b|us\b)"
)
"""Words that make a sentence about something other than going to a place."""
_NEAREST = re.compile(r"\b(?:nearest|closest)\b")
_ORDER_TO_THE_CAR = re.compile(
    r"^(?:please )?(?:close|open|shut|lock|unlock|turn|switch|set|start|stop|put|raise|lower|park|pop|fold)\b"
)


_CONSUMED = frozenset({"food", "restaurant", "fast_food", "cafe", "bar"})
"""Categories whose everyday words are what one eats or drinks there: wanting it is wanting the place
("I want pizza", "I need tea")."""


def _whole_category(place: PlaceRef, *, as_noun: bool) -> bool:
    if place.phrase is None:
        return False
    match = catalogue_vocabulary().find(place.phrase)
    if match is None or not all(word in FILLER_WORDS for word in match.rest):
        return False
    return not as_noun or is_label(match.phrase) or match.category in _CONSUMED


def _owned(text: str, place: PlaceRef) -> bool:
    """The place words follow "my" / "our": a thing of the person's own ("find my food")."""
    if place.phrase is None:
        return False
    first = re.escape(place.phrase.split(" ")[0])
    return re.search(rf"\b(?:my|our|your)(?: \w+)? {first}\b", text) is not None


def read_navigation(text: str) -> NavigationReading | None:
    """The navigation request `text` is as a whole, or None (see the module docstring)."""
    try:
        read = understand_text(text)
    except Exception:  # pragma: no cover - understand_text never raises; a grammar must not either
        return None
    place = read.place
    if place is None or read.kind not in ("find", "navigate", "unknown"):
        return None
    plain = normalize(text)
    # what is done at the place may be a play or a parcel to post; the words around it must not be a message
    outside = plain.replace(read.activity, " ") if read.activity else plain
    if _ABOUT_SOMETHING_ELSE.search(outside):
        return None
    kept = place.saved is not None
    if read.kind == "unknown" and (kept or _ORDER_TO_THE_CAR.match(plain)):
        return None
    # "the nearest Starbucks": a name said with "nearest" is a chain's branch, a place
    branch = read.kind != "unknown" and place.phrase is not None and _NEAREST.search(plain) is not None
    # "wash my car": the person's own thing is what is done at the place (`Understanding.activity`)
    owned = read.activity is None and _owned(plain, place)
    if not kept and (owned or not (branch or _whole_category(place, as_noun=read.kind == "unknown"))):
        return None
    slots: dict[str, JsonValue] = {}
    if place.phrase is not None:
        slots["place"] = place.phrase
    if place.street is not None:
        slots["street"] = place.street
    if place.near is not None and place.near.phrase is not None:
        slots["near"] = place.near.phrase
    if read.asks_existence:
        slots["existence"] = True
    if read.kind == "navigate":
        return NavigationReading(skill="route", intent="navigate", slots=slots)
    return NavigationReading(skill="poi", intent="find_poi", slots=slots)


class NavigationGrammar(PackagedGrammar):
    """Navigation's grammar as the router reads one: ``agent`` and ``read(text)`` (pure, fast,
    thread-safe, never raises), over the sentence templates of ``SENTENCES``."""

    agent = AGENT
    folder = SENTENCES
    skills = ("poi", "route")

    def read(self, text: str) -> NavigationReading | None:
        """The request `text` is as a whole, or None."""
        reading = read_navigation(text)
        if reading is not None:
            return reading
        return self.read_templates(text)

    def read_templates(self, text: str) -> NavigationReading | None:
        """What the sentence templates alone read in the whole of `text`, or None."""
        found = self._sentences.match(text)
        if found is None:
            return None
        skill: Literal["poi", "route"] = "poi" if found.skill == "poi" else "route"
        return NavigationReading(
            skill=skill, intent=found.intent, slots=dict(found.slots), acts=False, wildcard=found.wildcard
        )
