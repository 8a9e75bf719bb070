"""Cutting an utterance into candidate parts for multi-intent routing.

:func:`split_candidates` only proposes cuts, with the one clause cutter of the language layer
(:func:`agents.language.clauses.cut`: clause punctuation and conjunctions, never inside a quotation or a
said name). Whether a cut is kept is decided by the router, which keeps it only where the pieces are
requests on their own (see :mod:`orchestrator.routing.router`).

:func:`ask_of` (also the language layer's) finds the request in a long ramble: the clause after its
last explicit ask ("what I wanted to ask is whether you could ...", "can you ...").
"""

from __future__ import annotations

from agents.language.clauses import Chunk, ask_of, cut, is_filler

__all__ = ["Chunk", "ask_of", "is_filler", "split_candidates"]


def split_candidates(text: str) -> list[Chunk]:
    """The candidate pieces of ``text``: :func:`agents.language.clauses.cut`."""
    return cut(text)
