"""A card's quick view in a browser: opens on the board, edits a field, closes, no page load."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_board import arrange
from tests.browser.test_layout_a11y import AXE, RUN_AXE
from tracker.academies.models import Academy, Role
from tracker.backlog import services
from tracker.db import utcnow

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def open_quick_view(page: Any, live_server: LiveServer, slug: str, email: str, number: int):
    live_server.login(page, email)
    page.goto(f"/a/{slug}/board")
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads
    page.locator(f"#card-{number} a.card-title").click()
    dialog = page.locator("#quick-view")
    expect(dialog.locator("[data-quick-form]")).to_be_visible()
    return dialog


def test_the_quick_view_edits_a_title_and_closes_without_a_page_load(
    page: Any, live_server: LiveServer
):
    setup = arrange(live_server, Role.DESIGNER)
    number = setup.numbers[1]
    page.context.add_init_script(path=str(AXE))  # CSP: no inline script, so before loading
    dialog = open_quick_view(page, live_server, setup.slug, setup.email, number)

    assert page.url.endswith(f"/a/{setup.slug}/board")  # still on the board
    assert page.evaluate(RUN_AXE) == []  # no serious or critical violation, dialog open
    expect(dialog.locator("[data-quick-title]")).to_have_text("Brique 1")
    dialog.locator("input[name=title]").fill("Brique renommée")
    with page.expect_response(lambda r: r.url.endswith(f"/board/{number}/quick")) as answer:
        dialog.locator("[data-quick-form] button[type=submit]").click()

    assert answer.value.status == 200
    expect(dialog.locator("[data-quick-status]")).to_contain_text(
        "is saved."
    )  # the member reads English
    expect(page.locator(f"#card-{number} a.card-title")).to_contain_text("Brique renommée")
    dialog.locator("[data-close-dialog]").click()
    expect(dialog).to_be_hidden()
    assert page.evaluate("() => window.sameDocument") is True
    with live_server.session() as session:
        academy = session.query(Academy).filter_by(slug=setup.slug).one()
        assert services.get_brick(session, academy, number).title == "Brique renommée"


def test_a_refused_edit_shows_the_servers_message_in_the_dialog(page: Any, live_server: LiveServer):
    setup = arrange(live_server, Role.MANAGER)
    number = setup.numbers[0]
    dialog = open_quick_view(page, live_server, setup.slug, setup.email, number)
    with live_server.session() as session:  # someone else saves meanwhile
        academy = session.query(Academy).filter_by(slug=setup.slug).one()
        brick = services.get_brick(session, academy, number)
        services.update_brick(session, brick, actor=None, expected_version=brick.version,
                              now=utcnow(), title="Changed elsewhere")  # fmt: skip

    dialog.locator("input[name=title]").fill("Mine")
    with page.expect_response(lambda r: r.url.endswith(f"/board/{number}/quick")) as answer:
        dialog.locator("[data-quick-form] button[type=submit]").click()

    assert answer.value.status == 409
    expect(dialog.locator("[data-quick-status]")).to_contain_text(
        "Someone else saved"
    )  # the member reads English
    expect(dialog).to_be_visible()


def test_without_javascript_a_card_leads_to_the_bricks_page(browser: Any, live_server: LiveServer):
    setup = arrange(live_server, Role.DESIGNER)
    context = browser.new_context(
        base_url=live_server.url, locale="fr-FR", java_script_enabled=False
    )
    try:
        page = context.new_page()
        live_server.login(page, setup.email)
        page.goto(f"/a/{setup.slug}/board")
        with page.expect_navigation():
            page.locator(f"#card-{setup.numbers[0]} a.card-title").click()
        assert page.url.endswith(f"/a/{setup.slug}/bricks/{setup.numbers[0]}")
    finally:
        context.close()


def test_the_quick_view_ticks_the_definition_of_done_and_posts_a_comment_in_place(
    page: Any, live_server: LiveServer
):
    setup = arrange(live_server, Role.DESIGNER)
    number = setup.numbers[0]
    dialog = open_quick_view(page, live_server, setup.slug, setup.email, number)
    total = int(dialog.locator("[data-quick-brick]").get_attribute("data-checklist-total"))

    dialog.locator(".checklist button").first.click()

    expect(dialog.locator(".checklist button").first).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#card-{number} .card-dod")).to_contain_text(f"1/{total}")
    dialog.locator("[data-quick-post] button[type=submit]").click()  # empty: refused, kept open
    expect(dialog.locator("[data-quick-post] textarea")).to_have_attribute("aria-invalid", "true")
    dialog.locator("[data-quick-post] textarea").fill("Storyboard **validé**")
    dialog.locator("[data-quick-post] button[type=submit]").click()

    expect(dialog.locator(".comment strong", has_text="validé")).to_be_visible()
    expect(dialog.locator(".quick-done")).to_contain_text("Your comment is posted.")
    assert page.evaluate("() => window.sameDocument") is True  # never left the board
    with live_server.session() as session:
        academy = session.query(Academy).filter_by(slug=setup.slug).one()
        brick = services.get_brick(session, academy, number)
        assert brick.checklist_done == 1
        assert [c.body for c in services.brick_comments(session, brick)] == [
            "Storyboard **validé**"
        ]
