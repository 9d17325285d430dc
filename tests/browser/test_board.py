"""The board in a real browser: drag and drop, the keyboard's "Move…" dialog, a blocking limit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.factories import make_academy, make_member
from tracker.academies.models import Role, Stage, WipPolicy
from tracker.backlog import services
from tracker.board import services as board_services
from tracker.db import utcnow

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@dataclass
class Setup:
    slug: str
    email: str
    stages: dict[str, int]  # name -> id
    numbers: list[int]  # the bricks, in the backlog column


def arrange(live_server: LiveServer, role: Role, *, design_limit: int | None = None) -> Setup:
    """An academy of our own (the demo is shared), one person, three bricks in the backlog."""
    with live_server.session() as session:
        academy = make_academy(session, name="Board academy")
        person = make_member(session, academy, role, password=live_server.password)
        stages = {s.name: s.id for s in academy.stages}
        if design_limit is not None:
            design = session.get(Stage, stages["Design"])
            design.wip_limit, design.wip_policy = design_limit, WipPolicy.BLOCK
        numbers = [
            services.create_brick(
                session, academy, actor=person, title=f"Brique {n}", format="video", now=utcnow()
            ).number
            for n in range(3)
        ]
        if design_limit is not None:
            brick = services.get_brick(session, academy, numbers[0])
            board_services.move_brick(
                session, brick, session.get(Stage, stages["Design"]), 1, actor=person,
                expected_version=brick.version, now=utcnow(),
            )  # fmt: skip
        return Setup(academy.slug, person.email, stages, numbers)


def column_of(page: Any, stage_id: int) -> list[int]:
    numbers = page.locator(f'ol.cards[data-stage="{stage_id}"] li.board-card').evaluate_all(
        "cards => cards.map(c => c.getAttribute('data-n'))"
    )
    return [int(n) for n in numbers]


def open_board(page: Any, live_server: LiveServer, setup: Setup) -> None:
    live_server.login(page, setup.email)
    page.goto(f"/a/{setup.slug}/board")
    page.wait_for_function("() => !!window.Sortable")


def test_drag_a_card_to_another_column_and_it_stays_there(page: Any, live_server: LiveServer):
    setup = arrange(live_server, Role.DESIGNER)
    open_board(page, live_server, setup)
    card = page.locator(f"#card-{setup.numbers[1]}")
    target = page.locator(f'ol.cards[data-stage="{setup.stages["Production"]}"]')

    with page.expect_response(re.compile(r"/board/move$")) as answer:
        card.drag_to(target)

    assert answer.value.status == 200
    expect(page.locator("[data-board-status]")).to_have_text(re.compile(r"moved to Production\.$"))
    head = page.locator(f'.column-head[data-stage="{setup.stages["Production"]}"] [data-count]')
    expect(head).to_have_text("1")
    page.reload()
    assert column_of(page, setup.stages["Production"]) == [setup.numbers[1]]
    assert column_of(page, setup.stages["Backlog"]) == [setup.numbers[0], setup.numbers[2]]


def test_move_a_card_with_the_keyboard_through_the_move_dialog(page: Any, live_server: LiveServer):
    setup = arrange(live_server, Role.DESIGNER)
    open_board(page, live_server, setup)
    number = setup.numbers[2]

    page.locator(f"#card-{number} a.card-move").focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#move-dialog")
    assert dialog.is_visible()
    assert page.evaluate("document.activeElement.name") == "stage"
    page.keyboard.type("Anal")  # picks "Analysis" in the focused list
    page.keyboard.press("Tab")  # the position: empty, the bottom
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Move"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url.endswith(f"/a/{setup.slug}/board#card-{number}")
    assert "moved to Analysis" in page.locator(".flashes").inner_text()
    assert column_of(page, setup.stages["Analysis"]) == [number]


def test_a_blocking_limit_refuses_the_drop_with_a_message(page: Any, live_server: LiveServer):
    setup = arrange(live_server, Role.MANAGER, design_limit=1)
    open_board(page, live_server, setup)
    design, backlog = setup.stages["Design"], setup.stages["Backlog"]
    assert column_of(page, design) == [setup.numbers[0]]

    with page.expect_response(re.compile(r"/board/move$")) as answer:
        page.locator(f"#card-{setup.numbers[1]}").drag_to(page.locator(f"#card-{setup.numbers[0]}"))

    assert answer.value.status == 422
    status = page.locator("[data-board-status]")
    expect(status).to_contain_text("is full")
    expect(status).to_be_visible()
    expect(status).to_have_class(re.compile(r"\bis-error\b"))
    assert column_of(page, design) == [setup.numbers[0]]  # put back at once
    page.reload()
    assert column_of(page, backlog) == [setup.numbers[1], setup.numbers[2]]


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (375, 812)])
def test_the_demo_board_never_scrolls_the_page_sideways(
    page: Any, live_server: LiveServer, width: int, height: int
):
    page.set_viewport_size({"width": width, "height": height})
    live_server.login(page, "manager")
    page.goto(live_server.academy_url("/board"))

    sizes = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, view: window.innerWidth,"
        " columns: document.querySelectorAll('#board-region .column').length})"
    )
    assert sizes["columns"] == 6
    assert sizes["page"] <= sizes["view"], sizes
    move = page.locator(".board-card a.card-move").first
    assert move.evaluate("a => getComputedStyle(a).textDecorationLine") == "none"
    box = move.bounding_box()
    assert box is not None and box["width"] < 40 and box["height"] < 40  # a small button
    assert "Déplacer… ACAD-" in move.inner_text()  # its words, for screen readers


def test_all_six_demo_columns_fit_at_1366_and_the_first_card_starts_high(
    page: Any, live_server: LiveServer
):
    page.set_viewport_size({"width": 1366, "height": 900})
    live_server.login(page, "manager")
    page.goto(live_server.academy_url("/board"))

    board = page.evaluate(
        """() => {
          const region = document.getElementById('board-region');
          const columns = [...region.querySelectorAll('.column')];
          const card = region.querySelector('.board-card');
          return {scroll: region.scrollWidth, client: region.clientWidth,
                  rights: columns.map(c => c.getBoundingClientRect().right),
                  firstCard: card.getBoundingClientRect().top, view: window.innerWidth};
        }"""
    )
    assert board["scroll"] <= board["client"], board  # no horizontal scroll inside the board
    assert len(board["rights"]) == 6 and max(board["rights"]) <= board["view"], board
    assert board["firstCard"] < 260, board  # was about 365 px


def test_the_done_column_folds_and_stays_folded_after_a_reload(page: Any, live_server: LiveServer):
    setup = arrange(live_server, Role.DESIGNER)
    live_server.login(page, setup.email)
    page.goto(f"/a/{setup.slug}/board")
    button = page.locator("[data-collapse]").first
    column = page.locator(".board-row > .column", has=button)
    expect(button).to_be_visible()  # shown only with JavaScript
    wide = column.bounding_box()["width"]

    button.click()

    expect(button).to_have_attribute("aria-expanded", "false")
    expect(column).to_have_class(re.compile(r"\bis-folded\b"))
    assert column.bounding_box()["width"] < wide / 3
    page.reload()
    expect(page.locator("[data-collapse]").first).to_have_attribute("aria-expanded", "false")
    page.locator("[data-collapse]").first.click()
    expect(page.locator("[data-collapse]").first).to_have_attribute("aria-expanded", "true")
