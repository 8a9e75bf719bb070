"""The vehicle-control turn: understand the request, call the vehicle tools, say what happened.

`VehicleControlExecutor.handle` (the `CabinExecutor` contract) runs one turn:

1. Understanding, deterministic first. An intent of the agent's own grammar with its slots in the
   message's data part (`{"intent", "slots", "text"}`: what the orchestrator read with this grammar) is
   resolved by the grammar and acted on without reading the text again. Otherwise a pre-parsed intent
   (`{"intent": "<tool>", "slots": {...arguments}}`, or `{"intent": "actions", "slots": {"actions":
   [{"tool", "arguments"}, ...]}}`) is used as it is, after validation against the tools' schemas
   (an invalid one rejects the task, naming the problem). An intent with empty slots is a routing
   decision, not a parse: when the message has text, the text is understood instead. Several
   intents said in one turn come as one data part (`{"intent": "intents", "slots": {"intents": [...]}}`,
   `agents.hosting.INTENTS`) and are acted on together and answered once, a later request replacing
   what an earlier one asked of the same device ("it's stuffy, open the windows"). Otherwise the
   sentence templates parse the text; what they miss goes to the on-device model when one is
   configured; what neither understands is answered honestly ("Sorry, I can't do that yet", with what
   the agent can do). Questions about the car ("did I lock the car?") are answered from `get_signals`
   and act on nothing; their values travel in `data.readings`. A question about doing something
   ("should I open the sun roof", "can I open the trunk while driving?") is answered from the state
   of what it is about and never executed (`data.advice`). A request for what this car has no tool for
   ("child locks on", "open the frunk") is answered with what was not done and why, in plain words
   (`agents.vehicle_control.lacking`), and calls nothing. A quotation or a said name is data: no
   request is read from its words (`agents.hosting.spans`).
2. Acting: each action is one MCP tool call with `_meta` `cabin/seat` (the speaker), `cabin/origin`
   (passed through from the message; a message without one sends none, the least-privileged case)
   and `cabin/turn_id` when the message has one. The vehicle server's guardrails decide (only an
   `occupant` request actuates, GR-18); the agent reports each decision as it came back. A request
   over every device ("close everything", "turn everything off": the calls of
   `agents.vehicle_control.devices.every_actions`) first reads how those devices stand (one
   `get_signals`) and leaves out the calls whose target already holds (a closed window is not closed
   again, a seat heating that is off is not switched off); the reply says what changed and that the
   rest already was so, or only that ("Everything is already closed."), and `data.unchanged` lists
   the calls left out. When that read fails, every call is made, as they change nothing that is
   already so. Every call that is made is judged by the guardrails on its own.
3. Answering: `Reply(text, data)` with `data = {"actions": [{tool, arguments, outcome, ruleId,
   message}], "stateChanges": {path: value}, "via": "template" | "model" | "intent" | "fallback"}`.
   A `needs_confirmation` result becomes a `Question` (input-required) that saves the token, tool and
   arguments; "yes" on the same task calls the tool again with the token (the server re-checks every
   rule), "no" ends it with "Okay, I won't.", anything else is asked once more before giving up.
   While the car moves (any `Vehicle.Speed` but 0, reversing included, or unknown) replies stay
   shorter (GR-12).

Follow-ups ("a bit more") repeat the last relative change of the same conversation (the message's
`cabin/session_id`, else its A2A context), which the agent remembers in memory for a few minutes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from pydantic import JsonValue, ValidationError

from agents.hosting import (
    DATA_STATE_CHANGES,
    AgentRequest,
    CabinExecutor,
    Failure,
    Outcome,
    ParsedIntent,
    Question,
    Rejection,
    Reply,
    Seat,
)
from agents.hosting.asking import question_core
from agents.hosting.spans import mask
from agents.language.dialogue import small_talk
from agents.vehicle_control import queries as queries_module
from agents.vehicle_control import relative, replies
from agents.vehicle_control.actions import (
    RELATIVE_STEPS,
    SEATS,
    ZONE_ARGUMENTS,
    Action,
    ActionReport,
    ToolCatalog,
    report_for,
    state_changes,
)
from agents.vehicle_control.devices import EVERY, every_actions
from agents.vehicle_control.dialogue import (
    ConversationMemory,
    PendingCall,
    PendingConfirmation,
    classify_answer,
)
from agents.vehicle_control.errors import InvalidActionError, VehicleUnavailableError
from agents.vehicle_control.interpreter import ModelInterpreter
from agents.vehicle_control.link import CallMeta, ToolError, VehicleLink
from agents.vehicle_control.parser import Parse, TemplateParser, shared_parser
from mcp_servers.vehicle.guardrails.context import is_moving

__all__ = ["ACTIONS_INTENT", "META_TURN", "SPEED", "VehicleControlExecutor", "call_meta"]

logger = logging.getLogger(__name__)

ACTIONS_INTENT = "actions"
"""Intent name of a pre-parsed request carrying several calls in `slots.actions`."""

META_SEAT = "cabin/seat"
META_ORIGIN = "cabin/origin"
META_TURN = "cabin/turn_id"
META_SESSION = "cabin/session_id"
SPEED = "Vehicle.Speed"

_MAX_MODEL_CALLS = 2
_QUESTION = re.compile(
    r"^\W*(?:is|are|was|were|am|did|does|has|isn't|aren't|wasn't|didn't|doesn't|hasn't)\b",
    re.IGNORECASE,
)
"""A clause that opens as a yes/no question about how things are, not a request to change them."""
_DEFAULT_SEAT: Seat = "driver"


def call_meta(request: AgentRequest) -> CallMeta:
    """The `_meta` for this request's tool calls: only what the request says, nothing presumed."""
    meta: CallMeta = {}
    if request.seat is not None:
        meta[META_SEAT] = request.seat
    if request.origin is not None:
        meta[META_ORIGIN] = request.origin
    turn = request.metadata.get(META_TURN)
    if isinstance(turn, str | int) and not isinstance(turn, bool) and str(turn):
        meta[META_TURN] = str(turn)
    return meta


class VehicleControlExecutor(CabinExecutor):
    """The vehicle-control agent's turns (see the module docstring).

    `link` reaches the vehicle MCP server; `parser` holds the sentence templates; `interpreter`
    (optional) is the on-device model stage; `memory` keeps the last relative change per conversation.
    """

    handler_timeout_s = 30.0

    def __init__(
        self,
        link: VehicleLink,
        *,
        parser: TemplateParser | None = None,
        interpreter: ModelInterpreter | None = None,
        memory: ConversationMemory | None = None,
    ) -> None:
        super().__init__()
        self.link = link
        self.parser = parser if parser is not None else shared_parser()
        self.interpreter = interpreter
        self.memory = memory if memory is not None else ConversationMemory()

    async def aclose(self) -> None:
        """Close the vehicle connection and release the model runtime if the interpreter opened it."""
        try:
            await self.link.aclose()
        finally:
            if self.interpreter is not None:
                await self.interpreter.aclose()

    async def handle(self, request: AgentRequest) -> Outcome:
        if request.resumed is not None:
            return await self._answer(request)
        try:
            catalog = await self.link.catalog()
        except VehicleUnavailableError as exc:
            logger.warning("task %s: %s", request.task_id, exc)
            return Failure(reason=replies.unavailable(), data=_data([], "fallback"))
        seat: Seat = request.seat or _DEFAULT_SEAT
        intent = request.intent
        previous = self.memory.last(_conversation(request))
        try:
            several = intent.together() if intent is not None else None
        except ValueError as exc:
            return Rejection(reason=f"The parsed intent cannot be used: {exc}")
        if several is not None:
            # Several requests said in one turn ("it's raining, close everything"): acted on together
            # and answered once; where one is not of this grammar, the words are read instead.
            understood = self._together(several, seat, previous, catalog)
            intent = None
        else:
            understood = self._understood(intent, seat, previous, catalog) if intent is not None else None
        if understood is not None:
            # An intent of this agent's grammar with its slots (what the orchestrator read in the
            # person's words): acted on as it is, the text is not read again.
            parse, via = understood, "intent"
        elif intent is not None and (intent.slots or not request.text.strip()):
            try:
                actions = _intent_actions(intent, catalog, seat)
            except InvalidActionError as exc:
                return Rejection(reason=f"The parsed intent cannot be used: {exc}")
            return await self._act(request, actions, via="intent")
        else:
            # No intent, or only its name (a routing decision without slots): understand the text.
            asked = question_core(mask(request.text))
            if asked is not None:
                # "should I open the sun roof": a question about doing something is answered, never done.
                return await self._advise(asked, seat)
            parse, via = self.parser.parse(request.text, seat=seat, previous=previous), "template"
        actions = []
        beyond: list[str] = []
        parsed = list(parse.actions)
        if any(relative.needs_state(action) for action in parsed):
            # "turn my seat heating up a notch", "open the window a bit", "match my temperature":
            # from where the device is, or another seat's setting, read from the car first.
            settled = await self._from_state(parsed, seat)
            parsed = list(settled.actions)
            beyond.extend(settled.said)
        for action in parsed:
            try:
                actions.append(catalog.check(action, seat=seat))
            except InvalidActionError as exc:
                outside = catalog.beyond(action)
                if outside is not None:
                    # "set the seat heating to 8": a value of the device, outside its range; said so.
                    beyond.append(replies.beyond(outside))
                    continue
                # A template produced a call the server's tools do not take (an older server, say).
                logger.warning("task %s: template action dropped: %s", request.task_id, exc)
        not_understood = list(parse.unmatched)
        model_unavailable = False
        if not_understood and self.interpreter is not None and small_talk(request.text) is None:
            # "ok cool", "nice 👍": small talk by its form, never a request for the model to read.
            from_model, not_understood, model_unavailable = await self._ask_model(
                not_understood, seat, catalog
            )
            if from_model:
                actions.extend(from_model)
                via = "model"
        if beyond and not actions and not parse.queries:
            return Reply(
                text=replies.summarize(
                    [],
                    speaker=seat,
                    moving=await self._moving(),
                    not_understood=not_understood,
                    beyond=beyond,
                ),
                data=_data([], via),
            )
        if parse.lacking and not actions and not parse.queries and not not_understood:
            # "child locks on": for this agent, but nothing this car has a tool for; said plainly.
            return Reply(text=replies.lacking(parse.lacking), data=_data([], "template"))
        if not actions and not parse.queries and model_unavailable:
            # Not "I can't do that": the request may be fine, the model to read it is not there.
            return Failure(reason=replies.model_unavailable(), data=_data([], "fallback"))
        if not actions and not parse.queries:
            if parse.needs_context and not parse.unmatched:
                text = replies.needs_context(moving=await self._moving())
            else:
                text = replies.cannot_do(moving=await self._moving())
            return Reply(text=text, data=_data([], "fallback"))
        outcome: Outcome | None = None
        if actions:
            outcome = await self._act(
                request, actions, via=via, not_understood=not_understood, lacking=parse.lacking, beyond=beyond
            )
        if not parse.queries or isinstance(outcome, Question):
            assert outcome is not None
            return outcome
        answers, readings = await self._read_answers(parse.queries, seat)
        if not isinstance(outcome, Reply):
            return Reply(text=answers, data={**_data([], via), "readings": readings})
        data: dict[str, JsonValue] = {**outcome.data, "readings": readings}
        return Reply(text=f"{outcome.text} {answers}", data=data)

    # -- understanding -------------------------------------------------------------------------------

    def _understood(
        self, intent: ParsedIntent, seat: Seat, previous: Action | None, catalog: ToolCatalog
    ) -> Parse | None:
        """The parse of an intent of this agent's grammar and its slots; None when the intent is not
        one of the grammar's, no block of it takes these slots, or a call it gives does not fit its
        tool (then the message is read as before: a tool call with its arguments, or the text). A
        value outside the range of its tool that was read from a person's words (the intent's
        `text`: "make it 8" of the seat heating) fits: the reply says the range; a call without
        them is a tool call like any other, and rejected."""
        parse = self.parser.parse_intent(intent.intent, intent.slots, seat=seat, previous=previous)
        if parse is None:
            return None
        for action in parse.actions:
            if relative.needs_state(action):
                continue  # resolved from the car's state before it is checked
            try:
                catalog.check(action, seat=seat)
            except InvalidActionError:
                if catalog.beyond(action) is None or not (intent.text or "").strip():
                    return None
        return parse

    def _together(
        self, intents: Sequence[ParsedIntent], seat: Seat, previous: Action | None, catalog: ToolCatalog
    ) -> Parse | None:
        """The parses of several intents said in one turn, as one (:func:`_joined_in_order`); None
        when one of them is not understood as an intent of this grammar."""
        parses: list[Parse] = []
        for intent in intents:
            parse = self._understood(intent, seat, previous, catalog)
            if parse is None:
                return None
            parses.append(parse)
        return _joined_in_order(parses)

    async def _ask_model(
        self, clauses: Sequence[str], seat: Seat, catalog: ToolCatalog
    ) -> tuple[list[Action], list[str], bool]:
        """The actions the model reads in `clauses`, the clauses it did not read, and whether the model
        could not be asked at all."""
        assert self.interpreter is not None
        actions: list[Action] = []
        left: list[str] = []
        unavailable = False
        for index, clause in enumerate(clauses):
            if index >= _MAX_MODEL_CALLS or _QUESTION.match(clause) or question_core(clause) is not None:
                # A question about the car ("is the trunk open?") or about doing something ("should I
                # turn on the heating?") asks for no change: the model, which proposes changes, never
                # sees it.
                left.append(clause)
                continue
            reading = await self.interpreter.interpret(clause, seat=seat, catalog=catalog)
            if reading.action is None:
                logger.info("model path declined %r: %s", clause, reading.reason)
                left.append(clause)
                unavailable = unavailable or reading.unavailable
            else:
                actions.append(reading.action)
        return actions, left, unavailable

    async def _from_state(self, actions: Sequence[Action], seat: Seat) -> relative.Resolved:
        """`actions` with each step from where a device is and each copy of another seat's setting
        resolved from the car's state (:mod:`agents.vehicle_control.relative`); when the car cannot
        be read, those calls are not sent and the reply says so."""
        values = await self._read_if_any(relative.paths(actions), "where the devices are")
        return relative.resolved(actions, values, seat)

    async def _read_if_any(self, paths: Sequence[str], what: str) -> dict[str, JsonValue]:
        """The values of `paths` as the car reports them; empty when there are none to read or the
        car cannot be read (logged, naming `what` was read)."""
        if not paths:
            return {}
        try:
            return dict(await self.link.read(list(paths)))
        except VehicleUnavailableError as exc:
            logger.warning("reading %s: %s", what, exc)
            return {}

    async def _advise(self, asked: str, seat: Seat) -> Outcome:
        """The answer to a question about doing `asked`: how that part of the car stands, no tool call."""
        parse = self.parser.parse(asked, seat=seat)
        topics = [topic for action in parse.actions if (topic := queries_module.topic_of(action.tool))]
        topics += [query for query in parse.queries if query not in topics]
        state: str | None = None
        readings: dict[str, JsonValue] = {}
        if topics:
            state, readings = await self._read_answers(list(dict.fromkeys(topics))[:1], seat)
        text = queries_module.advice(state, moving=await self._moving())
        return Reply(text=text, data={**_data([], "template"), "readings": readings, "advice": True})

    async def _read_answers(self, queries: Sequence[str], seat: Seat) -> tuple[str, dict[str, JsonValue]]:
        """Spoken answers to questions about the car, and the values they were read from."""
        readings: dict[str, JsonValue] = {}
        answers: list[str] = []
        for query in queries:
            paths = queries_module.paths_for(query, seat)
            try:
                values = await self.link.read(paths)
            except VehicleUnavailableError as exc:
                logger.warning("reading %s: %s", query, exc)
                answers.append(replies.unavailable())
                continue
            readings.update(values)
            answers.append(queries_module.answer(query, values, seat))
        return " ".join(answers), readings

    async def _moving(self, reports: Sequence[ActionReport] = ()) -> bool:
        """True unless the car reports standing still (speed 0): an unknown speed counts as moving.

        A write's result says what driving state the server judged it in; only without one is the
        speed read.
        """
        for report in reports:
            if report.driving_state is not None:
                return report.driving_state == "moving"
        try:
            speed = (await self.link.read([SPEED])).get(SPEED)
        except VehicleUnavailableError:
            return True
        return is_moving(speed)

    # -- acting --------------------------------------------------------------------------------------

    async def _act(
        self,
        request: AgentRequest,
        actions: Sequence[Action],
        *,
        via: str,
        not_understood: Sequence[str] = (),
        lacking: Sequence[str] = (),
        beyond: Sequence[str] = (),
    ) -> Outcome:
        actions, unchanged, made = await self._to_change(actions)
        if not actions and unchanged:
            text = replies.nothing_changed(_already(unchanged, made=set()))
            if not_understood or lacking or beyond:
                rest = replies.summarize(
                    [],
                    speaker=request.seat,
                    moving=await self._moving(),
                    not_understood=not_understood,
                    lacking=lacking,
                    beyond=beyond,
                )
                text = f"{text} {rest}"
            return Reply(
                text=text,
                data={**_data([], via), "unchanged": [_action_data(action) for _, action in unchanged]},
            )
        meta = call_meta(request)
        reports = [await self._call(action, meta) for action in actions]
        already = _already(unchanged, made=made)
        for report in reports:
            if report.outcome == "applied" and report.tool in RELATIVE_STEPS:
                self.memory.remember(
                    _conversation(request), Action(tool=report.tool, arguments=report.arguments)
                )
        moving = await self._moving(reports)
        waiting = [report for report in reports if report.outcome == "needs_confirmation"]
        if waiting:
            pending = PendingConfirmation(
                calls=tuple(
                    PendingCall(
                        tool=report.tool,
                        arguments=report.arguments,
                        token=report.confirm_token or "",
                        question=report.message or "Shall I go ahead?",
                        rule_id=report.rule_id,
                    )
                    for report in waiting
                ),
                via=via,
            )
            done = [report for report in reports if report.outcome != "needs_confirmation"]
            lead = (
                replies.summarize(done, speaker=request.seat, moving=moving, unchanged=already) + " "
                if done
                else ""
            )
            return Question(
                text=f"{lead}{pending.question}",
                state=pending.model_dump(mode="json"),
                data=_data(reports, via),
            )
        text = replies.summarize(
            reports,
            speaker=request.seat,
            moving=moving,
            not_understood=not_understood,
            lacking=lacking,
            unchanged=already,
            beyond=beyond,
        )
        data = _data(reports, via)
        if unchanged:
            data["unchanged"] = [_action_data(action) for _, action in unchanged]
        return Reply(text=text, data=data)

    async def _to_change(
        self, actions: Sequence[Action]
    ) -> tuple[list[Action], list[tuple[str, Action]], set[str]]:
        """The actions to make; the calls of requests over every device left out because the car
        reports their target already holds (with the kind of request each came from); and the kinds
        of such requests some of whose calls are made. When the state cannot be read, every action is
        made."""
        over_every = _over_every_device(actions)
        paths = queries_module.settled_paths(
            [(actions[index].tool, actions[index].arguments) for index in over_every]
        )
        values = await self._read_if_any(paths, "how every device stands (every call is made)")
        kept: list[Action] = []
        unchanged: list[tuple[str, Action]] = []
        made: set[str] = set()
        for index, action in enumerate(actions):
            kind = over_every.get(index)
            if kind is not None and queries_module.settled(action.tool, action.arguments, values):
                unchanged.append((kind, action))
                continue
            kept.append(action)
            if kind is not None:
                made.add(kind)
        return kept, unchanged, made

    async def _call(
        self, action: Action, meta: CallMeta, *, confirm_token: str | None = None
    ) -> ActionReport:
        arguments: dict[str, JsonValue] = dict(action.arguments)
        if confirm_token is not None:
            arguments["confirm_token"] = confirm_token
        try:
            result = await self.link.write(action.tool, arguments, meta)
        except ToolError as exc:
            return ActionReport(
                tool=action.tool, arguments=action.arguments, outcome="failed", message=str(exc)
            )
        except VehicleUnavailableError as exc:
            logger.warning("%s: %s", action.tool, exc)
            return ActionReport(
                tool=action.tool,
                arguments=action.arguments,
                outcome="failed",
                message="the car's controls did not answer",
            )
        return report_for(action, result)

    # -- confirmations -------------------------------------------------------------------------------

    async def _answer(self, request: AgentRequest) -> Outcome:
        assert request.resumed is not None
        try:
            pending = PendingConfirmation.model_validate(request.resumed.state)
        except ValidationError:
            logger.warning("task %s: unreadable confirmation state", request.task_id)
            return Reply(text="Sorry, I lost track of that. Please ask again.", data=_data([], "fallback"))
        answer = classify_answer(request.text)
        if answer == "no":
            return Reply(
                text=replies.declined(),
                data={**_data([], "fallback"), "declined": [_call_data(call) for call in pending.calls]},
            )
        if answer == "unclear":
            if pending.asked >= 2:
                return Reply(text=replies.gave_up(), data=_data([], "fallback"))
            again = pending.model_copy(update={"asked": pending.asked + 1})
            return Question(
                text=f"Sorry, was that a yes or a no? {pending.question}",
                state=again.model_dump(mode="json"),
                data=_data([], "fallback"),
            )
        meta = call_meta(request)
        reports = [
            await self._call(Action(tool=call.tool, arguments=call.arguments), meta, confirm_token=call.token)
            for call in pending.calls
        ]
        if all(report.outcome == "failed" and _expired(report) for report in reports):
            return Reply(text=replies.expired(), data=_data(reports, pending.via))
        text = replies.summarize(reports, speaker=request.seat, moving=await self._moving(reports))
        return Reply(text=text, data=_data(reports, pending.via))


def _conversation(request: AgentRequest) -> str:
    """The conversation a follow-up belongs to: the front-end's session when the message names one
    (`cabin/session_id`; the orchestrator opens a new A2A context per turn), else the A2A context."""
    session = request.metadata.get(META_SESSION)
    return f"session:{session}" if isinstance(session, str) and session else f"context:{request.context_id}"


def _expired(report: ActionReport) -> bool:
    """True when the server no longer holds the confirmation (expired, used, or from before a restart)."""
    message = (report.message or "").lower()
    return "confirmation" in message and ("expired" in message or "ask again" in message)


def _over_every_device(actions: Sequence[Action]) -> dict[int, str]:
    """Per index of an action that is one of the calls of a request over every device (the whole run
    of `every_actions` of a kind, in its order), that kind."""
    calls = [(action.tool, dict(action.arguments)) for action in actions]
    found: dict[int, str] = {}
    for kind in EVERY:
        run = [(tool, dict(arguments)) for tool, arguments in every_actions(kind)]
        for start in range(len(calls) - len(run) + 1):
            if calls[start : start + len(run)] == run:
                for index in range(start, start + len(run)):
                    found.setdefault(index, kind)
    return found


def _already(unchanged: Sequence[tuple[str, Action]], *, made: set[str]) -> list[str]:
    """The clauses that say which kinds of request over every device left devices as they were;
    `made` are the kinds some of whose calls were made."""
    kinds = dict.fromkeys(kind for kind, _ in unchanged)
    return [replies.already(kind, others=kind in made) for kind in kinds]


def _action_data(action: Action) -> dict[str, JsonValue]:
    return {"tool": action.tool, "arguments": dict(action.arguments)}


def _call_data(call: PendingCall) -> dict[str, JsonValue]:
    return {"tool": call.tool, "arguments": dict(call.arguments)}


def _data(reports: Sequence[ActionReport], via: str) -> dict[str, JsonValue]:
    return {
        "actions": [report.data() for report in reports],
        DATA_STATE_CHANGES: state_changes(reports),
        "via": via,
    }


def _joined_in_order(parses: Sequence[Parse]) -> Parse:
    """The parses of requests said one after another, as one: what a later request asks of a device
    replaces what an earlier one asked of it (:func:`_covered`: "it's stuffy, open the windows" opens
    every window rather than venting one first; "I'm cold, warm up my seat" sets the seat heating
    once; "it's raining, close everything" closes each window once, as "close everything" does), so
    the car is changed once per device and the reply says each change once."""
    actions: list[Action] = []
    for parse in parses:
        actions = [kept for kept in actions if not _covered(kept, parse.actions)]
        actions.extend(parse.actions)
    return Parse.of_all(parses, actions)


_EVERY_ZONE = "all"


def _covered(earlier: Action, later: Sequence[Action]) -> bool:
    """True when the `later` calls ask of the device `earlier` acts on: for a tool with a zone
    argument, one of the same tool for the same zone or every zone (``all``), or calls of it for each
    seat when `earlier` is for every zone; for another tool, the same call again (a relative step
    said twice is two steps)."""
    same = [action for action in later if action.tool == earlier.tool]
    zone = ZONE_ARGUMENTS.get(earlier.tool)
    if zone is None:
        return earlier in same and "delta" not in earlier.arguments
    where = {action.arguments.get(zone) for action in same}
    return (
        earlier.arguments.get(zone) in where
        or _EVERY_ZONE in where
        or (earlier.arguments.get(zone) == _EVERY_ZONE and set(SEATS) <= where)
    )


def _intent_actions(intent: ParsedIntent, catalog: ToolCatalog, seat: Seat) -> list[Action]:
    """The actions of a pre-parsed intent, each checked against its tool's schema."""
    if intent.intent == ACTIONS_INTENT:
        raw = intent.slots.get("actions")
        if not isinstance(raw, list) or not raw:
            raise InvalidActionError(
                '"actions" needs slots {"actions": [{"tool": ..., "arguments": {...}}, ...]}'
            )
        items = raw
    else:
        items = [{"tool": intent.intent, "arguments": dict(intent.slots)}]
    actions: list[Action] = []
    for index, item in enumerate(items):
        try:
            action = Action.model_validate(item)
        except ValidationError as exc:
            raise InvalidActionError(
                f"action {index} is not {{tool, arguments}}: {exc.errors()[0]['msg']}"
            ) from exc
        actions.append(catalog.check(action, seat=seat))
    return actions
