"""Feedback rounds: create and edit, list, open and close (by hand or when due), gate criteria.

States go draft → open → closed. A round opens only with at least one question and a closing
time still ahead; the questionnaire and the settings are frozen once it is open (answers refer
to them). Invitations are sent only while it is open (tracker/feedback/invitations.py). It closes
by hand or when `closes_at` passes (`close_due_rounds`, run by cron or the worker); answers are
refused from `closes_at` on, even before the closing job has run (tracker/feedback/phases.py),
and the gate is evaluated once, at close (`tracker.feedback.gate.evaluate_gate`). Closing an
anonymous round also destroys what could relink its answers to people
(`tracker.feedback.anonymity.forget_respondents`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, joinedload

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.cleaning import checked_line
from tracker.errors import Conflict, DomainError, NotFound
from tracker.feedback.anonymity import forget_respondents
from tracker.feedback.gate import evaluate_gate
from tracker.feedback.models import FeedbackRound, Question, RoundInvitation, RoundState
from tracker.feedback.phases import require_draft
from tracker.feedback.questionnaire import default_questions
from tracker.releases.models import Release, ReleaseState
from tracker.releases.services import record_state_change
from tracker.webhooks.events import EventType, emit

# Releases a new round may be attached to.
ROUND_RELEASE_STATES = (ReleaseState.PLANNED, ReleaseState.IN_BETA)


@dataclass(frozen=True)
class GateCriteria:
    min_responses: int
    min_response_rate: float
    min_csat: float
    min_nps: float
    max_blocking: int

    @classmethod
    def of_academy(cls, academy: Academy) -> GateCriteria:
        """The criteria the academy sets for its new rounds."""
        return cls._read(academy)

    @classmethod
    def of_round(cls, round_: FeedbackRound) -> GateCriteria:
        return cls._read(round_)

    @classmethod
    def _read(cls, source: Academy | FeedbackRound) -> GateCriteria:
        """From the `gate_<criterion>` columns an academy and a round both have."""
        return cls(**{f.name: getattr(source, f"gate_{f.name}") for f in fields(cls)})

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
    title = checked_line(title, field="title", max_length=200, missing=_("Give the round a title."))
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
    require_draft(round_)
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
        record_state_change(
            session, release, ReleaseState.PLANNED, ReleaseState.IN_BETA, actor=actor, at=now,
            note=round_.title,
        )  # fmt: skip
    session.flush()
    emit(
        session,
        round_.academy_id,
        EventType.ROUND_OPENED,
        lambda: {"academy_id": round_.academy_id, "round": round_data(round_)},
        now,
    )


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
    snapshot = evaluate_gate(session, round_, now=now)
    if round_.anonymous:
        forget_respondents(session, round_)
    session.flush()
    emit(
        session,
        round_.academy_id,
        EventType.ROUND_CLOSED,
        lambda: {
            "academy_id": round_.academy_id,
            "round": round_data(round_),
            # Aggregates only, as the gate shows them (no answer, no respondent).
            "gate": {
                "passed": snapshot.passed,
                "invited": snapshot.invited,
                "completed": snapshot.completed,
                "criteria": snapshot.criteria,
            },
        },
        now,
    )
    return True


def round_data(round_: FeedbackRound) -> dict[str, Any]:
    """What a webhook tells of a round."""
    return {
        "id": round_.id,
        "title": round_.title,
        "release_id": round_.release_id,
        "state": round_.state.value,
        "opened_at": round_.opened_at,
        "closes_at": round_.closes_at,
        "closed_at": round_.closed_at,
    }


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
