"""The language layer: the one place where words are read, for the orchestrator and every agent.

- :mod:`agents.language.lexicon`: the word lists (yes, no, cancel, courtesy, hesitation,
  interjections, the skip words every grammar gets, zones, number words, units);
- :mod:`agents.language.normalise`: one normal form (case, apostrophes, emoji and symbols,
  spelled-out numbers and decimals: "nineteen and a half" is "19.5");
- :mod:`agents.language.clauses`: the one clause cutter (never inside a quotation or a said name) and
  what counts as filler;
- :mod:`agents.language.dialogue`: the readings of short turns (yes / no / cancel, "a bit more",
  "the passenger's too").

Quotations and said names (:mod:`agents.hosting.spans`), question forms (:mod:`agents.hosting.asking`)
and the template index (:mod:`agents.hosting.templates`) are read by the same rules everywhere too.
"""

from agents.language.clauses import Chunk, content_words, cut, is_filler, pieces
from agents.language.dialogue import Answer, ReplyKind, answer, reply_kind, whose
from agents.language.normalise import normalise, number_value

__all__ = [
    "Answer",
    "Chunk",
    "ReplyKind",
    "answer",
    "content_words",
    "cut",
    "is_filler",
    "normalise",
    "number_value",
    "pieces",
    "reply_kind",
    "whose",
]
