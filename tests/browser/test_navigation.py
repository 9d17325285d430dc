"""The academy's navigation in a real browser: grouped menus on a wide screen, with the page's
content high up; behind a Menu button (a disclosure, no JavaScript needed) on a phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_wide_screen_groups_the_pages_and_names_the_current_one(
    page: Any, live_server: LiveServer
) -> None:
    # Arrange
    page.set_viewport_size({"width": 1366, "height": 900})
    live_server.login(page, "manager")

    # Act
    page.goto(live_server.academy_url("/board"))

    # Assert: the content starts within the first 120 px, the toggle button is not shown
    assert page.locator("main").bounding_box()["y"] <= 120
    assert not page.locator("summary.nav-toggle-button").is_visible()
    current = page.locator("nav.mainnav details.menu.is-current > summary")
    assert current.inner_text().replace("\n", " ").startswith("Planifier")
    assert "Tableau" in current.inner_text()
    # A group opens as a menu, and its links lead where they say.
    page.click("nav.mainnav details.menu:has-text('Livrer') > summary")
    with page.expect_navigation():
        page.click("nav.mainnav a:has-text('Feuille de route')")
    assert page.url.endswith(live_server.academy_url("/roadmap"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_phone_shows_a_menu_button_that_opens_the_navigation(
    page: Any, live_server: LiveServer
) -> None:
    # Arrange
    page.set_viewport_size({"width": 375, "height": 812})
    live_server.login(page, "tester")
    page.goto(live_server.academy_url("/"))
    button = page.locator("summary.nav-toggle-button")
    rounds = page.locator("nav.mainnav a:has-text('Mes campagnes')")

    # Assert: folded, the content starts right under the bar
    assert button.is_visible()
    assert not rounds.is_visible()
    assert page.locator("main").bounding_box()["y"] <= 160

    # Act
    button.click()

    # Assert: the tester's pages only
    assert rounds.is_visible()
    assert page.locator("nav.mainnav a:has-text('Tableau')").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
