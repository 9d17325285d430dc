"""Release pages over HTTP: the go/no-go, marking released (refused with the reason, override),
the notes editor (preview, save, publish), the notes page and who reads it, the roadmap, the
stakeholder's home (aggregates only), and their query counts."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    add_bricks,
    failing_round,
    passing_round,
)
from tracker.db import utcnow
from tracker.feedback.models import FeedbackItem
from tracker.learning.outcomes import forget_kept as forget_outcomes
from tracker.mail.models import MailMessage
from tracker.releases import notes, services
from tracker.releases.models import Decision, ReleaseNotes, ReleaseState

EN = {"Accept-Language": "en"}


def url(world, release, suffix=""):
    return f"/a/{world.academy.slug}/releases/{release.id}/{suffix}"


def text(response):
    return response.get_data(as_text=True)


# -- Decision ---------------------------------------------------------------------------------


def test_a_no_go_through_the_form(client, db_session, world, login, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    login(world.manager)

    page = client.get(url(world, release, "decide"), headers=EN)
    response = client.post(
        url(world, release, "decide"), data={"outcome": "no_go", "comment": "Trop de bugs"}
    )

    assert page.status_code == 200 and "Release gate" in text(page)  # the snapshot beside it
    assert response.status_code == 303
    assert release.state == ReleaseState.PLANNED
    shown = text(client.get(url(world, release), headers=EN))
    assert "Feedback to act on" in shown and "La vidéo ne démarre pas" in shown
    assert "Trop de bugs" in shown and "No-go" in shown


def test_a_go_with_reserves_without_reserves_is_refused_on_its_field(
    client, db_session, world, login, beta
):
    release, testers = beta
    passing_round(db_session, world, release, testers)
    login(world.manager)

    response = client.post(
        url(world, release, "decide"),
        data={"outcome": "go_with_reserves", "comment": "Gardé"},
        headers=EN,
    )

    assert response.status_code == 422
    assert re.search(r'id="reserves-error">\s*Say what the reserves are', text(response))
    assert "Gardé" in text(response)  # what was typed is kept
    assert db_session.query(Decision).count() == 0


def test_no_decision_form_while_nothing_closed(client, db_session, world, login, beta):
    release, _testers = beta
    login(world.manager)

    page = client.get(url(world, release, "decide"), headers=EN)
    refused = client.post(url(world, release, "decide"), data={"outcome": "go"}, headers=EN)

    assert "A go/no-go decision is taken on a release in beta" in text(page)
    assert 'name="outcome"' not in text(page)
    assert refused.status_code == 422
    assert release.state == ReleaseState.PLANNED


@pytest.mark.parametrize("outcome", ["", "maybe"])
def test_a_bad_outcome_is_a_form_error(client, db_session, world, login, beta, outcome):
    release, testers = beta
    passing_round(db_session, world, release, testers)
    login(world.manager)

    response = client.post(url(world, release, "decide"), data={"outcome": outcome})

    assert response.status_code == 422
    assert release.state == ReleaseState.IN_BETA


# -- Marking released -------------------------------------------------------------------------


def test_releasing_a_failed_gate_is_refused_with_the_reason(client, db_session, world, login, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    login(world.manager)

    response = client.post(url(world, release, "release"), data={}, headers=EN)

    assert response.status_code == 422
    page = text(response)
    assert "No go decision yet" in page
    assert re.search(r'id="override_reason-error">[^<]*was not passed: CSAT: 0', page)
    assert release.state == ReleaseState.IN_BETA


def test_an_override_is_kept_and_shown_wherever_the_release_is(
    client, db_session, world, login, beta
):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="go_with_reserves", reserves="Vidéo à corriger",
        actor=world.manager, now=utcnow(),
    )  # fmt: skip
    login(world.manager)

    response = client.post(
        url(world, release, "release"), data={"override_reason": "Échéance réglementaire"}
    )
    notes.publish_notes(
        db_session, release, body="# Socle", actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip

    assert response.status_code == 303
    assert release.state == ReleaseState.RELEASED
    slug = world.academy.slug
    for path in (
        url(world, release),
        f"/a/{slug}/releases/",
        f"/a/{slug}/roadmap",
        f"/a/{slug}/overview",
        url(world, release, "notes"),
        f"/a/{slug}/notes/",
    ):
        assert "Échéance réglementaire" in text(client.get(path, headers=EN)), path


# -- Notes: editor, page, index ------------------------------------------------------------------


def approved(db_session, world, beta):
    release, testers = beta
    passing_round(db_session, world, release, testers)
    services.record_decision(db_session, release, outcome="go", actor=world.manager, now=utcnow())
    return release


def test_the_editor_starts_from_the_generated_draft(client, db_session, world, login, beta):
    release = approved(db_session, world, beta)
    login(world.manager)

    page = text(client.get(url(world, release, "notes/edit"), headers=EN))

    assert "# Socle" in page and "**Module 1** (Video, 30 min)" in page
    assert "Satisfaction (CSAT): 100" in page
    assert db_session.query(ReleaseNotes).count() == 0  # a GET saves nothing


def test_preview_renders_sanitized_html_and_saves_nothing(client, db_session, world, login, beta):
    release = approved(db_session, world, beta)
    login(world.manager)

    response = client.post(
        url(world, release, "notes/edit"),
        data={"action": "preview", "body": "# Titre\n\n**gras** <script>alert(1)</script>"},
        headers=EN,
    )

    page = text(response)
    preview = page[page.index('id="preview-heading"') :]
    assert response.status_code == 200
    assert "<h1>Titre</h1>" in preview and "<strong>gras</strong>" in preview
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in preview
    assert db_session.query(ReleaseNotes).count() == 0


def test_save_then_publish(client, db_session, world, login, beta):
    release = approved(db_session, world, beta)
    login(world.manager)
    mails = db_session.query(MailMessage).count()

    saved = client.post(url(world, release, "notes/edit"), data={"action": "save", "body": "# v1"})
    published = client.post(
        url(world, release, "notes/edit"), data={"action": "publish", "body": "# v2"}
    )

    assert (saved.status_code, published.status_code) == (303, 303)
    assert published.location.endswith(url(world, release, "notes"))
    row = notes.get_notes(db_session, release)
    assert (row.body, row.published_body) == ("# v2", "# v2")
    assert db_session.query(MailMessage).count() == mails + 1  # the one stakeholder
    page = text(client.get(url(world, release, "notes"), headers=EN))
    assert "<h1>v2</h1>" in page


def test_publishing_a_release_without_go_is_refused(client, db_session, world, login, beta):
    release, _testers = beta
    login(world.manager)

    response = client.post(
        url(world, release, "notes/edit"), data={"action": "publish", "body": "# Trop tôt"},
        headers=EN,
    )  # fmt: skip

    assert response.status_code == 422
    assert "# Trop tôt" in text(response)
    assert notes.get_notes(db_session, release) is None


def test_regenerate_replaces_the_text_without_saving(client, db_session, world, login, beta):
    release = approved(db_session, world, beta)
    login(world.manager)

    response = client.post(
        url(world, release, "notes/edit"), data={"action": "regenerate", "body": "effacé"},
        headers=EN,
    )  # fmt: skip

    assert response.status_code == 200
    assert "**Module 1**" in text(response) and "effacé" not in text(response)
    assert notes.get_notes(db_session, release) is None


def publish(db_session, world, release, body="# Notes du socle"):
    notes.publish_notes(
        db_session, release, body=body, actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip


def test_the_testers_of_the_release_read_its_notes_others_do_not(
    client, db_session, world, login, beta
):
    release = approved(db_session, world, beta)
    publish(db_session, world, release)
    tester = beta[1][0]
    tester.password_hash = world.tester.password_hash  # let them log in
    login(tester)

    mine = client.get(url(world, release, "notes"))
    index = text(client.get(f"/a/{world.academy.slug}/notes/"))
    client.post("/logout")
    login(world.tester)  # not invited to any round of it
    other = client.get(url(world, release, "notes"))
    other_index = text(client.get(f"/a/{world.academy.slug}/notes/"))

    assert mine.status_code == 200 and "Notes du socle" in text(mine)
    assert "Socle" in index
    assert other.status_code == 403
    assert url(world, release, "notes") not in other_index


def test_unpublished_notes(client, db_session, world, login, beta):
    release = approved(db_session, world, beta)
    login(world.stakeholder)
    assert client.get(url(world, release, "notes")).status_code == 404
    client.post("/logout")
    login(world.manager)
    response = client.get(url(world, release, "notes"))
    assert response.status_code == 303 and response.location.endswith("notes/edit")


def test_the_notes_page_is_printable_and_has_no_manager_action_for_stakeholders(
    client, db_session, world, login, beta
):
    release = approved(db_session, world, beta)
    publish(db_session, world, release)
    login(world.stakeholder)

    page = text(client.get(url(world, release, "notes"), headers=EN))

    assert 'class="release-notes"' in page
    assert "notes/edit" not in page and "/decide" not in page and '/release"' not in page
    assert "style=" not in page


def test_a_feed_link_from_the_notes_page(client, db_session, world, login):
    login(world.stakeholder)

    created = client.post(f"/a/{world.academy.slug}/notes/feed-link", headers=EN)
    shown = text(created)
    link = re.search(r'value="http://brique.test(/feeds/[^"]+\.atom)"', shown).group(1)
    later = text(client.get(f"/a/{world.academy.slug}/notes/", headers=EN))
    revoked = client.post(f"/a/{world.academy.slug}/notes/feed-link/revoke")
    client.post("/logout")

    # Shown once, on the response that made it (never cached), then never again.
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    assert "shown only this once" in shown
    assert link not in later and "It is not shown again" in later
    assert revoked.status_code == 303
    assert client.get(link).status_code == 404  # revoked


# -- Roadmap and the stakeholder's home -----------------------------------------------------------


def test_the_roadmap_shows_releases_on_a_timeline(client, db_session, world, login, beta):
    import datetime as dt

    release, _testers = beta
    release.target_date = dt.date.today() + dt.timedelta(days=30)
    services.create_release(db_session, world.academy, name="Sans date", actor=None, now=utcnow())
    login(world.stakeholder)

    page = text(client.get(f"/a/{world.academy.slug}/roadmap", headers=EN))

    assert '<svg class="roadmap"' in page
    assert "roadmap-planned" in page and "Socle" in page and "Sans date" in page
    assert "style=" not in page
    assert "/releases/" not in page.split("<main", 1)[1]  # stakeholders: no release pages


def test_a_stakeholder_lands_on_their_home(client, db_session, world, login):
    login(world.stakeholder)

    response = client.get(f"/a/{world.academy.slug}/")

    assert response.status_code == 303
    assert response.location.endswith(f"/a/{world.academy.slug}/overview")


def test_the_stakeholders_home_shows_aggregates_and_no_individual_answer(
    client, db_session, world, login, beta
):
    from tracker.backlog.needs_services import submit_need

    release, testers = beta
    run = failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="no_go", actor=world.manager, now=utcnow()
    )
    passing_round(db_session, world, release, testers)
    services.record_decision(db_session, release, outcome="go", actor=world.manager, now=utcnow())
    services.mark_released(db_session, release, actor=world.manager, now=utcnow())
    publish(db_session, world, release)
    submit_need(
        db_session, world.academy, actor=world.stakeholder, title="Former au RGPD",
        business_unit="DRH", now=utcnow(),
    )  # fmt: skip
    login(world.stakeholder)

    page = text(client.get(f"/a/{world.academy.slug}/overview", headers=EN))

    assert "Socle" in page and url(world, release, "notes") in page
    assert '<span class="stat">2</span> bricks delivered' in page
    assert '<span class="stat">1 h</span> of learning delivered' in page
    assert "100%" in page  # the last round's CSAT, from its gate snapshot
    assert "Former au RGPD" in page and "DRH" in page
    # No answer, no feedback item, no tester's name: aggregates only.
    assert "Plus d'exemples" not in page and "Plus d&#39;exemples" not in page
    assert run.items[0].title not in page
    for tester in testers:
        assert tester.display_name not in page
    assert "/decide" not in page and "notes/edit" not in page and "/rounds/" not in page


def test_the_home_and_the_roadmap_do_not_grow_in_queries(
    client, db_session, world, login, queries, beta
):
    release, testers = beta
    passing_round(db_session, world, release, testers)
    login(world.stakeholder)
    slug = world.academy.slug
    client.get(f"/a/{slug}/overview")
    client.get(f"/a/{slug}/roadmap")
    with queries() as home_before:
        client.get(f"/a/{slug}/overview")
    with queries() as roadmap_before:
        client.get(f"/a/{slug}/roadmap")

    for i in range(4):
        more = services.create_release(
            db_session, world.academy, name=f"R{i}", actor=None, now=utcnow()
        )
        add_bricks(db_session, world.academy, more)
        passing_round(db_session, world, more, testers)
    # Measured as before: after a first view (what a round keeps between views is drawn once).
    client.get(f"/a/{slug}/overview")
    client.get(f"/a/{slug}/roadmap")
    with queries() as home_after:
        client.get(f"/a/{slug}/overview")
    with queries() as roadmap_after:
        client.get(f"/a/{slug}/roadmap")

    assert home_after.count == home_before.count
    assert roadmap_after.count == roadmap_before.count


def test_the_release_page_does_not_grow_in_queries(client, db_session, world, login, queries, beta):
    release, testers = beta
    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="no_go", actor=world.manager, now=utcnow()
    )
    login(world.manager)
    client.get(url(world, release))
    # Both as a first view (the learning figures not kept yet, tracker/learning/outcomes.py).
    forget_outcomes()
    with queries() as before:
        client.get(url(world, release))

    failing_round(db_session, world, release, testers)
    services.record_decision(
        db_session, release, outcome="no_go", actor=world.manager, now=utcnow()
    )
    forget_outcomes()
    with queries() as after:
        page = text(client.get(url(world, release), headers=EN))

    assert after.count == before.count
    assert "Round after round" in page
    assert db_session.query(FeedbackItem).count() == 2


def test_a_go_sent_twice_is_recorded_once(client, db_session, world, login, beta):
    release, testers = beta
    passing_round(db_session, world, release, testers)
    login(world.manager)
    page = text(client.get(url(world, release, "decide")))
    token = re.search(r'name="once" type="hidden" value="([^"]+)"', page)
    assert token is not None
    data = {"outcome": "go", "comment": "OK", "once": token.group(1)}

    first = client.post(url(world, release, "decide"), data=data)
    second = client.post(url(world, release, "decide"), data=data)

    assert (first.status_code, second.status_code) == (303, 303)
    assert len(db_session.query(Decision).filter_by(release_id=release.id).all()) == 1
