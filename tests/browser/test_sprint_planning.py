"""Sprint planning in a real browser: a brick dragged from the backlog into the sprint is
committed (the same form as the button posts); once the sprint has started, a drop asks for
the reason first. No CSP violation or script error on the way."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.factories import make_academy, make_member, make_user
from tracker.academies.models import Role
from tracker.backlog import services as brick_services
from tracker.db import utcnow
from tracker.sprints import services

pytestmark = pytest.mark.browser


@pytest.fixture
def planning(live_server: LiveServer) -> dict[str, Any]:
    """A fresh academy, its manager, a planned sprint and two bricks in the backlog."""
    email = f"plan-{secrets.token_hex(4)}@example.com"
    with live_server.session() as session:
        admin = make_user(session, is_admin=True, password=None)
        academy = make_academy(session, actor=admin)
        manager = make_member(
            session, academy, Role.MANAGER, email=email, password=live_server.password,
            locale="en",
        )  # fmt: skip
        today = dt.date.today()
        sprint = services.create_sprint(
            session, academy, name="Sprint 1", start_date=today,
            end_date=today + dt.timedelta(days=9), capacity_points=10,
        )  # fmt: skip
        numbers = [
            brick_services.create_brick(
                session,
                academy,
                actor=manager,
                title=title,
                format="video",
                estimate_points=3,
                now=utcnow(),
            ).number
            for title in ("Alpha", "Beta")
        ]
        return {"slug": academy.slug, "email": email, "sprint": sprint.id, "numbers": numbers}


def drag(page: Any, source: str, target: str) -> None:
    page.locator(target).scroll_into_view_if_needed()
    start = page.locator(source).bounding_box()
    end = page.locator(target).bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    page.mouse.move(x, y, steps=15)
    page.mouse.move(x + 2, y + 2, steps=3)
    page.mouse.up()


def test_dragging_a_brick_into_the_sprint_commits_it(
    page: Any, live_server: LiveServer, planning: dict[str, Any]
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.set_viewport_size({"width": 1400, "height": 1000})
    live_server.login(page, planning["email"])
    plan = f"/a/{planning['slug']}/sprints/{planning['sprint']}/plan"
    alpha, beta = planning["numbers"]
    page.goto(plan)

    with page.expect_navigation():
        drag(page, f"[data-plan-list=backlog] tr[data-brick='{alpha}'] td:nth-child(3)",
             "[data-plan-list=sprint]")  # fmt: skip

    assert page.locator(f"[data-plan-list=sprint] tr[data-brick='{alpha}']").count() == 1
    assert page.locator(f"[data-plan-list=backlog] tr[data-brick='{beta}']").count() == 1
    assert page.locator(".sc-capacity-text").inner_text().startswith("3 of 10")

    # Started: a drop ticks the brick and asks for the reason; the button then commits it.
    with live_server.session() as session:
        from tracker.sprints.models import Sprint

        services.start_sprint(
            session, session.get(Sprint, planning["sprint"]), actor=None, now=utcnow()
        )
    page.goto(plan)
    drag(page, f"[data-plan-list=backlog] tr[data-brick='{beta}'] td:nth-child(3)",
         "[data-plan-list=sprint]")  # fmt: skip
    assert page.evaluate("document.activeElement.id") == "commit-reason"
    page.fill("#commit-reason", "Asked by HR")
    with page.expect_navigation():
        page.click("#commit-form button[type=submit]")

    assert page.locator(f"[data-plan-list=sprint] tr[data-brick='{beta}']").count() == 1
    page.goto(f"/a/{planning['slug']}/sprints/{planning['sprint']}/")
    assert page.locator("td", has_text="Asked by HR").count() == 1  # the scope change
    assert problems == []
