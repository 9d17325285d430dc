"""Invitations: whom each mode means, never twice, e-mails in the recipient's language with a
working personal link, 500 at once for the queries of 5, reminders at most once a day."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from click.testing import CliRunner
from flask_babel import force_locale
from sqlalchemy import func, select, update

from tests.factories import BASE_URL, SECRET, invite, make_round, make_tester, token_of
from tracker.academies.models import Membership, Role
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.feedback import panel
from tracker.feedback.answers import find_invitation, invitation_of
from tracker.feedback.invitations import choose_invitees, invite_testers, remind_pending
from tracker.feedback.models import RoundInvitation
from tracker.feedback.phases import RoundClosed
from tracker.mail.models import MailMessage
from tracker.tokens import hash_token

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _mails(db_session, category="round_invitation"):
    return db_session.scalars(
        select(MailMessage).where(MailMessage.category == category).order_by(MailMessage.id)
    ).all()


def _invite(db_session, round_, user_ids, now=NOW):
    return invite_testers(
        db_session, round_, user_ids, secret_key=SECRET, base_url=BASE_URL, now=now
    )


def test_inviting_queues_one_mail_per_person_in_their_language_with_a_personal_link(
    db_session, world
):
    # Arrange
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    lea = make_tester(db_session, world.academy, name="Léa O'Brien", language="fr")
    ines = make_tester(db_session, world.academy, name="Inès Dubois", language="en")

    # Act
    report = _invite(db_session, setup.round, [lea.id, ines.id])

    # Assert
    assert (report.invited, report.already, report.not_testers) == (2, 0, 0)
    mails = {m.to_address: m for m in _mails(db_session)}
    assert set(mails) == {lea.email, ines.email}
    french, english = mails[lea.email], mails[ines.email]
    assert "Bonjour Léa O'Brien" in french.body_text
    assert "Léa O&#39;Brien" in french.body_html  # escaped in HTML, as written in text
    assert "Hello Inès Dubois" in english.body_text
    assert setup.round.title in english.subject
    for user, mail in ((lea, french), (ines, english)):
        link = f"{BASE_URL}/r/{token_of(setup.round, user)}"
        assert link in mail.body_text and f'href="{link}"' in mail.body_html
        invitation = invitation_of(db_session, setup.round, user.id)
        assert invitation.token_hash == hash_token(token_of(setup.round, user))
        assert invitation.sent_at == NOW and invitation.expires_at == setup.round.closes_at
    # The raw token is nowhere in the invitation table.
    assert not db_session.scalar(
        select(func.count(RoundInvitation.id)).where(
            RoundInvitation.token_hash == token_of(setup.round, lea)
        )
    )


def test_nobody_is_invited_or_mailed_twice(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    first, second = make_tester(db_session, world.academy), make_tester(db_session, world.academy)
    _invite(db_session, setup.round, [first.id])

    report = _invite(db_session, setup.round, [first.id, second.id])

    assert (report.invited, report.already) == (1, 1)
    assert sorted(m.to_address for m in _mails(db_session)) == sorted([first.email, second.email])


def test_only_active_testers_of_the_academy_are_invited(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    resting = make_tester(db_session, world.academy, active=False)
    elsewhere = make_tester(db_session, world.other_academy)
    designer_with_profile = make_tester(db_session, world.academy, role=None)  # no membership
    closed = make_tester(db_session, world.academy)
    closed.is_active_account = False

    report = _invite(
        db_session,
        setup.round,
        [resting.id, elsewhere.id, world.stakeholder.id, closed.id, designer_with_profile.id],
    )

    assert (report.invited, report.not_testers) == (1, 4)


def test_inviting_needs_an_open_round(db_session, world):
    draft = make_round(db_session, world.academy, world.manager, open_it=False, now=NOW)
    tester = make_tester(db_session, world.academy)

    with pytest.raises(DomainError):
        _invite(db_session, draft.round, [tester.id])
    opened = make_round(db_session, world.academy, world.manager, now=NOW)
    with pytest.raises(RoundClosed):
        _invite(db_session, opened.round, [tester.id], now=NOW + dt.timedelta(days=8))


def test_the_modes_all_segment_picked_and_quota(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    finance = [make_tester(db_session, world.academy, business_unit="Finance") for _ in range(4)]
    it = [make_tester(db_session, world.academy, business_unit="IT", site="Lyon") for _ in range(3)]
    make_tester(db_session, world.academy, business_unit="Finance", active=False)
    seg_finance = panel.create_segment(
        db_session, world.academy, name="Finance", filters={"business_unit": ["Finance"]}
    )
    seg_lyon = panel.create_segment(
        db_session, world.academy, name="Lyon", filters={"site": ["Lyon"]}
    )
    academy, round_ = world.academy, setup.round

    everyone = choose_invitees(db_session, academy, round_, mode="all")
    segment = choose_invitees(
        db_session, academy, round_, mode="segment", segment_id=seg_finance.id
    )
    picked = choose_invitees(
        db_session, academy, round_, mode="picked", user_ids=[it[0].id, it[0].id]
    )
    _invite(db_session, round_, [finance[0].id])
    drawn = choose_invitees(
        db_session,
        academy,
        round_,
        mode="quota",
        quotas={seg_finance.id: 2, seg_lyon.id: 10},
        rng=random.Random(4),
    )

    assert sorted(everyone) == sorted(u.id for u in finance + it)
    assert sorted(segment) == sorted(u.id for u in finance)
    assert picked == [it[0].id]
    assert len(drawn) == 2 + 3  # all of Lyon (only 3), 2 of the 3 Finance people left
    assert finance[0].id not in drawn
    assert set(drawn) >= {u.id for u in it}
    with pytest.raises(DomainError):
        choose_invitees(db_session, academy, round_, mode="picked", user_ids=[])
    with pytest.raises(DomainError):
        choose_invitees(db_session, academy, round_, mode="quota", quotas={})


def test_five_hundred_invitations_cost_the_queries_of_five(db_session, world, queries):
    """The request only inserts rows: the same few statements (and 2 template renders per
    language) whatever the number of people. Timings are bench/run.py's business."""
    few_round = make_round(db_session, world.academy, world.manager, now=NOW).round
    many_round = make_round(db_session, world.academy, world.manager, now=NOW).round
    testers = [
        make_tester(db_session, world.academy, language="fr" if n % 3 else "en") for n in range(505)
    ]
    few, many = [t.id for t in testers[:5]], [t.id for t in testers[5:]]

    with queries() as five:
        _invite(db_session, few_round, few)
    with queries() as five_hundred:
        report = _invite(db_session, many_round, many)

    assert report.invited == 500
    assert len(_mails(db_session)) == 505
    assert five_hundred.count == five.count


def _age(db_session, round_, **values):
    db_session.execute(
        update(RoundInvitation).where(RoundInvitation.round_id == round_.id).values(**values)
    )
    db_session.expire_all()


def test_reminders_go_to_who_has_not_completed_at_most_once_a_day_with_the_same_link(
    db_session, world
):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    done, pending = make_tester(db_session, world.academy), make_tester(db_session, world.academy)
    _invite(db_session, setup.round, [done.id, pending.id])
    db_session.execute(
        update(RoundInvitation)
        .where(RoundInvitation.user_id == done.id)
        .values(completed_at=NOW + dt.timedelta(hours=1))
    )
    remind = lambda moment: remind_pending(  # noqa: E731
        db_session, setup.round, secret_key=SECRET, base_url=BASE_URL, now=moment
    )

    too_soon = remind(NOW + dt.timedelta(hours=23))
    first = remind(NOW + dt.timedelta(hours=25))
    again = remind(NOW + dt.timedelta(hours=30))
    next_day = remind(NOW + dt.timedelta(hours=50))

    assert (too_soon.reminded, too_soon.pending) == (0, 1)
    assert (first.reminded, again.reminded, next_day.reminded) == (1, 0, 1)
    reminders = _mails(db_session, "round_reminder")
    assert [m.to_address for m in reminders] == [pending.email, pending.email]
    assert f"{BASE_URL}/r/{token_of(setup.round, pending)}" in reminders[0].body_text
    invitation = invitation_of(db_session, setup.round, pending.id)
    db_session.refresh(invitation)
    assert (invitation.reminder_count, invitation.reminded_at) == (
        2,
        NOW + dt.timedelta(hours=50),
    )


def test_the_send_reminders_command_reminds_every_open_round(app, db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=utcnow())
    tester = make_tester(db_session, world.academy)
    invite(db_session, setup.round, [tester])
    _age(db_session, setup.round, sent_at=utcnow() - dt.timedelta(days=2))

    with force_locale("en"):
        first = CliRunner().invoke(app.cli, ["send-reminders"])
        second = CliRunner().invoke(app.cli, ["send-reminders"])

    assert first.exit_code == 0, first.output
    assert "reminders queued: 1 in 1 round(s)" in first.output
    assert "reminders queued: 0" in second.output
    assert len(_mails(db_session, "round_reminder")) == 1


def test_a_reminder_after_a_change_of_secret_key_carries_a_link_that_works(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    tester = make_tester(db_session, world.academy)
    _invite(db_session, setup.round, [tester.id])

    remind_pending(
        db_session,
        setup.round,
        secret_key="a-new-secret",
        base_url=BASE_URL,
        now=NOW + dt.timedelta(days=2),
    )

    [reminder] = _mails(db_session, "round_reminder")
    token = re.search(r"/r/([A-Za-z0-9_-]+)", reminder.body_text).group(1)
    assert find_invitation(db_session, token).user_id == tester.id


def test_a_member_with_another_role_and_a_profile_can_be_invited(db_session, world):
    from tests.factories import give_profile

    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    give_profile(db_session, world.academy, world.designer)

    report = _invite(db_session, setup.round, [world.designer.id])

    assert report.invited == 1
    assert world.designer.id in panel.matching_user_ids(
        db_session, world.academy, panel.segment_condition({})
    )
    role = db_session.scalar(
        select(Membership.role).where(
            Membership.academy_id == world.academy.id, Membership.user_id == world.designer.id
        )
    )
    assert role == Role.DESIGNER
