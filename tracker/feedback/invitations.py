"""Invitations and reminders: whom to invite, never twice, e-mails queued in each person's
language with their personal link (tracker/feedback/keys.py), reminders at most once a day.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from tracker.academies.models import Academy
from tracker.auth.models import LOCALES, User
from tracker.collation import folded
from tracker.errors import DomainError
from tracker.feedback import panel
from tracker.feedback.keys import invitation_token
from tracker.feedback.models import (
    FeedbackRound,
    RoundInvitation,
    RoundState,
    Segment,
    TesterProfile,
)
from tracker.feedback.phases import RoundClosed, is_accepting, round_phase
from tracker.mail.models import MailMessage, MailStatus
from tracker.tokens import hash_token

REMINDER_INTERVAL = dt.timedelta(hours=24)

_NAME_MARK = "BRQNAMEMARK7F3A"
_LINK_MARK = "BRQLINKMARK9C1E"


@dataclass(frozen=True)
class _Recipient:
    user_id: int
    email: str
    name: str
    language: str
    token: str


def _recipients(
    session: Session, round_: FeedbackRound, academy: Academy, user_ids: Sequence[int], secret: str
) -> list[_Recipient]:
    found: list[_Recipient] = []
    ids = sorted(set(user_ids))
    for start in range(0, len(ids), 900):
        rows = session.execute(
            select(User.id, User.email, User.display_name, User.locale, TesterProfile.language)
            .outerjoin(
                TesterProfile,
                and_(
                    TesterProfile.user_id == User.id, TesterProfile.academy_id == round_.academy_id
                ),
            )
            .where(User.id.in_(ids[start : start + 900]))
        )
        for user_id, email, name, locale, profile_language in rows:
            language = next(
                (code for code in (locale, profile_language) if code in LOCALES),
                academy.default_locale if academy.default_locale in LOCALES else "fr",
            )
            found.append(
                _Recipient(
                    user_id=user_id,
                    email=email,
                    name=name,
                    language=language,
                    token=invitation_token(secret, round_.id, user_id),
                )
            )
    return found


def _queue_round_mail(
    session: Session,
    round_: FeedbackRound,
    academy: Academy,
    recipients: Sequence[_Recipient],
    *,
    template: str,
    category: str,
    base_url: str,
    now: dt.datetime,
) -> int:
    """Queue one message per recipient, rendering the templates once per language.

    The personal parts (name, link) are placed afterwards: 500 invitations cost two template
    renders per language and one multi-row INSERT, not 1,000 renders and 500 INSERTs.
    """
    release = round_.release
    by_language: dict[str, list[_Recipient]] = {}
    for recipient in recipients:
        by_language.setdefault(recipient.language, []).append(recipient)
    rows: list[dict[str, Any]] = []
    for language, group in by_language.items():
        context = {
            "academy": academy,
            "round": round_,
            "release": release,
            "name": _NAME_MARK,
            "link": _LINK_MARK,
        }
        with force_locale(language):
            text = render_template(f"{template}.txt", **context)
            body_html = render_template(f"{template}.html", **context)
        subject, _sep, body_text = text.partition("\n")
        subject = subject.strip()[:255]
        body_text = body_text.lstrip("\n")
        for recipient in group:
            link = f"{base_url}/r/{recipient.token}"  # the answer blueprint's form
            rows.append(
                {
                    "to_address": recipient.email,
                    "subject": subject,
                    "body_text": body_text.replace(_NAME_MARK, recipient.name).replace(
                        _LINK_MARK, link
                    ),
                    "body_html": body_html.replace(_NAME_MARK, str(escape(recipient.name))).replace(
                        _LINK_MARK, str(escape(link))
                    ),
                    "category": category,
                    "academy_id": academy.id,
                    "status": MailStatus.QUEUED,
                    "created_at": now,
                }
            )
    for start in range(0, len(rows), 500):
        session.execute(insert(MailMessage), rows[start : start + 500])
    return len(rows)


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT the invitations, skipping any (round, person) already there, even one a
    concurrent request inserted a moment ago; returns the user ids actually inserted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    inserted: list[int] = []
    for start in range(0, len(rows), 500):
        statement = (
            module.insert(RoundInvitation)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing()
            .returning(RoundInvitation.user_id)
        )
        inserted += list(session.scalars(statement))
    return inserted


@dataclass(frozen=True)
class InviteReport:
    invited: int = 0
    already: int = 0  # already invited to this round: skipped, never e-mailed twice
    not_testers: int = 0  # not an active tester of the academy


def invite_testers(
    session: Session,
    round_: FeedbackRound,
    user_ids: Iterable[int],
    *,
    secret_key: str,
    base_url: str,
    now: dt.datetime,
) -> InviteReport:
    """Invite these people and queue their e-mails (sent later by `flask send-mail`)."""
    if round_.state == RoundState.DRAFT:
        raise DomainError(_("Open the round before inviting testers."))
    if round_phase(round_, now) == "closed":
        raise RoundClosed(_("This round is closed: nobody can be invited any more."))
    academy = session.get(Academy, round_.academy_id)
    assert academy is not None
    requested = sorted(set(user_ids))
    eligible = panel.invitable_ids(session, academy, requested)
    already: set[int] = set()
    for start in range(0, len(eligible), 900):
        already.update(
            session.scalars(
                select(RoundInvitation.user_id).where(
                    RoundInvitation.round_id == round_.id,
                    RoundInvitation.user_id.in_(eligible[start : start + 900]),
                )
            )
        )
    fresh = [user_id for user_id in eligible if user_id not in already]
    recipients = _recipients(session, round_, academy, fresh, secret_key)
    inserted = set(
        _insert_ignoring_duplicates(
            session,
            [
                {
                    "round_id": round_.id,
                    "user_id": r.user_id,
                    "token_hash": hash_token(r.token),
                    "created_at": now,
                    "expires_at": round_.closes_at,
                    "sent_at": now,
                    "reminder_count": 0,
                }
                for r in recipients
            ],
        )
    )
    _queue_round_mail(
        session,
        round_,
        academy,
        [r for r in recipients if r.user_id in inserted],
        template="mail/round_invitation",
        category="round_invitation",
        base_url=base_url,
        now=now,
    )
    session.flush()
    return InviteReport(
        invited=len(inserted),
        already=len(eligible) - len(inserted),
        not_testers=len(requested) - len(eligible),
    )


INVITE_MODES = ("all", "segment", "picked", "quota")


def choose_invitees(
    session: Session,
    academy: Academy,
    round_: FeedbackRound,
    *,
    mode: str,
    segment_id: int | None = None,
    user_ids: Iterable[int] = (),
    quotas: Mapping[int, int] | None = None,
    rng: random.Random | None = None,
) -> list[int]:
    """Whom an invitation request means: every active tester, a segment, a hand-picked list,
    or n people drawn at random from each chosen segment (those not invited yet; nobody drawn
    twice when segments overlap)."""
    if mode == "all":
        return panel.matching_user_ids(
            session, academy, panel.segment_condition({}), exclude_round_id=round_.id
        )
    if mode == "segment":
        segment = panel.get_segment(session, academy, segment_id or 0)
        return panel.matching_user_ids(
            session, academy, panel.segment_condition(segment.filters), exclude_round_id=round_.id
        )
    if mode == "picked":
        chosen = sorted(set(user_ids))
        if not chosen:
            raise DomainError(_("Tick at least one tester."), field="user_ids")
        return chosen
    if mode == "quota":
        wanted = {sid: n for sid, n in (quotas or {}).items() if n > 0}
        if not wanted:
            raise DomainError(_("Ask for at least one tester from a segment."), field="quotas")
        segments = session.scalars(
            select(Segment).where(Segment.academy_id == academy.id, Segment.id.in_(wanted))
        ).all()
        rng = rng or random.SystemRandom()
        drawn: list[int] = []
        taken: set[int] = set()
        for segment in sorted(segments, key=lambda s: s.id):
            pool = [
                uid
                for uid in panel.matching_user_ids(
                    session,
                    academy,
                    panel.segment_condition(segment.filters),
                    exclude_round_id=round_.id,
                )
                if uid not in taken
            ]
            picked = rng.sample(pool, min(wanted[segment.id], len(pool)))
            taken.update(picked)
            drawn += picked
        return sorted(drawn)
    raise DomainError(_("Choose whom to invite."), field="mode")


@dataclass(frozen=True)
class Invitees:
    """An invitation request as the invite page sends it (see choose_invitees)."""

    mode: str
    segment_id: int | None = None
    user_ids: Sequence[int] = ()
    quotas: Mapping[int, int] = field(default_factory=dict)


def invite_chosen(
    session: Session,
    academy: Academy,
    round_: FeedbackRound,
    invitees: Invitees,
    *,
    secret_key: str,
    base_url: str,
    now: dt.datetime,
) -> InviteReport:
    """Invite whom the request means (choose_invitees, then invite_testers)."""
    user_ids = choose_invitees(
        session,
        academy,
        round_,
        mode=invitees.mode,
        segment_id=invitees.segment_id,
        user_ids=invitees.user_ids,
        quotas=invitees.quotas,
    )
    return invite_testers(
        session, round_, user_ids, secret_key=secret_key, base_url=base_url, now=now
    )


@dataclass(frozen=True)
class RemindReport:
    reminded: int = 0
    pending: int = 0  # not completed, including those contacted less than a day ago


def remind_pending(
    session: Session,
    round_: FeedbackRound,
    *,
    secret_key: str,
    base_url: str,
    now: dt.datetime,
    max_reminders: int | None = None,
) -> RemindReport:
    """Remind who has not completed, at most once a day per invitation (counting the
    invitation itself), with the same personal link."""
    if round_phase(round_, now) in ("draft", "closed"):
        raise RoundClosed(_("Only an open round sends reminders."))
    academy = session.get(Academy, round_.academy_id)
    assert academy is not None
    last_contact = func.coalesce(
        RoundInvitation.reminded_at, RoundInvitation.sent_at, RoundInvitation.created_at
    )
    conditions = [
        RoundInvitation.round_id == round_.id,
        RoundInvitation.completed_at.is_(None),
        last_contact <= now - REMINDER_INTERVAL,
    ]
    if max_reminders is not None:
        conditions.append(RoundInvitation.reminder_count < max_reminders)
    # Claimed with one conditional UPDATE: a second reminder run at the same moment (the
    # button and the cron job) finds nothing left to claim.
    claimed = session.execute(
        update(RoundInvitation)
        .where(*conditions)
        .values(reminded_at=now, reminder_count=RoundInvitation.reminder_count + 1)
        .returning(RoundInvitation.id, RoundInvitation.user_id, RoundInvitation.token_hash)
        .execution_options(synchronize_session=False)
    ).all()
    pending = int(
        session.scalar(
            select(func.count(RoundInvitation.id)).where(
                RoundInvitation.round_id == round_.id, RoundInvitation.completed_at.is_(None)
            )
        )
        or 0
    )
    if not claimed:
        return RemindReport(reminded=0, pending=pending)
    recipients = _recipients(session, round_, academy, [row[1] for row in claimed], secret_key)
    # After a change of secret key the derived link differs from the stored one: the reminder
    # carries the new link, which replaces the old one.
    stored = {row[1]: (row[0], row[2]) for row in claimed}
    for recipient in recipients:
        invitation_id, token_hash = stored[recipient.user_id]
        if hash_token(recipient.token) != token_hash:
            session.execute(
                update(RoundInvitation)
                .where(RoundInvitation.id == invitation_id)
                .values(token_hash=hash_token(recipient.token))
                .execution_options(synchronize_session=False)
            )
    _queue_round_mail(
        session,
        round_,
        academy,
        recipients,
        template="mail/round_reminder",
        category="round_reminder",
        base_url=base_url,
        now=now,
    )
    session.flush()
    return RemindReport(reminded=len(claimed), pending=pending)


def send_due_reminders(
    session: Session,
    *,
    secret_key: str,
    base_url: str,
    now: dt.datetime,
    max_reminders: int | None = None,
) -> dict[int, int]:
    """Remind the pending testers of every round taking answers; {round id: reminders}."""
    rounds = session.scalars(
        select(FeedbackRound)
        .where(FeedbackRound.state == RoundState.OPEN)
        .order_by(FeedbackRound.id)
    ).all()
    sent: dict[int, int] = {}
    for round_ in rounds:
        if not is_accepting(round_, now):
            continue
        report = remind_pending(
            session,
            round_,
            secret_key=secret_key,
            base_url=base_url,
            now=now,
            max_reminders=max_reminders,
        )
        if report.reminded:
            sent[round_.id] = report.reminded
    return sent


@dataclass(frozen=True)
class InvitationPage:
    rows: list[RoundInvitation]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_invitations(
    session: Session, round_: FeedbackRound, *, page: int = 1, per_page: int = 50
) -> InvitationPage:
    total = int(
        session.scalar(
            select(func.count(RoundInvitation.id)).where(RoundInvitation.round_id == round_.id)
        )
        or 0
    )
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(
        session.scalars(
            select(RoundInvitation)
            .join(User, User.id == RoundInvitation.user_id)
            .where(RoundInvitation.round_id == round_.id)
            .options(joinedload(RoundInvitation.user))
            .order_by(folded(User.display_name), RoundInvitation.id)
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    return InvitationPage(rows=rows, total=total, page=page, per_page=per_page)


def invited_user_ids(session: Session, round_: FeedbackRound, user_ids: Sequence[int]) -> set[int]:
    if not user_ids:
        return set()
    return set(
        session.scalars(
            select(RoundInvitation.user_id).where(
                RoundInvitation.round_id == round_.id, RoundInvitation.user_id.in_(user_ids)
            )
        )
    )
