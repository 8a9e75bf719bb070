"""One normal form for what people type or a recogniser writes, before any grammar reads it.

:func:`normalise` folds case, sets typographic apostrophes straight, drops emoji and symbols that
carry no words ("🥶", "!!", "…"), keeps decimals ("21.5") and times ("10:30"), and writes spelled-out
numbers as digits: "nineteen and a half" is "19.5", "twenty one point five" is "21.5", "twenty-two" is
"22", "a couple of degrees" is "2 degrees", "half a degree" is "0.5 degree", "a quarter of the way" is
"25 percent", "two thirds of the way" "67 percent". Single number words below eleven stay words ("one more",
"level two", "the second one"): grammars read them as words, and they are as often no quantity at all.

The function is pure and idempotent: ``normalise(normalise(t)) == normalise(t)``.
"""

from __future__ import annotations

import re
import unicodedata

from agents.language.lexicon import FRACTIONS, NUMBERS, SCALES, TENS, UNITS

__all__ = ["normalise", "number_value"]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'", "ʼ": "'"})
_KEPT_SYMBOLS = frozenset("'\"%°.,;:!?-/&()+")
"""Punctuation that carries meaning for a reader (clause ends, decimals, quotes, percent, degrees)."""
_NUMBER_WORD = "|".join(sorted([*NUMBERS, *TENS, *SCALES], key=len, reverse=True))
_SPELLED = re.compile(
    rf"""
    (?<![\w'])
    (?P<number>(?:{_NUMBER_WORD})(?:(?:\s+|-)(?:and\s+)?(?:{_NUMBER_WORD}))*)
    (?P<fraction>\s+and\s+a\s+half|\s+point\s+(?:{_NUMBER_WORD}|\d))?
    (?![\w'])
    """,
    re.IGNORECASE | re.VERBOSE,
)
_HALF = re.compile(r"(?<![\w.])(\d+)\s+and\s+a\s+half(?![\w'])", re.IGNORECASE)
_COUPLE = re.compile(
    rf"\ba\s+couple(?:\s+of)?\s+(?=(?:{'|'.join(re.escape(u) for u in UNITS if u.isalpha())})\b)",
    re.IGNORECASE,
)
_HALF_UNIT = re.compile(
    rf"\bhalf\s+an?\s+(?=(?:{'|'.join(re.escape(u) for u in UNITS if u.isalpha())})\b)", re.IGNORECASE
)
"""'half a degree' is '0.5 degree'."""
_WAY = re.compile(
    rf"\b(?P<part>{'|'.join(sorted(FRACTIONS, key=len, reverse=True))})\s+(?:of\s+)?the\s+way\b",
    re.IGNORECASE,
)
"""'a quarter of the way' is '25 percent', 'two thirds of the way' '67 percent' (the lexicon's
fractions)."""
_SPACES = re.compile(r"\s+")
_SMALL = 10
"""Single number words up to this stay words (see the module docstring)."""


def number_value(words: str) -> int | None:
    """The value of a spelled-out whole number ("twenty-one", "one hundred and five"); None if it is
    not one (two numbers said one after the other, "two twenty", are not one number)."""
    tokens = [word for word in re.split(r"[\s-]+", words.lower()) if word and word != "and"]
    value = 0
    if len(tokens) >= 2 and tokens[1] in SCALES and 1 <= NUMBERS.get(tokens[0], 0) <= 9:
        value, tokens = NUMBERS[tokens[0]] * SCALES[tokens[1]], tokens[2:]
        if not tokens:
            return value
    if not tokens:
        return None
    if tokens[0] in TENS:
        value += TENS[tokens[0]]
        tokens = tokens[1:]
        if not tokens:
            return value
        if len(tokens) == 1 and 1 <= NUMBERS.get(tokens[0], 0) <= 9:
            return value + NUMBERS[tokens[0]]
        return None
    if len(tokens) == 1 and tokens[0] in NUMBERS:
        return value + NUMBERS[tokens[0]]
    return None


def _spelled(match: re.Match[str]) -> str:
    said = match.group("number")
    value = number_value(said)
    fraction = match.group("fraction") or ""
    if value is None:
        return match.group(0)
    words = len(re.split(r"[\s-]+", said.strip()))
    if not fraction and words == 1 and value <= _SMALL:
        return match.group(0)
    if not fraction:
        return str(value)
    if "half" in fraction:
        return f"{value}.5"
    digit = fraction.split()[-1].lower()
    decimal = NUMBERS.get(digit, None) if not digit.isdigit() else int(digit)
    if decimal is None or decimal > 9:
        return match.group(0)
    return f"{value}.{decimal}"


def _symbol_free(text: str) -> str:
    kept: list[str] = []
    for char in text:
        if char.isalnum() or char.isspace() or char in _KEPT_SYMBOLS:
            kept.append(char)
        elif unicodedata.category(char).startswith("P") or char in "“”„«»‚":
            kept.append(char)  # quotes and other punctuation mark where data and clauses end
        else:
            kept.append(" ")  # emoji, pictographs and other symbols say nothing a grammar reads
    return "".join(kept)


def normalise(text: str, *, fold_case: bool = True) -> str:
    """`text` in the normal form (see the module docstring); `fold_case=False` keeps its case (for
    words that are shown back to the person)."""
    plain = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    plain = _symbol_free(plain)
    plain = re.sub(r"([!?.])\1+", r"\1", plain)
    plain = _COUPLE.sub("2 ", plain)
    plain = _HALF_UNIT.sub("0.5 ", plain)
    plain = _WAY.sub(lambda m: f"{FRACTIONS[' '.join(m.group('part').lower().split())]} percent", plain)
    plain = _SPELLED.sub(_spelled, plain)
    plain = _HALF.sub(lambda m: f"{m.group(1)}.5", plain)
    plain = _SPACES.sub(" ", plain).strip()
    return plain.lower() if fold_case else plain
