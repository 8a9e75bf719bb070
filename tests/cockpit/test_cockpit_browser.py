"""The cockpit in a real browser (Debian's Chromium through Playwright) in front of the real in-process
stack: a turn changes the drawing, a confirmation is answered with Yes, a place search draws places and
a route on the map, the trace groups events by turn, and a phone-sized screen does not overflow."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Cockpit

pytestmark = pytest.mark.realprocess

TIMEOUT_MS = 90_000
SHOTS = os.environ.get("CABIN_COCKPIT_SCREENSHOTS")
"""A folder to write the README's screenshots to (unset: they go to the test's temporary folder)."""


def open_page(browser: Any, cockpit: Cockpit, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    link = cockpit.api.post("/v1/login-codes")
    assert link.status_code == 201, link.text
    page.goto(link.json()["url"])
    page.wait_for_url(f"{cockpit.url}/")
    page.wait_for_selector("#live .status-dot.live")
    page.wait_for_function("document.querySelectorAll('#map-layers path').length > 0")
    return page


def say(page: Any, text: str) -> Any:
    """Type ``text``, press Enter, and wait for the car's answer bubble; returns it."""
    before = page.locator(".bubble.car").count()
    page.fill("#text", text)
    page.press("#text", "Enter")
    page.wait_for_function(f"document.querySelectorAll('.bubble.car').length > {before}")
    return page.locator(".bubble.car").last


@pytest.fixture(scope="module")
def page(browser: Any, cockpit: Cockpit) -> Iterator[Any]:
    page = open_page(browser, cockpit, 1280, 800)
    yield page
    page.context.close()


def test_without_logging_in_the_page_says_how_to(browser: Any, cockpit: Cockpit) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{cockpit.url}/")
        page.wait_for_selector("#login", state="visible")
        assert "cabin login" in page.locator("#login").inner_text()
    finally:
        context.close()


def test_login_link_opens_the_cockpit_and_the_car_is_drawn(page: Any) -> None:
    assert page.locator("#login").is_hidden()
    driver = page.locator('[data-seat="driver"]')
    assert driver.get_attribute("data-temperature") == "21"
    assert page.locator("#gears span.active").inner_text() == "P"
    assert page.locator("#speed").inner_text() == "0"
    # raw VSS paths only in the details view
    assert page.locator("details.raw").get_attribute("open") is None
    assert "Vehicle." not in page.locator("#facts").inner_text()


def test_temperature_and_seat_heating_change_on_the_drawing(page: Any) -> None:
    answer = say(page, "set the temperature to 20 and heat my seat")
    assert "error" not in (answer.get_attribute("class") or "")
    driver = page.locator('[data-seat="driver"]')
    page.wait_for_function(
        "document.querySelector('[data-seat=\"driver\"]').dataset.temperature === '20'"
        " && Number(document.querySelector('[data-seat=\"driver\"]').dataset.heating) > 0"
    )
    assert driver.locator(".temp").text_content() == "20.0°"
    assert "heat" in (driver.locator(".heat-label").text_content() or "")
    # the last turn's changes are highlighted; the untouched passenger zone is not
    assert "changed" in (driver.locator(".temp").get_attribute("class") or "")
    assert "changed" in (driver.locator("rect").get_attribute("class") or "")
    passenger = page.locator('[data-seat="passenger"]')
    assert "changed" not in (passenger.locator(".temp").get_attribute("class") or "")


def test_unlock_asks_yes_or_no_and_yes_unlocks(page: Any) -> None:
    answer = say(page, "unlock the doors")
    yes = answer.get_by_role("button", name="Yes")
    assert yes.is_visible() and answer.get_by_role("button", name="No").is_visible()
    assert "s left to answer" in answer.locator(".confirm .left").inner_text()
    door = page.locator('[data-door="Row1.DriverSide"]')
    assert door.get_attribute("data-locked") == "true"
    yes.click()
    page.wait_for_function(
        "document.querySelector('[data-door=\"Row1.DriverSide\"]').dataset.locked === 'false'"
    )
    assert page.locator(".confirm").count() == 0
    assert "unlocked" in (door.locator(".lock").get_attribute("class") or "")


def test_a_place_search_draws_places_and_the_route(page: Any) -> None:
    say(page, "find me a charger")
    page.wait_for_function("document.querySelectorAll('#map-pois .poi').length > 0")
    say(page, "take me to the first one")
    confirm = page.locator(".bubble.car").last.get_by_role("button", name="Yes")
    if confirm.count():
        confirm.click()
    page.wait_for_function("Number(document.getElementById('map-route').dataset.points || 0) > 1")
    assert page.locator("#map-dest .dest").count() == 1


def test_the_trace_shows_one_group_per_turn(page: Any) -> None:
    turns = page.locator(".bubble.car[data-turn]")
    ids = [turns.nth(i).get_attribute("data-turn") for i in range(turns.count())]
    assert len(ids) >= 4
    page.wait_for_function(f"document.querySelectorAll('.turn-group .step.turn').length >= {len(ids)}")
    groups = page.locator(".turn-group")
    shown = [groups.nth(i).get_attribute("data-turn") for i in range(groups.count())]
    assert sorted(shown) == sorted(ids)
    first = page.locator(f'.turn-group[data-turn="{ids[0]}"]')
    if first.get_attribute("open") is None:  # older turns fold; a click opens them
        first.locator("summary").first.click()
    kinds = first.locator(".step .kind").all_text_contents()
    assert kinds[0] == "routing" and "tool call" in kinds and "guardrail" in kinds and "state change" in kinds
    assert kinds[-1] == "turn done"
    assert "via template" in first.locator(".step.routing .what").inner_text()
    # the raw JSON of a step opens on a click
    step = first.locator(".step.tool_call details").first
    step.locator("summary").click()
    assert '"tool"' in step.locator("pre").inner_text()


@pytest.mark.rule("GR-06")
def test_gr06_refusal_shows_the_rule_in_words_with_its_id_on_hover(page: Any, cockpit: Cockpit) -> None:
    moving = cockpit.api.put("/v1/vehicle/state", json={"Vehicle.Speed": 70, "Vehicle.IsMoving": True})
    assert moving.status_code == 200, moving.text
    try:
        # the state stream moves the drawing without a turn
        page.wait_for_function("document.getElementById('speed').textContent === '70'")
        answer = say(page, "open the trunk")
        rule = answer.locator(".rule")
        assert rule.get_attribute("title") == "rule GR-06"
        assert "Not done" in answer.inner_text() and "GR-06" not in answer.inner_text()
        assert page.locator("#trunk .trunk-label").text_content() == "trunk"
    finally:
        cockpit.api.put("/v1/vehicle/state", json={"Vehicle.Speed": 0, "Vehicle.IsMoving": False})
    page.wait_for_function("document.getElementById('speed').textContent === '0'")


def test_the_trace_filters_by_session(page: Any, cockpit: Cockpit) -> None:
    other = cockpit.api.post("/v1/utterances", json={"text": "set the volume to 20"})
    assert other.status_code == 200
    other_turn, other_session = other.json()["turn_id"], other.json()["session_id"]
    group = page.locator(f'.turn-group[data-turn="{other_turn}"]')
    page.wait_for_function(f"document.querySelector('.turn-group[data-turn=\"{other_turn}\"] .step.turn')")
    mine = page.locator(".bubble.car[data-turn]").last.get_attribute("data-turn")
    my_group = page.locator(f'.turn-group[data-turn="{mine}"]')
    my_session = my_group.get_attribute("data-session")
    assert my_session and my_session != other_session
    page.select_option("#session-filter", my_session)
    assert group.is_hidden() and my_group.is_visible()
    page.select_option("#session-filter", other_session)
    assert group.is_visible() and my_group.is_hidden()
    page.select_option("#session-filter", "")
    assert group.is_visible() and my_group.is_visible()


def test_perception_shows_the_frame_with_the_text_read(page: Any) -> None:
    page.wait_for_selector("#frame-box .frame img")
    assert page.locator("#frame-box polygon").count() >= 1
    assert "speed limit 40" in page.locator("#signs").inner_text()
    assert "Fatigue" in (page.locator("#driver").text_content() or "")


def test_the_map_pans_and_zooms_from_the_keyboard(page: Any) -> None:
    page.focus("#map-svg")
    before = [float(v) for v in page.get_attribute("#map-svg", "viewBox").split()]
    page.keyboard.press("ArrowRight")
    page.keyboard.press("+")
    after = [float(v) for v in page.get_attribute("#map-svg", "viewBox").split()]
    assert after[2] < before[2]  # zoomed in: a narrower piece of the map
    assert after[0] + after[2] / 2 > before[0] + before[2] / 2  # panned east
    page.focus("#zoom-out")
    page.keyboard.press("Enter")
    assert float(page.get_attribute("#map-svg", "viewBox").split()[2]) > after[2]


def test_the_light_theme_is_one_click_away(page: Any) -> None:
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.click("#theme")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.click("#theme")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=False)


def test_screenshot_at_1280x800(page: Any, tmp_path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "cockpit-1280x800.png", tmp_path)


@pytest.mark.parametrize(("width", "height"), [(390, 844), (820, 1180)])
def test_a_phone_and_a_tablet_do_not_overflow(
    browser: Any, cockpit: Cockpit, width: int, height: int, tmp_path: Path
) -> None:
    page = open_page(browser, cockpit, width, height)
    try:
        say(page, "set the temperature to 22")
        page.click("details.raw summary")
        sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert sizes[0] <= sizes[1], f"the page is {sizes[0]} px wide on a {sizes[1]} px screen"
        page.click("details.raw summary")
        page.evaluate("window.scrollTo(0, 0)")
        _shot(page, f"cockpit-{width}x{height}.png", tmp_path)
    finally:
        page.context.close()
