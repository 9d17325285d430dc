"""Release notes through the services: the generated draft (bricks by path, beta figures, "you
told us, we changed it"), in the academy's language; saving, publishing, the stakeholders'
e-mail in their language; who may read which notes."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from tests.factories import SECRET, add_item, make_brick, make_member, make_testers, run_round
from tracker.academies.models import Role, Stage, StageCategory
from tracker.backlog.models import BrickFormat
from tracker.backlog.paths_services import create_path
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.feedback.models import ItemKind, ItemStatus, Severity
from tracker.mail.models import MailMessage
from tracker.markdown import render_markdown
from tracker.releases import feed, notes, services
from tracker.releases.models import ReleaseEvent, ReleaseEventKind, ReleaseState


@pytest.fixture
def release(db_session, world):
    """A release with a path of two bricks (objectives, audience) and a brick without a path,
    all done (the notes list done bricks as delivered)."""
    done = next(s for s in world.academy.stages if s.category == StageCategory.DONE)
    release = services.create_release(
        db_session, world.academy, name="Incrément 1", goal="Le **socle** commun.",
        actor=world.manager, now=utcnow(),
    )  # fmt: skip
    path = create_path(db_session, world.academy, name="Culture digitale", target_population="Tous")
    db_session.flush()
    make_brick(
        db_session,
        world.academy,
        "Les bases du cloud",
        actor=world.manager,
        learner_minutes=90,
        release_id=release.id,
        stage_id=done.id,
        learning_path_id=path.id,
        target_audience="Managers",
        objectives=[("Expliquer ce qu'est le cloud", "understand")],
    )
    make_brick(
        db_session,
        world.academy,
        "Quiz RGPD",
        actor=world.manager,
        format=BrickFormat.MICRO_LEARNING,
        learner_minutes=10,
        release_id=release.id,
        stage_id=done.id,
    )
    return release


def closed_round(db_session, world, release, *, rating=5, nps=10, blocking=()):
    testers = make_testers(db_session, world.academy, 3)
    return run_round(
        db_session, world.academy, release, world.manager, testers, secret_key=SECRET,
        rating=rating, nps=nps, blocking=blocking,
    )  # fmt: skip


def approve(db_session, world, release):
    closed_round(db_session, world, release)
    services.record_decision(db_session, release, outcome="go", actor=world.manager, now=utcnow())


def test_the_draft_lists_the_bricks_by_learning_path(db_session, world, release):
    draft = notes.generate_notes(db_session, release)

    assert draft.startswith("# Incrément 1\n\nLe **socle** commun.\n")
    path_at = draft.index("### Culture digitale")
    other_at = draft.index("### Other bricks")
    assert path_at < draft.index("**Les bases du cloud** (Video, 1 h 30)") < other_at
    assert "*For: Tous*" in draft
    assert "— for: Managers" in draft
    assert "  - Objective: Expliquer ce qu'est le cloud" in draft
    assert draft.index("**Quiz RGPD** (Micro-learning, 10 min)") > other_at


def test_the_draft_is_written_in_the_academys_language(db_session, world, release):
    world.academy.default_locale = "fr"

    with force_locale("en"):  # whoever generates it, in whatever language
        draft = notes.generate_notes(db_session, release)

    with force_locale("fr"):
        video, heading = _("Video"), _("What is in this release")
    assert "(Vidéo, 1 h 30)" in draft and video == "Vidéo"
    assert f"## {heading}" in draft


def test_the_draft_gives_the_beta_figures_of_the_last_round(db_session, world, release):
    closed_round(db_session, world, release, rating=4, nps=9)

    draft = notes.generate_notes(db_session, release)

    assert "Responses: 3 of 3 invited testers (response rate: 100%)" in draft
    assert "Satisfaction (CSAT): 100%" in draft
    assert "Net Promoter Score (NPS): +100" in draft
    assert "Indicative figures: fewer than 30 answers." in draft


def test_without_a_round_the_draft_says_so(db_session, world, release):
    draft = notes.generate_notes(db_session, release)

    assert "This release has not been through a beta round." in draft
    assert "No feedback item needed a change this time." in draft


def test_you_told_us_lists_only_the_feedback_acted_on(db_session, world, release):
    run = closed_round(db_session, world, release, blocking=["La vidéo saccade"])
    run.items[0].status = ItemStatus.DONE
    done_stage = db_session.scalar(
        select(Stage).where(
            Stage.academy_id == world.academy.id, Stage.category == StageCategory.DONE
        )
    )
    fix = make_brick(
        db_session, world.academy, "Sous-titres", actor=world.manager, stage_id=done_stage.id
    )
    unfinished = make_brick(db_session, world.academy, "Plus tard", actor=None)
    add_item(db_session, run.round, title="Ajouter des sous-titres", kind=ItemKind.IDEA,
             status=ItemStatus.PLANNED, created_brick_id=fix.id)  # fmt: skip
    add_item(db_session, run.round, title="Encore ouvert", status=ItemStatus.ACCEPTED)
    add_item(db_session, run.round, title="Pas encore fini", status=ItemStatus.PLANNED,
             created_brick_id=unfinished.id)  # fmt: skip
    add_item(db_session, run.round, title="Bravo", kind=ItemKind.PRAISE, status=ItemStatus.DONE)
    add_item(db_session, run.round, title="Doublon", status=ItemStatus.DUPLICATE,
             severity=Severity.MINOR)  # fmt: skip

    draft = notes.generate_notes(db_session, release)

    told = draft[draft.index("## You told us, we changed it") :]
    assert "- La vidéo saccade (in “Les bases du cloud”): done." in told
    assert "- Ajouter des sous-titres: answered by “Sous-titres”." in told
    for absent in ("Encore ouvert", "Pas encore fini", "Bravo", "Doublon"):
        assert absent not in told


def test_what_people_typed_cannot_become_markup(db_session, world, release):
    make_brick(
        db_session,
        world.academy,
        "<script>alert(1)</script> *gras* [x](y)",
        actor=None,
        release_id=release.id,
    )

    draft = notes.generate_notes(db_session, release)
    html = str(render_markdown(draft))

    assert r"\<script\>alert(1)\</script\> \*gras\* \[x\](y)" in draft
    assert "<script" not in html and "<em>gras</em>" not in html and 'href="y"' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *gras* [x](y)" in html


def test_a_draft_is_saved_without_publishing(db_session, world, release):
    saved = notes.save_notes_draft(
        db_session, release, body="  # Brouillon\r\n", actor=world.manager, now=utcnow()
    )

    assert (saved.body, saved.published_body, saved.published_at) == ("# Brouillon", "", None)
    assert notes.published_notes(db_session, world.academy) == []


def test_notes_are_published_only_after_a_go(db_session, world, release):
    with pytest.raises(DomainError, match="go decision"):
        notes.publish_notes(
            db_session, release, body="# Notes", actor=world.manager, now=utcnow(),
            base_url="http://brique.test",
        )  # fmt: skip
    assert notes.get_notes(db_session, release) is None


def test_empty_notes_are_not_published(db_session, world, release):
    approve(db_session, world, release)

    with pytest.raises(DomainError) as refused:
        notes.publish_notes(
            db_session, release, body="   ", actor=world.manager, now=utcnow(),
            base_url="http://brique.test",
        )  # fmt: skip
    assert refused.value.field == "body"


def test_publishing_emails_each_stakeholder_once_in_their_language(db_session, world, release):
    approve(db_session, world, release)
    english = world.stakeholder  # locale "en"
    french = make_member(db_session, world.academy, Role.STAKEHOLDER, locale="fr")
    before = db_session.query(MailMessage).count()

    first = notes.publish_notes(
        db_session, release, body="# Incrément 1\n\nBienvenue.\n\n- **Quiz** [lien](https://x.test/q)",
        actor=world.manager, now=utcnow(), base_url="http://brique.test",
    )  # fmt: skip
    again = notes.publish_notes(
        db_session, release, body="# Incrément 1\n\nBienvenue !", actor=world.manager,
        now=utcnow(), base_url="http://brique.test",
    )  # fmt: skip

    assert (first.first, first.mailed, again.first, again.mailed) == (True, 2, False, 0)
    mails = db_session.query(MailMessage).order_by(MailMessage.id).all()[before:]
    assert sorted(m.to_address for m in mails) == sorted([english.email, french.email])
    link = f"http://brique.test/a/{world.academy.slug}/releases/{release.id}/notes"
    for mail in mails:
        assert link in mail.body_text and "Bienvenue." in mail.body_text
        # Multipart: the text part reads as text (no Markdown left), the HTML part is rendered
        assert (
            "\nIncrément 1\n" in mail.body_text
            and "- Quiz lien (https://x.test/q)" in mail.body_text
        )
        assert "#" not in mail.body_text and "**" not in mail.body_text
        assert "<h1>Incrément 1</h1>" in (mail.body_html or "")
        assert "<strong>Quiz</strong>" in (mail.body_html or "")
    by_address = {m.to_address: m for m in mails}
    assert by_address[english.email].subject.startswith(f"{world.academy.name}: the release notes")
    with force_locale("fr"):
        subject = _("%(academy)s: the release notes of %(release)s",
                    academy=world.academy.name, release=release.name)  # fmt: skip
    assert by_address[french.email].subject == subject
    # The readers see the last published text; the history says who published, twice.
    assert again.notes.published_body == "# Incrément 1\n\nBienvenue !"
    events = db_session.query(ReleaseEvent).filter_by(
        release_id=release.id, kind=ReleaseEventKind.NOTES_PUBLISHED
    )
    assert [(e.actor_id, e.changes["first"]) for e in events.order_by(ReleaseEvent.id)] == [
        (world.manager.id, True),
        (world.manager.id, False),
    ]


def test_remote_images_reach_the_emails_and_the_feed_as_links_only(
    client, db_session, world, release
):
    """No tracking pixel: an image in the notes is a link in the e-mail and in the feed (the
    notes page itself keeps it)."""
    approve(db_session, world, release)
    pixel = "https://tracker.example/p.gif?u=42"
    body = f"# Incrément 1\n\n![Capture]({pixel}) et ![]({pixel}&b=1)"
    notes.publish_notes(
        db_session, release, body=body, actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip
    token = feed.issue_feed_token(db_session, world.academy, world.stakeholder, now=utcnow())
    db_session.commit()

    [mail] = db_session.scalars(
        select(MailMessage).where(MailMessage.to_address == world.stakeholder.email)
    ).all()
    entry = client.get(f"/feeds/{token}.atom").get_data(as_text=True)

    html = mail.body_html or ""
    assert "<img" not in html and f'<a href="{pixel}"' in html and ">Capture</a>" in html
    assert "&lt;img" not in entry and "<img" not in entry and "Capture&lt;/a&gt;" in entry
    assert "<img" in render_markdown(body)  # the page in the app is unchanged


def test_notes_of_a_released_release_can_be_published(db_session, world, release):
    approve(db_session, world, release)
    services.mark_released(db_session, release, actor=world.manager, now=utcnow())

    publication = notes.publish_notes(
        db_session, release, body="# Notes", actor=world.manager, now=utcnow(),
        base_url="http://brique.test",
    )  # fmt: skip

    assert release.state == ReleaseState.RELEASED and publication.notes.is_published


def test_testers_read_the_notes_of_the_releases_they_tested_only(db_session, world, release):
    other = services.create_release(
        db_session, world.academy, name="Autre", actor=None, now=utcnow()
    )
    testers = make_testers(db_session, world.academy, 2)
    run_round(
        db_session, world.academy, release, world.manager, testers[:1], secret_key=SECRET,
        rating=5, nps=10,
    )  # fmt: skip

    assert notes.tested_release_ids(db_session, world.academy, testers[0]) == {release.id}
    assert notes.tested_release_ids(db_session, world.academy, testers[1]) == set()
    assert notes.readable_release_ids(db_session, world.academy, testers[1], Role.TESTER) == set()
    assert (
        notes.readable_release_ids(db_session, world.academy, world.stakeholder, Role.STAKEHOLDER)
        is None
    )
    assert other.id not in notes.tested_release_ids(db_session, world.academy, testers[0])
