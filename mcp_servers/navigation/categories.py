"""POI categories and the OpenStreetMap tags that define them.

A place belongs to every category whose tags it carries. Group categories (``food``) gather several
specific ones; a place's primary category is the first specific category it matches, in the order
below. Category words are matched after case folding, with spaces and hyphens read as underscores,
and with aliases (``charger`` -> ``charging``, ``petrol`` -> ``fuel``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mcp_servers.navigation.errors import UnknownCategory


@dataclass(frozen=True)
class Category:
    """One category: its name, the OSM tags (key, accepted values) that define it, and its aliases."""

    name: str
    description: str
    tags: tuple[tuple[str, tuple[str, ...]], ...]
    aliases: tuple[str, ...] = ()
    group: bool = False

    def matches(self, tags: Mapping[str, str]) -> bool:
        """True when the tags put a place in this category."""
        return any(tags.get(key) in values for key, values in self.tags)

    def osm_tags(self) -> list[str]:
        """The defining tags as ``key=value`` strings."""
        return [f"{key}={value}" for key, values in self.tags for value in values]


_FOOD = ("restaurant", "fast_food", "food_court", "cafe")

CATEGORIES: tuple[Category, ...] = (
    Category(
        "fuel",
        "fuel station",
        (("amenity", ("fuel",)),),
        ("gas", "gas_station", "petrol", "petrol_station", "filling_station", "diesel"),
    ),
    Category(
        "charging",
        "charging station for electric vehicles",
        (("amenity", ("charging_station",)),),
        ("charger", "charging_station", "ev_charging", "ev_charger", "ev"),
    ),
    Category(
        "parking",
        "car park or entrance to an underground car park",
        (("amenity", ("parking", "parking_entrance")),),
        ("car_park", "parking_lot", "garage"),
    ),
    Category("restaurant", "restaurant", (("amenity", ("restaurant",)),)),
    Category(
        "fast_food", "fast food or food court", (("amenity", ("fast_food", "food_court")),), ("takeaway",)
    ),
    Category("cafe", "café", (("amenity", ("cafe",)),), ("coffee", "coffee_shop", "café")),
    Category(
        "food",
        "anywhere to eat: restaurants, fast food, cafés",
        (("amenity", _FOOD),),
        ("eat", "eating", "meal", "lunch", "dinner"),
        group=True,
    ),
    Category("bar", "bar or pub", (("amenity", ("bar", "pub", "biergarten")),), ("pub",)),
    Category(
        "pharmacy",
        "pharmacy (dispensing chemist)",
        (("amenity", ("pharmacy",)), ("healthcare", ("pharmacy",))),
        ("chemist", "drugstore", "apteekki"),
    ),
    Category(
        "hospital",
        "hospital",
        (("amenity", ("hospital",)), ("healthcare", ("hospital",))),
        ("emergency_room", "emergency"),
    ),
    Category(
        "doctor",
        "doctor or clinic",
        (("amenity", ("doctors", "clinic")), ("healthcare", ("doctor", "clinic"))),
        ("doctors", "clinic", "gp"),
    ),
    Category("dentist", "dentist", (("amenity", ("dentist",)), ("healthcare", ("dentist",)))),
    Category("supermarket", "supermarket", (("shop", ("supermarket",)),), ("grocery", "groceries")),
    Category("convenience", "convenience store", (("shop", ("convenience",)),), ("convenience_store",)),
    Category("florist", "florist", (("shop", ("florist",)),), ("flower_shop",)),
    Category(
        "mall",
        "shopping centre or department store",
        (("shop", ("mall", "department_store")),),
        ("shopping_mall", "shopping_centre", "shopping_center", "department_store", "shopping"),
    ),
    Category(
        "atm",
        "cash machine (alone or at a bank)",
        (("amenity", ("atm",)), ("atm", ("yes",))),
        ("cash", "cash_machine", "cashpoint"),
    ),
    Category("bank", "bank", (("amenity", ("bank",)),)),
    Category(
        "toilets", "public toilets", (("amenity", ("toilets",)),), ("toilet", "restroom", "wc", "bathroom")
    ),
    Category(
        "hotel",
        "hotel, motel, hostel or guest house",
        (("tourism", ("hotel", "motel", "hostel", "guest_house", "apartment")),),
        ("motel", "hostel", "accommodation", "lodging"),
    ),
    Category(
        "rest_area",
        "rest area or motorway services",
        (("highway", ("rest_area", "services")),),
        ("rest_stop", "services", "service_area", "layby", "lay_by"),
    ),
    Category("car_wash", "car wash", (("amenity", ("car_wash",)),)),
    Category(
        "car_repair", "car repair or tyre shop", (("shop", ("car_repair", "tyres")),), ("mechanic", "tyres")
    ),
    Category(
        "car_rental",
        "car rental or car sharing",
        (("amenity", ("car_rental", "car_sharing")),),
        ("car_sharing", "rental_car"),
    ),
    Category(
        "bicycle_rental",
        "bicycle rental or city-bike station",
        (("amenity", ("bicycle_rental",)),),
        ("bike_rental", "bike_hire", "bicycle_hire", "city_bike", "city_bikes", "citybike"),
    ),
    Category("police", "police station", (("amenity", ("police",)),)),
    Category("post_office", "post office", (("amenity", ("post_office",)),), ("post",)),
    Category("museum", "museum", (("tourism", ("museum",)),)),
    Category(
        "attraction",
        "tourist attraction or viewpoint",
        (("tourism", ("attraction", "viewpoint")),),
        ("sight", "sights", "sightseeing", "viewpoint"),
    ),
    Category("cinema", "cinema", (("amenity", ("cinema",)),), ("movies", "movie_theater")),
    Category("theatre", "theatre", (("amenity", ("theatre",)),), ("theater",)),
    Category(
        "station",
        "railway, metro or bus station",
        (
            ("railway", ("station", "halt")),
            ("public_transport", ("station",)),
            ("amenity", ("bus_station",)),
        ),
        ("train_station", "railway_station", "bus_station", "metro"),
    ),
    Category("taxi", "taxi rank", (("amenity", ("taxi",)),), ("taxi_rank", "cab")),
)

CATEGORY_NAMES: tuple[str, ...] = tuple(category.name for category in CATEGORIES)
_BY_NAME: dict[str, Category] = {category.name: category for category in CATEGORIES}
_BY_WORD: dict[str, str] = {
    **{alias: category.name for category in CATEGORIES for alias in category.aliases},
    **{category.name: category.name for category in CATEGORIES},
}
_SEPARATORS = re.compile(r"[\s\-]+")

POI_KEYS: tuple[str, ...] = (
    "amenity",
    "shop",
    "tourism",
    "healthcare",
    "leisure",
    "historic",
    "office",
    "craft",
    "building",
    "railway",
    "public_transport",
    "place",
    "atm",
    "highway",
)
"""Keys under which a place may be tagged; a tagged object is a POI when it has a category or a name
(for the keys of `_NAMED_ONLY_VALUES`, a name and one of those values)."""

_NAMED_ONLY_VALUES: Mapping[str, frozenset[str]] = {
    "railway": frozenset({"station", "halt"}),
    "public_transport": frozenset({"station"}),
    "place": frozenset({"square"}),
    "highway": frozenset({"pedestrian"}),
}
"""A named square or pedestrian street ("Kauppatori", "Aleksanterinkatu") is a place one can be taken to."""


def category(name: str) -> Category:
    """The category of that exact name (see :func:`resolve_category` for user input)."""
    return _BY_NAME[name]


def resolve_category(word: str) -> str:
    """The category name for a user's word (name or alias); raises UnknownCategory listing the names."""
    normalized = _SEPARATORS.sub("_", word.strip().casefold())
    if normalized in _BY_WORD:
        return _BY_WORD[normalized]
    for plural, singular in (("ies", "y"), ("s", "")):
        if normalized.endswith(plural) and normalized[: -len(plural)] + singular in _BY_WORD:
            return _BY_WORD[normalized[: -len(plural)] + singular]
    raise UnknownCategory(word, CATEGORY_NAMES)


def categories_of(tags: Mapping[str, str]) -> list[str]:
    """Every category the tags put a place in, specific ones first in catalog order, groups last."""
    matched = [c for c in CATEGORIES if c.matches(tags)]
    return [c.name for c in matched if not c.group] + [c.name for c in matched if c.group]


def is_place(tags: Mapping[str, str]) -> bool:
    """True when the tags describe a place worth finding: it has a category, or a name and a POI key."""
    if categories_of(tags):
        return True
    if "name" not in tags:
        return False
    for key in POI_KEYS:
        value = tags.get(key)
        if value is None:
            continue
        allowed = _NAMED_ONLY_VALUES.get(key)
        if allowed is None or value in allowed:
            return True
    return False
