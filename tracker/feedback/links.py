"""Personal round links (/r/<token>): random tokens made when the e-mail leaves, only their
SHA-256 kept, usable while the tester may still answer through them.

The invitation and reminder e-mails are queued with a placeholder (tracker.mail.services); the
sender calls `issue_for_mail` just before a message leaves, so a token exists only in the
e-mail. Each e-mail brings its own link (a reminder does not kill the invitation's); sending a
new invitation (`tracker.feedback.invitations.renew_invitation`) deletes every earlier link.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, delete, exists, select
from sqlalchemy.orm import Session

from tracker.academies.models import Membership
from tracker.auth.models import User
from tracker.feedback.models import FeedbackRound, RoundInvitation, RoundLink, TesterProfile
from tracker.feedback.phases import round_phase
from tracker.tokens import hash_token, new_token

LINK_KIND = "round_invitation"  # the mail queue's name for these links


def may_use_link() -> ColumnElement[bool]:
    """An invitation (joined with its round) whose tester may still use a personal link: open
    account, still a member of the academy, panel profile active."""
    return and_(
        exists().where(
            User.id == RoundInvitation.user_id,
            User.is_active_account.is_(True),
            User.erased_at.is_(None),
        ),
        exists().where(
            Membership.academy_id == FeedbackRound.academy_id,
            Membership.user_id == RoundInvitation.user_id,
        ),
        exists().where(
            TesterProfile.academy_id == FeedbackRound.academy_id,
            TesterProfile.user_id == RoundInvitation.user_id,
            TesterProfile.active.is_(True),
        ),
    )


def issue_for_mail(session: Session, invitation_id: int, now: dt.datetime) -> str | None:
    """A new token for the invitation's link (its hash stored), or None when nobody may answer
    through it any more (invitation gone, round closed, tester no longer on the panel)."""
    round_ = session.scalar(
        select(FeedbackRound)
        .join(RoundInvitation, RoundInvitation.round_id == FeedbackRound.id)
        .where(RoundInvitation.id == invitation_id, may_use_link())
    )
    if round_ is None or round_phase(round_, now) == "closed":
        return None
    token = new_token()
    session.add(
        RoundLink(invitation_id=invitation_id, token_hash=hash_token(token), created_at=now)
    )
    session.flush()
    return token


def invitation_id_of(session: Session, token: str) -> int | None:
    """The invitation a token opens, if the token is one of its links."""
    return session.scalar(
        select(RoundLink.invitation_id).where(RoundLink.token_hash == hash_token(token))
    )


def revoke_links(session: Session, invitation_id: int) -> None:
    """Every link of the invitation stops working."""
    session.execute(delete(RoundLink).where(RoundLink.invitation_id == invitation_id))


def revoke_person_links(session: Session, academy_id: int, user_id: int) -> None:
    """Every link of the person to the academy's rounds stops working, for good (a profile
    made active again does not revive them: a new invitation brings new ones)."""
    invitations = (
        select(RoundInvitation.id)
        .join(FeedbackRound, FeedbackRound.id == RoundInvitation.round_id)
        .where(FeedbackRound.academy_id == academy_id, RoundInvitation.user_id == user_id)
    )
    session.execute(delete(RoundLink).where(RoundLink.invitation_id.in_(invitations)))
