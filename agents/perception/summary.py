"""Writing the spoken answer from structured facts, deterministically.

`compose(ask, facts)` builds the reply sentence from `Facts` alone: every object, sign, number and
driver state it names is in the facts, and `Answer.facts_used` lists which. Where a fact is missing
the sentence says so (docs/safety.md GR-19): no perception frame yet, an empty frame ("I don't see
anything in your blind spot"), no sign ("I haven't seen a sign yet"), a server out of reach.

How much is said follows two rules:

- GR-12: unless the car is PARKED (an unknown speed counts as moving), the answer is one short
  sentence, most urgent first: objects closing fast, then objects in a blind spot, then the nearest.
- GR-14: while the driver's fatigue is high or attentiveness low (`Vehicle.Driver.*`), the answer
  is short as well and non-urgent detail is held back ("Nothing urgent around you."); asked about
  tiredness or a break, the answer suggests a break.

Lane changes: the answer reports what is in the way (an object in that blind spot, or in the
adjacent lane beside the car, closing fast, or within `lane_gap_m`) and never declares a lane safe;
with nothing in the way it says so and adds "check your mirror".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.perception.facts import (
    ATTENTIVE,
    DISTRACTION,
    EYES_ON_ROAD,
    FATIGUE,
    SPEED,
    DriverState,
    DrivingState,
    Facts,
    Gap,
    LimitSeen,
    PassedSign,
    SeenObject,
    SeenSign,
)
from agents.perception.understanding import Ask, LateralSide, Region

__all__ = [
    "Answer",
    "DriverAssessment",
    "Policy",
    "SummarySettings",
    "assess_driver",
    "compose",
    "describe_object",
    "describe_sign",
    "how_long_ago",
    "object_position",
    "policy_of",
    "rank_by_urgency",
]

FatigueBand = Literal["high", "moderate", "low"]


class SummarySettings(BaseModel):
    """The tunable numbers of the answers (defaults: engineering choices, documented in the docs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fatigue_high: float = Field(default=60.0, ge=0.0, le=100.0)
    """`Vehicle.Driver.FatigueLevel` (percent) from which the driver counts as tired (GR-14)."""
    fatigue_moderate: float = Field(default=35.0, ge=0.0, le=100.0)
    """From this fatigue level a break is suggested as a good idea, without holding anything back."""
    attentive_low: float = Field(default=50.0, ge=0.0, le=100.0)
    """`AttentiveProbability` (percent) below which attentiveness counts as low (GR-14)."""
    distraction_high: float = Field(default=60.0, ge=0.0, le=100.0)
    """`DistractionLevel` (percent) from which the driver counts as distracted (GR-14)."""
    lane_gap_m: float = Field(default=10.0, gt=0.0, le=100.0)
    """An object in the target lane, ahead or behind, closer than this is in the way of a lane change."""
    stale_after_s: float | None = Field(default=10.0, gt=0.0)
    """A perception frame older than this is not used to say what is around the car (None: any age)."""
    speeding_margin_kmh: float = Field(default=3.0, ge=0.0, le=50.0)
    """The speed is mentioned with the limit once it exceeds the limit by more than this."""
    list_limit: int = Field(default=4, ge=1, le=20)
    """Most objects or signs named in a parked answer; the rest are counted."""
    quote_word_limit: int = Field(default=10, ge=1, le=100)
    """Most words of sign text quoted in a short answer."""
    short_word_limit: int = Field(default=20, ge=8, le=60)
    """Most words of a short answer about objects; a second urgent object is dropped to stay within."""
    sign_in_view_s: float = Field(default=5.0, ge=0.0, le=60.0)
    """A sign seen at most this long ago is spoken of as in view; older ones as passed, with their age."""

    @model_validator(mode="after")
    def _ordered(self) -> SummarySettings:
        if self.fatigue_moderate > self.fatigue_high:
            raise ValueError("fatigue_moderate must not be above fatigue_high")
        return self


DEFAULT_SETTINGS = SummarySettings()


class DriverAssessment(BaseModel):
    """What the driver-monitoring signals say, each None when the signal was not reported."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fatigue: FatigueBand | None = None
    attentive: bool | None = None
    distracted: bool | None = None
    eyes_on_road: bool | None = None

    @property
    def inattentive(self) -> bool:
        """Attentiveness is low, the driver is distracted, or the eyes are off the road."""
        return self.attentive is False or self.distracted is True or self.eyes_on_road is False

    @property
    def strained(self) -> bool:
        """GR-14 applies: fatigue high or attentiveness low."""
        return self.fatigue == "high" or self.inattentive


def assess_driver(driver: DriverState, settings: SummarySettings = DEFAULT_SETTINGS) -> DriverAssessment:
    """Classify the driver-monitoring signals by the settings' thresholds."""
    fatigue: FatigueBand | None = None
    if driver.fatigue_level is not None:
        if driver.fatigue_level >= settings.fatigue_high:
            fatigue = "high"
        elif driver.fatigue_level >= settings.fatigue_moderate:
            fatigue = "moderate"
        else:
            fatigue = "low"
    attentive = (
        None
        if driver.attentive_probability is None
        else driver.attentive_probability >= settings.attentive_low
    )
    distracted = (
        None if driver.distraction_level is None else driver.distraction_level >= settings.distraction_high
    )
    return DriverAssessment(
        fatigue=fatigue, attentive=attentive, distracted=distracted, eyes_on_road=driver.eyes_on_road
    )


class Policy(BaseModel):
    """How much one answer may say: GR-12 (`restricted`) and GR-14 (`strained`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    driving_state: DrivingState
    restricted: bool
    strained: bool

    @property
    def short(self) -> bool:
        """One short sentence, most urgent first."""
        return self.restricted or self.strained

    @property
    def rules(self) -> tuple[str, ...]:
        """The guardrail ids that shaped the answer."""
        return (("GR-12",) if self.restricted else ()) + (("GR-14",) if self.strained else ())


def policy_of(driver: DriverState, settings: SummarySettings = DEFAULT_SETTINGS) -> Policy:
    """The answer policy for the car's driving state and the driver's state."""
    state = driver.driving_state
    return Policy(
        driving_state=state, restricted=state != "parked", strained=assess_driver(driver, settings).strained
    )


class Answer(BaseModel):
    """A composed answer: the sentence, the facts it rests on and the objects and signs it concerns.

    `mentioned` are the objects the sentence names (what a rephrasing must keep and may not go
    beyond); `objects` and `signs` are what the question concerns (for the data part). `failed` is
    True when the fact the question needs could not be read because a server was out of reach.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(min_length=1)
    facts_used: tuple[str, ...] = ()
    objects: tuple[SeenObject, ...] = ()
    mentioned: tuple[SeenObject, ...] = ()
    signs: tuple[SeenSign, ...] = ()
    urgent: bool = False
    failed: bool = False


# --- wording ---------------------------------------------------------------------------------------------

_UNIDENTIFIED = "unidentified object"
"""What an object of the class ``unknown`` is called; every other class, and every sign kind, is called
by its own name ("no_entry": "no entry sign")."""
_REGION_WHERE: dict[Region, str] = {
    "all": "around you",
    "ahead": "ahead",
    "behind": "behind you",
    "left": "on your left",
    "right": "on your right",
}
_SIDES: tuple[LateralSide, LateralSide] = ("left", "right")


def _lead(region: Region) -> str:
    """What a list of the objects in `region` opens with ("On your left, I see")."""
    return "I see" if region == "all" else f"{_REGION_WHERE[region].capitalize()}, I see"


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _noun(obj: SeenObject) -> str:
    return _UNIDENTIFIED if obj.object_class == "unknown" else obj.object_class.replace("_", " ")


def _metres(distance_m: float) -> str:
    if distance_m >= 10.0:
        shown = f"{distance_m:.0f}"
    else:
        shown = f"{distance_m:.1f}".rstrip("0").rstrip(".")
    return f"{shown} metre" if shown == "1" else f"{shown} metres"


def describe_object(obj: SeenObject, *, region: Region = "all") -> str:
    """A short phrase for one object, e.g. `a cyclist in your right blind spot`, `a car closing fast
    8 metres behind`. The direction is left out when `region` already says it."""
    return f"{_article(_noun(obj))} {object_position(obj, region=region)}"


def object_position(obj: SeenObject, *, region: Region = "all") -> str:
    """Where an object is and whether it closes fast: `in your right blind spot`, `closing fast 8
    metres behind`, `4 metres to your right`; `5 metres away` when `region` already gives the side."""
    if obj.blind_spot is not None:
        where = f"in your {obj.blind_spot} blind spot"
    elif obj.side == region:
        where = f"{_metres(obj.distance_m)} away"
    elif obj.side == "ahead":
        where = f"{_metres(obj.distance_m)} ahead"
    elif obj.side == "behind":
        where = f"{_metres(obj.distance_m)} behind"
    else:
        where = f"{_metres(obj.distance_m)} to your {obj.side}"
    return f"closing fast {where}" if obj.approaching_fast else where


def _urgency(obj: SeenObject) -> tuple[int, float, float, str]:
    band = 0 if obj.approaching_fast else 1 if obj.blind_spot is not None else 2
    ttc = obj.time_to_contact_s if obj.time_to_contact_s is not None else math.inf
    return (band, ttc, obj.distance_m, obj.id)


def rank_by_urgency(objects: Sequence[SeenObject]) -> list[SeenObject]:
    """Most urgent first: closing fast (soonest contact first), then in a blind spot, then nearest."""
    return sorted(objects, key=_urgency)


def _is_urgent(obj: SeenObject) -> bool:
    return obj.approaching_fast or obj.blind_spot is not None


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _object_ids(objects: Sequence[SeenObject]) -> tuple[str, ...]:
    return tuple(f"object:{obj.id}" for obj in objects)


def _number(value: float) -> str:
    return f"{value:g}"


def _in_region(obj: SeenObject, region: Region) -> bool:
    if region == "all":
        return True
    if region in _SIDES:
        return obj.side == region or obj.blind_spot == region
    return obj.side == region


def _on_side(obj: SeenObject, side: LateralSide) -> bool:
    return obj.side == side or obj.blind_spot == side or obj.lane in (side, f"far_{side}")


# --- the answers -----------------------------------------------------------------------------------------


def compose(ask: Ask, facts: Facts, settings: SummarySettings = DEFAULT_SETTINGS) -> Answer:
    """The deterministic answer to `ask` from `facts` (see the module docstring for the rules)."""
    policy = policy_of(facts.driver, settings)
    if ask.kind == "surroundings":
        return _surroundings(ask, facts, policy, settings)
    if ask.kind == "blind_spot":
        return _blind_spot(ask, facts, policy, settings)
    if ask.kind == "lane_change":
        return _lane_change(ask, facts, policy, settings)
    if ask.kind == "sign_text":
        return _sign_text(facts, policy, settings)
    if ask.kind == "speed_limit":
        return _speed_limit(facts, settings)
    if ask.kind == "signs":
        return _signs(facts, policy, settings)
    if ask.kind == "parking":
        return _parking(facts)
    if ask.kind == "driver_state":
        return _driver_state(facts, settings)
    return _take_break(ask, facts, settings)


def _missing_view(gap: Gap | None, *, then: str) -> Answer:
    """The answer when the perception view a question needs could not be read."""
    if gap is not None and gap.reason == "no_frame":
        return Answer(text=f"I haven't had a view of the road yet, so {then}.")
    return Answer(text=f"I can't reach the car's perception right now, so {then}.", failed=True)


def _stale(facts: Facts, settings: SummarySettings, *, then: str) -> Answer | None:
    view = facts.objects
    if view is None or settings.stale_after_s is None or view.age_s <= settings.stale_after_s:
        return None
    return Answer(
        text=f"My view of the road is {view.age_s:.0f} seconds old, so {then}.",
        facts_used=("perception.frame_age",),
    )


def _surroundings(ask: Ask, facts: Facts, policy: Policy, settings: SummarySettings) -> Answer:
    where = _REGION_WHERE[ask.region]
    view = facts.objects
    if view is None:
        return _missing_view(facts.gap("objects"), then=f"I can't tell what's {where}")
    stale = _stale(facts, settings, then=f"I can't say what's {where} now")
    if stale is not None:
        return stale
    selected = tuple(rank_by_urgency([obj for obj in view.objects if _in_region(obj, ask.region)]))
    if not selected:
        return Answer(text=f"I don't see anything {where}.", facts_used=("perception.objects",))
    lead = selected[0]
    careful = "Careful: " if lead.approaching_fast else ""
    if policy.short:
        if policy.strained and not _is_urgent(lead):
            return Answer(
                text=f"Nothing urgent {where}.",
                facts_used=("perception.objects",),
                objects=selected,
            )

        # The urgent objects (at most two), else the nearest one; the rest are counted.
        def say(spoken: Sequence[SeenObject]) -> str:
            rest = len(selected) - len(spoken)
            more = f", plus {rest} more" if rest else ""
            phrase = _join([describe_object(obj) for obj in spoken])
            return f"{careful}{phrase}{more}." if careful else f"{_capital(phrase)}{more}."

        spoken = [obj for obj in selected[:2] if _is_urgent(obj)] or [lead]
        text = say(spoken)
        if len(text.split()) > settings.short_word_limit:
            spoken = spoken[:1]
            text = say(spoken)
        rest = len(selected) - len(spoken)
        return Answer(
            text=text,
            facts_used=_object_ids(spoken) + (("perception.objects",) if rest else ()),
            objects=selected,
            mentioned=tuple(spoken),
            urgent=_is_urgent(lead),
        )
    named = selected[: settings.list_limit]
    extra = len(selected) - len(named)
    # Without the region's lead-in ("Careful: ...") every object keeps its own direction.
    items = [describe_object(obj, region="all" if careful else ask.region) for obj in named]
    if extra:
        items.append(f"{extra} more")
    text = f"{careful}{_join(items)}." if careful else f"{_lead(ask.region)} {_join(items)}."
    return Answer(
        text=text,
        facts_used=_object_ids(named) + (("perception.objects",) if extra else ()),
        objects=selected,
        mentioned=named,
        urgent=_is_urgent(lead),
    )


def _blind_spot(ask: Ask, facts: Facts, policy: Policy, settings: SummarySettings) -> Answer:
    spot = f"your {ask.side} blind spot" if ask.side else "your blind spots"
    view = facts.objects
    if view is None:
        return _missing_view(facts.gap("objects"), then=f"I can't tell what's in {spot}; check your mirror")
    stale = _stale(facts, settings, then="check your mirror")
    if stale is not None:
        return stale
    sides = (ask.side,) if ask.side else _SIDES
    inside = tuple(rank_by_urgency([obj for obj in view.objects if obj.blind_spot in sides]))
    if not inside:
        return Answer(text=f"I don't see anything in {spot}.", facts_used=("perception.objects",))

    def say(named: Sequence[SeenObject]) -> str:
        extra = len(inside) - len(named)
        items = [describe_object(obj) for obj in named] + ([f"{extra} more"] if extra else [])
        return f"Careful: {_join(items)}." if named[0].approaching_fast else f"There's {_join(items)}."

    named = inside[: 2 if policy.short else settings.list_limit]
    text = say(named)
    if policy.short and len(text.split()) > settings.short_word_limit:
        named = named[:1]
        text = say(named)
    return Answer(
        text=text,
        facts_used=_object_ids(named),
        objects=inside,
        mentioned=named,
        urgent=True,
    )


def _blocking(obj: SeenObject, side: LateralSide, settings: SummarySettings) -> bool:
    if obj.blind_spot == side:
        return True
    if obj.lane != side:
        return False
    return obj.side == side or obj.approaching_fast or obj.distance_m <= settings.lane_gap_m


def _blocker(obj: SeenObject, side: LateralSide) -> str:
    phrase = describe_object(obj)
    if obj.blind_spot is None and obj.side in ("ahead", "behind"):
        phrase += f" in the {side} lane"
    return phrase


def _lane_change(ask: Ask, facts: Facts, policy: Policy, settings: SummarySettings) -> Answer:
    view = facts.objects
    mirror = "check your mirror before you change lanes"
    if view is None:
        return _missing_view(facts.gap("objects"), then=mirror)
    stale = _stale(facts, settings, then=mirror)
    if stale is not None:
        return stale
    sides = (ask.side,) if ask.side else _SIDES
    relevant = tuple(rank_by_urgency([obj for obj in view.objects if any(_on_side(obj, s) for s in sides)]))
    blockers = {
        s: rank_by_urgency([obj for obj in view.objects if _blocking(obj, s, settings)]) for s in sides
    }
    blocked = sorted((s for s in sides if blockers[s]), key=lambda s: _urgency(blockers[s][0]))
    clear = [s for s in sides if not blockers[s]]
    if not blocked:
        if ask.side:
            text = (
                f"I see nothing in the {ask.side} lane or blind spot; check your mirror."
                if policy.short
                else f"I don't see anything in the {ask.side} lane or your {ask.side} blind spot, "
                "but check your mirror before you move over."
            )
        else:
            text = (
                "I see nothing in the lanes beside you or your blind spots; check your mirror."
                if policy.short
                else "I don't see anything in the lanes beside you or in your blind spots, "
                "but check your mirror before you move over."
            )
        return Answer(text=text, facts_used=("perception.objects",), objects=relevant)
    named = [blockers[s][0] for s in blocked]
    phrases = [_blocker(obj, s) for obj, s in zip(named, blocked, strict=True)]
    if len(blocked) == 2 or ask.side:
        text = f"Not now: {_join(phrases)}."
        if policy.short and len(named) == 2 and len(text.split()) > settings.short_word_limit:
            # Keep both sides, but only the side of the second one.
            text = f"Not now: {phrases[0]}, and {_article(_noun(named[1]))} on the {blocked[1]}."
            if len(text.split()) > settings.short_word_limit:
                # The first blocker in full, the second side only by name.
                text = f"Not now: {phrases[0]}; the {blocked[1]} is blocked too."
    else:
        text = f"Not to the {blocked[0]}: {phrases[0]}"
        if not policy.short and clear:
            text += f"; I see nothing in the {clear[0]} lane or blind spot, but check your mirror"
        text += "."
    return Answer(
        text=text,
        facts_used=_object_ids(named) + (("perception.objects",) if clear and not policy.short else ()),
        objects=relevant,
        mentioned=tuple(named),
        urgent=True,
    )


# --- signs -----------------------------------------------------------------------------------------------


def describe_sign(sign: SeenSign) -> str:
    """A short phrase for one sign, e.g. `a 50 km/h speed limit sign`, `a parking sign showing 2h`."""
    numeric = isinstance(sign.value, int | float) and not isinstance(sign.value, bool)
    if sign.kind == "speed_limit" and numeric and isinstance(sign.value, int | float):
        phrase = f"a {_number(sign.value)} km/h speed limit sign"
    elif sign.kind == "end_speed_limit":
        phrase = (
            f"an end of {_number(sign.value)} km/h limit sign"
            if isinstance(sign.value, int | float)
            else "an end of speed limit sign"
        )
    elif sign.kind == "text":
        phrase = "a sign"
    else:
        phrase = _article(sign.kind.replace("_", " ") + " sign")
    if sign.text:
        phrase += f' saying "{" ".join(sign.text.split())}"'
    elif sign.value is not None and sign.kind not in ("speed_limit", "end_speed_limit"):
        phrase += f" showing {sign.value}"
    return phrase


def _sign_ids(signs: Sequence[SeenSign], all_signs: Sequence[SeenSign]) -> tuple[str, ...]:
    ids: list[str] = []
    for sign in signs:
        index = next(i for i, candidate in enumerate(all_signs) if candidate is sign)
        ids.append(f"sign:{index}:{sign.kind}")
    return tuple(ids)


def how_long_ago(age_s: float) -> str:
    """How long ago, as a person says it: `just now`, `about 40 seconds ago`, `about 2 minutes ago`."""
    if age_s < 5.0:
        return "just now"
    if age_s < 57.5:
        return f"about {max(5, round(age_s / 5.0) * 5)} seconds ago"
    if age_s < 90.0:
        return "about a minute ago"
    if age_s < 3570.0:
        return f"about {round(age_s / 60.0)} minutes ago"
    return "over an hour ago"


def _words(text: str, policy: Policy, settings: SummarySettings) -> tuple[str, str]:
    """The sign text to quote, cut to `quote_word_limit` words in a short answer, and its tail."""
    words = text.split()
    if policy.short and len(words) > settings.quote_word_limit:
        return " ".join(words[: settings.quote_word_limit]), ", and more"
    return " ".join(words), ""


def _quote(text: str, policy: Policy, settings: SummarySettings, *, age_s: float = 0.0) -> str:
    """`The sign says "…".` for a sign in view; `The last sign, about 40 seconds ago, said "…".` for
    one the car has passed."""
    quoted, more = _words(text, policy, settings)
    if age_s <= settings.sign_in_view_s:
        return f'The sign says "{quoted}"{more}.'
    return f'The last sign, {how_long_ago(age_s)}, said "{quoted}"{more}.'


def _signs_unreachable(facts: Facts, *sources: Literal["signs", "sign_text"]) -> bool:
    gaps = [facts.gap(source) for source in sources]
    return all(gap is not None and gap.reason in ("unreachable", "error") for gap in gaps)


def _frame_age(facts: Facts, timestamp: float | None = None) -> float:
    """How old the frame is that the signs (or the reading stamped `timestamp`) come from."""
    view = facts.signs
    if view is None or (timestamp is not None and timestamp != view.timestamp):
        return 0.0
    return view.age_s


def _passed(facts: Facts) -> PassedSign | None:
    """The newest remembered sign that is not in the current frame."""
    view = facts.signs
    if view is None:
        return None
    return next(iter(view.recent), None)


def _sign_text(facts: Facts, policy: Policy, settings: SummarySettings) -> Answer:
    signs = facts.signs.signs if facts.signs is not None else ()
    reading = facts.reading
    if reading is not None and reading.found and reading.spoken_text:
        return Answer(
            text=_quote(reading.spoken_text, policy, settings, age_s=_frame_age(facts, reading.timestamp)),
            facts_used=("sign_text",),
            signs=signs,
        )
    with_text = [sign for sign in signs if sign.text]
    if with_text:
        return Answer(
            text=_quote(with_text[0].text or "", policy, settings, age_s=_frame_age(facts)),
            facts_used=_sign_ids(with_text[:1], signs),
            signs=signs,
        )
    if signs:
        named = list(signs[: 2 if policy.short else settings.list_limit])
        phrases = _join([describe_sign(sign) for sign in named])
        age = _frame_age(facts)
        if age > settings.sign_in_view_s:
            text = f"The last sign, {how_long_ago(age)}, was {phrases}."
        elif reading is not None:
            text = f"I couldn't read any text on it, but I see {phrases}."
        else:
            text = f"I see {phrases}."
        used = _sign_ids(named, signs) + (("sign_text",) if reading is not None else ())
        return Answer(text=text, facts_used=used, signs=signs)
    passed = _passed(facts)
    if passed is not None:
        sign = passed.sign
        text = (
            _quote(sign.text, policy, settings, age_s=passed.age_s)
            if sign.text
            else f"The last sign, {how_long_ago(passed.age_s)}, was {describe_sign(sign)}."
        )
        return Answer(text=text, facts_used=("sign_memory:0",), signs=(sign,))
    if _signs_unreachable(facts, "signs", "sign_text"):
        return Answer(
            text="I can't reach the car's perception right now, so I can't read the sign.", failed=True
        )
    used = ("perception.signs",) if facts.signs is not None else ()
    return Answer(text="I haven't seen a sign yet.", facts_used=used)


def _remembered_limit(limit: LimitSeen, speed: float | None, settings: SummarySettings) -> Answer:
    """The limit from the sign memory: in force (with how long ago its sign was seen) or ended."""
    value = _number(limit.value_kmh)
    if limit.ended is not None:
        when = how_long_ago(limit.ended_age_s if limit.ended_age_s is not None else limit.age_s)
        text = (
            f"I saw the end of the {value} km/h limit {when}, and no new limit sign since."
            if limit.ended == "end_sign"
            else f"The {value} km/h limit ended when the road changed {when}, "
            "and I haven't seen a new limit sign since."
        )
        return Answer(text=text, facts_used=("sign_memory:limit",))
    seen = f", from a sign {how_long_ago(limit.age_s)}"
    if speed is not None and speed > limit.value_kmh + settings.speeding_margin_kmh:
        return Answer(
            text=f"The speed limit is {value} km/h{seen}, and you're doing {speed:.0f}.",
            facts_used=("sign_memory:limit", SPEED),
        )
    return Answer(text=f"The speed limit is {value} km/h{seen}.", facts_used=("sign_memory:limit",))


def _speed_limit(facts: Facts, settings: SummarySettings) -> Answer:
    view = facts.signs
    if view is None:
        if _signs_unreachable(facts, "signs"):
            return Answer(
                text="I can't reach the car's perception right now, so I can't tell the speed limit.",
                failed=True,
            )
        return Answer(text="I haven't seen a speed limit sign yet.")
    limits = [sign for sign in view.signs if sign.kind == "speed_limit"]
    if view.speed_limit_kmh is not None and view.age_s <= settings.sign_in_view_s:
        limit = view.speed_limit_kmh
        source = [
            sign for sign in limits if isinstance(sign.value, int | float) and float(sign.value) == limit
        ]
        used = _sign_ids(source[:1], view.signs) or ("perception.speed_limit",)
        speed = facts.driver.speed_kmh
        if speed is not None and speed > limit + settings.speeding_margin_kmh:
            return Answer(
                text=f"The speed limit is {_number(limit)} km/h, and you're doing {speed:.0f}.",
                facts_used=(*used, SPEED),
                signs=view.signs,
            )
        return Answer(text=f"The speed limit is {_number(limit)} km/h.", facts_used=used, signs=view.signs)
    ends = [sign for sign in view.signs if sign.kind == "end_speed_limit"]
    if ends and (view.limit is None or view.age_s <= settings.sign_in_view_s):
        value = ends[0].value
        what = f"the {_number(value)} km/h limit" if isinstance(value, int | float) else "a speed limit"
        return Answer(
            text=f"I saw the end of {what}, but no new limit sign yet.",
            facts_used=_sign_ids(ends[:1], view.signs),
            signs=view.signs,
        )
    if view.limit is not None:
        answer = _remembered_limit(view.limit, facts.driver.speed_kmh, settings)
        return answer.model_copy(update={"signs": view.signs})
    if view.speed_limit_kmh is not None:
        # A server without a sign memory: its (old) frame's limit is still the last one seen.
        return _remembered_limit(
            LimitSeen(value_kmh=view.speed_limit_kmh, age_s=view.age_s), facts.driver.speed_kmh, settings
        ).model_copy(update={"signs": view.signs})
    return Answer(
        text="I haven't seen a speed limit sign yet.", facts_used=("perception.signs",), signs=view.signs
    )


def _signs(facts: Facts, policy: Policy, settings: SummarySettings) -> Answer:
    view = facts.signs
    if view is None:
        if _signs_unreachable(facts, "signs"):
            return Answer(text="I can't reach the car's perception right now, so I can't tell.", failed=True)
        return Answer(text="I haven't seen a sign yet.")
    if not view.signs:
        passed = _passed(facts)
        if passed is not None:
            when, what = how_long_ago(passed.age_s), describe_sign(passed.sign)
            return Answer(
                text=f"None right now; the last one, {when}, was {what}.",
                facts_used=("sign_memory:0",),
                signs=(passed.sign,),
            )
        return Answer(text="I haven't seen a sign yet.", facts_used=("perception.signs",))
    named = list(view.signs[: 2 if policy.short else settings.list_limit])
    extra = len(view.signs) - len(named)
    items = [describe_sign(sign) for sign in named] + ([f"{extra} more"] if extra else [])
    return Answer(text=f"I see {_join(items)}.", facts_used=_sign_ids(named, view.signs), signs=view.signs)


_PARKING_SIGNS = ("no_stopping", "no_parking", "parking")
_NO_PARKING_SIGN = "I haven't seen a parking sign here, so I can't tell; check the signs and markings."


def _parking(facts: Facts) -> Answer:
    """Whether the signs seen allow parking here: the first parking-related sign of the list decides;
    without one the answer says it cannot tell rather than guess."""
    view = facts.signs
    if view is None:
        if _signs_unreachable(facts, "signs"):
            return Answer(text="I can't reach the car's perception right now, so I can't tell.", failed=True)
        return Answer(text=_NO_PARKING_SIGN)
    seen = next((sign for sign in view.signs if sign.kind in _PARKING_SIGNS), None)
    if seen is None:
        return Answer(
            text=_NO_PARKING_SIGN,
            facts_used=("perception.signs",),
            signs=view.signs,
        )
    used = _sign_ids([seen], view.signs)
    described = describe_sign(seen)
    if seen.kind == "parking":
        text = f"It looks allowed: I saw {described}, but check its times and the road markings."
    else:
        what = "stopping" if seen.kind == "no_stopping" else "parking"
        text = f"No, {what} isn't allowed here: I saw {described}."
    return Answer(text=text, facts_used=used, signs=view.signs)


# --- the driver ------------------------------------------------------------------------------------------


def _driver_paths(driver: DriverState) -> tuple[str, ...]:
    known = (
        (FATIGUE, driver.fatigue_level),
        (ATTENTIVE, driver.attentive_probability),
        (DISTRACTION, driver.distraction_level),
        (EYES_ON_ROAD, driver.eyes_on_road),
    )
    return tuple(path for path, value in known if value is not None)


def _driver_state(facts: Facts, settings: SummarySettings) -> Answer:
    driver = facts.driver
    gap = facts.gap("vehicle")
    if gap is not None:
        return Answer(text="I can't read the driver monitoring right now.", failed=True)
    if not driver.monitored:
        return Answer(text="I can't tell: driver monitoring isn't reporting right now.")
    state = assess_driver(driver, settings)
    used = _driver_paths(driver)
    if state.fatigue == "high":
        return Answer(text="You seem tired; please take a break soon.", facts_used=(FATIGUE,))
    if state.inattentive:
        return Answer(text="Your attention seems low; keep your eyes on the road.", facts_used=used)
    if state.fatigue == "moderate":
        return Answer(text="You seem a little tired; a break soon would help.", facts_used=(FATIGUE,))
    if state.fatigue is None and state.attentive is None:
        # Only the distraction level or the eyes-on-road flag is reported, and neither is alarming.
        return Answer(text="I can't tell how tired you are, but you don't seem distracted.", facts_used=used)
    return Answer(text="You seem alert.", facts_used=used)


def _take_break(ask: Ask, facts: Facts, settings: SummarySettings) -> Answer:
    if ask.unwell:
        return Answer(
            text="Please pull over somewhere safe as soon as you can, and call for help if it doesn't pass.",
            facts_used=("utterance",),
        )
    if ask.self_reported:
        return Answer(text="Then please take a break: stop somewhere safe soon.", facts_used=("utterance",))
    driver = facts.driver
    if facts.gap("vehicle") is not None or not driver.monitored:
        return Answer(text="I can't tell how alert you are right now; if you feel tired, take a break.")
    state = assess_driver(driver, settings)
    if state.fatigue == "high":
        return Answer(
            text="Yes, you seem tired: please take a break at the next safe place to stop.",
            facts_used=(FATIGUE,),
        )
    if state.inattentive:
        return Answer(
            text="Yes: your attention seems low, so please take a break soon.",
            facts_used=_driver_paths(driver),
        )
    if state.fatigue == "moderate":
        return Answer(
            text="A break soon would be a good idea; you seem a little tired.", facts_used=(FATIGUE,)
        )
    return Answer(
        text="You seem alert right now, but stop whenever you feel tired.", facts_used=_driver_paths(driver)
    )
