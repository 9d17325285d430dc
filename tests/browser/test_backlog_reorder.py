"""Reordering the backlog in a real browser: by mouse (drag and drop) and by keyboard (the move
buttons), then a reload shows the new order; no CSP violation or script error on the way."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_layout_a11y import AXE, RUN_AXE
from tests.factories import make_academy, make_member, make_user
from tracker.academies.models import Role
from tracker.backlog import services
from tracker.backlog.models import LearningPath
from tracker.db import utcnow
from tracker.releases.models import Release
from tracker.sprints.models import Sprint

pytestmark = pytest.mark.browser


@pytest.fixture
def own_backlog(live_server: LiveServer) -> tuple[str, str, str]:
    """A fresh academy with its manager and four bricks A, B, C, D (numbers 1 to 4)."""
    email = f"reorder-{secrets.token_hex(4)}@example.com"
    with live_server.session() as session:
        admin = make_user(session, is_admin=True, password=None)
        academy = make_academy(session, actor=admin)
        manager = make_member(
            session, academy, Role.MANAGER, email=email, password=live_server.password,
            locale="en",
        )  # fmt: skip
        for title in "ABCD":
            services.create_brick(
                session, academy, actor=manager, title=title, format="video", now=utcnow()
            )
        slug, prefix = academy.slug, academy.key_prefix
    return slug, email, prefix


def titles(page: Any) -> str:
    return "".join(page.locator(".backlog-table tbody .col-title").all_inner_texts())


def drag(page: Any, source: str, target: str, *, above: bool) -> None:
    """Press the mouse on `source`, move it over `target`'s upper or lower part, release."""
    page.locator(target).scroll_into_view_if_needed()
    handle = page.locator(source).bounding_box()
    box = page.locator(target).bounding_box()
    assert handle and box
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    y = box["y"] + (box["height"] * (0.25 if above else 0.75))
    page.mouse.move(box["x"] + box["width"] / 2, y, steps=12)
    page.mouse.move(box["x"] + box["width"] / 2 + 2, y, steps=3)
    page.mouse.up()


def test_a_manager_reorders_by_mouse_and_by_keyboard(
    page: Any, live_server: LiveServer, own_backlog: tuple[str, str, str]
) -> None:
    slug, email, prefix = own_backlog
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 1280, "height": 1200})  # the whole table in view
    live_server.login(page, email)
    page.goto(f"/a/{slug}/backlog")
    assert titles(page) == "ABCD"

    # By mouse: D's handle dragged above A.
    with page.expect_response(lambda r: r.url.endswith("/backlog/reorder")) as answer:
        drag(page, "#brick-4 .drag-handle", "#brick-1", above=True)
    assert answer.value.status == 200
    assert titles(page) == "DABC"
    page.wait_for_selector(f"[data-reorder-status]:has-text('{prefix}-4 moved to position 1')")
    assert page.locator("#brick-4 [data-position-cell]").inner_text() == "1"
    assert page.locator("#brick-1 [data-position-cell]").inner_text() == "2"
    page.reload()
    assert titles(page) == "DABC"

    # By keyboard: Tab to A's menu, Enter opens it, Tab to its "down" button, Enter (twice:
    # after the reload the menu is open again with the focus on the same button).
    page.locator("#brick-3 a").focus()
    while (
        page.evaluate("document.activeElement.closest('tr')?.id") != "brick-1"
        or page.evaluate("document.activeElement.tagName") != "SUMMARY"
    ):
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.locator("#brick-1 details").evaluate("d => d.open")
    while page.evaluate("document.activeElement.value") != "1 down":
        page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert titles(page) == "DBAC"
    assert page.evaluate("document.activeElement.closest('tr').id") == "brick-1"
    assert page.evaluate("document.activeElement.value") == "1 down"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert titles(page) == "DBCA"

    # ...and "to position": C's menu opened, 1 typed in its position field, Enter moves C (the
    # page's one move form: the field filled says the row).
    page.locator("#brick-3 summary").focus()
    page.keyboard.press("Enter")
    # One menu at a time: the other closes on the "toggle" event, which comes a task later.
    page.wait_for_function("() => !document.querySelector('#brick-1 details').open", timeout=5000)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "p3"
    page.keyboard.type("1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert titles(page) == "CDBA"
    assert page.evaluate("document.activeElement.value") == "3 position"  # its Move button

    # Escape closes a menu and gives the focus back to its button.
    page.locator("#brick-2 summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    assert not page.locator("#brick-2 details").evaluate("d => d.open")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"

    page.reload()
    assert titles(page) == "CDBA"
    assert problems == []


def test_the_move_controls_stay_in_view_at_1366_pixels(page: Any, live_server: LiveServer) -> None:
    """A row with every column filled, long names in French: the move buttons are on screen
    without scrolling the table sideways (they stick to its right edge)."""
    email = f"wide-{secrets.token_hex(4)}@example.com"
    with live_server.session() as session:
        admin = make_user(session, is_admin=True, password=None)
        academy = make_academy(session, actor=admin)
        manager = make_member(
            session, academy, Role.MANAGER, email=email, password=live_server.password,
            locale="fr", name="Marie-Claude Dupont-Lefèvre de la Rochefoucauld",
        )  # fmt: skip
        sprint = Sprint(academy_id=academy.id, name="Sprint 14 : campagne de sensibilisation")
        release = Release(academy_id=academy.id, name="Version printemps 2027 pour le réseau")
        path = LearningPath(academy_id=academy.id, name="Cybersécurité pour les managers")
        session.add_all([sprint, release, path])
        session.flush()
        services.create_brick(
            session, academy, actor=manager, format="mooc", now=utcnow(),
            title="Reconnaître un courriel d'hameçonnage ciblé et savoir le signaler au SOC",
            learner_minutes=45, estimate_points=8, sprint_id=sprint.id, release_id=release.id,
            learning_path_id=path.id, owner_id=manager.id,
        )  # fmt: skip
        slug = academy.slug
    page.set_viewport_size({"width": 1366, "height": 1200})  # the row in view, no scrolling
    live_server.login(page, email)
    page.goto(f"/a/{slug}/backlog")
    page.wait_for_load_state("load")  # the styles and the scripts applied (a slow machine)

    page.locator("#brick-1 summary").click()  # the row's menu opened
    page.wait_for_selector("#brick-1 details[open]")
    for action in ("position", "up", "down", "top", "bottom"):
        button = page.locator(f'#brick-1 button[value="1 {action}"]')
        button.wait_for(state="visible")
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1366, (action, box)
        shown = page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.closest('button')?.value ?? null",
            [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
        )
        assert shown == f"1 {action}"  # on top, not under another column


def test_the_column_chooser_hides_a_column_for_good(
    page: Any, live_server: LiveServer, own_backlog: tuple[str, str, str]
) -> None:
    """A manager hides the format and the stage; the table no longer has them, after a reload
    too; the chooser and an open row menu pass axe (no serious or critical violation)."""
    slug, email, _prefix = own_backlog
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.add_init_script(path=str(AXE))
    page.set_viewport_size({"width": 1366, "height": 900})
    live_server.login(page, email)
    page.goto(f"/a/{slug}/backlog")

    def headers() -> list[str]:
        return [t.strip() for t in page.locator(".backlog-table thead th").all_inner_texts()]

    assert "Format" in headers() and "Stage" in headers()
    page.locator(".column-chooser summary").click()
    page.get_by_role("checkbox", name="Format", exact=True).uncheck()
    page.get_by_role("checkbox", name="Stage", exact=True).uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name="Show these columns").click()

    for _ in range(2):  # as chosen, then after a reload
        assert "Format" not in headers() and "Stage" not in headers()
        assert "Owner" in headers() and "Title" in headers()
        # The selection box, the handle, #, key, title, six columns of eight, the menu.
        assert page.locator("#brick-1 td").count() == 5 + 6 + 1
        page.reload()
    page.locator(".column-chooser summary").click()
    assert not page.get_by_role("checkbox", name="Format", exact=True).is_checked()
    page.locator("#brick-1 summary").click()
    assert page.evaluate(RUN_AXE) == []
    assert problems == []
