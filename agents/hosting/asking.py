"""Questions and advice-seeking: utterances that ask about doing something, not for it.

"should I open the sun roof", "do you think I should turn on the heating", "is it a good idea to open
the window", "can I open the trunk while driving?", "what happens if I turn off traction control?":
each names an action, but the person asks whether, not that. Such an utterance is answered, never
executed: the router passes no parsed intent for it, and the vehicle-control agent answers it from
the car's state without calling a tool.

`question_core(text)` recognises the forms as a class (a modal or advice lead, then the action asked
about) and returns the words of the action ("open the sun roof"), or None when `text` is not such a
question. Requests put as questions stay requests: "can you open the window", "could I have the heating
on", "would you turn it up", "can I open my window please"; "can I ..." is a question only when it asks
about the situation ("... while driving?", "... now?"). The function is pure.
"""

from __future__ import annotations

import re

__all__ = ["question_core"]

_OPENERS = (
    r"(?:(?:so|and|ok|okay|hey|um|uh|erm|hmm|well|right|honestly|quick question|just wondering)[\s,]+)*"
)
_WE = r"(?:i|we|you|one|the (?:driver|kids|passengers?))"
_JUDGEMENT = (
    r"(?:a\s+)?(?:good|bad|great|smart|wise|sensible|safe|okay|ok|alright|all right|fine|better|best|"
    r"worth|worthwhile|legal|allowed|dangerous|risky|necessary|possible|a good idea|a bad idea|good idea|"
    r"bad idea|idea)(?:\s+(?:idea|time|moment|thing|plan))?(?:\s+(?:it|while|now|then))*"
)
_CIRCUMSTANCES = (
    r"while|whilst|when|during|now|yet|still|here|at this speed|at speed|in motion"
    r"|on the (?:motorway|highway)|legally|safely|without"
)
"""Words that make "can I ..." ask whether the thing may be done now, not ask for it."""
_LEADS = (
    # do you think / reckon (that) (I should) ..., would you recommend ...
    r"(?:do|would|don't|dont)\s+(?:you|u)\s+(?:think|reckon|suppose|believe|feel|say|recommend|suggest|"
    r"advise)(?:\s+that)?\s+",
    # should I open ..., shall we ..., ought I to ..., must I ...
    rf"(?:should|shall|ought|must)\s+{_WE}\s+(?:really\s+)?(?:to\s+|have\s+to\s+)?",
    # do I need (to) ..., will we have to ...
    r"(?:do|would|will|does)\s+(?:i|we|one|the driver)\s+(?:really\s+)?(?:need|have|want)(?:\s+to)?\s+",
    # should the back windows be open ...
    r"(?:should|shall|must|ought)\s+(?=(?:the|my|our|his|her|their|its|all|both|any)\b)",
    r"(?:what|how)\s+(?:do|would)\s+you\s+(?:think|say|suggest|recommend)\s+(?:about\s+|of\s+|if\s+)?",
    # is it a good idea to ..., would it be safe to ..., is it worth ...
    rf"(?:is|would|will|was|isn't|wouldn't)\s+(?:it|that|this|now|today)\s+(?:be\s+)?(?:really\s+)?"
    rf"{_JUDGEMENT}\s+(?:to\s+|if\s+{_WE}\s+|for\s+(?:me|us)\s+to\s+)?",
    rf"would\s+it\s+(?:help|hurt|matter|make (?:a )?difference)\s+(?:to\s+|if\s+{_WE}\s+)?",
    # what happens / what would happen / what if I ...
    rf"what\s+(?:happens|would happen|will happen|happened|if)\s+(?:if|when)?\s*(?:{_WE}\s+)?",
    # am I allowed to / are we supposed to ...
    r"(?:am|are|is)\s+(?:i|we|one|the driver)\s+(?:allowed|able|permitted|supposed|meant|ok|okay)\s+to\s+",
    # can I ... while driving / now / at this speed: a person asking what they may do in the situation.
    # Without such words, or with "please", "can I open my window" is a polite request.
    rf"(?:can|could|may|might)\s+{_WE}\s+(?!(?:have|get|please|ask)\b)(?!.*\bplease\b)"
    rf"(?=.*\b(?:{_CIRCUMSTANCES})\b)",
    # any reason (not) to ..., is there any point in ...
    r"(?:is\s+there\s+)?(?:any|a)\s+(?:reason|point|need|harm)\s+(?:why\s+i\s+shouldn't\s+|not\s+to\s+|to\s+|in\s+)?",
    r"why\s+(?:should|would|shouldn't|wouldn't)\s+(?:i|we)\s+",
)
_QUESTION = re.compile(rf"^\W*{_OPENERS}(?:{'|'.join(f'(?:{lead})' for lead in _LEADS)})", re.IGNORECASE)
_GERUND_HELP = re.compile(r"^\W*would\s+(?P<core>\w+ing\b.+?)\s+help\b", re.IGNORECASE)
"""'would opening the window help with the fog?'"""
_INNER = re.compile(rf"^(?:that\s+)?(?:{_WE})\s+(?:should|ought to|need to|must|could|can)\s+", re.IGNORECASE)
_REQUESTS = re.compile(
    r"^\W*(?:can|could|would|will)\s+(?:you|u)\b(?!\s+(?:think|reckon|recommend|suggest))", re.IGNORECASE
)


def question_core(text: str) -> str | None:
    """The action `text` asks about when it is a question or asks for advice ("should I open the sun
    roof" gives "open the sun roof"); None when it is not one (a request, a statement)."""
    if _REQUESTS.match(text):
        return None
    gerund = _GERUND_HELP.match(text)
    if gerund is not None:
        return gerund.group("core").strip()
    found = _QUESTION.match(text)
    if found is None:
        return None
    core = _INNER.sub("", text[found.end() :].strip())
    return core.strip(" ?!.,") or text.strip(" ?!.,")
