"""Feedback rounds: create and edit, the questionnaire, open and close, invitations and
reminders, answering (drafts, submission, idempotent), feedback items and "my rounds".

Rules worth knowing before changing anything here:

- States go draft → open → closed. A round opens only with at least one question and a closing
  time still ahead; the questionnaire and the settings are frozen once it is open (answers
  refer to them). Invitations are sent only while it is open. It closes by hand or when
  `closes_at` passes (`close_due_rounds`, run by cron or the worker); answers are refused from
  `closes_at` on, even before the closing job has run, and the gate is evaluated once, at close
  (`tracker.feedback.gate.evaluate_gate`).
- Personal links: the token of an invitation is an HMAC of (round, person) under the secret
  key, and only its SHA-256 is stored. Deriving it lets a reminder carry the same link as the
  invitation (a random token could not be shown again), while the database alone still cannot
  produce a working link.
- Anonymity (see models.py): in an anonymous round no Response or FeedbackItem column refers to
  the person or the invitation; their `lookup_key` is an HMAC under the secret key (a different
  message for items than for responses, so an item cannot be matched to a response either), and
  their timestamps are kept to the day, so that the precise completion time on the invitation
  cannot be matched against them.
- A double-clicked submit makes one response: the (round, lookup_key) pair is unique, the
  response row is locked while its answers are replaced, and a lost insert race re-reads the
  winner's row.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.academies.models import Academy, Membership
from tracker.auth.models import LOCALES, User
from tracker.backlog.models import Brick
from tracker.db import utcnow
from tracker.errors import Conflict, DomainError, NotFound
from tracker.feedback import panel
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    GateMetric,
    ItemKind,
    Question,
    QuestionKind,
    Response,
    ResponseState,
    RoundInvitation,
    RoundState,
    Segment,
    Severity,
    TesterProfile,
)
from tracker.feedback.questionnaire import (
    CHOICE_KINDS,
    GATE_METRIC_KIND,
    MAX_CHOICE_LENGTH,
    MAX_CHOICES,
    allowed_values,
    default_questions,
    parse_choices,
)
from tracker.mail.models import MailMessage, MailStatus
from tracker.releases.models import Release, ReleaseEventKind, ReleaseState
from tracker.releases.services import record_release_event
from tracker.tokens import hash_token

TEXT_ANSWER_LENGTH = 10_000
TEXT_LIMIT = f"{TEXT_ANSWER_LENGTH:,}"  # as messages write it
REMINDER_INTERVAL = dt.timedelta(hours=24)
# Releases a new round may be attached to.
ROUND_RELEASE_STATES = (ReleaseState.PLANNED, ReleaseState.IN_BETA)


# -- Keys, tokens, time -----------------------------------------------------------------------


def _hmac(secret_key: str, message: str) -> bytes:
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).digest()


def lookup_key(secret_key: str, round_id: int, user_id: int) -> str:
    """Finds a person's own response in a round, without storing who they are."""
    return _hmac(secret_key, f"{round_id}:{user_id}").hex()


def item_lookup_key(secret_key: str, round_id: int, user_id: int) -> str:
    """Finds a person's own feedback items; differs from their response's key on purpose."""
    return _hmac(secret_key, f"item:{round_id}:{user_id}").hex()


def invitation_token(secret_key: str, round_id: int, user_id: int) -> str:
    """The secret part of a personal link /r/<token> (only its SHA-256 is stored)."""
    digest = _hmac(secret_key, f"round-link:{round_id}:{user_id}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _stamp(round_: FeedbackRound, now: dt.datetime) -> dt.datetime:
    """The time written on a response or item: to the day in anonymous rounds."""
    return _day(now) if round_.anonymous else now


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


def _lock_round_for_answers(session: Session, round_: FeedbackRound, now: dt.datetime) -> None:
    """Re-read the round's state under a shared lock (PostgreSQL), so that closing waits for
    answers being saved and no answer slips in after the close committed."""
    row = session.execute(
        select(FeedbackRound.state, FeedbackRound.opens_at, FeedbackRound.closes_at)
        .where(FeedbackRound.id == round_.id)
        .with_for_update(read=True)
    ).one()
    _refuse_unless(_phase(row.state, row.opens_at, row.closes_at, now))


# -- Rounds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateCriteria:
    min_responses: int
    min_response_rate: float
    min_csat: float
    min_nps: float
    max_blocking: int

    @classmethod
    def of_academy(cls, academy: Academy) -> GateCriteria:
        return cls(
            min_responses=academy.gate_min_responses,
            min_response_rate=academy.gate_min_response_rate,
            min_csat=academy.gate_min_csat,
            min_nps=academy.gate_min_nps,
            max_blocking=academy.gate_max_blocking,
        )

    @classmethod
    def of_round(cls, round_: FeedbackRound) -> GateCriteria:
        return cls(
            min_responses=round_.gate_min_responses,
            min_response_rate=round_.gate_min_response_rate,
            min_csat=round_.gate_min_csat,
            min_nps=round_.gate_min_nps,
            max_blocking=round_.gate_max_blocking,
        )

    def check(self) -> None:
        if not 0 <= self.min_responses <= 100_000:
            raise DomainError(_("Between 0 and 100,000."), field="gate_min_responses")
        if not 0 <= self.min_response_rate <= 100:
            raise DomainError(_("Between 0 and 100."), field="gate_min_response_rate")
        if not 0 <= self.min_csat <= 100:
            raise DomainError(_("Between 0 and 100."), field="gate_min_csat")
        if not -100 <= self.min_nps <= 100:
            raise DomainError(_("Between -100 and 100."), field="gate_min_nps")
        if not 0 <= self.max_blocking <= 1000:
            raise DomainError(_("Between 0 and 1,000."), field="gate_max_blocking")

    def apply(self, round_: FeedbackRound) -> None:
        round_.gate_min_responses = self.min_responses
        round_.gate_min_response_rate = self.min_response_rate
        round_.gate_min_csat = self.min_csat
        round_.gate_min_nps = self.min_nps
        round_.gate_max_blocking = self.max_blocking


def releases_for_rounds(session: Session, academy: Academy) -> list[Release]:
    """Releases a round can be attached to: planned or in beta."""
    return list(
        session.scalars(
            select(Release)
            .where(Release.academy_id == academy.id, Release.state.in_(ROUND_RELEASE_STATES))
            .order_by(Release.target_date.is_(None), Release.target_date, Release.id)
        )
    )


def _release_of(session: Session, academy: Academy, release_id: int | None) -> Release:
    release = session.get(Release, release_id) if release_id else None
    if release is None or release.academy_id != academy.id:
        raise DomainError(_("Choose a release."), field="release_id")
    if release.state not in ROUND_RELEASE_STATES:
        raise DomainError(
            _("This release is past its beta: choose a planned release or one in beta."),
            field="release_id",
        )
    return release


def _check_round_fields(
    title: str,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    now: dt.datetime,
) -> str:
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("Give the round a title."), field="title")
    if len(title) > 200:
        raise DomainError(_("At most %(max)s characters.", max=200), field="title")
    if closes_at is None:
        raise DomainError(_("Choose when the round closes."), field="closes_at")
    if closes_at <= now:
        raise DomainError(_("The closing time must be in the future."), field="closes_at")
    if opens_at is not None and closes_at <= opens_at:
        raise DomainError(_("The round must close after it opens."), field="closes_at")
    return title


def create_round(
    session: Session,
    academy: Academy,
    *,
    release_id: int | None,
    title: str,
    instructions: str = "",
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime | None,
    anonymous: bool = False,
    gate: GateCriteria | None = None,
    actor: User | None,
    now: dt.datetime,
) -> FeedbackRound:
    """A draft round with the academy's default questionnaire, in the academy's language."""
    release = _release_of(session, academy, release_id)
    title = _check_round_fields(title, opens_at, closes_at, now)
    gate = gate or GateCriteria.of_academy(academy)
    gate.check()
    round_ = FeedbackRound(
        academy_id=academy.id,
        release_id=release.id,
        title=title,
        instructions=instructions.strip(),
        opens_at=opens_at,
        closes_at=closes_at,
        anonymous=anonymous,
        state=RoundState.DRAFT,
        created_by_id=actor.id if actor else None,
        created_at=now,
    )
    gate.apply(round_)
    round_.questions = [
        Question(
            position=position,
            kind=default.kind,
            prompt=default.prompt,
            help_text=default.help_text,
            required=default.required,
            per_brick=default.per_brick,
            choices=list(default.choices),
            gate_metric=default.gate_metric,
        )
        for position, default in enumerate(default_questions(academy.default_locale))
    ]
    session.add(round_)
    session.flush()
    return round_


def _require_draft(round_: FeedbackRound) -> None:
    if round_.state != RoundState.DRAFT:
        raise DomainError(_("This round is open or closed: it can no longer be changed."))


def update_round(
    session: Session,
    round_: FeedbackRound,
    *,
    release_id: int | None,
    title: str,
    instructions: str,
    opens_at: dt.datetime | None,
    closes_at: dt.datetime | None,
    anonymous: bool,
    gate: GateCriteria,
    now: dt.datetime,
) -> None:
    _require_draft(round_)
    academy = session.get(Academy, round_.academy_id)
    assert academy is not None
    release = _release_of(session, academy, release_id)
    round_.title = _check_round_fields(title, opens_at, closes_at, now)
    gate.check()
    round_.release_id = release.id
    round_.instructions = instructions.strip()
    round_.opens_at = opens_at
    round_.closes_at = closes_at
    round_.anonymous = anonymous
    gate.apply(round_)
    session.flush()


def get_round(session: Session, academy: Academy, round_id: int) -> FeedbackRound:
    round_ = session.scalar(
        select(FeedbackRound)
        .where(FeedbackRound.id == round_id)
        .options(joinedload(FeedbackRound.release))
    )
    if round_ is None or round_.academy_id != academy.id:
        raise NotFound(_("No such round."))
    return round_


@dataclass(frozen=True)
class RoundSummary:
    round: FeedbackRound
    invited: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.invited * 100 if self.invited else None


def invitation_counts(session: Session, round_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """{round id: (invited, completed)} in one query."""
    if not round_ids:
        return {}
    rows = session.execute(
        select(
            RoundInvitation.round_id,
            func.count(RoundInvitation.id),
            func.count(RoundInvitation.completed_at),
        )
        .where(RoundInvitation.round_id.in_(round_ids))
        .group_by(RoundInvitation.round_id)
    )
    return {int(r): (int(i), int(c)) for r, i, c in rows}


def list_rounds(
    session: Session, academy: Academy, *, release_id: int | None = None
) -> list[RoundSummary]:
    """The academy's rounds, newest first, with their invitation figures (two queries)."""
    statement = (
        select(FeedbackRound)
        .where(FeedbackRound.academy_id == academy.id)
        .options(joinedload(FeedbackRound.release))
        .order_by(FeedbackRound.created_at.desc(), FeedbackRound.id.desc())
    )
    if release_id is not None:
        statement = statement.where(FeedbackRound.release_id == release_id)
    rounds = list(session.scalars(statement))
    counts = invitation_counts(session, [r.id for r in rounds])
    return [RoundSummary(r, *counts.get(r.id, (0, 0))) for r in rounds]


def round_summary(session: Session, round_: FeedbackRound) -> RoundSummary:
    return RoundSummary(round_, *invitation_counts(session, [round_.id]).get(round_.id, (0, 0)))


def open_round(
    session: Session, round_: FeedbackRound, *, actor: User | None, now: dt.datetime
) -> None:
    """Draft → open. A planned release goes into beta."""
    if round_.state != RoundState.DRAFT:
        raise Conflict(_("This round is already open or closed."))
    question_count = session.scalar(
        select(func.count(Question.id)).where(Question.round_id == round_.id)
    )
    if not question_count:
        raise DomainError(_("Add at least one question before opening the round."))
    if round_.closes_at is None or round_.closes_at <= now:
        raise DomainError(
            _("The closing time has passed: choose a later one before opening."),
            field="closes_at",
        )
    claimed = session.execute(
        update(FeedbackRound)
        .where(FeedbackRound.id == round_.id, FeedbackRound.state == RoundState.DRAFT)
        .values(state=RoundState.OPEN, opened_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(_("This round is already open or closed."))
    session.refresh(round_)
    release = session.get(Release, round_.release_id)
    if release is not None and release.state == ReleaseState.PLANNED:
        release.state = ReleaseState.IN_BETA
        record_release_event(
            session,
            release,
            ReleaseEventKind.STATE_CHANGED,
            actor=actor,
            from_state=ReleaseState.PLANNED,
            to_state=ReleaseState.IN_BETA,
            note=round_.title,
            at=now,
        )
    session.flush()


def close_round(
    session: Session, round_: FeedbackRound, *, actor: User | None = None, now: dt.datetime
) -> bool:
    """Open → closed, once: True if this call closed it, False if it was not open any more.

    The conditional UPDATE makes two closers (a manager and the cron job, or two cron runs)
    safe: only one of them changes the row, and only that one evaluates the gate.
    """
    claimed = session.execute(
        update(FeedbackRound)
        .where(FeedbackRound.id == round_.id, FeedbackRound.state == RoundState.OPEN)
        .values(state=RoundState.CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(round_)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    # Personal links expire with the round.
    session.execute(
        update(RoundInvitation)
        .where(
            RoundInvitation.round_id == round_.id,
            or_(RoundInvitation.expires_at.is_(None), RoundInvitation.expires_at > now),
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    # The gate (tracker/feedback/gate.py, the results side) is evaluated and frozen here.
    from tracker.feedback.gate import evaluate_gate

    evaluate_gate(session, round_)
    session.flush()
    return True


def due_round_ids(session: Session, now: dt.datetime) -> list[int]:
    """Open rounds whose closing time has passed, oldest deadline first."""
    return list(
        session.scalars(
            select(FeedbackRound.id)
            .where(
                FeedbackRound.state == RoundState.OPEN,
                FeedbackRound.closes_at.is_not(None),
                FeedbackRound.closes_at <= now,
            )
            .order_by(FeedbackRound.closes_at, FeedbackRound.id)
        )
    )


def close_due_rounds(session: Session, now: dt.datetime) -> list[int]:
    """Close every open round whose closing time has passed; returns the ids this call closed.

    Safe from cron every minute, and with several runs at once (see close_round). The caller
    commits; `flask close-due-rounds` (tracker/commands.py) commits after each round instead,
    so that one failing round does not keep the others open.
    """
    closed: list[int] = []
    for round_id in due_round_ids(session, now):
        round_ = session.get(FeedbackRound, round_id)
        if round_ is not None and close_round(session, round_, actor=None, now=now):
            closed.append(round_id)
    return closed


# -- The questionnaire ------------------------------------------------------------------------


def get_question(session: Session, round_: FeedbackRound, question_id: int) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.round_id != round_.id:
        raise NotFound(_("No such question."))
    return question


@dataclass(frozen=True)
class QuestionInput:
    kind: QuestionKind | str
    prompt: str
    help_text: str = ""
    required: bool = False
    per_brick: bool = False
    choices: str | Sequence[str] = ""
    gate_metric: GateMetric | str | None = None


def _clean_question(data: QuestionInput) -> dict[str, Any]:
    try:
        kind = QuestionKind(data.kind)
    except ValueError:
        raise DomainError(_("Choose a kind of question."), field="kind") from None
    prompt = " ".join(data.prompt.split())
    if not prompt:
        raise DomainError(_("Write the question."), field="prompt")
    if len(prompt) > 500:
        raise DomainError(_("At most %(max)s characters.", max=500), field="prompt")
    help_text = " ".join(data.help_text.split())
    if len(help_text) > 500:
        raise DomainError(_("At most %(max)s characters.", max=500), field="help_text")
    choices: list[str] = []
    if kind in CHOICE_KINDS:
        choices = parse_choices(data.choices)
        if len(choices) < 2:
            raise DomainError(_("Give at least two choices, one per line."), field="choices")
        if len(choices) > MAX_CHOICES:
            raise DomainError(_("At most %(max)s choices.", max=MAX_CHOICES), field="choices")
        if any(len(choice) > MAX_CHOICE_LENGTH for choice in choices):
            raise DomainError(
                _("Each choice has at most %(max)s characters.", max=MAX_CHOICE_LENGTH),
                field="choices",
            )
    gate_metric = None
    if data.gate_metric:
        try:
            gate_metric = GateMetric(data.gate_metric)
        except ValueError:
            raise DomainError(_("Unknown gate criterion."), field="gate_metric") from None
        if GATE_METRIC_KIND[gate_metric] != kind:
            raise DomainError(
                _("CSAT comes from a 1-5 rating question, NPS from an NPS question."),
                field="gate_metric",
            )
    return {
        "kind": kind,
        "prompt": prompt,
        "help_text": help_text,
        "required": bool(data.required),
        "per_brick": bool(data.per_brick),
        "choices": choices,
        "gate_metric": gate_metric,
    }


def add_question(session: Session, round_: FeedbackRound, data: QuestionInput) -> Question:
    _require_draft(round_)
    values = _clean_question(data)
    last = session.scalar(select(func.max(Question.position)).where(Question.round_id == round_.id))
    question = Question(round_id=round_.id, position=(last or 0) + 1, **values)
    session.add(question)
    session.flush()
    session.expire(round_, ["questions"])
    return question


def update_question(session: Session, question: Question, data: QuestionInput) -> None:
    _require_draft(question.round)
    for name, value in _clean_question(data).items():
        setattr(question, name, value)
    session.flush()


def delete_question(session: Session, question: Question) -> None:
    _require_draft(question.round)
    round_ = question.round
    session.delete(question)
    session.flush()
    session.expire(round_, ["questions"])


def move_question(session: Session, question: Question, direction: str) -> None:
    """Swap with the neighbour above ("up") or below ("down"); nothing at either end."""
    _require_draft(question.round)
    siblings = list(
        session.scalars(
            select(Question)
            .where(Question.round_id == question.round_id)
            .order_by(Question.position, Question.id)
        )
    )
    index = siblings.index(question)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    session.flush()
    session.expire(question.round, ["questions"])


def round_bricks(session: Session, round_: FeedbackRound) -> list[Brick]:
    """The bricks of the round's release, in backlog order (what per-brick questions cover)."""
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.release_id == round_.release_id, Brick.academy_id == round_.academy_id)
            .options(joinedload(Brick.academy))
            .order_by(Brick.rank, Brick.id)
        )
    )


# -- Invitations and reminders ----------------------------------------------------------------

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
) -> int:
    """Queue one message per recipient, rendering the templates once per language.

    The personal parts (name, link) are placed afterwards: 500 invitations cost two template
    renders per language and one multi-row INSERT, not 1,000 renders and 500 INSERTs.
    """
    release = session.get(Release, round_.release_id)
    by_language: dict[str, list[_Recipient]] = {}
    for recipient in recipients:
        by_language.setdefault(recipient.language, []).append(recipient)
    rows: list[dict[str, Any]] = []
    now = utcnow()
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
            .order_by(func.lower(User.display_name), RoundInvitation.id)
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


# -- Answering --------------------------------------------------------------------------------


def find_invitation(session: Session, token: str) -> RoundInvitation:
    """The invitation of a personal link (round and person loaded), or NotFound."""
    if not token or len(token) > 100:
        raise NotFound(_("This link is not valid. Use the latest e-mail you received."))
    invitation = session.scalar(
        select(RoundInvitation)
        .where(RoundInvitation.token_hash == hash_token(token))
        .options(
            joinedload(RoundInvitation.user),
            joinedload(RoundInvitation.round).joinedload(FeedbackRound.release),
        )
    )
    if invitation is None or not invitation.user.is_active or invitation.user.erased_at:
        raise NotFound(_("This link is not valid. Use the latest e-mail you received."))
    # The link is the credential of a member: someone removed from the academy since the
    # invitation must not keep answering (or reporting items) through it.
    still_member = session.scalar(
        select(Membership.id).where(
            Membership.academy_id == invitation.round.academy_id,
            Membership.user_id == invitation.user_id,
        )
    )
    if still_member is None:
        raise NotFound(_("This link is not valid. Use the latest e-mail you received."))
    return invitation


def invitation_of(session: Session, round_: FeedbackRound, user_id: int) -> RoundInvitation | None:
    return session.scalar(
        select(RoundInvitation).where(
            RoundInvitation.round_id == round_.id, RoundInvitation.user_id == user_id
        )
    )


def field_name(question_id: int, brick_id: int | None = None) -> str:
    """The form field of a question (for one brick): q12, q12-b7."""
    return f"q{question_id}" if brick_id is None else f"q{question_id}-b{brick_id}"


@dataclass(frozen=True)
class Slot:
    """One place where a question is asked: once, or for one brick."""

    question: Question
    brick: Brick | None = None

    @property
    def name(self) -> str:
        return field_name(self.question.id, self.brick.id if self.brick else None)


def slots_of(questions: Sequence[Question], bricks: Sequence[Brick]) -> list[Slot]:
    """The questions asked once, then each brick's questions: the order of the form."""
    once = [Slot(q) for q in questions if not q.per_brick]
    per_brick = [q for q in questions if q.per_brick]
    return once + [Slot(q, brick) for brick in bricks for q in per_brick]


class AnswerErrors(DomainError):
    """Some answers are missing or wrong: {field name: message}, in the order of the form."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Some answers need your attention."))
        self.errors = errors


@dataclass
class _Parsed:
    rows: list[tuple[int, int | None, int | None, str | None]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _parse_answers(
    slots: Sequence[Slot], values: Mapping[str, Sequence[str]], *, require: bool
) -> _Parsed:
    parsed = _Parsed()
    for slot in slots:
        question = slot.question
        brick_id = slot.brick.id if slot.brick else None
        raw = [v.strip() for v in values.get(slot.name, ()) if isinstance(v, str)]
        raw = [v for v in raw if v]
        if not raw:
            if require and question.required:
                parsed.errors[slot.name] = (
                    _("Choose at least one option.")
                    if question.kind == QuestionKind.MULTI_CHOICE
                    else _("Answer this question.")
                )
            continue
        allowed = allowed_values(question.kind)
        if allowed is not None:
            try:
                number = int(raw[0])
            except ValueError:
                number = None
            if len(raw) > 1 or number not in allowed:
                parsed.errors[slot.name] = _("Choose one of the options.")
                continue
            parsed.rows.append((question.id, brick_id, number, None))
        elif question.kind == QuestionKind.SINGLE_CHOICE:
            if len(raw) > 1 or raw[0] not in question.choices:
                parsed.errors[slot.name] = _("Choose one of the options.")
                continue
            parsed.rows.append((question.id, brick_id, None, raw[0]))
        elif question.kind == QuestionKind.MULTI_CHOICE:
            if any(v not in question.choices for v in raw):
                parsed.errors[slot.name] = _("Choose among the options.")
                continue
            for choice in question.choices:  # the order of the options, each once
                if choice in raw:
                    parsed.rows.append((question.id, brick_id, None, choice))
        else:  # text
            text = "\n".join(raw)
            if len(text) > TEXT_ANSWER_LENGTH:
                parsed.errors[slot.name] = _("At most %(max)s characters.", max=TEXT_LIMIT)
                continue
            parsed.rows.append((question.id, brick_id, None, text))
    return parsed


def _locked_response(session: Session, round_id: int, key: str) -> Response | None:
    return session.scalar(
        select(Response)
        .where(Response.round_id == round_id, Response.lookup_key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def my_response(
    session: Session, round_: FeedbackRound, user_id: int, *, secret_key: str
) -> Response | None:
    return session.scalar(
        select(Response)
        .where(
            Response.round_id == round_.id,
            Response.lookup_key == lookup_key(secret_key, round_.id, user_id),
        )
        .options(selectinload(Response.answers))
    )


def response_values(response: Response | None) -> dict[str, list[str]]:
    """The stored answers as form values {field name: [values]}."""
    values: dict[str, list[str]] = {}
    if response is None:
        return values
    for answer in sorted(response.answers, key=lambda a: a.id):
        value = answer.value_text if answer.value_int is None else str(answer.value_int)
        if value is not None:
            values.setdefault(field_name(answer.question_id, answer.brick_id), []).append(value)
    return values


def _profile_of(session: Session, academy_id: int, user_id: int) -> TesterProfile | None:
    return session.scalar(
        select(TesterProfile).where(
            TesterProfile.academy_id == academy_id, TesterProfile.user_id == user_id
        )
    )


def save_response(
    session: Session,
    invitation: RoundInvitation,
    values: Mapping[str, Sequence[str]],
    *,
    submit: bool,
    secret_key: str,
    now: dt.datetime,
) -> Response:
    """Save the tester's answers as a draft, or submit them (required questions enforced).

    A submitted response stays submitted: later saves are resubmissions, checked the same way.
    Idempotent: the same submission twice, or two at once, leaves one response.
    Raises AnswerErrors (nothing written) or RoundClosed.
    """
    round_ = invitation.round
    _lock_round_for_answers(session, round_, now)
    key = lookup_key(secret_key, round_.id, invitation.user_id)
    questions = list(
        session.scalars(
            select(Question).where(Question.round_id == round_.id).order_by(Question.position)
        )
    )
    slots = slots_of(questions, round_bricks(session, round_))

    response = _locked_response(session, round_.id, key)
    if response is None:
        parsed = _parse_answers(slots, values, require=submit)
        if parsed.errors:
            raise AnswerErrors(parsed.errors)
        created = Response(
            round_id=round_.id,
            respondent_id=None if round_.anonymous else invitation.user_id,
            lookup_key=key,
            state=ResponseState.DRAFT,
            created_at=_stamp(round_, now),
            updated_at=_stamp(round_, now),
        )
        try:
            with session.begin_nested():
                session.add(created)
        except IntegrityError:
            # The same person's other request (a double click) inserted it first: use theirs.
            response = _locked_response(session, round_.id, key)
            if response is None:
                raise
        else:
            response = created
    submitting = submit or response.state == ResponseState.SUBMITTED
    parsed = _parse_answers(slots, values, require=submitting)
    if parsed.errors:
        raise AnswerErrors(parsed.errors)

    session.execute(
        delete(Answer)
        .where(Answer.response_id == response.id)
        .execution_options(synchronize_session=False)
    )
    if parsed.rows:
        session.execute(
            insert(Answer),
            [
                {
                    "response_id": response.id,
                    "question_id": question_id,
                    "brick_id": brick_id,
                    "value_int": value_int,
                    "value_text": value_text,
                }
                for question_id, brick_id, value_int, value_text in parsed.rows
            ],
        )
    profile = _profile_of(session, round_.academy_id, invitation.user_id)
    if profile is not None:
        response.business_unit = profile.business_unit
        response.job_family = profile.job_family
        response.site = profile.site
        response.language = profile.language
    response.updated_at = _stamp(round_, now)
    if submitting:
        response.state = ResponseState.SUBMITTED
        if response.submitted_at is None:
            response.submitted_at = _stamp(round_, now)
        session.execute(
            update(RoundInvitation)
            .where(RoundInvitation.id == invitation.id, RoundInvitation.completed_at.is_(None))
            .values(completed_at=now)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    session.expire(response, ["answers"])
    return response


# -- Feedback items ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemInput:
    brick_id: int | None
    location: str
    kind: ItemKind | str
    severity: Severity | str
    title: str
    description: str = ""


def _clean_item(session: Session, round_: FeedbackRound, data: ItemInput) -> dict[str, Any]:
    if data.brick_id is not None and data.brick_id not in {
        b.id for b in round_bricks(session, round_)
    }:
        raise DomainError(_("Choose a brick of this release."), field="brick_id")
    try:
        kind = ItemKind(data.kind)
    except ValueError:
        raise DomainError(_("Choose what kind of feedback this is."), field="kind") from None
    try:
        severity = Severity(data.severity)
    except ValueError:
        raise DomainError(_("Choose how serious it is."), field="severity") from None
    title = " ".join(data.title.split())
    if not title:
        raise DomainError(_("Give it a short title."), field="title")
    if len(title) > 200:
        raise DomainError(_("At most %(max)s characters.", max=200), field="title")
    location = " ".join(data.location.split())
    if len(location) > 120:
        raise DomainError(_("At most %(max)s characters.", max=120), field="location")
    description = data.description.strip()
    if len(description) > TEXT_ANSWER_LENGTH:
        raise DomainError(_("At most %(max)s characters.", max=TEXT_LIMIT), field="description")
    return {
        "brick_id": data.brick_id,
        "location": location,
        "kind": kind,
        "severity": severity,
        "title": title,
        "description": description,
    }


def report_item(
    session: Session,
    invitation: RoundInvitation,
    data: ItemInput,
    *,
    secret_key: str,
    now: dt.datetime,
) -> FeedbackItem:
    """A new feedback item; the same report sent twice (a double click) is stored once."""
    round_ = invitation.round
    _lock_round_for_answers(session, round_, now)
    values = _clean_item(session, round_, data)
    key = item_lookup_key(secret_key, round_.id, invitation.user_id)
    same = session.scalar(
        select(FeedbackItem)
        .where(
            FeedbackItem.round_id == round_.id,
            FeedbackItem.lookup_key == key,
            *(getattr(FeedbackItem, name) == value for name, value in values.items()),
        )
        .limit(1)
    )
    if same is not None:
        return same
    item = FeedbackItem(
        round_id=round_.id,
        reporter_id=None if round_.anonymous else invitation.user_id,
        lookup_key=key,
        created_at=_stamp(round_, now),
        updated_at=_stamp(round_, now),
        **values,
    )
    session.add(item)
    session.flush()
    return item


def my_items(
    session: Session, round_: FeedbackRound, user_id: int, *, secret_key: str
) -> list[FeedbackItem]:
    return list(
        session.scalars(
            select(FeedbackItem)
            .where(
                FeedbackItem.round_id == round_.id,
                FeedbackItem.lookup_key == item_lookup_key(secret_key, round_.id, user_id),
            )
            .order_by(FeedbackItem.id)
        )
    )


def get_my_item(
    session: Session, round_: FeedbackRound, user_id: int, item_id: int, *, secret_key: str
) -> FeedbackItem:
    """One of this person's own items in this round; anybody else's is NotFound."""
    item = session.get(FeedbackItem, item_id)
    if (
        item is None
        or item.round_id != round_.id
        or not hmac.compare_digest(item.lookup_key, item_lookup_key(secret_key, round_.id, user_id))
    ):
        raise NotFound(_("No such feedback item."))
    return item


def update_item(
    session: Session,
    item: FeedbackItem,
    invitation: RoundInvitation,
    data: ItemInput,
    *,
    now: dt.datetime,
) -> None:
    round_ = invitation.round
    if item.round_id != round_.id:
        raise NotFound(_("No such feedback item."))
    _lock_round_for_answers(session, round_, now)
    for name, value in _clean_item(session, round_, data).items():
        setattr(item, name, value)
    item.updated_at = _stamp(round_, now)
    session.flush()


# -- My rounds --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyRound:
    round: FeedbackRound
    invitation: RoundInvitation
    status: str  # not_started, draft, submitted
    phase: str  # scheduled, open, closed


def my_rounds(
    session: Session, academy: Academy, user_id: int, *, secret_key: str, now: dt.datetime
) -> tuple[list[MyRound], list[MyRound]]:
    """(rounds taking answers or about to, by deadline; past rounds, newest first): 2 queries."""
    rows = session.execute(
        select(RoundInvitation, FeedbackRound)
        .join(FeedbackRound, FeedbackRound.id == RoundInvitation.round_id)
        .where(
            RoundInvitation.user_id == user_id,
            FeedbackRound.academy_id == academy.id,
            FeedbackRound.state != RoundState.DRAFT,
        )
        .options(joinedload(FeedbackRound.release))
    ).all()
    keys = {lookup_key(secret_key, round_.id, user_id): round_.id for _inv, round_ in rows}
    states: dict[int, ResponseState] = {}
    if keys:
        for round_id, key, state in session.execute(
            select(Response.round_id, Response.lookup_key, Response.state).where(
                Response.lookup_key.in_(list(keys))
            )
        ):
            if keys.get(key) == round_id:
                states[round_id] = state
    current: list[MyRound] = []
    past: list[MyRound] = []
    for invitation, round_ in rows:
        current_state = states.get(round_.id)
        status = (
            "submitted"
            if current_state == ResponseState.SUBMITTED
            else "draft"
            if current_state == ResponseState.DRAFT
            else "not_started"
        )
        mine = MyRound(round_, invitation, status, round_phase(round_, now))
        (past if mine.phase == "closed" else current).append(mine)
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    current.sort(key=lambda m: (m.round.closes_at or far, m.round.id))
    past.sort(key=lambda m: m.round.closed_at or m.round.closes_at or far, reverse=True)
    return current, past
