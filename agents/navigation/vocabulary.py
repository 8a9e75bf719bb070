"""The words the navigation agent understands: place categories, road kinds, ordinals, yes and no.

Category names and their aliases come from the map server (`map_info`); this module adds the
everyday English phrasings, British and American (car park / parking lot, chemist / drugstore,
petrol / gas station, taxi rank / taxi stand), that map onto those categories. A phrase only counts
when the map server knows its category, so a map with fewer categories simply understands fewer
words. Text is compared after `normalize`: case-folded, apostrophes and possessive "'s" dropped,
hyphens, underscores and punctuation read as spaces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = [
    "AVOID_WORDS",
    "CUISINES",
    "EXTRA_CATEGORY_PHRASES",
    "NOT_LABELS",
    "ORDINALS",
    "SPOKEN_AVOID",
    "SPOKEN_LABELS",
    "CategoryMatch",
    "CategoryVocabulary",
    "is_label",
    "normalize",
    "singular",
]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_POSSESSIVE = re.compile(r"\b(\w+)'s\b")
_CONTRACTED_IS = frozenset({"let", "what", "where", "that", "it", "there", "here", "who", "how", "he", "she"})
_NOT_WORD = re.compile(r"[^\w\s&']+|_")
_SPACES = re.compile(r"\s+")


def _drop_possessive(match: re.Match[str]) -> str:
    # "chemist's" -> "chemist", but "let's" -> "lets" and "where's" -> "wheres" (contractions).
    word = match.group(1)
    return word + "s" if word in _CONTRACTED_IS else word


def normalize(text: str) -> str:
    """`text` case-folded, with possessives and punctuation removed and single spaces between words."""
    folded = text.translate(_APOSTROPHES).casefold()
    folded = _POSSESSIVE.sub(_drop_possessive, folded).replace("'", "")
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", folded)).strip()


def singular(word: str) -> str:
    """A simple English singular: pharmacies -> pharmacy, churches -> church, chargers -> charger."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class _Phrase:
    category: str
    name_hint: str | None = None


_EVERYDAY_PHRASES: dict[str, _Phrase] = {
    # charging
    "charge point": _Phrase("charging"),
    "charging point": _Phrase("charging"),
    "charging spot": _Phrase("charging"),
    "electric charger": _Phrase("charging"),
    "ev station": _Phrase("charging"),
    "supercharger": _Phrase("charging"),
    "place to charge": _Phrase("charging"),
    "charge": _Phrase("charging"),
    "recharge": _Phrase("charging"),
    "somewhere to charge": _Phrase("charging"),
    # fuel
    "service station": _Phrase("fuel"),
    "fuel station": _Phrase("fuel"),
    "gas": _Phrase("fuel"),
    "petrol": _Phrase("fuel"),
    "refuel": _Phrase("fuel"),
    "fill up": _Phrase("fuel"),
    # parking
    "parking garage": _Phrase("parking"),
    "parking structure": _Phrase("parking"),
    "parking space": _Phrase("parking"),
    "parking spot": _Phrase("parking"),
    "parking place": _Phrase("parking"),
    "multi storey": _Phrase("parking"),
    "multi storey car park": _Phrase("parking"),
    "place to park": _Phrase("parking"),
    "park": _Phrase("parking"),
    "somewhere to park": _Phrase("parking"),
    # food and drink
    "place to eat": _Phrase("food"),
    "somewhere to eat": _Phrase("food"),
    "something to eat": _Phrase("food"),
    "bite to eat": _Phrase("food"),
    "food": _Phrase("food"),
    "somewhere to get food": _Phrase("food"),
    "place that serves food": _Phrase("food"),
    "takeout": _Phrase("fast_food"),
    "take out": _Phrase("fast_food"),
    "take away": _Phrase("fast_food"),
    "fast food": _Phrase("fast_food"),
    "fast food restaurant": _Phrase("fast_food"),
    "fast food place": _Phrase("fast_food"),
    "fast food joint": _Phrase("fast_food"),
    "tea room": _Phrase("cafe"),
    "tearoom": _Phrase("cafe"),
    "coffee shop": _Phrase("cafe"),
    "coffee place": _Phrase("cafe"),
    "coffee house": _Phrase("cafe"),
    "cup of coffee": _Phrase("cafe"),
    "coffee or tea place": _Phrase("cafe"),
    "coffee and tea place": _Phrase("cafe"),
    "coffee and tea house": _Phrase("cafe"),
    "tea": _Phrase("cafe"),
    "tea place": _Phrase("cafe"),
    "tea house": _Phrase("cafe"),
    "teahouse": _Phrase("cafe"),
    "cup of tea": _Phrase("cafe"),
    "place that serves coffee": _Phrase("cafe"),
    "tavern": _Phrase("bar"),
    # health
    "drug store": _Phrase("pharmacy"),
    "a&e": _Phrase("hospital"),
    "a & e": _Phrase("hospital"),
    "accident and emergency": _Phrase("hospital"),
    "emergency room": _Phrase("hospital"),
    "medical centre": _Phrase("doctor"),
    "medical center": _Phrase("doctor"),
    "health centre": _Phrase("doctor"),
    "health center": _Phrase("doctor"),
    "walk in clinic": _Phrase("doctor"),
    "surgery": _Phrase("doctor"),
    "dental": _Phrase("dentist"),
    "dental clinic": _Phrase("dentist"),
    # shops and money
    "grocery store": _Phrase("supermarket"),
    "grocery shopping": _Phrase("supermarket"),
    "food store": _Phrase("supermarket"),
    "grocery shop": _Phrase("supermarket"),
    "food shop": _Phrase("supermarket"),
    "corner shop": _Phrase("convenience"),
    "convenience shop": _Phrase("convenience"),
    "kiosk": _Phrase("convenience"),
    "cash point": _Phrase("atm"),
    "bank machine": _Phrase("atm"),
    "cash dispenser": _Phrase("atm"),
    # facilities
    "loo": _Phrase("toilets"),
    "lavatory": _Phrase("toilets"),
    "washroom": _Phrase("toilets"),
    "public toilet": _Phrase("toilets"),
    "bed and breakfast": _Phrase("hotel"),
    "b&b": _Phrase("hotel"),
    "guesthouse": _Phrase("hotel"),
    "guest house": _Phrase("hotel"),
    "inn": _Phrase("hotel"),
    "place to stay": _Phrase("hotel"),
    "somewhere to stay": _Phrase("hotel"),
    "place to sleep": _Phrase("hotel"),
    "somewhere to sleep": _Phrase("hotel"),
    "bed for the night": _Phrase("hotel"),
    # shops
    "mall": _Phrase("mall"),
    "shopping centre": _Phrase("mall"),
    "shopping center": _Phrase("mall"),
    "shopping mall": _Phrase("mall"),
    "shopping plaza": _Phrase("mall"),
    "place to shop": _Phrase("mall"),
    "somewhere to shop": _Phrase("mall"),
    # breaks on the road
    "rest stop": _Phrase("rest_area"),
    "rest area": _Phrase("rest_area"),
    "service area": _Phrase("rest_area"),
    "motorway services": _Phrase("rest_area"),
    "truck stop": _Phrase("rest_area"),
    "place to rest": _Phrase("rest_area"),
    # car services
    "car hire": _Phrase("car_rental"),
    "hire car": _Phrase("car_rental"),
    "car rental": _Phrase("car_rental"),
    "tyre shop": _Phrase("car_repair"),
    "tire shop": _Phrase("car_repair"),
    "tire": _Phrase("car_repair"),
    "auto repair": _Phrase("car_repair"),
    "repair shop": _Phrase("car_repair"),
    "body shop": _Phrase("car_repair"),
    "car wash": _Phrase("car_wash"),
    # public services and culture
    "police station": _Phrase("police"),
    "post office": _Phrase("post_office"),
    "movie theatre": _Phrase("cinema"),
    "movie theater": _Phrase("cinema"),
    "art museum": _Phrase("museum"),
    "art gallery": _Phrase("museum"),
    "gallery": _Phrase("museum"),
    "tourist attraction": _Phrase("attraction"),
    "landmark": _Phrase("attraction"),
    "lookout": _Phrase("attraction"),
    "scenic view": _Phrase("attraction"),
    # transport
    "railway station": _Phrase("station", "railway"),
    "train station": _Phrase("station", "railway"),
    "rail station": _Phrase("station", "railway"),
    "railroad station": _Phrase("station", "railway"),
    "metro station": _Phrase("station"),
    "subway station": _Phrase("station"),
    "underground station": _Phrase("station"),
    "tube station": _Phrase("station"),
    "bus station": _Phrase("station"),
    "coach station": _Phrase("station"),
    "taxi stand": _Phrase("taxi"),
    "taxi rank": _Phrase("taxi"),
    "cab rank": _Phrase("taxi"),
    "cab stand": _Phrase("taxi"),
}

CUISINES: tuple[str, ...] = (
    "pizza", "burger", "sushi", "chinese", "thai", "indian", "italian", "mexican", "japanese",
    "korean", "vietnamese", "kebab", "falafel", "ramen", "noodle", "taco", "steak",
    "seafood", "fish", "vegan", "vegetarian", "nepalese", "greek", "turkish", "lebanese", "french",
    "american", "finnish", "asian", "middle eastern", "sandwich", "salad", "bbq", "barbecue", "chicken",
)  # fmt: skip
"""What people say they want to eat ("pizza", "Chinese"): the places to eat that serve it (the map's
`cuisine`), said alone or with "food", "place", "restaurant", "joint", "takeout"."""

EXTRA_CATEGORY_PHRASES: Mapping[str, _Phrase] = {
    **_EVERYDAY_PHRASES,
    **{
        f"{cuisine}{suffix}": _Phrase("food", cuisine)
        for cuisine in CUISINES
        for suffix in ("", " food", " place", " joint", " takeout", " takeaway", " restaurant", " shop")
    },
    "pizzeria": _Phrase("food", "pizza"),
}
"""Everyday phrasings beyond the map server's own aliases. A `name_hint` narrows the search to places
whose name carries that word as well ("railway station": a station named ...railway...), falling back
to the whole category when none does."""

SPOKEN_LABELS: Mapping[str, str] = {
    "fuel": "fuel station",
    "charging": "charger",
    "parking": "car park",
    "fast_food": "fast-food place",
    "cafe": "café",
    "food": "place to eat",
    "atm": "cash machine",
    "toilets": "public toilet",
    "convenience": "convenience store",
    "car_repair": "car repair shop",
    "car_rental": "car rental",
    "car_wash": "car wash",
    "post_office": "post office",
    "attraction": "sight",
    "taxi": "taxi rank",
    "police": "police station",
    "mall": "shopping centre",
    "rest_area": "rest area",
}
"""How a category is named in a reply when the person's own word is not at hand (a parsed intent)."""

NOT_LABELS: frozenset[str] = frozenset(
    {
        "eat", "eating", "meal", "lunch", "dinner", "food", "cash", "ev", "post", "emergency", "gas",
        "petrol", "diesel", "coffee", "sight", "sights", "sightseeing", "grocery", "groceries", "movies",
        "charge", "recharge", "refuel", "fill up", "park", "dental", "take out", "takeout", "take away",
        "fast food", "fast food place", "fast food joint",
        "surgery", "multi storey", "pictures", "parking", "charging", "fuel", "toilets",
        "fast_food", "car_repair", "car_rental", "post_office", "tea", "cup of tea", "cup of coffee",
        "grocery shopping", "shopping", "bed for the night", "rest_area", "services", "layby", "lay by",
        "shopping_mall", "shopping_centre", "shopping_center",
    }
)  # fmt: skip
"""Words that name a category but cannot stand as its noun in a reply ("the nearest charge is ..."):
the reply names the category by `SPOKEN_LABELS` instead. Phrases starting "place to", "somewhere to",
"something to" and "bite to" are treated the same way."""

AVOID_WORDS: Mapping[str, str] = {
    **dict.fromkeys(("motorway", "highway", "freeway", "expressway", "autobahn", "interstate"), "motorways"),
    **dict.fromkeys(("toll", "toll road", "tollway"), "tolls"),
    **dict.fromkeys(
        ("unpaved", "unpaved road", "gravel", "gravel road", "dirt road", "dirt track"), "unpaved"
    ),
    **dict.fromkeys(("trunk road", "dual carriageway"), "trunk_roads"),
}
"""Spoken road kinds -> the map server's avoid options."""

SPOKEN_AVOID: Mapping[str, str] = {
    "motorways": "motorways",
    "trunk_roads": "trunk roads",
    "tolls": "toll roads",
    "unpaved": "unpaved roads",
}

ORDINALS: Mapping[str, int] = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "1": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "2": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "3": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "4": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "5": 5,
    "last": -1,
}
"""Ordinal words; -1 stands for the last place of a list."""


def is_label(phrase: str) -> bool:
    """Whether the words that named a category can be said back as its noun ("chemist", "car park")."""
    return (
        phrase not in NOT_LABELS
        and phrase not in CUISINES
        and not phrase.startswith(("place to", "somewhere to", "something to", "bite to", "place that"))
    )


@dataclass(frozen=True)
class CategoryMatch:
    """A category found inside a place phrase: which words named it, and what is left over."""

    category: str
    phrase: str
    """The words that named the category, singular ("ev charger", "chemist")."""
    name_hint: str | None
    rest: tuple[str, ...]
    """The phrase's other words, in order (a name that comes with the category: "stockmann" parking)."""


class CategoryVocabulary:
    """Every phrase that names a category of the loaded map: its names and aliases plus the English
    phrasings of `EXTRA_CATEGORY_PHRASES` whose category the map knows."""

    MAX_WORDS = 4

    def __init__(self, categories: Iterable[tuple[str, Iterable[str]]]) -> None:
        phrases: dict[str, _Phrase] = {}
        known: set[str] = set()
        for name, aliases in categories:
            known.add(name)
            for word in (name, *aliases):
                phrases.setdefault(normalize(word), _Phrase(name))
        for phrase, meaning in EXTRA_CATEGORY_PHRASES.items():
            if meaning.category in known:
                phrases[normalize(phrase)] = meaning
        self._phrases = phrases
        self.categories: frozenset[str] = frozenset(known)

    def lookup(self, phrase: str) -> _Phrase | None:
        """The meaning of a whole phrase (already normalized), trying its singular too."""
        meaning = self._phrases.get(phrase)
        if meaning is None and phrase:
            words = phrase.split(" ")
            meaning = self._phrases.get(" ".join([*words[:-1], singular(words[-1])]))
        return meaning

    def find(self, phrase: str) -> CategoryMatch | None:
        """The longest run of words in `phrase` that names a category, or None.

        Longer runs win ("car park" before "park"); among runs of one length, the rightmost wins,
        because English puts the head noun last ("Stockmann car park").
        """
        words = normalize(phrase).split()
        for size in range(min(self.MAX_WORDS, len(words)), 0, -1):
            for start in range(len(words) - size, -1, -1):
                run = words[start : start + size]
                key = " ".join(run)
                meaning = self._phrases.get(key)
                spoken = key
                if meaning is None:
                    spoken = " ".join([*run[:-1], singular(run[-1])])
                    meaning = self._phrases.get(spoken)
                if meaning is not None:
                    return CategoryMatch(
                        category=meaning.category,
                        phrase=spoken,
                        name_hint=meaning.name_hint,
                        rest=tuple(words[:start] + words[start + size :]),
                    )
        return None
