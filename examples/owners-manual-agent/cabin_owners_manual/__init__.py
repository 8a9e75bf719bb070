"""An owner's-manual agent: answers "how do I ..." questions from the sections of the car's manual.

An A2A agent built on cabin's hosting layer (``agents.hosting``): its card has one skill, ``manual``;
each question is answered with the section of ``manual.md`` whose words it shares most (weighted by
how rare each word is in the manual), or declined when no section is close enough. It never acts on
the car. Run it with ``python -m cabin_owners_manual --port 8790`` and add its URL to the stack's
configuration (``extra_agents``), or install the package: it names itself in the ``cabin.agents``
entry-point group.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources

from agents.hosting import AgentRequest, AgentSpec, CabinExecutor, Outcome, Rejection, Reply, SkillSpec
from agents.language.clauses import content_words

__all__ = ["AGENT", "SPEC", "Manual", "ManualExecutor", "Section"]

SPEC = AgentSpec(
    name="owners-manual",
    description="Answers questions about the car from its owner's manual: phone pairing, tyres, child "
    "locks, wiper blades, charging. It never changes anything in the car.",
    skills=(
        SkillSpec(
            id="manual",
            name="Owner's manual",
            description="How-to questions about the car, answered from the owner's manual.",
            tags=("manual", "how to", "help"),
            examples=(
                "how do I pair my phone",
                "what should my tyre pressure be",
                "how do the child locks work",
                "how do I change the wiper blades",
                "how do I charge the car",
            ),
        ),
    ),
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> list[str]:
    return [_stem(word) for word in content_words(text)]


@dataclass(frozen=True)
class Section:
    title: str
    text: str


class Manual:
    """The manual's sections and a word-overlap search over them (TF-IDF, cosine)."""

    MIN_SCORE = 0.12

    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        counts = [Counter(_terms(f"{s.title} {s.title} {s.text}")) for s in sections]
        seen = Counter(term for count in counts for term in count)
        self._idf = {term: math.log((1 + len(sections)) / (1 + n)) for term, n in seen.items()}
        self._vectors = [self._vector(count) for count in counts]

    @classmethod
    def load(cls) -> Manual:
        text = resources.files(__package__).joinpath("manual.md").read_text(encoding="utf-8")
        parts = re.split(r"^## +(.+)$", text, flags=re.MULTILINE)
        sections = [
            Section(title.strip(), body.strip()) for title, body in zip(parts[1::2], parts[2::2], strict=True)
        ]
        return cls(sections)

    def _vector(self, count: Counter[str]) -> dict[str, float]:
        vector = {t: n * self._idf.get(t, 0.0) for t, n in count.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {t: v / norm for t, v in vector.items()}

    def best(self, question: str) -> tuple[Section, float] | None:
        asked = self._vector(Counter(t for t in _terms(question) if t in self._idf))
        scored = [
            (sum(w * vector.get(t, 0.0) for t, w in asked.items()), section)
            for vector, section in zip(self._vectors, self.sections, strict=True)
        ]
        score, section = max(scored, key=lambda pair: pair[0])
        return (section, score) if score >= self.MIN_SCORE else None


class ManualExecutor(CabinExecutor):
    """Answers with the matching section's first three sentences."""

    def __init__(self, manual: Manual | None = None) -> None:
        super().__init__()
        self.manual = manual if manual is not None else Manual.load()

    async def handle(self, request: AgentRequest) -> Outcome:
        found = self.manual.best(request.text)
        if found is None:
            return Rejection(reason="The owner's manual does not cover that.")
        section, score = found
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(section.text.split()))
        return Reply(
            text=" ".join(sentences[:3]),
            data={"section": section.title, "score": round(score, 3)},
        )


AGENT = (SPEC, ManualExecutor)
"""What the ``cabin.agents`` entry point names: the card and the executor class."""
