"""Notifications: made in the transaction of the change, never for one's own action; mentions,
assignments, moves into review and done, round invitations; the bell, the list, marking read;
the e-mail digest through the mail queue at each person's frequency."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.factories import add_invitation, make_brick, make_round
from tracker.academies.models import Stage, StageCategory
from tracker.backlog import services as brick_services
from tracker.board import services as board_services
from tracker.db import utcnow
from tracker.mail.models import MailMessage
from tracker.workspace import notifications
from tracker.workspace.models import DigestFrequency, Notification, NotificationKind


def kinds_for(session, user):
    return [
        n.kind
        for n in session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def test_a_mention_in_a_comment_notifies_the_member_not_the_author(db_session, world):
    brick = make_brick(db_session, world, "Quiz")
    body = f"@{world.designer.display_name} et @{world.manager.display_name}, relisez"
    brick_services.add_comment(db_session, brick, author=world.manager, body=body, now=utcnow())

    assert kinds_for(db_session, world.designer) == [NotificationKind.MENTION]
    assert kinds_for(db_session, world.manager) == []  # their own comment


def test_a_mention_by_address_and_without_accents(db_session, world):
    brick = make_brick(db_session, world)
    handle = world.tester.email.split("@")[0].upper()
    brick_services.add_comment(
        db_session, brick, author=world.manager, body=f"cc @{handle}", now=utcnow()
    )

    assert kinds_for(db_session, world.tester) == [NotificationKind.MENTION]


def test_a_mention_in_a_description_notifies_once(db_session, world):
    brick = make_brick(db_session, world, description="Rien")
    brick_services.update_brick(
        db_session, brick, actor=world.manager, expected_version=brick.version,
        description=f"Voir avec @{world.designer.display_name}", now=utcnow(),
    )  # fmt: skip
    brick_services.update_brick(
        db_session, brick, actor=world.manager, expected_version=brick.version,
        description=f"Voir avec @{world.designer.display_name} (bis)", now=utcnow(),
    )  # fmt: skip

    assert kinds_for(db_session, world.designer) == [NotificationKind.MENTION]


def test_assignment_notifies_the_new_owner_unless_they_did_it(db_session, world):
    make_brick(db_session, world, "Pour toi", actor=world.manager, owner_id=world.designer.id)
    make_brick(db_session, world, "Pour moi", actor=world.designer, owner_id=world.designer.id)

    assert kinds_for(db_session, world.designer) == [NotificationKind.ASSIGNED]


def test_moves_into_review_and_done_notify_the_owner(db_session, world):
    brick = make_brick(db_session, world, owner_id=world.designer.id, actor=world.designer)
    stages = {
        s.category: s
        for s in db_session.scalars(select(Stage).where(Stage.academy_id == world.academy.id))
    }
    for category in (StageCategory.ACTIVE, StageCategory.REVIEW):
        board_services.move_brick(
            db_session, brick, stages[category], 1, actor=world.manager,
            expected_version=brick.version, now=utcnow(),
        )  # fmt: skip

    assert kinds_for(db_session, world.designer) == [NotificationKind.IN_REVIEW]


def test_an_invitation_to_a_round_notifies_the_tester(db_session, world):
    setup = make_round(db_session, world.academy, world.manager)
    add_invitation(db_session, setup.round, world.tester)
    db_session.flush()

    assert kinds_for(db_session, world.tester) == [NotificationKind.INVITED]


def test_nothing_is_notified_when_the_change_is_rolled_back(db_session, world):
    db_session.commit()
    with db_session.begin_nested():
        make_brick(db_session, world, actor=world.manager, owner_id=world.designer.id)
        db_session.rollback()

    assert kinds_for(db_session, world.designer) == []


def test_digests_follow_each_persons_frequency(db_session, world, english_request):
    now = utcnow()
    make_brick(db_session, world, "Un", actor=world.manager, owner_id=world.designer.id)
    make_brick(db_session, world, "Deux", actor=world.designer, owner_id=world.manager.id)
    notifications.set_frequency(db_session, world.manager, DigestFrequency.NEVER)

    assert notifications.queue_digests(db_session, base_url="http://b.test", now=now) == 1
    mail = db_session.scalars(
        select(MailMessage).where(MailMessage.to_address == world.designer.email)
    ).one()
    assert "assigned" in mail.body_text.lower() and "Un" in mail.body_text
    assert (
        db_session.scalars(
            select(MailMessage).where(MailMessage.to_address == world.manager.email)
        ).all()
        == []
    )

    # Daily: the next one waits a day after the last digest.
    make_brick(db_session, world, "Trois", actor=world.manager, owner_id=world.designer.id)
    assert notifications.queue_digests(db_session, base_url="http://b.test", now=now) == 0
    later = now + dt.timedelta(days=1, minutes=1)
    assert notifications.queue_digests(db_session, base_url="http://b.test", now=later) == 1


# -- Through HTTP --------------------------------------------------------------------------------


def test_bell_list_and_mark_as_read(client, login, db_session, world, english_request):
    brick = make_brick(db_session, world, "Storyboard")
    brick_services.add_comment(
        db_session, brick, author=world.manager, body=f"@{world.designer.display_name} ?",
        now=utcnow(),
    )  # fmt: skip
    db_session.commit()
    login(world.designer)
    slug = world.academy.slug

    page = client.get(f"/a/{slug}/notifications").get_data(as_text=True)
    assert "You were mentioned" in page and "Storyboard" in page
    assert notifications.unread_count(db_session, world.academy, world.designer) == 1

    assert client.post(f"/a/{slug}/notifications/read").status_code == 303
    db_session.expire_all()
    assert notifications.unread_count(db_session, world.academy, world.designer) == 0


def test_someone_elses_notification_is_not_found(client, login, db_session, world):
    make_brick(db_session, world, actor=world.manager, owner_id=world.designer.id)
    db_session.commit()
    theirs = db_session.scalars(select(Notification.id)).one()
    login(world.tester)

    response = client.post(f"/a/{world.academy.slug}/notifications/{theirs}/read")

    assert response.status_code == 404


def test_a_comment_through_the_page_notifies(client, login, db_session, world):
    brick = make_brick(db_session, world)
    db_session.commit()
    login(world.manager)

    client.post(
        f"/a/{world.academy.slug}/bricks/{brick.number}/comments",
        data={"body": f"@{world.designer.display_name} regarde"},
    )

    db_session.expire_all()
    assert kinds_for(db_session, world.designer) == [NotificationKind.MENTION]


def test_the_digest_setting_is_saved(client, login, db_session, world):
    login(world.designer)

    client.post(f"/a/{world.academy.slug}/notifications/settings", data={"frequency": "immediate"})

    db_session.expire_all()
    assert notifications.frequency_of(db_session, world.designer) == DigestFrequency.IMMEDIATE


def test_a_decision_and_published_notes_notify_whom_they_concern(db_session, world):
    from tests.conftest import SECRET
    from tests.releases.helpers import make_testers, run_round
    from tracker.releases import notes
    from tracker.releases import services as release_services

    release = release_services.create_release(
        db_session, world.academy, name="Incrément N", actor=world.manager, now=utcnow()
    )
    make_brick(
        db_session, world, "Livrée", actor=world.manager, owner_id=world.designer.id,
        release_id=release.id,
    )  # fmt: skip
    testers = make_testers(db_session, world.academy, 3)
    run_round(
        db_session, world.academy, release, world.manager, testers, secret_key=SECRET,
        rating=5, nps=10,
    )  # fmt: skip
    release_services.record_decision(
        db_session, release, outcome="go", actor=world.manager, now=utcnow()
    )
    db_session.flush()
    assert release.state.value == "approved"
    assert NotificationKind.DECISION in kinds_for(db_session, world.designer)
    assert kinds_for(db_session, world.stakeholder) == []

    notes.publish_notes(
        db_session, release, body="Ce qui change", actor=world.manager, now=utcnow(),
        base_url="http://b.test",
    )  # fmt: skip
    db_session.flush()
    assert kinds_for(db_session, world.stakeholder) == [NotificationKind.NOTES]
    assert NotificationKind.NOTES in kinds_for(db_session, world.designer)
    assert NotificationKind.NOTES not in kinds_for(db_session, world.manager)

    # The stakeholder got the notes themselves by e-mail: no digest repeats them (the
    # designer, who owns a brick of the release, hears of them in their digest).
    def mails_to(user):
        return db_session.scalars(
            select(MailMessage.subject).where(MailMessage.to_address == user.email)
        ).all()

    before = len(mails_to(world.stakeholder))
    assert before == 1
    notifications.queue_digests(db_session, base_url="http://b.test", now=utcnow())
    assert len(mails_to(world.stakeholder)) == before
    assert len(mails_to(world.designer)) == 1


def test_the_bell_and_the_search_box_render_for_the_navigation(app, db_session, world):
    from flask import g, render_template_string
    from flask_login import login_user

    make_brick(db_session, world, actor=world.manager, owner_id=world.designer.id)
    db_session.commit()
    with app.test_request_context(f"/a/{world.academy.slug}/"):
        g.academy = world.academy
        login_user(world.designer)
        html = render_template_string(
            '{% include "workspace/_bell.html" %}{% include "search/_box.html" %}',
            academy=world.academy,
        )

    assert f'href="/a/{world.academy.slug}/notifications"' in html
    assert 'class="bell-count"' in html
    assert f'action="/a/{world.academy.slug}/search"' in html
    assert "data-search-box" in html


# -- The "@" autocomplete's names (GET /a/<slug>/mentions.json, static/js/mentions.js) ------


def test_the_autocomplete_offers_members_by_name_never_an_address(db_session, world, client, login):
    db_session.commit()
    login(world.manager)
    response = client.get(f"/a/{world.academy.slug}/mentions.json")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    names = response.get_json()["names"]
    everyone = {world.manager, world.designer, world.tester, world.stakeholder, world.vendor}
    assert set(names) == {user.display_name for user in everyone}
    assert "@" not in response.get_data(as_text=True)
    # Another academy's member is not offered.
    assert world.outsider.display_name not in names


def test_a_vendor_is_offered_the_team_and_their_colleagues_not_the_panel(
    db_session, world, client, login
):
    db_session.commit()
    login(world.vendor)
    names = client.get(f"/a/{world.academy.slug}/mentions.json").get_json()["names"]
    assert set(names) == {
        world.manager.display_name,
        world.designer.display_name,
        world.vendor.display_name,
    }
