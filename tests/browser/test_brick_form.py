"""The brick form in a real browser: objective rows added with JavaScript, verbs following the
Bloom level, the brick created, an item of its definition of done ticked; no CSP violation."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.factories import make_academy, make_member, make_user
from tracker.academies.models import Role

pytestmark = pytest.mark.browser


@pytest.fixture
def own_academy(live_server: LiveServer) -> tuple[str, str]:
    """A fresh academy with its own manager, so that the shared demo stays as it was."""
    email = f"brick-{secrets.token_hex(4)}@example.com"
    with live_server.session() as session:
        admin = make_user(session, is_admin=True, password=None)
        academy = make_academy(session, actor=admin)
        make_member(
            session, academy, Role.MANAGER, email=email, password=live_server.password,
            locale="en",
        )  # fmt: skip
        slug = academy.slug
    return slug, email


def test_a_manager_fills_objectives_with_suggested_verbs_and_ticks_the_checklist(
    page: Any, live_server: LiveServer, own_academy: tuple[str, str]
) -> None:
    slug, email = own_academy
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    live_server.login(page, email)

    page.goto(f"/a/{slug}/bricks/new")
    rows = page.locator("[data-objective-row]")
    assert rows.count() == 3  # the blank rows offered without JavaScript
    page.click("[data-objective-add]")
    assert rows.count() == 4
    assert page.locator("#objectives-3-statement").evaluate("e => e === document.activeElement")

    page.select_option("#objectives-0-bloom_level", "analyze")
    hint = page.locator("#objectives-0-statement-verbs").inner_text()
    assert "analyser" in hint and "analyze" in hint
    assert page.get_attribute("#objectives-0-statement", "list") == "bloom-verbs-analyze"

    page.fill("#title", "Les réflexes cyber")
    page.select_option("#format", "video")
    page.fill("#learner_minutes", "1h30")
    page.fill("#objectives-0-statement", "Analyser un e-mail suspect")
    page.fill("#objectives-3-statement", "Signaler un hameçonnage")
    page.locator("[data-objective-row]").nth(1).locator("[data-objective-remove]").click()
    assert rows.count() == 3
    with page.expect_navigation():
        page.click("button[type=submit].button-primary")

    assert "/bricks/1" in page.url
    objectives = page.locator(".objective-list li").all_inner_texts()
    assert len(objectives) == 2
    assert "Analyser un e-mail suspect" in objectives[0]
    assert "Signaler un hameçonnage" in objectives[1]
    assert "1 h 30" in page.locator(".brick-meta").inner_text()

    first = page.locator(".check-button").first
    assert first.get_attribute("aria-pressed") == "false"
    with page.expect_navigation():
        first.click()
    assert page.locator(".check-button").first.get_attribute("aria-pressed") == "true"
    assert problems == []
