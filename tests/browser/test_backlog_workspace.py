"""The backlog as a DLM works it, in a real browser: a brick added from the quick-add line,
filters saved as a view and found again, and a person mentioned with the "@" autocomplete
(the mentioned person is notified). No console error, no CSP violation."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.factories import make_academy, make_member, make_user
from tracker.academies.models import Role
from tracker.backlog.models import Brick
from tracker.workspace.models import Notification, NotificationKind

pytestmark = pytest.mark.browser


@pytest.fixture
def team(live_server: LiveServer) -> dict[str, Any]:
    """An academy of its own (the shared demo stays as it was): a manager, a designer whose
    name has an accent, and a tester."""
    tag = secrets.token_hex(4)
    with live_server.session() as session:
        admin = make_user(session, is_admin=True, password=None)
        academy = make_academy(session, actor=admin)
        manager = make_member(
            session, academy, Role.MANAGER, email=f"quick-{tag}@example.com",
            password=live_server.password, name="Maya Manager",
        )  # fmt: skip
        designer = make_member(
            session, academy, Role.DESIGNER, name=f"Élodie Martin {tag}",
            email=f"elodie-{tag}@example.com", password=live_server.password,
        )  # fmt: skip
        make_member(session, academy, Role.TESTER, name=f"Zoé Tester {tag}")
        return {
            "slug": academy.slug,
            "academy_id": academy.id,
            "email": manager.email,
            "designer_id": designer.id,
            "designer": designer.display_name,
            "designer_email": designer.email,
        }


def test_quick_add_saved_view_and_mention(page: Any, live_server: LiveServer, team) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    live_server.login(page, team["email"])
    backlog = f"/a/{team['slug']}/backlog"

    # Quick add: a title and a format, Enter, and the row is there.
    page.goto(backlog)
    page.fill(".quick-add input[name=title]", "Phishing en 3 minutes")
    page.select_option(".quick-add select[name=format]", "video")
    with page.expect_navigation():
        page.press(".quick-add input[name=title]", "Enter")
    row = page.locator("tr[id^=brick-]", has_text="Phishing en 3 minutes")
    assert row.count() == 1
    page.fill(".quick-add input[name=title]", "Un MOOC")
    page.select_option(".quick-add select[name=format]", "mooc")
    with page.expect_navigation():
        page.click(".quick-add button[type=submit]")

    # A saved view: filter on videos, name it, clear, and come back in one click.
    page.select_option(".backlog-filters select[name=format]", "video")
    with page.expect_navigation():
        page.click(".backlog-filters button[type=submit]")
    page.fill(".save-view input[name=name]", "Mes vidéos")
    with page.expect_navigation():
        page.click(".save-view button[type=submit]")
    page.goto(backlog)
    assert page.locator("tr[id^=brick-]").count() == 2
    with page.expect_navigation():
        page.locator(".saved-view a", has_text="Mes vidéos").click()
    assert "format=video" in page.url
    assert page.locator("tr[id^=brick-]").count() == 1
    assert page.locator(".backlog-filters select[name=format]").input_value() == "video"

    # A mention: "@elo" offers the designer (accents aside), Enter inserts the full name.
    with live_server.session() as session:
        number = session.scalar(
            select(Brick.number).where(
                Brick.academy_id == team["academy_id"], Brick.title == "Phishing en 3 minutes"
            )
        )
    page.goto(f"/a/{team['slug']}/bricks/{number}")
    body = page.locator("textarea[name=body]")
    body.click()
    body.press_sequentially("Storyboard prêt, @elo")
    options = page.locator(".mention-list [role=option]")
    options.first.wait_for()
    assert options.all_inner_texts() == [team["designer"]]  # not the tester's name
    assert body.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    body.press("Enter")
    assert body.input_value() == f"Storyboard prêt, @{team['designer']} "
    assert page.locator(".mention-list").is_hidden()
    body.press_sequentially("peux-tu relire ?")
    with page.expect_navigation():
        page.click(".comment-form button[type=submit]")
    assert page.locator(".comment", has_text="peux-tu relire").count() == 1

    with live_server.session() as session:
        kinds = session.scalars(
            select(Notification.kind).where(Notification.user_id == team["designer_id"])
        ).all()
    assert NotificationKind.MENTION in kinds

    # The designer sees it at the bell, then in the list.
    other = page.context.browser.new_context(base_url=live_server.url, locale="en-GB")
    try:
        theirs = other.new_page()
        live_server.login(theirs, team["designer_email"])
        theirs.goto(f"/a/{team['slug']}/")
        assert theirs.locator(".bell .bell-count").inner_text() == "1 unread"
        theirs.click(".bell")
        assert theirs.locator(".notification", has_text="Phishing en 3 minutes").count() == 1
    finally:
        other.close()
    assert problems == []
