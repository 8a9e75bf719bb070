"""The words that carry no request of their own, and the words for seats, numbers and units: once.

Every reader of a sentence (the orchestrator's dialogue and router, each agent's grammar and its
answers to its own questions) takes its word lists from here, so a word added here is understood
everywhere the same way. All entries are lower case with straight apostrophes (what
:func:`agents.language.normalise.normalise` produces).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "ACKNOWLEDGEMENTS",
    "ANSWER_WORDS",
    "CANCEL",
    "CAPABILITY_QUESTIONS",
    "COMPARATIVES",
    "CORRECTIONS",
    "COURTESY",
    "DETERMINERS",
    "ENDS",
    "FILLER",
    "FRACTIONS",
    "GERUND_WRAPPERS",
    "GREETINGS",
    "HESITATION",
    "INTENSIFIERS",
    "INTENSITY",
    "INTERJECTIONS",
    "NEGATION",
    "NO",
    "NUMBERS",
    "OPPOSITES",
    "PARTICLES",
    "PARTICLE_VERBS",
    "PAST_FORMS",
    "PRAISE",
    "QUANTIFIERS",
    "REASONS",
    "REASONS_BEFORE_A_CLAUSE",
    "REPORTING_VERBS",
    "SAME_FOR",
    "SCALES",
    "SITUATION_SUBJECTS",
    "SKIP_WORDS",
    "SPEAKERS",
    "SPEAKER_ZONES",
    "SUBJECTS",
    "TENS",
    "THANKS",
    "UNDO",
    "UNITS",
    "VERBS",
    "WANTING",
    "WHERE_SLOTS",
    "YES",
    "ZONES",
    "ZONE_MODIFIERS",
    "ZONE_WORDS",
    "phrase_pattern",
]

YES: tuple[str, ...] = (
    "yes",
    "yeah",
    "yep",
    "yup",
    "ya",
    "sure",
    "ok",
    "okay",
    "do it",
    "go ahead",
    "go for it",
    "please do",
    "confirm",
    "confirmed",
    "affirmative",
    "correct",
    "right",
    "absolutely",
    "of course",
    "alright",
    "all right",
    "sounds good",
    "let's go",
    "lets go",
    "definitely",
    "certainly",
    "proceed",
    "please",
    "fine",
)
"""Saying yes to a question."""

CANCEL: tuple[str, ...] = (
    "cancel",
    *(f"cancel {it}" for it in ("that", "it")),
    "never mind",
    "nevermind",
    "forget it",
    "forget that",
    "scratch that",
    "abort",
)
"""Calling off what is under way (also a no to a question)."""

REPAIRS: tuple[str, ...] = (
    "i mean",
    "i meant",
    "sorry i mean",
    "or rather",
    "no wait",
    "scratch that",
)
"""A speaker correcting themselves mid-sentence ("book... I mean, find a hotel"): what follows replaces
what came before."""

CORRECTIONS: tuple[str, ...] = (
    "no",
    "nope",
    "sorry",
    "oops",
    "whoops",
    "my bad",
    "my mistake",
    "i meant",
    "i mean",
    "correction",
    "sorry i meant",
    "no wait",
)
"""What a speaker says before correcting the previous request ("sorry, 22 instead", "oops, make it
22", "my bad, I meant 22 instead"): a lead-in, dropped before the correction is read."""

UNDO: tuple[str, ...] = (
    "undo",
    *(f"undo {it}" for it in ("that", "it", "this", "the last one")),
    *(f"put {it} back" for it in ("it", "them", "that")),
    "put it back how it was",
    "put it back the way it was",
    *(f"change {it} back" for it in ("it", "them", "that")),
    "set it back",
    "set that back",
    "switch it back",
    "revert that",
    "revert it",
    "reverse that",
    "take that back",
    "go back to how it was",
    "back to how it was",
    "the way it was",
    "as it was",
)
"""Asking that what the previous turn changed be as it was before ("undo that", "put it back"); said
after a word of :data:`CANCEL` too ("never mind, undo it")."""

_PAIRS: dict[str, str] = {
    "on": "off",
    "up": "down",
    "lock": "unlock",
    "raise": "lower",
    "fold": "unfold",
    "start": "stop",
    "activate": "deactivate",
    "enable": "disable",
    "increase": "decrease",
}
"""Verbs and particles that undo each other, each pair once."""

OPPOSITES: dict[str, str] = {
    **dict.fromkeys(("open", "crack", "vent"), "close"),
    "close": "open",
    "shut": "open",
    **{word: other for pair in _PAIRS.items() for word, other in (pair, pair[::-1])},
}
"""The verb or particle that undoes another's change ("open" -> "close", "on" -> "off")."""

NO: tuple[str, ...] = (
    "no",
    "nope",
    "nah",
    "negative",
    "no way",
    "not really",
    "not now",
    "don't",
    "do not",
    "dont",
    "leave it",
    "skip it",
    *CANCEL,
)
"""Saying no to a question; a no word always wins over a yes word."""

NEGATION = re.compile(r"\b(?:not|never)\b|n't\b")
"""A negation that turns a yes word around ("not sure")."""

ANSWER_WORDS: frozenset[str] = frozenset(
    {"go", "ahead", "do", "it", "that", "then", "just", "now", "as", "is", "thanks"}
    | {"thank", "you", "of", "course", "that's", "well", "not", "leave", "uh", "um"}
)
"""Words said around a yes or no that do not change it ("yes please, go ahead and do it")."""

COURTESY: tuple[str, ...] = (
    "please",
    "kindly",
    "pls",
    "plz",
    "thanks",
    "thank you",
    "cheers",
    "mate",
    "buddy",
    *(f"{asking} you" for asking in ("can", "could", "would", "will")),
    "would you mind",
    *(f"{asking} you please" for asking in ("can", "could")),
    "i want you to",
    "i'd like you to",
    "go ahead and",
    "would you be so kind as to",
    *(f"do me a {favour} and" for favour in ("favor", "favour")),
    *(f"if you {able}" for able in ("can", "could")),
    "if possible",
    "could we",
    "can we",
    "you can",
    "hey car",
    "hey cabin",
    "ok car",
    "for me",
    "for us",
)
"""Politeness around a request."""

HESITATION: tuple[str, ...] = (
    "uh",
    "um",
    "uhm",
    "hmm",
    "er",
    "erm",
    "oh",
    "so",
    "okay",
    "ok",
    "just",
    "like",
    "yeah",
    "really",
    "actually",
    "anyway",
    "i think",
    "i guess",
    "wait",
    "quick",
    "quickly",
    "now",
    "right now",
    "right away",
    "as well",
    "too",
    *(f"for a {while_}" for while_ in ("sec", "second", "moment")),
    "can you sort that out",
    "sort that out",
    "sort it out",
    "god",
    "gosh",
    "oh no",
    "oops",
    "phew",
    "ugh",
    "shh",
    "brr",
)
"""Disfluencies and softeners that change nothing a request asks."""

SKIP_WORDS: tuple[str, ...] = tuple(
    dict.fromkeys((*COURTESY, *HESITATION, *(w for w in CORRECTIONS if w.split()[0] not in ("no", "nope"))))
)
"""What every grammar may skip in a sentence (its `skip_words`, put in when the grammar is loaded): the
lead-ins of a correction among them ("sorry, make it 22"), but a "no", which a grammar reads."""

INTERJECTIONS: tuple[str, ...] = ("help", "hey", "well", "oh dear", "argh", "whoa", "hello", "hi")
"""Exclamations that make a clause of their own ("help, the windows are fogging"), no request."""

GREETINGS: tuple[str, ...] = (
    "hello",
    "hello there",
    "hi",
    "hi there",
    "hiya",
    "hey",
    "hey there",
    "howdy",
    *(f"good {time}" for time in ("morning", "afternoon", "evening")),
    "morning",
    "evening",
    "how are you",
    "how are you doing",
    "how's it going",
)
"""Greeting the assistant (small talk, answered briefly)."""

THANKS: tuple[str, ...] = (
    "thanks",
    "thank you",
    *(f"thanks {much}" for much in ("a lot", "a bunch", "so much")),
    *(f"thank you {much}" for much in ("so much", "very much")),
    "many thanks",
    "much appreciated",
    "appreciate it",
    "i appreciate it",
    "cheers",
    "ta",
)
"""Thanking the assistant (small talk, answered briefly)."""

CAPABILITY_QUESTIONS: tuple[str, ...] = (
    "what can you do",
    "what else can you do",
    "what do you do",
    "what are you able to do",
    "what can i ask",
    "what can i ask you",
    "what can i say",
    "what can you help with",
    "what can you help me with",
    "how can you help",
    "how can you help me",
    "what are you for",
    "what do you know how to do",
    "help",
    "help me",
)
"""Asking what the assistant can do (answered with what the car's agents offer)."""

PRAISE: tuple[str, ...] = (
    "great",
    "perfect",
    "awesome",
    "nice",
    "lovely",
    "good",
    "brilliant",
    "cool",
    "super",
)
"""Words said with thanks ("great, thanks") that ask for nothing."""

ACKNOWLEDGEMENTS: tuple[str, ...] = (
    "ok",
    "okay",
    "k",
    "alright",
    "all right",
    "got it",
    "sounds good",
    "fine",
    "sweet",
    "neat",
    "excellent",
    "fantastic",
    "amazing",
    "wonderful",
    "thumbs up",
)
"""Words by which a person takes in what was said or done ("ok cool", "got it, nice"): said with
:data:`PRAISE` words and nothing else, or emoji alone, an utterance is small talk and asks for nothing."""

FILLER: frozenset[str] = frozenset(
    phrase
    for phrase in (*SKIP_WORDS, *INTERJECTIONS, "yes", "right", "also", "and", "then", "car", "me", "us")
    if " " not in phrase
) | {"thank", "you"}
"""Single words that on their own make no request: a clause of nothing else is filler."""

PARTICLE_VERBS: frozenset[str] = frozenset(
    {"turn", "switch", "put", "flick", "flip", "roll", "wind", "crank", "bump", "bring"}
)
"""Verbs that act with a particle after them ("turn on", "roll down")."""

PARTICLES: frozenset[str] = frozenset({"on", "off", "up", "down"})
"""The particles of :data:`PARTICLE_VERBS`."""

VERBS: frozenset[str] = frozenset(
    {"open", "close", "shut", "lock", "unlock", "set", "raise", "lower", "lift", "drop", "start", "stop"}
    | {"heat", "warm", "cool", "fold", "unfold", "mute", "increase", "decrease", "pop", "crack", "tilt"}
    | {"vent", "dim", "make", "activate", "deactivate", "enable", "disable"}
)
"""Verbs that act on their own ("open the window"): a clause that leaves its verb out ("... and the
sunroof") borrows the one before it, and "close it" points back at what the verb acted on before."""


_BACK = ("rear", "back")
_ROW = ("row", "seat", "seats")


def _in_the_back(side: str) -> tuple[str, ...]:
    """The ways a rear seat is said by its side ("rear left", "left back")."""
    return (*(f"{back} {side}" for back in _BACK), *(f"{side} {back}" for back in _BACK))


def _whose(seat: str) -> dict[str, str]:
    """A seat's name and the ways its side is said by it ("driver's", "drivers side") -> the seat."""
    return {f"{seat}{said}": seat for said in ("", "'s", "s", " side", "'s side", "s side")}


ZONES: dict[str, str] = {
    **_whose("driver"),
    "front left": "driver",
    "left front": "driver",
    "front passenger": "passenger",
    "front passenger's": "passenger",
    **_whose("passenger"),
    "front right": "passenger",
    "right front": "passenger",
    "co-driver": "passenger",
    "co driver": "passenger",
    "shotgun": "passenger",
    **dict.fromkeys(_in_the_back("left"), "rear_left"),
    "rear driver side": "rear_left",
    "behind the driver": "rear_left",
    **dict.fromkeys(_in_the_back("right"), "rear_right"),
    "rear passenger side": "rear_right",
    "behind the passenger": "rear_right",
    **dict.fromkeys(("front", *(f"front {row}" for row in _ROW)), "front"),
    **dict.fromkeys(("rear", "back", *(f"{back} {row}" for row in _ROW for back in _BACK)), "rear"),
    "kids": "rear",
    "kids'": "rear",
    "children's": "rear",
    "back seat passengers'": "rear",
    **{f"{every}{said}": "all" for said in ("", "'s") for every in ("everyone", "everybody")},
    "all zones": "all",
    "whole car": "all",
    "entire car": "all",
    "all seats": "all",
    "all the seats": "all",
    "everywhere": "all",
}
"""Who or where a request is for, as said -> the zone the vehicle tools take."""

ZONE_MODIFIERS: dict[str, str] = {
    "left": "driver",
    "right": "passenger",
    "all": "all",
    "every": "all",
    "all the": "all",
}
"""Words that name a seat or zone only before what they qualify ("the left window", "all seats"); on
their own they mean something else ("right" is a yes)."""

SPEAKER_ZONES: dict[str, str] = {
    "my": "self",
    "mine": "self",
    "me": "self",
    "my own": "self",
    "this": "self",
    "this side": "self",
    "my side": "self",
    **{f"{beside} me": "beside" for beside in ("next to", "beside", "by", "across from")},
    "other side": "beside",
    "other": "beside",
    "behind me": "behind",
    **{f"{ahead} of me": "ahead" for ahead in ("in front", "ahead")},
    **dict.fromkeys(("my row", "our row", "both sides", "both seats"), "row"),
    "where i'm sitting": "self",
    "where i am sitting": "self",
    "where i sit": "self",
    "where i am": "self",
    "right here": "self",
    "back here": "back_here",
    "here in the back": "back_here",
    "in the back here": "back_here",
    "back here in the back": "back_here",
    "up here": "up_here",
    "up front here": "up_here",
    "here in the front": "up_here",
    "here in front": "up_here",
    "in the front here": "up_here",
}
"""Seats said relative to the speaker -> the position each agent resolves from the speaker's seat:
``self`` (theirs: "my", "where I'm sitting"), ``beside`` (across the row: the driver's is the
passenger's), ``behind``, ``ahead`` (the seat in the other row on the same side), ``row`` (the
speaker's row), and ``back_here`` / ``up_here`` (the speaker's own seat, said from the rear or the
front row: "back here", "up here"; said from the other row, no seat)."""

ZONE_WORDS: dict[str, str] = {**ZONES, **ZONE_MODIFIERS, **SPEAKER_ZONES}
"""Every word for a seat or zone: :data:`ZONES`, :data:`ZONE_MODIFIERS` and :data:`SPEAKER_ZONES`."""

INTENSITY: dict[str, str] = {
    "a bit": "small",
    "a little": "small",
    "a little bit": "small",
    "a tiny bit": "small",
    "a wee bit": "small",
    "a tad": "small",
    "a touch": "small",
    "a smidge": "small",
    "a smidgen": "small",
    "a hair": "small",
    "slightly": "small",
    **{f"{one} {step}": "small" for step in ("notch", "degree") for one in ("a", "one")},
    "a bit more": "small",
    "bit": "small",
    "little": "small",
    "some": "medium",
    "a few": "medium",
    "a couple": "medium",
    "a few notches": "medium",
    "a good bit": "medium",
    "a lot": "large",
    "a lot more": "large",
    "a whole lot": "large",
    "lots": "large",
    "loads": "large",
    "a bunch": "large",
    "much": "large",
    "way": "large",
    "way more": "large",
    "right": "large",
    "a few degrees": "large",
    "all the way": "extreme",
    **{f"to {the}{end}": "extreme" for end in ("max", "maximum") for the in ("the ", "")},
    "max": "extreme",
    "maximum": "extreme",
    "full": "extreme",
    "full blast": "extreme",
    "on full": "extreme",
    "on full blast": "extreme",
    "on max": "extreme",
    "as far as it goes": "extreme",
    "as much as it goes": "extreme",
    "as far as it will go": "extreme",
    "flat out": "extreme",
}
"""How much a change is, as said -> its grade: ``small``, ``medium``, ``large`` or ``extreme`` (as far
as the device goes). Each agent turns a grade into its own device's step ("a smidge warmer" is one
degree, "a smidge louder" five volume points). The words say how much, never which way: "all the
way" is said with "up" or "down"."""

INTENSIFIERS: dict[str, str] = {
    **{said: "large" for verb in ("crank", "pump") for said in (verb, f"{verb} up")},
    "boost": "large",
    "blast": "extreme",
    "max": "extreme",
    "max out": "extreme",
    **{said: "small" for verb in ("bump", "nudge") for said in (verb, f"{verb} up")},
}
"""Verbs that say how much as well as which way (up): "crank the heat", "max the fan"."""

STEP_WORDS: tuple[str, ...] = (
    "one",
    *(
        f"{one} {step}"
        for step in ("notch", "step", "level", "setting", "click", "stage")
        for one in ("a", "one")
    ),
)
"""Words that say one step of a device, said with which way ("up one", "down a notch", "a step
warmer"): a device set by levels moves one level from where it is, any other by its ``small``
amount of :data:`INTENSITY`. ("one" is a step only where it says how much, never as a value.)"""

ENDS: dict[str, str] = {
    **{said: "highest" for word in ("max", "maximum", "highest", "top") for said in (word, f"the {word}")},
    **dict.fromkeys(("full", "full blast", "full power", "full speed"), "highest"),
    **{said: "lowest" for word in ("min", "minimum", "lowest", "bottom") for said in (word, f"the {word}")},
}
"""Words that name an end of a device's range as its value ("volume to minimum", "heat my seat to the
highest", "the fan to the lowest") -> ``highest`` or ``lowest``. Unlike :data:`INTENSITY`'s
``extreme`` ("all the way", said with "up" or "down"), they say which end; each agent reads the end
from the range its tool declares."""

QUANTIFIERS: tuple[str, ...] = (
    "everything",
    "it all",
    "all of it",
    "the lot",
    "the whole lot",
    "all openings",
    "all the openings",
    "every opening",
)
"""Words that say every device a verb applies to ("close everything", "turn it all off"): each agent
decides which of its devices that covers for each verb."""

COMPARATIVES: frozenset[str] = frozenset(
    {"faster", "slower", "higher", "lower", "warmer", "hotter", "cooler", "colder", "louder", "quieter"}
    | {"softer", "brighter", "dimmer", "darker", "stronger", "weaker"}
)
"""Comparatives that say which way a device goes: said alone after a request ("faster"
after "set the wipers to slow"), one step of the previous request's device that way, where its agent's
grammar reads the word of that device ("make the wipers faster"); "more" and "less" are follow-ups of
their own."""

GERUND_WRAPPERS: tuple[str, ...] = (
    "would you mind",
    "would you mind just",
    "do you mind",
    "do you mind just",
    "how about",
    "what about",
    "how about just",
    "mind",
)
"""Courtesy that wraps a request said with its verb's gerund ("would you mind turning on my seat
heater", "how about closing the sunroof"): the request is the gerund's verb in its base form and the
words after it."""

SAME_FOR: tuple[str, ...] = (
    "and",
    "and for",
    "now for",
    "what about",
    "and what about",
    "how about",
    "and how about",
    "same for",
    "the same for",
    "and the same for",
    "do the same for",
    "same goes for",
    "same thing for",
    "same with",
    "likewise for",
)
"""Words said before whose that ask the previous request again for them ("what about the back",
"same for the passenger", "and the passenger?"), as "too" said after it does."""

REASONS: tuple[str, ...] = ("because", "'cause")
"""Words that open a stated reason ("because we're going through the car wash")."""

REASONS_BEFORE_A_CLAUSE: tuple[str, ...] = ("cause", "since", "as", "for", "so")
"""Words that open a stated reason only before a clause of :data:`SITUATION_SUBJECTS` ("since it's
raining"; never "as well" or "for the passenger")."""

SITUATION_SUBJECTS: tuple[str, ...] = (
    "i'm",
    "i am",
    "i've",
    "i have",
    "i was",
    "i've been",
    "we're",
    "we are",
    "we've",
    "we have",
    "we were",
    "we'll be",
    "it's",
    "it is",
    "it was",
    "it'll be",
    "it will be",
    "there's",
    "there is",
    "there are",
    "there was",
    "there were",
    "there'll be",
    "they're",
    "they are",
    "he's",
    "he is",
    "she's",
    "she is",
    "you're",
    "you are",
)
"""A subject and its verb that open a statement about the situation ("we're going through the car
wash", "it's raining"), not a request: said beside a request, such a clause is its reason."""

SUBJECTS: tuple[str, ...] = ("i", "we", "he", "she", "they", "it", "you", "someone", "somebody", "nobody")
"""Pronouns that open a statement as its subject: a request opens with its verb, a statement with
who or what it is about ("I dropped my phone", "she fell asleep")."""

DETERMINERS: tuple[str, ...] = (
    "the", "my", "our", "your", "his", "her", "their", "this", "that", "these", "those", "a", "an",
    "some", "someone's", "everyone", "everybody",
)  # fmt: skip
"""Words that open a noun phrase; one that opens a clause and is followed by its verb is its subject
("the kids are asleep", "my phone fell")."""

SPEAKERS: tuple[str, ...] = ("i", "we")
"""Subjects that are the person speaking: what they say they said or asked is their own request ("I
said open the window")."""

PAST_FORMS: frozenset[str] = frozenset(
    {
        "was", "were", "had", "did", "got", "went", "came", "fell", "left", "lost", "forgot", "broke",
        "took", "made", "ran", "saw", "found", "put", "set", "let", "hit", "shut", "cut", "spilt",
        "spent", "sent", "lent", "paid", "won", "began", "drove", "rode", "wrote", "spoke", "chose",
        "froze", "threw", "blew", "grew", "flew", "stuck", "hung", "ate", "drank", "slept", "woke",
        "felt", "thought", "knew", "brought", "bought", "caught", "sat", "stood", "heard", "told",
        "said", "gave", "kept", "meant", "met", "led", "read", "sold", "held", "hurt",
    }
)  # fmt: skip
"""Irregular past forms of verbs (regular ones end in -ed): said after a subject, they make a
statement about what happened ("I dropped my phone", "the baby fell asleep")."""

REPORTING_VERBS: tuple[str, ...] = (
    "says", "said", "saying", "tells", "told", "telling", "asks", "asked", "asking", "writes",
    "wrote", "reads", "shouts", "shouted", "yells", "yelled", "suggests", "suggested",
)  # fmt: skip
"""Verbs by which someone else's words are reported ("the song says turn up the heat", "my friend told
me to open the sunroof"): such a clause is what another said, never a request of the person."""

WANTING: tuple[str, ...] = (
    "want",
    "wanna",
    "need",
    "needs",
    "like",
    "would",
    "could",
    "can",
    "please",
    "let's",
    "let me",
    "have to",
    "has to",
    "got to",
    "gotta",
)
"""Words by which a statement asks for something ("I'm going to need the heating", "we'd like
some air"): a clause with one of them is a request, whatever its subject."""

WHERE_SLOTS: tuple[str, ...] = ("zone", "seat", "window", "door")
"""The slot names by which a grammar says where (whose seat, which window): the slots a follow-up for
someone else ("the passenger's too") edits."""

NUMBERS: dict[str, int] = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
"""Number words below twenty."""

TENS: dict[str, int] = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
"""Multiples of ten."""

SCALES: dict[str, int] = {"hundred": 100}
"""Number words that multiply what comes before them."""

FRACTIONS: dict[str, int] = {
    "half": 50, "halfway": 50, "half way": 50, "the middle": 50, "middle": 50,
    "a quarter": 25, "one quarter": 25, "quarter": 25, "three quarters": 75,
    "a third": 33, "one third": 33, "third": 33, "two thirds": 67,
}  # fmt: skip
"""How far along its travel a part is, said as a fraction -> percent ("open it a third", "halfway";
"of the way" after one is "N percent" in the normal form)."""

UNITS: dict[str, str] = {
    "degree": "degrees",
    "degrees": "degrees",
    "°": "degrees",
    "°c": "degrees",
    "celsius": "degrees",
    "percent": "percent",
    "per cent": "percent",
    "%": "percent",
    "notch": "notches",
    "notches": "notches",
    "step": "steps",
    "steps": "steps",
}
"""Units said after a number -> the unit they mean."""


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """A pattern that finds any of `phrases` as whole words (the longest first)."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(p) for p in ordered) + r")(?![\w'])")
