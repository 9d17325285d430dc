"""Personal round links: made when the e-mail leaves, only hashed, one per e-mail, killed by a
new invitation, dead once the tester is off the panel; a message whose link is withdrawn is not
sent."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.conftest import csrf_token_in
from tests.feedback.factories import BASE_URL, invite, make_round, make_tester
from tracker.db import utcnow
from tracker.feedback import links, models, panel
from tracker.feedback.answers import find_invitation
from tracker.feedback.invitations import renew_invitation
from tracker.mail.models import MailMessage, MailStatus
from tracker.mail.services import SmtpSettings, build_email, issue_link, send_queued_mail


def _mails(db_session, user):
    return db_session.scalars(
        select(MailMessage).where(MailMessage.to_address == user.email).order_by(MailMessage.id)
    ).all()


def _leave(db_session, message, now=None):
    """The token the sender puts in the message when it leaves."""
    email = build_email(
        message, "x@brique.test", token=issue_link(db_session, message, now or utcnow())
    )
    return re.search(r"/r/([A-Za-z0-9_-]+)", email.get_body(("plain",)).get_content()).group(1)


def test_a_new_invitation_kills_every_earlier_link_and_brings_a_new_one(db_session, world):
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy)
    [invitation] = invite(db_session, setup.round, [tester])
    old = _leave(db_session, _mails(db_session, tester)[0])
    assert find_invitation(db_session, old).id == invitation.id

    renew_invitation(db_session, setup.round, invitation.id, base_url=BASE_URL, now=utcnow())

    assert db_session.scalar(select(func.count(models.RoundLink.id))) == 0
    assert find_invitation_or_none(db_session, old) is None
    renewed = _mails(db_session, tester)[-1]
    assert (renewed.category, renewed.link_ref) == ("round_invitation", invitation.id)
    new = _leave(db_session, renewed)
    assert new != old and find_invitation(db_session, new).id == invitation.id


def find_invitation_or_none(db_session, token):
    try:
        return find_invitation(db_session, token)
    except Exception:  # LinkInvalid
        return None


def test_a_deactivated_panel_profile_ends_the_link_for_good_and_no_new_one_is_issued(
    client, db_session, world
):
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy)
    [invitation] = invite(db_session, setup.round, [tester])
    token = _leave(db_session, _mails(db_session, tester)[0])
    db_session.commit()
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "strict-origin"  # no token in a Referer
    profile = db_session.scalar(
        select(models.TesterProfile).where(models.TesterProfile.user_id == tester.id)
    )
    edit = {"business_unit": "", "job_family": "", "site": "", "language": "fr"}

    panel.update_profile(db_session, profile, **edit, active=False)
    db_session.commit()
    deactivated = client.get(f"/r/{token}").status_code
    refused = links.issue_for_mail(db_session, invitation.id, utcnow())
    panel.update_profile(db_session, profile, **edit, active=True)
    db_session.commit()

    assert deactivated == 404 and refused is None
    assert client.get(f"/r/{token}").status_code == 404  # not revived
    assert links.issue_for_mail(db_session, invitation.id, utcnow())  # a new invitation may


def test_a_message_whose_link_was_withdrawn_is_not_sent(db_session, world):
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy)
    invite(db_session, setup.round, [tester])
    profile = db_session.scalar(
        select(models.TesterProfile).where(models.TesterProfile.user_id == tester.id)
    )
    profile.active = False
    db_session.flush()
    sent: list = []

    class Client:
        def send_message(self, email):
            sent.append(email)

        def quit(self):
            pass

    report = send_queued_mail(
        db_session, SmtpSettings(host="x"), connect=lambda _s: Client(), clock=utcnow
    )

    [message] = _mails(db_session, tester)
    assert (report.sent, report.failed, sent) == (0, 1, [])
    assert message.status == MailStatus.FAILED and "no longer valid" in message.last_error


def test_a_manager_sends_a_new_link_from_the_invitations_page(client, db_session, world, login):
    setup = make_round(db_session, world.academy, world.manager)
    tester = make_tester(db_session, world.academy)
    [invitation] = invite(db_session, setup.round, [tester])
    old = _leave(db_session, _mails(db_session, tester)[0])
    db_session.commit()
    login(world.manager)
    url = f"/a/{world.academy.slug}/rounds/{setup.round.id}/invitations"
    page = client.get(url)
    action = f"{url}/{invitation.id}/renew"
    assert action in page.get_data(as_text=True)

    refused = client.post(action, csrf=False)
    done = client.post(action, data={"csrf_token": csrf_token_in(page.get_data(as_text=True))})

    assert refused.status_code == 400
    assert done.status_code == 303
    assert client.get(f"/r/{old}").status_code == 404
    assert len(_mails(db_session, tester)) == 2
