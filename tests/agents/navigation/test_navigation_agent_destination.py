"""Setting the destination, and the route: only when the person asked, with what the car decided."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import httpx
import pytest

from agents.hosting import AgentClient
from agents.navigation import build_navigation_app
from mcp_servers.navigation import OsmMapProvider, create_server
from mcp_servers.vehicle.backends.simulator import SimulatorBackend
from mcp_servers.vehicle.guardrails import Guardrails, Proposal, Rule, Verdict, default_rules
from mcp_servers.vehicle.server import build_server
from mcp_servers.vehicle.service import VehicleService

from .navigation_agent_support import BASE_URL, DEST_LAT, DEST_LON, TOKEN, ask, nearest, payload, poi_ids


async def destination(backend: SimulatorBackend) -> tuple[object, object]:
    values = await backend.get_current([DEST_LAT, DEST_LON])
    return values[DEST_LAT], values[DEST_LON]


@pytest.mark.parametrize("answer", ["yes", "take me there", "Yes please", "go ahead", "yes, take me there"])
async def test_yes_after_a_place_was_offered_sets_the_destination(
    agent: AgentClient, backend: SimulatorBackend, helsinki_map: OsmMapProvider, answer: str
) -> None:
    charger = nearest(helsinki_map, "charging")[0]

    offered = await ask(agent, "find me a charger")
    assert await destination(backend) == (None, None)
    done = await ask(agent, answer, task_id=offered.task_id)

    assert done.state == "completed"
    assert done.text.startswith("Taking you to the charger ")
    assert await destination(backend) == (charger.position.latitude, charger.position.longitude)
    data = payload(done)
    assert data["actions"] == [
        {
            "tool": "set_navigation_destination",
            "arguments": {"latitude": charger.position.latitude, "longitude": charger.position.longitude},
            "outcome": "applied",
            "ruleId": None,
            "message": None,
        }
    ]
    assert data["stateChanges"] == {
        DEST_LAT: charger.position.latitude,
        DEST_LON: charger.position.longitude,
    }


async def test_no_sets_nothing(agent: AgentClient, backend: SimulatorBackend) -> None:
    offered = await ask(agent, "find me a charger")
    done = await ask(agent, "no thanks", task_id=offered.task_id)

    assert done.state == "completed"
    assert done.text == "Okay, I won't set a destination."
    assert await destination(backend) == (None, None)


async def test_take_me_to_the_second_one(
    agent: AgentClient, backend: SimulatorBackend, helsinki_map: OsmMapProvider
) -> None:
    second = nearest(helsinki_map, "pharmacy")[1]

    offered = await ask(agent, "find a pharmacy")
    done = await ask(agent, "take me to the second one", task_id=offered.task_id)

    assert done.state == "completed"
    assert second.name is not None and done.text.startswith(f"Taking you to {second.name}: ")
    assert await destination(backend) == (second.position.latitude, second.position.longitude)


async def test_take_me_to_the_railway_station(agent: AgentClient, backend: SimulatorBackend) -> None:
    done = await ask(agent, "Take me to the railway station")

    assert done.state == "completed"
    assert done.text.startswith("Taking you to ")
    assert "minute" in done.text
    pois = payload(done)["pois"]
    assert isinstance(pois, list) and isinstance(pois[0], dict)
    assert pois[0]["category"] == "station"
    assert await destination(backend) == (pois[0]["latitude"], pois[0]["longitude"])


async def test_a_parsed_intent_can_name_the_place_by_id(
    agent: AgentClient, backend: SimulatorBackend, helsinki_map: OsmMapProvider
) -> None:
    pharmacy = nearest(helsinki_map, "pharmacy")[2]

    done = await ask(
        agent, "take me there", data={"intent": "navigate", "slots": {"poi_id": pharmacy.poi_id}}
    )

    assert done.state == "completed"
    assert await destination(backend) == (pharmacy.position.latitude, pharmacy.position.longitude)


async def test_how_long_will_it_take_to_the_destination_the_car_has(agent: AgentClient) -> None:
    await ask(agent, "take me to Hotel Kämp")

    result = await ask(agent, "how long will it take")

    assert result.state == "completed"
    assert result.text.startswith("Your destination is ")
    assert "minute" in result.text
    route = payload(result)["route"]
    assert (
        isinstance(route, dict) and isinstance(route["distance_m"], int | float) and route["distance_m"] > 0
    )


async def test_how_long_without_a_destination_asks_where_to_and_goes_there(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    asked = await ask(agent, "how long will it take")
    done = await ask(agent, "the railway station", task_id=asked.task_id)

    assert asked.state == "input_required"
    assert asked.text == "No destination is set yet. Where would you like to go?"
    assert done.state == "completed"
    assert await destination(backend) != (None, None)


async def test_how_long_while_a_place_is_offered_keeps_the_offer_open(agent: AgentClient) -> None:
    offered = await ask(agent, "where is Hotel Kämp")
    timed = await ask(agent, "how long will it take", task_id=offered.task_id)

    assert timed.state == "input_required"
    assert timed.text.startswith("Hotel Kämp is ") and timed.text.endswith("Shall I take you there?")


async def test_avoid_motorways_says_what_the_map_can_do(agent: AgentClient) -> None:
    await ask(agent, "take me to Hotel Kämp")

    result = await ask(agent, "avoid motorways")

    assert result.state == "completed"
    assert result.text.startswith(
        "The map has no motorways around here, so the route to your destination stays "
    )
    route = payload(result)["route"]
    assert isinstance(route, dict) and isinstance(route["avoid"], list)
    assert [
        (effect["option"], effect["effect"]) for effect in route["avoid"] if isinstance(effect, dict)
    ] == [("motorways", "no_such_roads_in_map")]


async def test_cancel_the_route_is_honest_about_what_the_car_offers(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    await ask(agent, "take me to Hotel Kämp")
    before = await destination(backend)

    result = await ask(agent, "cancel the route")

    assert result.state == "rejected"
    assert result.text.startswith("I can't cancel guidance from here")
    assert await destination(backend) == before
    assert payload(result)["actions"] == []


async def test_take_me_there_with_nothing_offered(agent: AgentClient, backend: SimulatorBackend) -> None:
    result = await ask(agent, "take me there")

    assert result.state == "rejected"
    assert result.text.startswith("I haven't offered a place yet.")
    assert await destination(backend) == (None, None)


async def test_a_passenger_can_set_the_destination(agent: AgentClient, backend: SimulatorBackend) -> None:
    offered = await ask(agent, "find me a charger", seat="passenger")
    done = await ask(agent, "yes", task_id=offered.task_id, seat="passenger")

    assert done.state == "completed"
    assert await destination(backend) != (None, None)


@pytest.mark.rule("GR-15")
async def test_gr15_a_request_from_no_known_seat_is_refused_by_the_car_and_said_so(
    agent: AgentClient, backend: SimulatorBackend
) -> None:
    offered = await ask(agent, "find me a charger", seat=None)
    done = await ask(agent, "yes", task_id=offered.task_id, seat=None)

    assert done.state == "rejected"
    assert done.text == "I can't set the destination: the request does not say which seat it came from."
    actions = payload(done)["actions"]
    assert isinstance(actions, list) and isinstance(actions[0], dict)
    assert (actions[0]["outcome"], actions[0]["ruleId"]) == ("refused", "GR-15")
    assert await destination(backend) == (None, None)


async def test_the_destination_follows_the_place_not_the_search_order(
    agent: AgentClient, helsinki_map: OsmMapProvider
) -> None:
    offered = await ask(agent, "find a supermarket")
    expected = nearest(helsinki_map, "supermarket")

    assert poi_ids(offered) == [poi.poi_id for poi in expected]


class AskBeforeDestination(Rule):
    """A platform rule for these tests: a new destination waits for the person's confirmation."""

    id = "GR-13"
    summary = "A new destination needs an explicit confirmation."
    source = "tests"
    concerns = ("Vehicle.Cabin.Infotainment.Navigation.DestinationSet.*",)

    def check(self, p: Proposal) -> Iterable[Verdict]:
        if DEST_LAT in p.values:
            yield self.confirm(DEST_LAT, "Set the new destination?")


@pytest.fixture
async def confirming_agent(
    backend: SimulatorBackend, helsinki_map: OsmMapProvider
) -> AsyncIterator[AgentClient]:
    guardrails = Guardrails(backend.catalog, [*default_rules(), AskBeforeDestination()])
    vehicle = build_server(VehicleService(backend, guardrails), client="navigation")
    app = build_navigation_app(vehicle, create_server(helsinki_map), base_url=BASE_URL, token=TOKEN)
    try:
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
            AgentClient(BASE_URL, token=TOKEN, http_client=http) as client,
        ):
            yield client
    finally:
        await app.aclose()


@pytest.mark.parametrize(("answer", "applied"), [("yes", True), ("no", False)])
async def test_a_write_the_car_wants_confirmed_is_asked_and_resumed(
    confirming_agent: AgentClient, backend: SimulatorBackend, answer: str, applied: bool
) -> None:
    offered = await ask(confirming_agent, "find me a charger")
    asked = await ask(confirming_agent, "yes", task_id=offered.task_id)
    settled = await ask(confirming_agent, answer, task_id=offered.task_id)

    assert asked.state == "input_required"
    assert asked.text == "Set the new destination?"
    actions = payload(asked)["actions"]
    assert isinstance(actions, list) and isinstance(actions[0], dict)
    assert (actions[0]["outcome"], actions[0]["ruleId"]) == ("needs_confirmation", "GR-13")
    assert settled.state == "completed"
    assert (await destination(backend) != (None, None)) is applied
