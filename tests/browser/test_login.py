"""Logging in, switching the language and logging out in a real browser; each role's menu."""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tracker.auth.models import User

pytestmark = pytest.mark.browser


def translated(live_server: LiveServer, message: str, locale: str) -> str:
    """What the catalogue says `message` is in `locale` (the message itself until translated)."""
    with live_server.app.app_context(), force_locale(locale):
        return _(message)


def switch_language(page: Any, locale: str) -> None:
    with page.expect_navigation():
        page.select_option("#footer-locale", locale)  # data-autosubmit submits the form


def test_manager_logs_in_switches_language_and_logs_out(page: Any, live_server: LiveServer) -> None:
    manager = live_server.logins["manager"]
    home = live_server.academy_url("/")
    try:
        # Arrange / Act: log in through the form
        live_server.login(page, "manager")

        # Assert: the manager lands on the academy home, in French (their language)
        assert page.url == live_server.url_for(home)
        assert page.locator("h1").inner_text() == "Académie Digitale"
        assert page.locator("html").get_attribute("lang") == "fr"
        language_label = page.locator("label[for=footer-locale]")
        assert language_label.inner_text() == translated(live_server, "Language", "fr")

        # Act: French -> English with the footer's selector
        switch_language(page, "en")

        # Assert: same page, now in English
        assert page.url == live_server.url_for(home)
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("#footer-locale option:checked").inner_text() == "English"
        assert language_label.inner_text() == "Language"

        # Act: and back, English -> French
        switch_language(page, "fr")

        # Assert
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("#footer-locale option:checked").inner_text() == "Français"
        assert language_label.inner_text() == translated(live_server, "Language", "fr")

        # Act: log out from the user menu
        page.click("details.user-menu > summary")
        with page.expect_navigation():
            page.click("form[action='/logout'] button[type=submit]")

        # Assert: on the login page, and the academy is closed to this browser now
        assert page.url == live_server.url_for("/login")
        page.goto(home)
        assert page.url.startswith(live_server.url_for("/login?next="))
        assert page.locator("input[name=password]").is_visible()
    finally:
        # The language is the manager's saved preference: put it back for the other tests.
        with live_server.session() as session:
            user = session.scalars(select(User).where(User.email == manager)).one()
            user.locale = "fr"


ACADEMY_LINKS = {"Members": "/members", "Settings": "/settings"}
ADMIN_LINKS = {"Users": "/admin/users", "Outbox": "/admin/outbox/"}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("manager", {"Members", "Settings"}),
        ("designer", set()),
        ("tester", set()),
        ("stakeholder", set()),
        ("admin", {"Users", "Outbox"}),
    ],
)
def test_each_demo_role_sees_only_its_menu(
    page: Any, live_server: LiveServer, role: str, expected: set[str]
) -> None:
    # Arrange
    hrefs = {name: live_server.academy_url(path) for name, path in ACADEMY_LINKS.items()}
    hrefs.update(ADMIN_LINKS)

    # Act
    live_server.login(page, role)

    # Assert
    nav = page.locator("nav.mainnav")
    assert nav.is_visible()
    shown = {name for name, href in hrefs.items() if nav.locator(f"a[href='{href}']").count()}
    assert shown == expected
