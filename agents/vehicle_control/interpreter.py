"""The second stage of understanding: the on-device model proposes a tool call for what templates missed.

Generation is constrained in two steps that together always yield `{"tool": <name>, "arguments":
{...}}` for one of the agent's tools, or `{"tool": "none"}`, so the call cannot fail to parse: the tool
name is decoded over the closed list of names (a literal-choice grammar, cheap to decode), then the
arguments under the JSON schema of that one tool as `tools/list` gives it. The second step's prompt is
the first step's continued by the chosen name, so the runtime evaluates only the new tokens (it keeps
what the last request evaluated, docs/models.md).

Two prompt formats: when the runtime has loaded a LoRA adapter tuned for vehicle tool calls
(`ModelInfo.adapters`, task `vehicle-tool-call`; `cabin models tune`, docs/models.md), the request is
asked in that adapter's format (`models.tuning.format`: the speaker's seat, the request, the call) and
generated with the adapter; only these requests see it, the router's embeddings never do. Without
one, the base model gets a short few-shot prompt (`PROMPT_PREFIX`), the static prefix the runtime
evaluates once and reuses for every request.

A proposal is acted on only when its arguments validate against the tool's schema
(`ToolCatalog.check`) and the request's own words support every part of it (`grounding`); otherwise
the agent answers honestly that it cannot do this. A small model's guess is never what moves the car.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import JsonValue

from agents.hosting import Seat
from agents.vehicle_control.actions import EXCLUSIVE_ARGUMENTS, Action, ToolCatalog
from agents.vehicle_control.errors import InvalidActionError
from agents.vehicle_control.grounding import grounding_problem, tool_problem
from models import HostUnavailable, ModelError, Prefix, Priority, Runtime, choice_grammar
from models.tuning import format as tuned_format

__all__ = [
    "NO_TOOL",
    "PROMPT_PREFIX",
    "Interpretation",
    "ModelInterpreter",
    "RuntimeSource",
    "arguments_schema",
]

logger = logging.getLogger(__name__)

NO_TOOL = "none"
"""The model's answer when no tool fits."""

PREPARE_TIMEOUT_S = 120.0
"""How long `prepare` waits for the model to evaluate the prompt prefix (a cold start on a busy machine)."""

WARM_UP_REQUEST: tuple[str, Seat] = ("make it a little warmer in here", "driver")
"""The (text, seat) of `ModelInterpreter.warm_up`'s generation: any in-car request does."""

WARM_UP_TOKENS = 4
"""Tokens `warm_up` generates: after the prompt, enough single-token evaluations for the generation
context to measure both thread counts it chooses from (`models/llama.py`, `_Threads`)."""

PROMPT_PREFIX = """Turn a request from a person in a car into one JSON tool call, or {"tool": "none"}
when no tool fits.
Tools: set_cabin_temperature(zone, celsius | delta), set_fan(zone, percent | delta),
set_air_distribution(direction), set_air_conditioning(on), set_recirculation(on), set_defrost(where, on),
set_seat_heating(seat, level 0-3), set_seat_ventilation(seat, level 0-3), set_seat_massage(seat, level 0-100),
set_steering_wheel_heating(on), set_window(window, percent | action), set_sunroof(action),
set_sunshade(percent | action, rear), lock_doors(doors), unlock_doors(doors), set_door(door, open),
set_trunk(open), set_lights(light, on), set_wipers(mode, rear), set_media_volume(percent | delta),
fold_mirrors(folded). Zones: driver, passenger, rear_left, rear_right, front, rear, all; leave the zone
out for the speaker's own.

Request: could the air be a little less chilly over here
Call: {"tool": "set_cabin_temperature", "arguments": {"delta": 1}}

Request: the kids in the back want their windows down
Call: {"tool": "set_window", "arguments": {"window": "rear", "action": "open"}}

Request: what's the capital of France
Call: {"tool": "none"}

Request: switch the hazard lights on
Call: {"tool": "set_lights", "arguments": {"light": "hazard", "on": true}}

Request: the music is a bit too loud for me
Call: {"tool": "set_media_volume", "arguments": {"delta": -10}}

Request: give the passenger seat some heat
Call: {"tool": "set_seat_heating", "arguments": {"seat": "passenger", "level": 2}}

Request: play my driving playlist
Call: {"tool": "none"}

Request: we need the wipers going quickly
Call: {"tool": "set_wipers", "arguments": {"mode": "fast"}}

Request: pop the boot open for me
Call: {"tool": "set_trunk", "arguments": {"open": true}}

Request: put the fan at 60 percent
Call: {"tool": "set_fan", "arguments": {"percent": 60}}

Request: call my mother
Call: {"tool": "none"}

Request: shut the sun shade please
Call: {"tool": "set_sunshade", "arguments": {"action": "close"}}

"""


def _without_null(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A property schema for generation: the null branch dropped (omitted = default), no prose keys."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        kept = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        if len(kept) == 1 and isinstance(kept[0], dict):
            return _without_null(kept[0])
        return {"anyOf": [_without_null(o) for o in kept if isinstance(o, dict)]}
    keep = ("type", "enum", "const", "minimum", "maximum", "items")
    return {key: value for key, value in schema.items() if key in keep}


def arguments_schema(catalog: ToolCatalog, tool: str) -> dict[str, Any]:
    """The JSON schema the model fills for `tool`'s arguments: the tool's own input schema without
    `confirm_token` (only a person's yes sets one), null branches or prose, and for tools that take one
    of two arguments (`EXCLUSIVE_ARGUMENTS`) one variant per argument."""
    schema = catalog.schema(tool)
    properties = {
        key: _without_null(value)
        for key, value in dict(schema.get("properties", {})).items()
        if key != "confirm_token" and isinstance(value, dict)
    }
    required = [key for key in schema.get("required", []) if key in properties]
    exclusive = EXCLUSIVE_ARGUMENTS.get(tool)
    if exclusive is None:
        return _object(properties, required)
    # One variant per exclusive argument, so the model must give exactly one of them.
    return {
        "anyOf": [
            _object(
                {key: value for key, value in properties.items() if key not in exclusive or key == chosen},
                [*required, chosen],
            )
            for chosen in exclusive
        ]
    }


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


@dataclass(frozen=True)
class Interpretation:
    """The model's reading of one request: an action to take, or None with the reason it was not taken."""

    action: Action | None
    reason: str
    proposal: JsonValue = None
    unavailable: bool = False
    """True when the model could not be asked at all (its host does not answer): the request was not
    misunderstood, it could not be read."""


RuntimeSource = Runtime | Callable[[], Runtime]
"""A model runtime the caller owns, or a function that opens one (the interpreter then owns it)."""


class ModelInterpreter:
    """Asks the on-device model for one tool call (see the module docstring for the checks).

    `runtime` is a `Runtime` the caller owns, or a function that opens one on first use (then this
    object owns it and `aclose` releases it). `timeout_s` bounds each generation, queue time included.
    A runtime that cannot be opened, a timeout or any model error gives an Interpretation without an
    action; nothing is raised to the caller.
    """

    def __init__(
        self,
        runtime: RuntimeSource,
        *,
        timeout_s: float = 8.0,
        max_tokens: int = 96,
        use_adapter: bool = True,
    ) -> None:
        """`use_adapter`: generate with a vehicle tool-call adapter when the runtime has one loaded
        (False: always ask the base model with the few-shot prompt, as evaluation's baseline does)."""
        self._source = runtime
        self._use_adapter = use_adapter
        self._adapter: str | None = None
        self._runtime: Runtime | None = runtime if isinstance(runtime, Runtime) else None
        self._owns_runtime = not isinstance(runtime, Runtime)
        self._timeout_s = timeout_s
        self._max_tokens = max_tokens
        self._lock = asyncio.Lock()
        self._prefix: Prefix | None = None
        self._unavailable: str | None = None
        self._preparing: asyncio.Future[None] | None = None

    @property
    def adapter(self) -> str | None:
        """The LoRA adapter the model path generates with (None: the base model), once prepared."""
        return self._adapter

    async def interpret(
        self, text: str, *, seat: Seat, catalog: ToolCatalog, ground_first: bool = True
    ) -> Interpretation:
        """One checked action for `text`, or None with the reason. `ground_first=False` asks for the
        arguments even when the request cannot ground the chosen tool (evaluation compares them)."""
        runtime = await self._ready()
        if runtime is None:
            return Interpretation(None, f"no model: {self._unavailable}", unavailable=True)
        names = [*catalog.names, NO_TOOL]
        adapter = self._adapter
        opening = self._opening(text, seat)
        prefix = self._prefix or PROMPT_PREFIX
        try:
            chosen = await runtime.generate(
                opening,
                prefix=prefix,
                grammar=choice_grammar([f'{name}"' for name in names]),
                max_tokens=24,
                adapter=adapter,
                priority=Priority.AGENT,
                timeout=self._timeout_s,
            )
            tool = chosen.text.removesuffix('"')
            if tool not in catalog.names:
                return Interpretation(None, "the model found no tool for this", {"tool": tool})
            unsupported = tool_problem(text, tool)
            if unsupported is not None and ground_first:
                # No arguments could make this call grounded: do not spend the model on them.
                return Interpretation(None, f"not grounded in the request: {unsupported}", {"tool": tool})
            filled = await runtime.generate(
                tuned_format.arguments_opening(text, seat, tool)
                if adapter is not None
                else f'{opening}{tool}", "arguments": ',
                prefix=prefix,
                json_schema=arguments_schema(catalog, tool),
                max_tokens=self._max_tokens,
                adapter=adapter,
                priority=Priority.AGENT,
                timeout=self._timeout_s,
            )
        except ModelError as exc:
            logger.warning("model call failed: %s", exc)
            return Interpretation(
                None, f"the model failed: {exc}", unavailable=isinstance(exc, HostUnavailable)
            )
        proposal: dict[str, JsonValue] = {"tool": tool, "arguments": filled.data}
        try:
            action = Action.model_validate(proposal)
            action = catalog.check(action, seat=seat)
        except (InvalidActionError, ValueError) as exc:
            return Interpretation(None, f"the model's call is not valid: {exc}", proposal)
        problem = grounding_problem(text, action, seat=seat)
        if problem is not None:
            return Interpretation(None, f"not grounded in the request: {problem}", proposal)
        return Interpretation(action, "grounded", proposal)

    async def aclose(self) -> None:
        """Release the runtime if this object opened it."""
        if self._preparing is not None and not self._preparing.done():
            self._preparing.cancel()
        runtime, self._runtime = self._runtime, None
        if runtime is not None and self._owns_runtime:
            await runtime.aclose()

    async def prepare(self, timeout_s: float = PREPARE_TIMEOUT_S) -> None:
        """Open the runtime and have the model evaluate the prompt prefix now (the agent calls this
        before it reports healthy), so that the first request pays for neither. A model that is not
        there, or not within `timeout_s`, is logged; requests then try again or answer without it."""
        await self._ready(timeout_s)

    async def warm_up(self, timeout_s: float = PREPARE_TIMEOUT_S) -> None:
        """Have the model generate a few tokens for a fixed request (`WARM_UP_REQUEST`) the way a
        request is asked (the tuned adapter's format and adapter when loaded), at background priority,
        so that what the first generation pays once is paid now rather than by a person's first request
        the templates miss: the generation context's first evaluations run with all cores until it has
        measured whether one thread is faster (on a busy machine several times slower), the adapter is
        applied for the first time, and its prompt prefix is evaluated. The output is not used. The
        agent runs this in the background once it serves (`VehicleControlApp`); a model that is not
        there, or fails, is logged."""
        runtime = await self._ready(timeout_s)
        if runtime is None:
            return
        text, seat = WARM_UP_REQUEST
        try:
            await runtime.generate(
                self._opening(text, seat),
                prefix=self._prefix or PROMPT_PREFIX,
                max_tokens=WARM_UP_TOKENS,
                adapter=self._adapter,
                priority=Priority.BACKGROUND,
                timeout=timeout_s,
            )
        except ModelError as exc:
            logger.warning("the model's warm-up generation failed: %s", exc)

    def _opening(self, text: str, seat: Seat) -> str:
        """The prompt of the first step (the tool name), in the prompt format in use."""
        if self._adapter is not None:
            return tuned_format.opening(text, seat)
        return f'Request: {" ".join(text.split())}\nCall: {{"tool": "'

    async def _ready(self, timeout_s: float | None = None) -> Runtime | None:
        # Shielded: a request cancelled while the runtime opens or the prefix is evaluated (its
        # caller gave up) must not cancel that work for every request after it.
        if self._preparing is None:
            self._preparing = asyncio.ensure_future(self._open_and_declare(timeout_s or self._timeout_s))
        preparing = self._preparing
        try:
            await asyncio.shield(preparing)
        finally:
            if preparing.done() and self._prefix is None and self._preparing is preparing:
                self._preparing = None  # the prefix could not be declared: the next request retries
        return self._runtime

    async def _open_and_declare(self, timeout_s: float) -> None:
        async with self._lock:
            if self._runtime is None and self._unavailable is None and callable(self._source):
                factory = self._source
                try:
                    self._runtime = await asyncio.to_thread(factory)
                except ModelError as exc:
                    self._unavailable = str(exc)
                    logger.warning("the on-device model is unavailable; templates only: %s", exc)
            if self._runtime is not None and self._prefix is None:
                try:
                    await self._declare(self._runtime, timeout_s)
                except ModelError as exc:
                    logger.warning("the prompt prefix was not evaluated: %s", exc)

    async def _declare(self, runtime: Runtime, timeout_s: float) -> None:
        """Pick the prompt format (the tuned adapter's when loaded) and evaluate its static prefix."""
        if self._use_adapter:
            info = await runtime.model_info()
            found = [
                a.id
                for a in info.adapters
                if a.task == tuned_format.TASK and a.prompt_format == tuned_format.PROMPT_FORMAT
            ]
            if found:
                self._adapter = found[0]
                # A few tokens: evaluated with the first request, under the adapter.
                self._prefix = Prefix(text=tuned_format.TUNED_PREFIX, tokens=0)
                return
        self._prefix = await runtime.prefix(PROMPT_PREFIX, timeout=timeout_s)
