"""The tester's form in a browser: where they are ("question 4 of 12"), the draft saved while
typing, and no sideways scroll at a laptop's or a phone's width."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.factories import invite, make_academy, make_member, make_round, make_tester, token_of
from tracker.academies.models import Role
from tracker.feedback.answers import response_values
from tracker.feedback.models import QuestionKind, Response

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


def arrange(live_server: LiveServer) -> tuple[str, int, str]:
    """A round of our own with one invited tester: their link, the round, a rating's name."""
    with live_server.session() as session:
        academy = make_academy(session, name="Tester form academy")
        manager = make_member(session, academy, Role.MANAGER, password=live_server.password)
        setup = make_round(session, academy, manager)
        tester = make_tester(session, academy, name="Léa Martin", language="fr")
        invite(session, setup.round, [tester])
        link = f"/r/{token_of(setup.round, tester)}"
        return link, setup.round.id, f"q{setup.question(QuestionKind.RATING).id}"


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (375, 812)])
def test_progress_follows_the_tester_and_the_draft_saves_itself(
    page: Any, live_server: LiveServer, width: int, height: int
):
    link, round_id, rating = arrange(live_server)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(link)
    total = page.locator("[data-question]").count()
    progress = page.locator("[data-progress]")
    expect(progress.locator("[data-progress-current]")).to_have_text(f"Question 1 sur {total}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    question = page.locator(f"#{rating}").locator("xpath=ancestor::*[@data-question][1]")
    number = question.get_attribute("data-question")
    with page.expect_response(
        lambda r: r.url.endswith(link) and r.request.method == "POST"
    ) as saved:
        page.locator(f"#{rating}-4").check()  # the rating 4

    expect(progress.locator("[data-progress-current]")).to_have_text(
        f"Question {number} sur {total}"
    )
    expect(progress.locator("[data-progress-answered]")).to_have_text(
        f"Réponses\u00a0: 1 sur {total}"
    )
    assert saved.value.status == 200
    expect(progress.locator("[data-autosave-status]")).to_have_text("Brouillon enregistré.")
    with live_server.session() as session:
        response = session.query(Response).filter_by(round_id=round_id).one()  # the only one
        assert response_values(response)[rating] == ["4"]
