"""A release from a failed beta round to its published notes, in a real browser.

A manager closes a round that fails its gate, tries to release (refused, with the reason),
records a no-go, runs a second round that passes, records a go, edits, previews and publishes
the notes; a stakeholder logs in, lands on their home and reads the notes; their personal feed
link answers valid Atom to a client without any session (checked with feedparser).

The rounds' answers come through the feedback services (tests/releases/helpers.py run_round:
create, open, invite, save_response, report_item), as testers would give them through their
personal links; closing, deciding, releasing and publishing go through the pages.
"""

from __future__ import annotations

import itertools
import re
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from sqlalchemy import select

from tests.browser.conftest import LiveServer
from tests.factories import add_bricks, make_testers, run_round
from tracker.academies.models import Academy, Role
from tracker.academies.services import add_member, create_academy
from tracker.auth.services import create_user
from tracker.db import utcnow
from tracker.feedback.models import FeedbackRound
from tracker.releases.models import Release, ReleaseState
from tracker.releases.services import create_release

pytestmark = pytest.mark.browser
_run = itertools.count(1)


def _arrange(live_server: LiveServer) -> dict[str, Any]:
    """An academy of our own: a manager, a stakeholder, three testers, a release of two bricks
    and a first round whose testers are unhappy (it will fail its gate)."""
    n = f"{next(_run)}{live_server.password[-6:].lower()}"
    n = re.sub(r"[^a-z0-9]", "", n)
    secret = live_server.app.config["SECRET_KEY"]
    with live_server.session() as session:
        manager = create_user(
            session, email=f"dlm{n}@example.com", display_name="Diane DLM",
            password=live_server.password, locale="fr",
        )  # fmt: skip
        stakeholder = create_user(
            session, email=f"drh{n}@example.com", display_name="Paul DRH",
            password=live_server.password, locale="fr",
        )  # fmt: skip
        academy = create_academy(
            session, name=f"Académie Flux {n}", slug=f"flux-{n}", key_prefix="FLX",
            default_locale="fr", actor=manager,
        )  # fmt: skip
        add_member(session, academy, manager, Role.MANAGER)
        add_member(session, academy, stakeholder, Role.STAKEHOLDER)
        release = create_release(
            session, academy, name=f"Incrément {n}", actor=manager, now=utcnow()
        )
        add_bricks(session, academy, release)
        testers = make_testers(session, academy, 3)
        first = run_round(
            session, academy, release, manager, testers, secret_key=secret, rating=2, nps=3,
            blocking=["La vidéo du module 1 ne démarre pas"], close=False,
        )  # fmt: skip
        return {
            "slug": academy.slug,
            "academy_id": academy.id,
            "release_id": release.id,
            "release_name": release.name,
            "manager": manager.email,
            "stakeholder": stakeholder.email,
            "tester_ids": [t.id for t in testers],
            "first_round": (first.round.id, first.round.title),
        }


def _second_round(live_server: LiveServer, data: dict[str, Any]) -> tuple[int, str]:
    """The testers answer again, happily this time (the round stays open for the manager)."""
    from tracker.auth.models import User

    with live_server.session() as session:
        academy = session.get(Academy, data["academy_id"])
        release = session.get(Release, data["release_id"])
        manager = session.scalars(select(User).where(User.email == data["manager"])).one()
        testers = [session.get(User, i) for i in data["tester_ids"]]
        run = run_round(
            session, academy, release, manager, testers,
            secret_key=live_server.app.config["SECRET_KEY"], rating=5, nps=10, close=False,
        )  # fmt: skip
        return run.round.id, run.round.title


def _state(live_server: LiveServer, release_id: int) -> ReleaseState:
    with live_server.session() as session:
        release = session.get(Release, release_id)
        return release.state


def _round_state(live_server: LiveServer, round_id: int) -> str:
    with live_server.session() as session:
        return session.get(FeedbackRound, round_id).state.value


def _close_round(page: Any, live_server: LiveServer, slug: str, round_id: int) -> None:
    page.goto(f"/a/{slug}/rounds/{round_id}/")
    with page.expect_navigation():
        page.click(f"form[action='/a/{slug}/rounds/{round_id}/close'] button")  # confirm accepted
    assert _round_state(live_server, round_id) == "closed"


def _decide(page: Any, slug: str, release_id: int, outcome: str, comment: str) -> None:
    page.goto(f"/a/{slug}/releases/{release_id}/")
    with page.expect_navigation():
        page.click(f"a[href='/a/{slug}/releases/{release_id}/decide']")
    page.check(f"input[name=outcome][value={outcome}]")
    page.fill("textarea[name=comment]", comment)
    with page.expect_navigation():
        page.click("main form button.button-primary")
    assert page.url.endswith(f"/a/{slug}/releases/{release_id}/")


def test_from_a_failed_round_to_published_notes_read_by_a_stakeholder(
    page: Any, browser: Any, live_server: LiveServer
) -> None:
    # Arrange
    data = _arrange(live_server)
    slug, release_id = data["slug"], data["release_id"]
    release_url = f"/a/{slug}/releases/{release_id}/"
    page.on("dialog", lambda dialog: dialog.accept())  # "Close the round now?"
    live_server.login(page, data["manager"])

    # Act: the manager closes the first round: its gate fails
    first_id, first_title = data["first_round"]
    _close_round(page, live_server, slug, first_id)

    # ... and tries to release: refused, with the reason
    page.goto(release_url)
    with page.expect_navigation():
        page.click(f"a[href='/a/{slug}/releases/{release_id}/release']")
    with page.expect_navigation():
        page.click("main form button.button-primary")
    reason = page.locator("#override_reason-error").inner_text()
    assert first_title in reason and "CSAT" in reason
    assert page.locator(".form-errors").is_visible()  # no go decision yet, either
    assert _state(live_server, release_id) == ReleaseState.IN_BETA

    # ... records a no-go: back to planned, with the feedback to act on
    _decide(page, slug, release_id, "no_go", "Vidéo bloquante, satisfaction trop basse")
    assert _state(live_server, release_id) == ReleaseState.PLANNED
    assert "La vidéo du module 1 ne démarre pas" in page.locator("#act-on").inner_text()

    # ... a second round passes; the manager closes it; the release page compares both rounds
    second_id, second_title = _second_round(live_server, data)
    assert _state(live_server, release_id) == ReleaseState.IN_BETA
    _close_round(page, live_server, slug, second_id)
    page.goto(release_url)
    rows = page.locator("table.comparison tbody tr")
    assert rows.count() == 2
    assert rows.nth(1).locator(f"a[href='/a/{slug}/rounds/{second_id}/']").count() == 1
    assert second_title in page.locator("section.gate").inner_text()  # the last round's gate

    # ... records a go
    _decide(page, slug, release_id, "go", "Les retours ont été traités")
    assert _state(live_server, release_id) == ReleaseState.APPROVED

    # ... edits the generated notes, previews them, publishes them
    with page.expect_navigation():
        page.click(f"a[href='/a/{slug}/releases/{release_id}/notes/edit']")
    body = page.locator("textarea[name=body]")
    draft = body.input_value()
    assert draft.startswith(f"# {data['release_name']}") and "**Module 1**" in draft
    body.fill(draft + "\nMerci aux **bêta-testeurs** !\n")
    with page.expect_navigation():
        page.click("button[name=action][value=preview]")
    assert "bêta-testeurs" in page.locator(".notes-preview strong").all_inner_texts()
    with page.expect_navigation():
        page.click("button[name=action][value=publish]")
    assert page.url.endswith(f"{release_url}notes")
    assert "Merci aux bêta-testeurs" in page.locator("article.release-notes").inner_text()

    # ... and, the gate of the last round having passed, marks it released (no override)
    page.goto(release_url)
    with page.expect_navigation():
        page.click(f"a[href='/a/{slug}/releases/{release_id}/release']")
    assert page.locator("textarea[name=override_reason]").count() == 0
    with page.expect_navigation():
        page.click("main form button.button-primary")
    assert _state(live_server, release_id) == ReleaseState.RELEASED

    # Act: a stakeholder logs in: their home, then the notes
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    context.set_default_timeout(10_000)
    try:
        reader = context.new_page()
        live_server.login(reader, data["stakeholder"])
        assert reader.url.endswith(f"/a/{slug}/overview")
        assert "/decide" not in reader.content() and "/rounds/" not in reader.content()
        with reader.expect_navigation():
            reader.click(f"main a[href='{release_url}notes']")
        # Assert: they read the published notes
        article = reader.locator("article.release-notes").inner_text()
        assert "Merci aux bêta-testeurs" in article and "Module 1" in article
        assert reader.locator(f"a[href='{release_url}notes/edit']").count() == 0

        # Act: their personal feed link, read by a client without any session
        reader.goto(f"/a/{slug}/notes/")
        with reader.expect_navigation():
            reader.click(f"form[action='/a/{slug}/notes/feed-link'] button")
        link = reader.locator("#feed-url").input_value()
    finally:
        context.close()
    path = urlsplit(link).path
    assert re.fullmatch(r"/feeds/[A-Za-z0-9_-]{43}\.atom", path)
    with urllib.request.urlopen(live_server.url_for(path), timeout=10) as answer:  # noqa: S310
        content_type = answer.headers["Content-Type"]
        feed = answer.read()

    # Assert: valid Atom, with the published notes
    assert content_type.startswith("application/atom+xml")
    parsed = feedparser.parse(feed)
    assert parsed.bozo is False, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    [entry] = parsed.entries
    assert entry.title == data["release_name"]
    assert "bêta-testeurs" in entry.content[0].value
    assert parsed.feed.get("id") and parsed.feed.get("updated")
