"""What people go somewhere to do, and which of the map's categories they do it at.

People rarely name a map category; they say what they want to do there: "somewhere to grab a bite",
"where can I withdraw cash", "I need to wash the car", "anything worth seeing around here". Each
category of the map (`mcp_servers.navigation.categories`) is for something: a fuel station is where
one fills up, a car wash where one washes the car, a pharmacy where one buys medicine. `ACTIVITIES`
holds that, once: for each category, the verbs of what is done there and the things they are done
to. :func:`activity_place` reads the words that follow a place-asking frame ("where can I ...",
"somewhere to ...": the frames are read in `understanding.py`) and says which category they ask
for, or None when any word is left that the table does not hold ("eat healthier", "sleep more",
"charge my phone"): such words are not a wish to go somewhere.

The things one gets, buys or has are mostly the map's category words already ("a coffee", "cash",
"groceries", "lunch", `vocabulary.NOT_LABELS`); those are read by the category vocabulary and are
not repeated here. The table holds the verbs that say the activity ("eat", "sleep", "fill up"), and
the things the category vocabulary does not name ("a drink", "medicine", "a room").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from agents.navigation.vocabulary import CategoryVocabulary, singular
from mcp_servers.navigation.categories import CATEGORIES

__all__ = [
    "ACTIVITIES",
    "Activity",
    "ActivityMatch",
    "activity_place",
    "catalogue_vocabulary",
    "gerund",
    "place_gone_to",
    "starts_with_activity",
]


@dataclass(frozen=True)
class Activity:
    """Something done at places of one category.

    `verbs` say it (base form, with their particle: "fill up", "take out"); `objects` are what the
    verbs act on there, said after them with or without a determiner ("a drink", "the car", "my
    legs"), besides the words that name the category itself (`catalogue_vocabulary`: "get" +
    "coffee", "go for" + "lunch", "eat" + "sushi"); `alone` says the verb needs no object
    ("somewhere to eat"). `errand` is False for a wish
    that is as often kept at home as taken somewhere ("I need to buy milk" may be a shopping list):
    such an activity is a search only when the frame asks for a place ("where can I buy milk").
    """

    category: str
    verbs: tuple[str, ...]
    objects: tuple[str, ...] = ()
    alone: bool = False
    errand: bool = True


_GET = ("get", "grab", "have", "buy", "pick up", "find", "purchase", "enjoy")
"""Verbs by which one gets a thing where it is sold or served."""
_THE_CAR = ("car", "vehicle", "motor", "ev", "electric car", "electric vehicle")

ACTIVITIES: tuple[Activity, ...] = (
    # amenity=restaurant / fast_food / cafe: eating
    Activity("food", ("eat", "dine", "eat out", "dine out"), ("something", "a meal", "a bite"), alone=True),
    Activity(
        "food",
        (*_GET, "stop for", "go for"),
        (
            "a bite",
            "breakfast",
            "brunch",
            "supper",
            "a quick bite",
            "a quick bite to eat",
            "something quick",
            "something quick to eat",
            "a quick meal",
            "a quick lunch",
        ),
    ),
    # a short stop to eat something small: a snack bought to take along is the convenience store's
    Activity("food", ("stop for", "go for", "stop and get", "pull over for"), ("a snack", "a quick snack")),
    # amenity=cafe: coffee and tea are the vocabulary's words
    Activity("cafe", _GET, ("an espresso", "a cappuccino", "a latte", "a hot drink", "a cake", "a pastry")),
    # amenity=bar / pub / biergarten: drinking
    Activity("bar", ("drink", "go drinking", "go out drinking"), (), alone=True, errand=False),
    Activity(
        "bar",
        (*_GET, "go for"),
        (
            "a drink",
            "drinks",
            "a beer",
            "beers",
            "a pint",
            "a glass of wine",
            "wine",
            "a cocktail",
            "a nightcap",
        ),
    ),
    # tourism=hotel / motel / hostel / guest_house: sleeping
    Activity(
        "hotel",
        (
            "sleep",
            "stay",
            "spend the night",
            "stay the night",
            "stay overnight",
            "crash",
            "check in",
            "stop for the night",
            "rest for the night",
            "sleep overnight",
        ),
        (),
        alone=True,
        errand=False,
    ),
    Activity(
        "hotel", ("get", "find", "rent"), ("a room", "a bed", "a room for the night", "a bed for the night")
    ),
    # highway=rest_area / services: a break on the road
    Activity(
        "rest_area",
        (
            "rest",
            "take a break",
            "have a break",
            "take a rest",
            "have a rest",
            "stop for a break",
            "take a nap",
            "have a nap",
            "nap",
            "pull over for a break",
            "pull over",
            "pull over and rest",
            "pull over to rest",
            "pull over for a rest",
            "pull over for a bit",
            "stop and rest",
            "stop to rest",
            "stop for a rest",
            "stop for a bit",
            "take a short break",
            "have a short break",
            "stop and stretch",
            "stop to stretch my legs",
            "stop and stretch my legs",
        ),
        (),
        alone=True,
        errand=False,
    ),
    Activity("rest_area", ("stretch",), ("legs", "my legs", "our legs")),
    Activity(
        "rest_area",
        ("stop at", "pull into", "pull in at", "make", "take"),
        ("rest stop", "rest area", "layby", "lay-by", "services", "service area", "service station"),
    ),
    # amenity=toilets
    Activity(
        "toilets",
        (
            "pee",
            "wee",
            "go to the toilet",
            "use the toilet",
            "use the bathroom",
            "take a leak",
            "relieve myself",
            "freshen up",
            "wash my hands",
            "change a nappy",
            "change a diaper",
        ),
        (),
        alone=True,
    ),
    Activity(
        "toilets",
        ("use", "go to", "find", "get to"),
        ("toilet", "toilets", "bathroom", "restroom", "loo", "washroom", "wc", "ladies", "gents"),
    ),
    # amenity=fuel: filling the tank
    Activity(
        "fuel",
        ("fill up", "refuel", "fuel up", "gas up", "tank up", "top up", "fill"),
        ("", *_THE_CAR, "the tank", "tank", "up"),
        alone=True,
    ),
    Activity("fuel", _GET, ("diesel", "fuel for the car")),
    # amenity=charging_station
    Activity(
        "charging",
        ("charge", "recharge", "charge up", "plug in", "top up the battery"),
        (*_THE_CAR, "battery", "the battery", "car battery"),
        alone=True,
    ),
    # amenity=parking / parking_entrance
    Activity("parking", ("park",), _THE_CAR, alone=True),
    Activity("parking", ("leave",), _THE_CAR),
    # amenity=car_wash
    Activity("car_wash", ("wash", "clean", "get washed", "hose down"), _THE_CAR),
    Activity("car_wash", ("get", "have"), tuple(f"{car} washed" for car in _THE_CAR)),
    # shop=car_repair / tyres
    Activity(
        "car_repair",
        ("fix", "repair", "check", "service", "change", "replace", "pump up", "inflate"),
        (
            *_THE_CAR,
            "a tyre",
            "a flat",
            "a flat tyre",
            "a flat tire",
            "a puncture",
            "the brakes",
            "brakes",
            "the engine",
            "engine",
        ),
    ),
    Activity(
        "car_repair",
        ("get", "have"),
        tuple(f"{car} {done}" for car in _THE_CAR for done in ("fixed", "repaired", "serviced", "checked")),
    ),
    # amenity=car_rental / car_sharing
    Activity(
        "car_rental",
        ("rent", "hire", "lease", "borrow"),
        ("car", "a car", "a van", "van", "vehicle", "a vehicle"),
    ),
    # amenity=bicycle_rental
    Activity(
        "bicycle_rental",
        ("rent", "hire", "borrow"),
        ("bike", "a bike", "bikes", "bicycle", "a bicycle", "a city bike", "a scooter"),
    ),
    # amenity=atm / atm=yes: getting cash
    Activity(
        "atm", ("withdraw", "take out", "get out", "draw"), ("", "cash", "money", "some cash", "some money")
    ),
    Activity("atm", _GET, ("money", "some money", "euros", "dollars", "pounds")),
    # amenity=bank
    Activity("bank", ("exchange", "change", "deposit"), ("money", "currency", "cash", "a cheque", "a check")),
    # amenity=pharmacy: medicine
    Activity(
        "pharmacy",
        (*_GET, "fill", "collect"),
        (
            "medicine",
            "medicines",
            "medication",
            "painkillers",
            "aspirin",
            "paracetamol",
            "ibuprofen",
            "plasters",
            "bandages",
            "a prescription",
            "my prescription",
            "cough syrup",
            "allergy pills",
        ),
        errand=False,
    ),
    # shop=supermarket: groceries are the vocabulary's word
    Activity(
        "supermarket",
        ("do", "shop for"),
        ("groceries", "the groceries", "the shopping", "grocery shopping"),
        errand=False,
    ),
    Activity(
        "supermarket",
        _GET,
        ("bread", "milk", "fruit", "vegetables", "water", "food for tonight", "supplies"),
        errand=False,
    ),
    # shop=convenience
    Activity(
        "convenience",
        _GET,
        ("snacks", "a snack", "cigarettes", "a newspaper", "sweets", "candy"),
        errand=False,
    ),
    # shop=florist
    Activity("florist", _GET, ("flowers", "some flowers", "a bouquet", "roses"), errand=False),
    # shop=mall / department_store
    Activity("mall", ("shop", "go shopping"), (), alone=True, errand=False),
    Activity("mall", _GET, ("clothes", "shoes", "a present", "a gift", "presents", "gifts"), errand=False),
    # amenity=post_office
    Activity(
        "post_office",
        ("post", "mail", "send", "pick up", "collect"),
        ("a letter", "a parcel", "a package", "letters", "parcels", "packages"),
    ),
    Activity("post_office", ("buy", "get"), ("stamps",)),
    # amenity=police
    Activity("police", ("report",), ("a crime", "a theft", "an accident", "a robbery", "a break in")),
    # amenity=doctors / clinic
    Activity(
        "doctor",
        ("see", "get", "visit"),
        ("a doctor", "a gp", "a checkup", "a check up", "checked out"),
        errand=False,
    ),
    # tourism=attraction / viewpoint: sights
    Activity("attraction", ("go sightseeing", "sightsee", "look around", "explore"), (), alone=True),
    Activity(
        "attraction",
        ("see", "visit", "stop for"),
        ("the sights", "sights", "something", "something interesting", "the view", "a view"),
    ),
    Activity("attraction", ("see", "visit", "take a look", "have a look"), (), alone=True, errand=False),
    # tourism=museum
    Activity("museum", ("see", "look at"), ("art", "some art", "an exhibition", "exhibitions")),
    # amenity=cinema
    Activity("cinema", ("see", "catch"), ("a movie", "a film", "movies", "films")),
    # amenity=theatre
    Activity("theatre", ("see", "catch"), ("a play", "a show", "a musical", "an opera", "a concert")),
    # railway=station / public_transport=station / amenity=bus_station
    Activity(
        "station",
        ("catch", "take", "get on", "board"),
        ("a train", "the train", "a bus", "the bus", "the metro", "the subway", "the tube", "a tram"),
    ),
)
"""Each category's activities, read from what its OSM tags say the place is for."""

_DETERMINER = re.compile(
    r"^(?:(?:a|an|the|some|my|our|the cars|my cars|our cars|a couple of|couple of|a few|a bunch of|"
    r"two|three|four|a glass of|a cup of|a bottle of)\s+)+"
)
_SPACES = re.compile(r"\s+")


def gerund(verb: str) -> str:
    """The -ing form of a verb's first word ("see" -> "seeing", "take out" -> "taking out")."""
    head, _, rest = verb.partition(" ")
    if head.endswith("ie"):
        head = head[:-2] + "ying"
    elif head.endswith("e") and not head.endswith("ee") and len(head) > 2:
        head = head[:-1] + "ing"
    else:
        head += "ing"
    return f"{head} {rest}".strip()


@cache
def catalogue_vocabulary() -> CategoryVocabulary:
    """The category vocabulary over the map server's catalogue (every category it may know)."""
    return CategoryVocabulary((category.name, category.aliases) for category in CATEGORIES)


def _same_object(said: str, activity: Activity, objects: frozenset[str]) -> bool:
    if said in objects:
        return True
    bare = _DETERMINER.sub("", said)
    if bare in objects:
        return True
    words = bare.split(" ")
    if " ".join([*words[:-1], singular(words[-1])]) in {_DETERMINER.sub("", o) for o in objects}:
        return True
    meaning = catalogue_vocabulary().lookup(bare)
    return meaning is not None and meaning.category == activity.category


@dataclass(frozen=True)
class _Verb:
    words: str
    activity: Activity
    objects: frozenset[str]


def _verbs() -> tuple[_Verb, ...]:
    verbs = [
        _Verb(form, activity, frozenset(activity.objects))
        for activity in ACTIVITIES
        for verb in activity.verbs
        for form in (verb, gerund(verb))
    ]
    return tuple(sorted(verbs, key=lambda verb: len(verb.words), reverse=True))


_VERBS = _verbs()


@dataclass(frozen=True)
class ActivityMatch:
    """An activity read in words: the category where it is done, and the thing said with its verb."""

    category: str
    thing: str | None
    """The object said, without its determiner ("sushi" in "eat sushi"), or None."""

    @property
    def phrase(self) -> str:
        """The words to search for: the thing said where it narrows the category ("sushi": a place
        to eat that serves it), else the category's name."""
        if self.thing is not None:
            meaning = catalogue_vocabulary().lookup(self.thing)
            if meaning is not None and meaning.category == self.category and meaning.name_hint is not None:
                return self.thing
        return self.category.replace("_", " ")


_AT_A_PLACE = re.compile(r"^(?:at|in|from|inside) (?P<place>.+)$")
"""Where the activity is done, said after it ("eat at a chinese restaurant", "rest in a hotel")."""
_EITHER = re.compile(r" (?:or|and|and maybe|or maybe|and some|or some|and a|or a) ")
"""Between two things asked for together ("coffee or tea")."""


def _said_place(rest: str) -> ActivityMatch | None:
    """The category the words after an activity name as where it is done, or None."""
    at = _AT_A_PLACE.match(rest)
    if at is None:
        return None
    place = _DETERMINER.sub("", at.group("place"))
    match = catalogue_vocabulary().find(place)
    if match is None or match.rest:
        return None
    return ActivityMatch(match.category, place)


def activity_place(words: str, *, errand_only: bool = False) -> ActivityMatch | None:
    """Where one does what `words` say: the category and the thing said, or None.

    `words` are normalized (`vocabulary.normalize`) and hold only the activity, its frame and what
    is said about when or where already removed ("grab a bite", "withdraw cash", "stretch my legs").
    Every word must be the table's: a verb of an activity, then nothing (where the verb may stand
    alone) or one of its objects, or several joined by "or" / "and" that are done at one category
    ("buy coffee or tea"). A verb followed by a category said as where it is done ("eat at a Chinese
    restaurant", "rest in a hotel") asks for that category. With `errand_only`, activities that are
    not errands do not count unless their place is said.
    """
    said = _SPACES.sub(" ", words).strip()
    for verb in _VERBS:
        if said == verb.words:
            if (verb.activity.alone or "" in verb.objects) and (verb.activity.errand or not errand_only):
                return ActivityMatch(verb.activity.category, None)
            continue
        if not said.startswith(verb.words + " "):
            continue
        rest = said[len(verb.words) + 1 :]
        place = _said_place(rest)
        if place is not None:
            return place
        if errand_only and not verb.activity.errand:
            continue
        things = _EITHER.split(rest)
        if all(_same_object(thing, verb.activity, verb.objects) for thing in things):
            return ActivityMatch(verb.activity.category, _DETERMINER.sub("", things[0]))
    return None


def place_gone_to(words: str) -> ActivityMatch | None:
    """The category `words` name as a whole, said where one goes ("the bathroom", "a pharmacy" in
    "where can I go to the bathroom"), or None: a name ("Kamppi") or any word left over is not one."""
    place = _DETERMINER.sub("", _SPACES.sub(" ", words).strip())
    match = catalogue_vocabulary().find(place)
    if match is None or match.rest:
        return None
    return ActivityMatch(match.category, place)


def starts_with_activity(words: str) -> bool:
    """Whether `words` begin with a verb of the table ("relax by the sea", "eat healthier"): after
    "go to" they say what to do, not where to go."""
    said = _SPACES.sub(" ", words).strip()
    return any(said == verb.words or said.startswith(verb.words + " ") for verb in _VERBS)
