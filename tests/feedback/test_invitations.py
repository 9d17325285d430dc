"""Invitations: whom each mode means, never twice, e-mails in the recipient's language with a
working personal link, 500 at once for the queries of 5, reminders at most once a day."""

from __future__ import annotations

import datetime as dt
import random
import re

import pytest
from click.testing import CliRunner
from flask_babel import force_locale
from sqlalchemy import select, update

from tests.factories import BASE_URL, invite, make_round, make_tester
from tracker.academies.models import Membership, Role
from tracker.db import utcnow
from tracker.errors import DomainError
from tracker.feedback import panel
from tracker.feedback.answers import find_invitation, invitation_of
from tracker.feedback.invitations import choose_invitees, invite_testers, remind_pending
from tracker.feedback.models import RoundInvitation, RoundLink
from tracker.feedback.phases import RoundClosed
from tracker.mail.models import MailMessage
from tracker.mail.services import LINK_TOKEN, build_email, issue_link
from tracker.tokens import hash_token

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _mails(db_session, category="round_invitation"):
    return db_session.scalars(
        select(MailMessage).where(MailMessage.category == category).order_by(MailMessage.id)
    ).all()


def _invite(db_session, round_, user_ids, now=NOW):
    return invite_testers(db_session, round_, user_ids, base_url=BASE_URL, now=now)


def _delivered(db_session, mail, now=NOW):
    """The text and HTML bodies as the sender writes them when the message leaves."""
    email = build_email(mail, "Brique <x@brique.test>", token=issue_link(db_session, mail, now))
    return email.get_body(("plain",)).get_content(), email.get_body(("html",)).get_content()


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
        # Queued with a placeholder: no token is stored, the sender makes it.
        assert f"{BASE_URL}/r/{LINK_TOKEN}" in mail.body_text
        assert f'href="{BASE_URL}/r/{LINK_TOKEN}"' in mail.body_html
        invitation = invitation_of(db_session, setup.round, user.id)
        assert (mail.link_kind, mail.link_ref) == ("round_invitation", invitation.id)
        assert invitation.sent_at == NOW and invitation.expires_at == setup.round.closes_at
        text, html = _delivered(db_session, mail)
        token = re.search(rf"{BASE_URL}/r/([A-Za-z0-9_-]+)", text).group(1)
        assert f'href="{BASE_URL}/r/{token}"' in html
        assert find_invitation(db_session, token).id == invitation.id
        # Only its hash is kept.
        assert db_session.scalar(
            select(RoundLink.token_hash).where(RoundLink.invitation_id == invitation.id)
        ) == hash_token(token)
        assert token not in mail.body_text + mail.body_html


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


def test_reminders_go_to_who_has_not_completed_at_most_once_a_day_with_a_link(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    done, pending = make_tester(db_session, world.academy), make_tester(db_session, world.academy)
    _invite(db_session, setup.round, [done.id, pending.id])
    db_session.execute(
        update(RoundInvitation)
        .where(RoundInvitation.user_id == done.id)
        .values(completed_at=NOW + dt.timedelta(hours=1))
    )
    remind = lambda moment: remind_pending(  # noqa: E731
        db_session, setup.round, base_url=BASE_URL, now=moment
    )

    too_soon = remind(NOW + dt.timedelta(hours=23))
    first = remind(NOW + dt.timedelta(hours=25))
    again = remind(NOW + dt.timedelta(hours=30))
    next_day = remind(NOW + dt.timedelta(hours=50))

    assert (too_soon.reminded, too_soon.pending) == (0, 1)
    assert (first.reminded, again.reminded, next_day.reminded) == (1, 0, 1)
    reminders = _mails(db_session, "round_reminder")
    assert [m.to_address for m in reminders] == [pending.email, pending.email]
    assert f"{BASE_URL}/r/{LINK_TOKEN}" in reminders[0].body_text
    assert reminders[0].link_ref == invitation_of(db_session, setup.round, pending.id).id
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


def test_a_reminder_brings_a_link_of_its_own_and_the_invitations_keeps_working(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    tester = make_tester(db_session, world.academy)
    _invite(db_session, setup.round, [tester.id])
    [invitation_mail] = _mails(db_session)
    first = _delivered(db_session, invitation_mail)[0]

    remind_pending(db_session, setup.round, base_url=BASE_URL, now=NOW + dt.timedelta(days=2))
    [reminder] = _mails(db_session, "round_reminder")
    second = _delivered(db_session, reminder, NOW + dt.timedelta(days=2))[0]

    tokens = [re.search(r"/r/([A-Za-z0-9_-]+)", text).group(1) for text in (first, second)]
    assert tokens[0] != tokens[1]
    for token in tokens:
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


def test_the_subject_is_cleaned_of_control_characters_where_it_is_written(db_session, world):
    setup = make_round(db_session, world.academy, world.manager, now=NOW)
    setup.round.title = "Bêta\r\nBcc: everyone@example.com"
    tester = make_tester(db_session, world.academy, language="en")

    _invite(db_session, setup.round, [tester.id])

    [mail] = _mails(db_session)
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert mail.subject.endswith(": Bêta")  # the first line of the text is the subject
    _delivered(db_session, mail)  # and it can be written: no header injected
