"""Understanding a question: the common phrasings parsed deterministically into an `Ask`.

An `Ask` is the kind of question and where it points. It comes either from the orchestrator's parsed
intent (`{"intent": "blind_spot", "slots": {"side": "right"}}`) or from the text itself, through an
ordered list of phrase patterns; the first pattern that matches decides. Nothing here guesses: text
that matches no pattern gives None, and the agent says what it can answer instead.

Kinds and the skill (Agent Card skill id) each belongs to:

| kind | skill | example |
|---|---|---|
| `surroundings` | surroundings | "what's around me", "what's ahead" (`region` ahead), "anything on my left" |
| `blind_spot` | surroundings | "anything in my blind spot", "check my right blind spot" (`side` right) |
| `lane_change` | surroundings | "is it safe to change lanes", "can I move over to the left" |
| `sign_text` | signs | "what did that sign say" |
| `speed_limit` | signs | "what's the speed limit", "am I speeding" |
| `signs` | signs | "any signs?" |
| `parking` | signs | "can I park here", "is stopping allowed here" |
| `driver_state` | driver | "am I looking tired", "am I distracted" |
| `take_break` | driver | "should I take a break", "I'm tired" (`self_reported`), "I feel dizzy" (`unwell`) |
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, JsonValue, ValidationError

from agents.hosting import ParsedIntent

__all__ = [
    "KINDS",
    "SKILL_OF_KIND",
    "Ask",
    "AskKind",
    "IntentError",
    "LateralSide",
    "Region",
    "SkillId",
    "ask_from_intent",
    "parse_question",
    "slots_of",
]

AskKind = Literal[
    "surroundings",
    "blind_spot",
    "lane_change",
    "sign_text",
    "speed_limit",
    "signs",
    "parking",
    "driver_state",
    "take_break",
]
Region = Literal["all", "ahead", "behind", "left", "right"]
LateralSide = Literal["left", "right"]
SkillId = Literal["surroundings", "signs", "driver"]

KINDS: tuple[AskKind, ...] = (
    "surroundings",
    "blind_spot",
    "lane_change",
    "sign_text",
    "speed_limit",
    "signs",
    "parking",
    "driver_state",
    "take_break",
)
SKILL_OF_KIND: dict[AskKind, SkillId] = {
    "surroundings": "surroundings",
    "blind_spot": "surroundings",
    "lane_change": "surroundings",
    "sign_text": "signs",
    "speed_limit": "signs",
    "signs": "signs",
    "parking": "signs",
    "driver_state": "driver",
    "take_break": "driver",
}


class Ask(BaseModel):
    """One understood question.

    `region` applies to `surroundings` (which part of the car's surroundings); `side` to `blind_spot`
    and `lane_change` (None = both sides); `self_reported` is True when the driver said they are tired,
    `unwell` when they said they feel unwell (dizzy, sick, faint).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: AskKind
    region: Region = "all"
    side: LateralSide | None = None
    self_reported: bool = False
    unwell: bool = False

    @property
    def skill(self) -> SkillId:
        """The Agent Card skill this question belongs to."""
        return SKILL_OF_KIND[self.kind]


class IntentError(ValueError):
    """A parsed intent names no kind this agent answers, or carries a slot value it cannot use."""


# --- parsed intents ---------------------------------------------------------------------------------------

_INTENT_ALIASES: dict[str, tuple[AskKind, Region | None]] = {
    "surroundings": ("surroundings", None),
    "whats_around": ("surroundings", "all"),
    "around": ("surroundings", "all"),
    "ahead": ("surroundings", "ahead"),
    "whats_ahead": ("surroundings", "ahead"),
    "behind": ("surroundings", "behind"),
    "blind_spot": ("blind_spot", None),
    "lane_change": ("lane_change", None),
    "change_lanes": ("lane_change", None),
    "sign_text": ("sign_text", None),
    "read_sign": ("sign_text", None),
    "speed_limit": ("speed_limit", None),
    "signs": ("signs", None),
    "parking": ("parking", None),
    "can_park": ("parking", None),
    "driver": ("driver_state", None),
    "driver_state": ("driver_state", None),
    "fatigue": ("driver_state", None),
    "take_break": ("take_break", None),
    "break": ("take_break", None),
}
_INTENT_PREFIXES = ("perception-summary.", "perception_summary.", "perception.")


class _Slots(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    region: Literal["all", "ahead", "behind", "left", "right", "blind_spot"] | None = None
    side: LateralSide | None = None
    self_reported: bool = False
    unwell: bool = False


def ask_from_intent(intent: ParsedIntent) -> Ask:
    """The `Ask` an orchestrator-parsed intent stands for.

    The intent name is a kind (`blind_spot`), a skill id (`driver`) or an alias (`whats_ahead`),
    optionally prefixed `perception.`; slots `region` (all/ahead/behind/left/right/blind_spot),
    `side` (left/right), `self_reported` and `unwell` (bool) refine it; other slots are ignored. Raises
    IntentError naming the intent or the slot that cannot be used.
    """
    name = intent.intent.strip().lower().replace("-", "_")
    for prefix in _INTENT_PREFIXES:
        if name.startswith(prefix.replace("-", "_")):
            name = name[len(prefix) :]
            break
    if name not in _INTENT_ALIASES:
        known = ", ".join(KINDS)
        raise IntentError(f"I don't know the intent {intent.intent!r}; I answer: {known}")
    kind, alias_region = _INTENT_ALIASES[name]
    try:
        slots = _Slots.model_validate(intent.slots)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "slots"
        raise IntentError(f"slot {where!r} cannot be used: {first['msg']}") from exc
    side = slots.side
    region: Region = alias_region or "all"
    if slots.region == "blind_spot":
        if kind == "surroundings":
            kind = "blind_spot"
    elif slots.region is not None:
        if kind in ("blind_spot", "lane_change") and slots.region in ("left", "right") and side is None:
            side = slots.region
        region = slots.region
    if kind != "surroundings":
        region = "all"
    if kind not in ("blind_spot", "lane_change"):
        side = None
    return Ask(
        kind=kind,
        region=region,
        side=side,
        self_reported=slots.self_reported or slots.unwell,
        unwell=slots.unwell and kind == "take_break",
    )


# --- free text --------------------------------------------------------------------------------------------

_Rule = tuple[re.Pattern[str], AskKind]


def _rule(pattern: str, kind: AskKind) -> _Rule:
    return re.compile(pattern), kind


# Patterns run on normalised text: lower case, apostrophes removed ("what's" -> "whats"), words
# separated by single spaces. Order matters: the first match decides.
_SELF_TIRED = re.compile(
    r"\b(im|i am|i m|i feel|i get) (so |very |really |a bit |a little |pretty |quite |getting |feeling )*"
    r"(tired|sleepy|drowsy|exhausted|knackered|fatigued)\b"
    r"|\b(im|i am|i m|i keep) (almost |nearly |about to |going to )?"
    r"((falling|fall) asleep|(nodding|dozing|nod|doze) off)\b"
    r"|\b(i )?(cant|can not|cannot|can barely|can hardly) keep my eyes open\b"
    r"|\bi (want|need) to (sleep|have a nap|take a nap|lie down)\b"
)
_SELF_UNWELL = re.compile(
    r"\b(im|i am|i m|i feel|im feeling|i am feeling|feeling) "
    r"(so |very |really |a bit |a little |pretty |quite |kind of |kinda |suddenly )*"
    r"(dizzy|light headed|lightheaded|faint|woozy|sick|unwell|ill|nauseous|queasy|"
    r"not (feeling )?(well|good|great|right|ok|okay))\b"
    r"|\bi (think i )?(might|am going to|im going to|could) (faint|pass out|black out|be sick|throw up)\b"
    r"|\b(my )?(vision|eyes) (is |are )?(going )?(blurry|blurred)\b|\bchest (pain|hurts)\b"
)
_RULES: tuple[_Rule, ...] = (
    _rule(
        r"\b(take|taking|need|needs|have|having|time for|due for|stop for) (a |another )?(break|rest)\b"
        r"|\bshould i (stop|rest|pull over)\b|\b(rest area|rest stop)\b|\ba (short |quick )?break\b",
        "take_break",
    ),
    _rule(
        r"\b(tired|sleepy|drowsy|fatigued|exhausted|alert|awake|distracted|attentive|focused)\b"
        r"|\bpaying attention\b|\beyes (on|off) the road\b|\bhands on the wheel\b|\bhow am i doing\b",
        "driver_state",
    ),
    _rule(
        r"\bspeed ?limit\b|\blimit\b|\bam i speeding\b|\btoo fast\b"
        r"|\bhow fast (can|may|should|am i allowed to|are we allowed to) (i|we )?(go|drive)?\b"
        r"|\ballowed speed\b|\bmax(imum)? speed\b",
        "speed_limit",
    ),
    _rule(
        r"\bsign\b.*\b(say|said|says|saying|read|reads|mean|means|written|text)\b"
        r"|\bread (that|the|this|it)\b|\bwhat (did|does|was|is) (it|that) (say|said|written)\b"
        r"|\bwhat was written\b",
        "sign_text",
    ),
    _rule(
        r"\b(can|may|could) (i|we) (park|stop|wait|leave (the|my|our) car)\b"
        r"|\b(am i|are we) allowed to (park|stop|wait)\b"
        r"|\b(is )?(parking|stopping|waiting) (allowed|permitted|ok|okay|legal)\b"
        r"|\bis (it|this) a (no )?parking\b",
        "parking",
    ),
    _rule(r"\bsigns?\b|\bsignage\b", "signs"),
    _rule(
        r"\b(change|changing|switch|switching|move|moving|merge|merging|pull|pulling) "
        r"(over |in |into )?(lanes?|the (left|right|next|other) lane|to the (left|right)|left|right|over)\b"
        r"|\bis (the )?(left|right|next|other) lane (clear|free|empty|ok|okay|safe)\b"
        r"|\blane change\b|\bovertake\b|\bovertaking\b|\bpass (him|her|them|it|the \w+|that \w+|this \w+)\b",
        "lane_change",
    ),
    _rule(r"\bblind ?spots?\b|\bblindspots?\b", "blind_spot"),
    _rule(
        r"\b(ahead|in front|up front|front of (me|us|the car))\b|\bbehind\b|\bfollowing (me|us)\b"
        r"|\b(on|to|at) (my|the|our) (left|right)\b|\b(left|right) (side|hand side)\b",
        "surroundings",
    ),
    _rule(
        r"\baround (me|us|the car|here)\b|\bnearby\b|\bnear (me|us)\b|\bclose to (me|us|the car)\b"
        r"|\bsurround|\bwhat (do|can) you see\b|\bsee anything\b|\bout there\b|\banything (close|near)\b"
        r"|\bwhats there\b|\btraffic\b|\bany (cars|cyclists|bikes|bicycles|pedestrians|people|trucks"
        r"|vehicles|motorcycles|animals)\b|\bwho is (around|near)\b|\banyone (around|near)\b",
        "surroundings",
    ),
)
_REGION_WORDS: tuple[tuple[re.Pattern[str], Region], ...] = (
    (re.compile(r"\b(ahead|in front|up front|front of)\b"), "ahead"),
    (re.compile(r"\b(behind|following (me|us)|rear)\b"), "behind"),
    (re.compile(r"\bleft\b"), "left"),
    (re.compile(r"\bright\b"), "right"),
)
_LEFT = re.compile(r"\bleft\b")
_RIGHT = re.compile(r"\bright\b")
# "right now" and "all right" are not directions.
_NOT_A_SIDE = re.compile(r"\b(right now|right away|all right|alright|right here|right there)\b")


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    text = text.replace("'", "")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    return " ".join(text.split())


def _side(text: str) -> LateralSide | None:
    text = _NOT_A_SIDE.sub(" ", text)
    left, right = bool(_LEFT.search(text)), bool(_RIGHT.search(text))
    if left == right:
        return None
    return "left" if left else "right"


def _region(text: str) -> Region:
    text = _NOT_A_SIDE.sub(" ", text)
    for pattern, region in _REGION_WORDS:
        if pattern.search(text):
            return region
    return "all"


def parse_question(text: str) -> Ask | None:
    """The `Ask` a spoken question stands for, or None when no known phrasing matches."""
    normal = _normalise(text)
    if not normal:
        return None
    if _SELF_UNWELL.search(normal):
        return Ask(kind="take_break", self_reported=True, unwell=True)
    if _SELF_TIRED.search(normal):
        return Ask(kind="take_break", self_reported=True)
    for pattern, kind in _RULES:
        if not pattern.search(normal):
            continue
        if kind == "surroundings":
            return Ask(kind=kind, region=_region(normal))
        if kind in ("blind_spot", "lane_change"):
            return Ask(kind=kind, side=_side(normal))
        return Ask(kind=kind)
    return None


def slots_of(ask: Ask) -> dict[str, JsonValue]:
    """The slots that describe `ask` in a reply's data part."""
    slots: dict[str, JsonValue] = {}
    if ask.kind == "surroundings":
        slots["region"] = ask.region
    if ask.kind in ("blind_spot", "lane_change"):
        slots["side"] = ask.side
    if ask.kind == "take_break":
        slots["self_reported"] = ask.self_reported
    return slots
