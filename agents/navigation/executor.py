"""`NavigationExecutor`: one turn of the navigation agent, from the person's words to places, routes
and, when the person asked for it, the car's destination.

A turn reads the request (`understanding`), reads the car (position, speed, gear, destination) from
the vehicle server, searches and routes on the map server, and answers in one or two spoken
sentences with a data part (`dialogue.TurnData`). Offering a place ends in a `Question` ("Shall I
take you there?") whose saved state holds the places found; the answer on the same task ("yes",
"take me there", "the second one", "how long will it take", "avoid motorways", "no") continues from
that state.

Safety, in the order it applies:

- Only the person's own words are read as a request. Names and other map text are only ever spoken
  or reported; they never reach `understanding` (GR-18).
- The destination is set only when the message that asks for it comes from a person in the car
  (`cabin/origin` = `occupant`); otherwise the agent refuses without calling the car (GR-18). The
  vehicle server checks provenance, seat and scope again (GR-15, GR-16, GR-18); its verdict is
  reported as it is, never softened.
- The only write the agent ever asks for is `set_navigation_destination` (GR-16).
- While the car is not parked, a reply keeps to two short sentences and at most three places (GR-12).
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass, replace

from pydantic import JsonValue, ValidationError

from agents.hosting import (
    METADATA_ORIGIN,
    METADATA_SEAT,
    AgentRequest,
    CabinExecutor,
    Failure,
    Outcome,
    PendingQuestion,
    Question,
    Rejection,
    Reply,
)
from agents.navigation.dialogue import ActionRecord, DialogueState, PoiView, RouteView, TurnData
from agents.navigation.errors import ServiceError, ServiceUnavailable, ToolFailed, UnderstandingError
from agents.navigation.services import CarState, MapFacts, McpTarget, Point, ServiceLinks, WriteOutcome
from agents.navigation.speech import (
    UNSUPPORTED_LEADS,
    avoid_names,
    avoid_tail,
    brief,
    distance,
    distance_and_time,
    join_words,
    label_with_article,
    ordinal_word,
    place_name,
    route_sentence,
    sentence_case,
    spoken_label,
    subject,
)
from agents.navigation.understanding import (
    FILLER_WORDS,
    PlaceRef,
    Understanding,
    understand_request,
)
from agents.navigation.vocabulary import SPOKEN_LABELS, CategoryVocabulary, is_label, normalize, singular

__all__ = ["MAX_RESULTS_PARKED", "MAX_RESULTS_RESTRICTED", "SEARCH_RADIUS_M", "NavigationExecutor"]

logger = logging.getLogger(__name__)

SEARCH_RADIUS_M = 5000.0
"""How far around the car a search looks."""
NEAR_RADIUS_M = 1500.0
"""How far around a landmark a search looks ("parking near the station")."""
MAX_RESULTS_PARKED = 5
MAX_RESULTS_RESTRICTED = 3
"""At most this many places while the car is not parked (GR-12)."""

SET_DESTINATION = "set_navigation_destination"
META_TURN = "cabin/turn_id"

TAKE_YOU_THERE = "Shall I take you there?"
OUT_OF_SCOPE = (
    "I can only help with places and routes: finding a charger, parking or a pharmacy, "
    "taking you somewhere, and how long the drive takes."
)
NOTHING_OFFERED = "I haven't offered a place yet. Ask me to find one first, for example a charger."
CANNOT_CANCEL = (
    "I can't cancel guidance from here: the car offers no way to clear its destination. "
    "You can stop it on the navigation screen."
)
NOT_FROM_OCCUPANT = "I can only set a destination when someone in the car asks for it."
_EXAMPLE_CATEGORIES = ("charging", "fuel", "parking", "pharmacy", "hospital", "food", "hotel", "station")


@dataclass(frozen=True)
class _Target:
    """How to search for what the person named: searches to try in order, and how to speak of it."""

    attempts: tuple[tuple[str | None, str | None], ...]
    label: str
    by_name: bool
    unknown_kind: bool = False
    """The person asked for a kind of place ("a zoo") that is no category of the map."""
    definite: bool = False
    """The person said "the" before a name ("the airport"): a reply that repeats it keeps it."""
    street: str | None = None
    """Only places on this street ("the Lidl on Kaivokatu")."""


@dataclass(frozen=True)
class _Found:
    """What a search found, what it was for, and the landmark it looked around, if any."""

    pois: list[PoiView]
    target: _Target
    landmark: str | None = None


class NavigationExecutor(CabinExecutor):
    """The navigation agent's turn logic on top of `CabinExecutor`.

    `vehicle` and `map_server` are the MCP servers (in-process `MCPServer` or streamable HTTP URL);
    `vehicle_token` / `map_token` are sent as bearer tokens over HTTP. Each turn opens its own
    connections and closes them when it ends; a server that cannot be reached fails that turn with
    a short sentence, and the next turn tries again. The map's categories and coverage are read
    once and kept (they describe the loaded map, not any task); everything a task must remember
    travels in its question's state.
    """

    handler_timeout_s: float | None = 30.0

    def __init__(
        self,
        vehicle: McpTarget,
        map_server: McpTarget,
        *,
        vehicle_token: str | None = None,
        map_token: str | None = None,
        call_timeout_s: float = 10.0,
        search_radius_m: float = SEARCH_RADIUS_M,
    ) -> None:
        super().__init__()
        self._links = ServiceLinks(
            vehicle, map_server, vehicle_token=vehicle_token, map_token=map_token, timeout_s=call_timeout_s
        )
        self.search_radius_m = search_radius_m
        self._facts: MapFacts | None = None
        self._vocabulary: CategoryVocabulary | None = None

    async def handle(self, request: AgentRequest) -> Outcome:
        """Serve one turn; see the module docstring for what it does."""
        try:
            understanding = understand_request(request.text, request.intent)
        except UnderstandingError as exc:
            return Rejection(reason=str(exc), data=TurnData().dump())
        turn = _Turn(self, request, understanding, _restore(request.resumed), self._links)
        try:
            return await turn.run()
        except ServiceError as exc:
            logger.warning("task %s: the %s server failed: %s", request.task_id, exc.service, exc)
            if isinstance(exc, ServiceUnavailable):
                await self._links.drop(exc.service)
            return Failure(reason=_service_sentence(exc), data=turn.data.dump())

    async def aclose(self) -> None:
        """Close the connections to the MCP servers."""
        await self._links.aclose()

    @property
    def known_categories(self) -> frozenset[str]:
        """The categories of the loaded map, once it has been read (empty before)."""
        return self._vocabulary.categories if self._vocabulary is not None else frozenset()

    async def map_facts(self, links: ServiceLinks) -> tuple[MapFacts, CategoryVocabulary]:
        """The loaded map's facts and category words, read on first use."""
        if self._facts is None or self._vocabulary is None:
            facts = await (await links.map()).facts()
            self._vocabulary = CategoryVocabulary(
                (category.name, category.aliases) for category in facts.categories
            )
            self._facts = facts
        return self._facts, self._vocabulary


def _restore(resumed: PendingQuestion | None) -> DialogueState | None:
    if resumed is None:
        return None
    try:
        return DialogueState.model_validate(resumed.state)
    except ValidationError:
        logger.warning("a saved question state is unreadable; treating the answer as a new request")
        return None


def _service_sentence(exc: ServiceError) -> str:
    if exc.service == "vehicle":
        return "I can't reach the car's systems right now, so I can't do that."
    if isinstance(exc, ServiceUnavailable):
        return "I can't reach the map right now. Please try again in a moment."
    return "The map couldn't answer that. Please try again."


class _Turn:
    """One turn: the request, what it asks, the saved dialogue state, and the open connections."""

    def __init__(
        self,
        executor: NavigationExecutor,
        request: AgentRequest,
        understanding: Understanding,
        state: DialogueState | None,
        links: ServiceLinks,
    ) -> None:
        self.executor = executor
        self.request = request
        self.u = understanding
        self.state = state
        self.links = links
        self.data = TurnData()
        self._car: CarState | None = None

    # -- flow ---------------------------------------------------------------------------------------

    async def run(self) -> Outcome:
        if self.state is not None:
            resumed = await self._resume(self.state)
            if resumed is not None:
                return resumed
        return await self._fresh()

    async def _resume(self, state: DialogueState) -> Outcome | None:
        """Continue from a pending question; None when the message is a new request instead."""
        kind, place = self.u.kind, self.u.place
        avoid = _merge(state.avoid, self.u.avoid)
        if state.awaiting == "confirmation":
            current = state.current
            if current is not None and (kind == "confirm" or (kind == "navigate" and _points_here(place))):
                return await self._set_destination(current, state, confirm_token=state.confirm_token)
            if kind in ("deny", "cancel"):
                return self._reply("Okay, I won't set the destination.")
            return None
        if state.awaiting == "destination":
            if kind in ("deny", "cancel"):
                return self._reply("Okay.")
            if kind == "confirm":
                return self._question("Where would you like to go?", state)
            if kind in ("navigate", "find", "unknown") and place is not None and _names_something(place):
                return await self._navigate(place, avoid)
            return None
        # awaiting == "go_there"
        if kind == "confirm" or (kind == "navigate" and _points_here(place)):
            current = state.current
            if current is None:
                return None
            return await self._set_destination(current, state.model_copy(update={"avoid": avoid}))
        if kind in ("navigate", "select") and place is not None and place.ordinal is not None:
            index = _index(place.ordinal, len(state.pois))
            if index is None:
                count = len(state.pois)
                return self._question(
                    f"I only found {count} place{'s' if count != 1 else ''}. Which one do you mean?", state
                )
            chosen = state.model_copy(update={"selected": index, "avoid": avoid})
            if kind == "navigate":
                return await self._set_destination(chosen.pois[index], chosen)
            return await self._offer(chosen, ordinal=place.ordinal)
        if kind in ("deny", "cancel"):
            return self._reply("Okay, I won't set a destination.")
        if kind in ("route_info", "avoid") and (place is None or place.here):
            return await self._offer(state.model_copy(update={"avoid": avoid}), about_route=True)
        return None

    async def _fresh(self) -> Outcome:
        kind, place = self.u.kind, self.u.place
        if kind == "find":
            return await self._find(place)
        if kind == "navigate":
            if place is None or not _names_something(place):
                return self._reject(NOTHING_OFFERED)
            return await self._navigate(place, self.u.avoid)
        if kind in ("route_info", "avoid"):
            return await self._route_to_destination()
        if kind == "cancel":
            return self._reject(CANNOT_CANCEL)
        if kind == "confirm":
            return self._reject("There's nothing waiting for a yes right now.")
        if kind == "deny":
            return self._reply("Okay.")
        if kind == "select":
            return self._reject(NOTHING_OFFERED)
        # unknown: a bare category ("chargers?", "nearest pharmacy") is a search; anything else is not ours.
        if place is not None and place.phrase is not None:
            _, vocabulary = await self.executor.map_facts(self.links)
            match = vocabulary.find(place.phrase)
            if match is not None and not _leftover(match.rest):
                return await self._find(place)
        return self._reject(OUT_OF_SCOPE)

    # -- searching ----------------------------------------------------------------------------------

    async def _find(self, place: PlaceRef | None) -> Outcome:
        if place is None:
            return self._reject("Tell me what to look for, for example a charger, parking or a pharmacy.")
        early = self._not_searchable(place)
        if early is not None:
            return early
        if place.poi_id is not None:
            found = await self._describe(place.poi_id)
            if found is None:
                return self._reject("I can't find that place on the map.")
            state = DialogueState(awaiting="go_there", pois=[found], avoid=list(self.u.avoid))
            return await self._offer(state, by_name=found.name is not None, first_offer=True)
        located = await self._locate(place, await self._car_state())
        if not isinstance(located, _Found):
            return located
        target = located.target
        state = DialogueState(
            awaiting="go_there", pois=located.pois, selected=0, label=target.label, avoid=list(self.u.avoid)
        )
        return await self._offer(state, by_name=target.by_name, first_offer=True, landmark=located.landmark)

    async def _locate(self, place: PlaceRef, car: CarState) -> _Found | Outcome:
        """The places `place` names, nearest first: around the car, or around the landmark it was
        said to be near (the landmark's own nearest match around the car)."""
        target = await self._target(place)
        if isinstance(target, Rejection):
            return target
        position = await self._position(car)
        if not isinstance(position, Point):
            return position
        restricted = not car.parked
        if place.near is None:
            pois = await self._search(target, position, restricted=restricted)
            return _Found(pois, target) if pois else self._nothing_found(target)
        landmark_target = await self._target(place.near)
        if isinstance(landmark_target, Rejection):
            return landmark_target
        landmarks = await self._search(landmark_target, position, restricted=False)
        if not landmarks:
            return self._nothing_found(landmark_target)
        landmark = _likeliest_landmark(landmarks, landmark_target)
        landmark_name = place_name(landmark.name) or _spoken(landmark_target)
        pois = await self._search(target, landmark.point, restricted=restricted, radius_m=NEAR_RADIUS_M)
        if not pois:
            return self._nothing_found(target, near=landmark_name)
        return _Found(pois, target, landmark_name)

    def _not_searchable(self, place: PlaceRef) -> Rejection | None:
        if place.saved is not None:
            return self._reject(f"{_no_saved(place)}, so I can't find it.")
        if place.here or place.ordinal is not None:
            return self._reject(NOTHING_OFFERED)
        if place.position is not None:
            return self._reject("Tell me a kind of place or a name to look for.")
        return None

    async def _target(self, place: PlaceRef) -> _Target | Rejection:
        """What to search for: a category, a name, or both, decided against the map's categories,
        on the street the person named, if any."""
        target = await self._what(place)
        if isinstance(target, _Target) and place.street is not None:
            street = " ".join(word.capitalize() for word in place.street.split())
            return replace(target, street=street, label=f"{target.label} on {street}")
        return target

    async def _what(self, place: PlaceRef) -> _Target | Rejection:
        _, vocabulary = await self.executor.map_facts(self.links)
        if place.category is not None:
            meaning = vocabulary.lookup(place.category)
            if meaning is None:
                return self._unknown_category(f"“{place.category}”")
            label = SPOKEN_LABELS.get(meaning.category, spoken_label(meaning.category))
            if place.name is not None:
                return _Target(((meaning.category, place.name),), label, by_name=True)
            attempts = ((meaning.category, meaning.name_hint), (meaning.category, None))
            return _Target(attempts if meaning.name_hint else attempts[1:], label, by_name=False)
        if place.name is not None:
            return _Target(((None, place.name),), place.name, by_name=True)
        phrase = place.phrase or ""
        match = vocabulary.find(phrase)
        if match is None:
            return _Target(
                ((None, phrase),),
                phrase,
                by_name=True,
                unknown_kind=place.indefinite,
                definite=place.definite,
            )
        leftover = _leftover(match.rest)
        label = (
            spoken_label(match.phrase)
            if is_label(match.phrase)
            else SPOKEN_LABELS.get(match.category, spoken_label(match.category))
        )
        if leftover:
            # "Ateneum art museum": try the whole name in the category, then shorter, then anywhere.
            words = leftover.split(" ")
            names = [" ".join(words[:size]) for size in range(len(words), 0, -1)]
            tries: list[tuple[str | None, str | None]] = [(match.category, name) for name in names]
            return _Target((*tries, (None, phrase)), phrase, by_name=True, definite=place.definite)
        if match.name_hint is not None:
            return _Target(((match.category, match.name_hint), (match.category, None)), label, by_name=False)
        return _Target(((match.category, None),), label, by_name=False)

    async def _search(
        self, target: _Target, position: Point, *, restricted: bool, radius_m: float | None = None
    ) -> list[PoiView]:
        limit = MAX_RESULTS_RESTRICTED if restricted else MAX_RESULTS_PARKED
        radius = self.executor.search_radius_m if radius_m is None else radius_m
        map_client = await self.links.map()
        for category, name in target.attempts:
            result = await map_client.search(
                position, category=category, name=name, radius_m=radius, limit=limit, street=target.street
            )
            self.data.attribution = result.attribution
            pois = result.pois
            if target.unknown_kind and name is not None:
                # "a zoo" is no category: only a place whose name holds the word itself will do
                # ("Zoo Bar"), not one whose name merely starts with it ("Zoomi").
                pois = [poi for poi in pois if _has_words(poi.name, name)]
            if pois:
                return [PoiView.from_found(poi) for poi in pois[:limit]]
        return []

    async def _describe(self, poi_id: str) -> PoiView | None:
        try:
            return PoiView.from_details(await (await self.links.map()).describe(poi_id))
        except ToolFailed:
            return None

    def _nothing_found(self, target: _Target, *, near: str | None = None) -> Outcome:
        if target.unknown_kind:
            words = target.label.split(" ")
            return self._unknown_category(label_with_article(" ".join([*words[:-1], singular(words[-1])])))
        if near is not None:
            what = _spoken(target) if target.by_name else label_with_article(target.label)
            text = f"I couldn't find {what} within {distance(NEAR_RADIUS_M)} of {near}."
        elif target.by_name:
            text = f"I couldn't find {_spoken(target)} on the map near here."
        else:
            radius = distance(self.executor.search_radius_m)
            text = f"I couldn't find {label_with_article(target.label)} within {radius}."
        if self.u.asks_existence:
            text = f"No, {text}"
        if self.u.kind == "navigate" or target.by_name:
            return self._reject(text)
        return self._reply(text)

    def _unknown_category(self, words: str) -> Rejection:
        known = self.executor.known_categories
        examples = [name for name in _EXAMPLE_CATEGORIES if name in known] or sorted(known)[:5]
        spoken = [label_with_article(SPOKEN_LABELS.get(name, spoken_label(name))) for name in examples[:5]]
        listed = ", ".join(spoken[:-1]) + f" or {spoken[-1]}" if len(spoken) > 1 else "".join(spoken)
        return self._reject(f"I can't look for {words} on the map. I can find places such as {listed}.")

    # -- offering a place ---------------------------------------------------------------------------

    async def _offer(
        self,
        state: DialogueState,
        *,
        by_name: bool = False,
        first_offer: bool = False,
        ordinal: int | None = None,
        about_route: bool = False,
        landmark: str | None = None,
    ) -> Outcome:
        """Say where the selected place is and ask whether to go there (`landmark`: the place the
        search looked around, named in the first offer)."""
        current = state.current
        if current is None:
            return self._reject(NOTHING_OFFERED)
        car = await self._car_state()
        restricted = not car.parked
        route = await self._route(current, state.avoid, car)
        self.data.pois = list(state.pois[:MAX_RESULTS_RESTRICTED] if restricted else state.pois)
        if not first_offer:
            self.data.pois = [current]
        self.data.route = route
        street = route.street if route is not None else None
        what = subject(current, state.label, street)
        if about_route and route is not None:
            answer = route_sentence(what, route)
        else:
            metrics = (
                distance_and_time(route.distance_m, route.duration_s)
                if route is not None
                else distance_and_time(current.distance_m, current.eta_s)
            )
            away = f"{metrics} away" if metrics else "on the map"
            where = _where(current, street)
            if by_name:
                answer = f"{sentence_case(what)} is {away}."
            else:
                head = (
                    f"The {ordinal_word(ordinal)} one"
                    if ordinal is not None
                    else f"The nearest {state.label or 'place'}"
                )
                if landmark is not None and ordinal is None:
                    head = f"{head} to {landmark}"
                answer = f"{head} is {where}, {away}." if where else f"{head} is {away}."
            if route is not None and state.avoid:
                answer = answer.removesuffix(".") + avoid_tail(route) + "."
        if about_route and route is None:
            answer = self._no_route_sentence(what, state.avoid)
        if first_offer:
            answer = self._lead_in(answer)
        sentences = [answer]
        if first_offer and not restricted and len(state.pois) > 1:
            sentences.append(_alternatives(state.pois[1:3]))
        sentences.append(TAKE_YOU_THERE)
        return self._question(brief(sentences, restricted=restricted), state)

    def _lead_in(self, answer: str) -> str:
        follow_on = "the " + answer[4:] if answer.startswith("The ") else answer
        if self.u.unsupported is not None:
            return f"{UNSUPPORTED_LEADS[self.u.unsupported]}, but {follow_on}"
        if self.u.asks_existence:
            return f"Yes, {follow_on}"
        return answer

    def _no_route_sentence(self, what: str, avoid: list[str]) -> str:
        if avoid:
            return f"I can't find a route to {what} that avoids {avoid_names(avoid)}."
        return f"I can't find a drivable route to {what}."

    # -- routes ---------------------------------------------------------------------------------------

    async def _route(self, place: PoiView, avoid: list[str], car: CarState) -> RouteView | None:
        """The route from the car to `place`, or None when the map has none (said, not hidden)."""
        if car.position is None:
            return None
        map_client = await self.links.map()
        try:
            route = await map_client.route(
                car.position,
                poi_id=place.poi_id,
                destination=None if place.poi_id is not None else place.point,
                avoid=tuple(avoid),
            )
        except ToolFailed as exc:
            logger.info("no route to %s: %s", place.poi_id or place.point, exc.detail)
            return None
        self.data.attribution = route.attribution
        return RouteView.from_route(route)

    async def _route_to_destination(self) -> Outcome:
        """How far and how long to the destination the car has now."""
        car = await self._car_state()
        position = await self._position(car)
        if not isinstance(position, Point):
            return position
        if car.destination is None:
            state = DialogueState(awaiting="destination", avoid=list(self.u.avoid))
            return self._question("No destination is set yet. Where would you like to go?", state)
        destination = PoiView(latitude=car.destination.latitude, longitude=car.destination.longitude)
        route = await self._route(destination, list(self.u.avoid), car)
        if route is None:
            return self._reply(self._no_route_sentence("your destination", list(self.u.avoid)))
        self.data.route = route
        return self._reply(route_sentence("your destination", route))

    # -- setting the destination ----------------------------------------------------------------------

    async def _navigate(self, place: PlaceRef, avoid: tuple[str, ...] | list[str]) -> Outcome:
        """'Take me to X': find X (the nearest match) and set it as the destination."""
        if place.saved is not None:
            return self._reject(f"{_no_saved(place)}, so I can't take you there.")
        label: str | None = None
        if place.position is not None:
            found: PoiView | None = PoiView(
                latitude=place.position.latitude, longitude=place.position.longitude
            )
            label = "destination"
        elif place.poi_id is not None:
            found = await self._describe(place.poi_id)
            if found is None:
                return self._reject("I can't find that place on the map.")
        else:
            located = await self._locate(place, await self._car_state())
            if not isinstance(located, _Found):
                return located
            found, label = located.pois[0], (None if located.target.by_name else located.target.label)
        if found is None:
            return self._reject("I can't find that place on the map.")
        state = DialogueState(awaiting="go_there", pois=[found], selected=0, label=label, avoid=list(avoid))
        return await self._set_destination(found, state)

    async def _set_destination(
        self, place: PoiView, state: DialogueState, *, confirm_token: str | None = None
    ) -> Outcome:
        arguments: dict[str, JsonValue] = {"latitude": place.latitude, "longitude": place.longitude}
        if not self.request.from_occupant:
            self.data.actions.append(
                ActionRecord(
                    tool=SET_DESTINATION,
                    arguments=arguments,
                    outcome="refused",
                    rule_id="GR-18",
                    message="the request did not come from a person in the car",
                )
            )
            return self._reject(NOT_FROM_OCCUPANT)
        car = await self._car_state()
        vehicle = await self.links.vehicle()
        try:
            outcome = await vehicle.set_destination(
                place.point, meta=self._meta(), confirm_token=confirm_token
            )
        except ToolFailed as exc:
            self.data.actions.append(
                ActionRecord(tool=SET_DESTINATION, arguments=arguments, outcome="failed", message=exc.detail)
            )
            return Failure(reason="I couldn't set the destination.", data=self.data.dump())
        self._record(arguments, outcome)
        if outcome.needs_confirmation is not None:
            pending = state.model_copy(
                update={
                    "awaiting": "confirmation",
                    "pois": [place],
                    "selected": 0,
                    "confirm_token": outcome.needs_confirmation.token,
                }
            )
            return self._question(outcome.needs_confirmation.question, pending)
        if outcome.refused or not outcome.applied:
            reason = outcome.refused[0].reason if outcome.refused else "the car did not take it"
            return self._reject(f"I can't set the destination: {reason}.")
        self.data.state_changes = dict(outcome.applied)
        route = await self._route(place, state.avoid, car)
        self.data.pois = [place]
        self.data.route = route
        what = subject(place, state.label, route.street if route is not None else None)
        if route is None:
            return self._reply(f"Destination set: {what}.")
        metrics = distance_and_time(route.distance_m, route.duration_s)
        text = f"Taking you to {what}: {metrics}{avoid_tail(route) if state.avoid else ''}."
        return self._reply(brief([text], restricted=not car.parked))

    def _meta(self) -> dict[str, str]:
        """The vehicle call's `_meta`: the speaker's seat and the request's origin, as the message said."""
        meta: dict[str, str] = {}
        if self.request.seat is not None:
            meta[METADATA_SEAT] = self.request.seat
        if self.request.origin is not None:
            meta[METADATA_ORIGIN] = self.request.origin
        turn = self.request.metadata.get(META_TURN)
        if isinstance(turn, str) and turn:
            meta[META_TURN] = turn
        return meta

    def _record(self, arguments: dict[str, JsonValue], outcome: WriteOutcome) -> None:
        if outcome.needs_confirmation is not None:
            record = ActionRecord(
                tool=SET_DESTINATION,
                arguments=arguments,
                outcome="needs_confirmation",
                rule_id=outcome.needs_confirmation.rule_id,
                message=outcome.needs_confirmation.question,
            )
        elif outcome.refused:
            first = outcome.refused[0]
            record = ActionRecord(
                tool=SET_DESTINATION,
                arguments=arguments,
                outcome="refused",
                rule_id=first.rule_id,
                message=first.reason,
            )
        elif outcome.applied:
            record = ActionRecord(tool=SET_DESTINATION, arguments=arguments, outcome="applied")
        else:
            record = ActionRecord(
                tool=SET_DESTINATION, arguments=arguments, outcome="failed", message="nothing was applied"
            )
        self.data.actions.append(record)

    # -- the car ----------------------------------------------------------------------------------------

    async def _car_state(self) -> CarState:
        if self._car is None:
            self._car = await (await self.links.vehicle()).state()
        return self._car

    async def _position(self, car: CarState) -> Point | Outcome:
        """The car's position when the map covers it; otherwise the answer that says why not."""
        if car.position is None:
            return Failure(
                reason="I don't know where the car is right now, so I can't search nearby.",
                data=self.data.dump(),
            )
        facts, _ = await self.executor.map_facts(self.links)
        if not facts.covers(car.position):
            return self._reject("The car is outside the area my map covers, so I can't search here.")
        return car.position

    # -- outcomes ---------------------------------------------------------------------------------------

    def _reply(self, text: str) -> Reply:
        return Reply(text=text, data=self.data.dump())

    def _reject(self, text: str) -> Rejection:
        return Rejection(reason=text, data=self.data.dump())

    def _question(self, text: str, state: DialogueState) -> Question:
        return Question(text=text, state=state.model_dump(mode="json"), data=self.data.dump())


# -- helpers --------------------------------------------------------------------------------------------


def _likeliest_landmark(pois: list[PoiView], target: _Target) -> PoiView:
    """The place a landmark's words most likely mean, of `pois` (nearest first): one named exactly so
    ("Kiasma" the museum, not "Kiasma city bike station"), else one of a known kind, else the nearest."""
    said = normalize(target.label)
    return min(pois, key=lambda poi: (normalize(poi.name or "") != said, poi.category is None))


_SAVED_WORDS = {"home": "home address", "work": "work address", "contact": "address of your contacts"}


def _no_saved(place: PlaceRef) -> str:
    """Why a kept place cannot be found: the car keeps no such address."""
    return f"No {_SAVED_WORDS[place.saved or 'home']} is saved in the car"


def _spoken(target: _Target) -> str:
    """The words a by-name target was asked for with, as said ("the airport", "Kamppi")."""
    return f"the {target.label}" if target.definite else target.label


def _merge(first: list[str] | tuple[str, ...], second: list[str] | tuple[str, ...]) -> list[str]:
    merged: list[str] = []
    for option in (*first, *second):
        if option not in merged:
            merged.append(option)
    return merged


def _points_here(place: PlaceRef | None) -> bool:
    return place is None or place.here


def _names_something(place: PlaceRef) -> bool:
    return any(
        (
            place.phrase,
            place.category,
            place.name,
            place.poi_id,
            place.position is not None,
            place.saved is not None,
        )
    )


def _index(ordinal: int, count: int) -> int | None:
    if ordinal == -1:
        return count - 1 if count else None
    return ordinal - 1 if 1 <= ordinal <= count else None


def _leftover(words: tuple[str, ...]) -> str:
    return " ".join(word for word in words if word not in FILLER_WORDS)


def _plain_words(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", normalize(text))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).split()


def _has_words(name: str | None, query: str) -> bool:
    """True when every word of `query` is a whole word of `name` (any case, accents ignored)."""
    if name is None:
        return False
    words = set(_plain_words(name))
    return all(word in words for word in _plain_words(query))


def _where(place: PoiView, street: str | None) -> str | None:
    """Where a place is, for 'The nearest charger is ...': its name, its street, its address."""
    name = place_name(place.name)
    if name is not None:
        return name
    if street:
        return f"on {place_name(street)}"
    address = place_name(place.address)
    return f"at {address}" if address else None


def _alternatives(pois: list[PoiView]) -> str:
    items = []
    for poi in pois:
        name = place_name(poi.name)
        metres = poi.distance_m
        where = f" at {distance(metres)}" if metres is not None else ""
        items.append(f"{name}{where}" if name else f"another{where}")
    return f"Also near: {join_words(items)}."
