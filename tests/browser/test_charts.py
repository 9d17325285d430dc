"""Every point and bar of the demo's charts has a tooltip (an SVG <title>, no JavaScript needed),
and the roadmap draws each release as a span of time with today's line."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tracker.academies.models import Academy
from tracker.feedback.models import FeedbackRound, RoundState
from tracker.sprints.models import Sprint, SprintState

pytestmark = pytest.mark.browser

# The marks a reader points at: dots, bars, segments, bands, markers (not axes, grid lines,
# backgrounds or the legends' swatches).
UNTITLED_MARKS = """() => {
  const marks = 'circle, rect, polygon';
  const found = [];
  for (const svg of document.querySelectorAll('main svg')) {
    if (svg.closest('.sc-swatch') || svg.getAttribute('aria-hidden') === 'true'
        && !svg.classList.contains('sc-capacity-bar')) continue;
    for (const el of svg.querySelectorAll(marks)) {
      const cls = el.getAttribute('class') || '';
      if (/seg-empty|capacity-track/.test(cls)) continue;
      const own = el.querySelector(':scope > title');
      const titled = own || el.closest('g')?.querySelector(':scope > title');
      if (!titled) found.push(el.outerHTML.slice(0, 120));
    }
  }
  return found;
}"""


def demo_pages(live_server: LiveServer) -> list[str]:
    with live_server.session() as session:
        academy = session.scalars(select(Academy).filter_by(slug=live_server.academy_slug)).one()
        sprint = session.scalars(
            select(Sprint).filter_by(academy_id=academy.id, state=SprintState.ACTIVE)
        ).first()
        closed = session.scalars(
            select(FeedbackRound).filter_by(academy_id=academy.id, state=RoundState.CLOSED)
        ).first()
        assert sprint is not None and closed is not None, "the demo has a sprint and a round"
        sprint_id, round_id = sprint.id, closed.id
    return [
        live_server.academy_url("/reports"),
        live_server.academy_url(f"/sprints/{sprint_id}/"),
        live_server.academy_url(f"/rounds/{round_id}/results"),
        live_server.academy_url("/needs/coverage"),
        live_server.academy_url("/roadmap"),
    ]


def test_every_chart_mark_of_the_demo_has_a_tooltip(page: Any, live_server: LiveServer):
    live_server.login(page, "manager")
    checked = 0
    for url in demo_pages(live_server):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert page.evaluate(UNTITLED_MARKS) == [], url
        checked += page.locator("main svg title").count()
    assert checked > 50  # the demo's charts were drawn, not skipped


def test_the_roadmap_draws_bars_grouped_by_state_with_today(page: Any, live_server: LiveServer):
    live_server.login(page, "manager")
    page.goto(live_server.academy_url("/roadmap"))

    assert page.locator("svg.roadmap rect.roadmap-bar").count() >= 1
    assert page.locator("svg.roadmap line.roadmap-today").count() == 1
    headings = page.locator("svg.roadmap text.roadmap-heading").all_text_contents()
    assert len(headings) >= 2 and headings[0] in ("Livré", "Livrée", "Released")
    first_bar = page.locator("svg.roadmap rect.roadmap-bar").first
    assert "→" in (first_bar.locator("title").text_content() or "")
