"""``cabin eval understanding --grammar-size``: lines of hand-written grammar and word lists.

Counted by what the lines are, not by a list of files, so that a grammar or word list that moves to
another module is still counted:

- **grammar**: every YAML or text file under ``orchestrator/`` or ``agents/`` that sits in a folder
  named ``templates``, ``grammar``, ``grammars``, ``sentences`` or ``lexicon``, or is named
  ``sentences``, ``lexicon``, ``vocabulary`` or ``words``; its lines that are neither blank nor
  comments;
- **word lists**: in every Python module under ``orchestrator/`` or ``agents/``, each outermost literal
  set, frozenset, list, tuple or dict (keys) of at least :data:`MIN_WORDS` strings that are all plain
  words or phrases (lower case letters, apostrophes, spaces, hyphens) besides what it spreads from
  another (``*NAMES``, ``**NAMES``), each call whose positional
  arguments are at least :data:`MIN_WORDS` such strings (a list written as arguments,
  ``words("car", "cars", "auto", "sedan")``), and each string literal of a
  regular expression that alternates at least :data:`MIN_WORDS` such words; the source lines they
  span.

The evaluation's own files (``orchestrator/evaluation/``) are not counted.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOTS = ("orchestrator", "agents")
GRAMMAR_FOLDERS = frozenset({"templates", "grammar", "grammars", "lexicon", "sentences"})
GRAMMAR_NAMES = frozenset({"sentences", "lexicon", "vocabulary", "words"})
GRAMMAR_SUFFIXES = frozenset({".yaml", ".yml", ".txt"})
MIN_WORDS = 4
EXCLUDED = ("orchestrator/evaluation",)

_WORD = re.compile(r"^[a-z][a-z' \-]*$")
_ALTERNATION = re.compile(r"[a-z][a-z' ]*(?:\|[a-z][a-z' ]*){3,}")


@dataclass
class GrammarSize:
    grammar: dict[str, int] = field(default_factory=dict)
    word_lists: dict[str, int] = field(default_factory=dict)

    @property
    def grammar_lines(self) -> int:
        return sum(self.grammar.values())

    @property
    def word_list_lines(self) -> int:
        return sum(self.word_lists.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "grammar_lines": self.grammar_lines,
            "word_list_lines": self.word_list_lines,
            "total_lines": self.grammar_lines + self.word_list_lines,
            "grammar": dict(sorted(self.grammar.items())),
            "word_lists": dict(sorted(self.word_lists.items())),
        }


def measure(root: Path) -> GrammarSize:
    """Count the grammar and word-list lines of the repository at ``root``."""
    size = GrammarSize()
    for top in ROOTS:
        for path in sorted((root / top).rglob("*")):
            relative = path.relative_to(root).as_posix()
            if not path.is_file() or relative.startswith(EXCLUDED) or "__pycache__" in path.parts:
                continue
            if path.suffix in GRAMMAR_SUFFIXES and _is_grammar(path):
                lines = _content_lines(path.read_text(encoding="utf-8"))
                if lines:
                    size.grammar[relative] = lines
            elif path.suffix == ".py":
                lines = word_list_lines(path.read_text(encoding="utf-8"))
                if lines:
                    size.word_lists[relative] = lines
    return size


def _is_grammar(path: Path) -> bool:
    return bool(GRAMMAR_FOLDERS & set(path.parent.parts)) or path.stem in GRAMMAR_NAMES


def _content_lines(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


def word_list_lines(source: str) -> int:
    """The source lines spanned by the word lists (see the module docstring) of one Python module."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    lines: set[int] = set()

    def visit(node: ast.AST) -> None:
        if _is_word_list(node) or _is_word_pattern(node):
            start: int = getattr(node, "lineno", 0)
            end: int = getattr(node, "end_lineno", None) or start
            lines.update(range(start, end + 1))
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return len(lines)


def _strings(nodes: list[ast.expr | None]) -> list[str] | None:
    out = []
    for node in nodes:
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return None
        out.append(node.value)
    return out


def _is_word_list(node: ast.AST) -> bool:
    # what is spread into a literal (``*OTHER``, ``**OTHER``) is counted where it is written
    if isinstance(node, ast.Set | ast.List | ast.Tuple):
        words = _strings([element for element in node.elts if not isinstance(element, ast.Starred)])
    elif isinstance(node, ast.Dict):
        words = _strings([key for key in node.keys if key is not None])
    elif isinstance(node, ast.Call):
        words = _strings(list(node.args))
    else:
        return False
    return words is not None and len(words) >= MIN_WORDS and all(_WORD.match(w) for w in words)


def _is_word_pattern(node: ast.AST) -> bool:
    if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return False
    return "|" in node.value and _ALTERNATION.search(node.value) is not None


def format_size(size: GrammarSize) -> str:
    lines = [f"grammar and templates: {size.grammar_lines} lines"]
    lines += [f"  {path}: {count}" for path, count in sorted(size.grammar.items())]
    lines.append(f"word lists in code: {size.word_list_lines} lines")
    lines += [f"  {path}: {count}" for path, count in sorted(size.word_lists.items(), key=lambda kv: -kv[1])]
    lines.append(f"total: {size.grammar_lines + size.word_list_lines} lines")
    return "\n".join(lines)
