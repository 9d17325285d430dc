"""Where a round stands at a given moment (draft, scheduled, open, closed), and the guards
that follow: answers and reports only while it is open, settings and questions only in draft.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import DomainError
from tracker.feedback.models import FeedbackRound, RoundState


def is_accepting(round_: FeedbackRound, now: dt.datetime) -> bool:
    """Does the round take answers and reports at this moment?"""
    return (
        round_.state == RoundState.OPEN
        and (round_.opens_at is None or round_.opens_at <= now)
        and (round_.closes_at is None or now < round_.closes_at)
    )


def round_phase(round_: FeedbackRound, now: dt.datetime) -> str:
    """draft, scheduled (open, starts later), open, or closed (including: its time is up)."""
    return _phase(round_.state, round_.opens_at, round_.closes_at, now)


def _phase(
    state: RoundState, opens_at: dt.datetime | None, closes_at: dt.datetime | None, now: dt.datetime
) -> str:
    if state == RoundState.DRAFT:
        return "draft"
    if state == RoundState.CLOSED or (closes_at is not None and now >= closes_at):
        return "closed"
    if opens_at is not None and now < opens_at:
        return "scheduled"
    return "open"


class RoundClosed(DomainError):
    """The round takes nothing any more (or not yet)."""

    status = 409


def _refuse_unless(phase: str) -> None:
    if phase == "scheduled":
        raise RoundClosed(_("This round has not started yet."))
    if phase != "open":
        raise RoundClosed(_("This round is closed: answers are no longer accepted."))


def lock_round_for_answers(session: Session, round_: FeedbackRound, now: dt.datetime) -> None:
    """Re-read the round's state under a shared lock (PostgreSQL), so that closing waits for
    answers being saved and no answer slips in after the close committed."""
    row = session.execute(
        select(FeedbackRound.state, FeedbackRound.opens_at, FeedbackRound.closes_at)
        .where(FeedbackRound.id == round_.id)
        .with_for_update(read=True)
    ).one()
    _refuse_unless(_phase(row.state, row.opens_at, row.closes_at, now))


def require_draft(round_: FeedbackRound) -> None:
    if round_.state != RoundState.DRAFT:
        raise DomainError(_("This round is open or closed: it can no longer be changed."))
