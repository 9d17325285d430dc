"""The release gate: each criterion of a round evaluated once, when it closes, and frozen.

A criterion that cannot be computed (no CSAT question in the questionnaire, no answers to it,
nobody invited) is stored with `value: None` and `status: "no_data"`, and it FAILS, unless its
threshold asks for nothing (a minimum CSAT of 0, a minimum NPS of -100, a minimum response
rate of 0). A gate must be shown to pass, not assumed to: when the manager deliberately chose
not to measure something, the release can still go out through a recorded override.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import rows
from tracker.feedback import metrics
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    GateMetric,
    GateSnapshot,
    ItemStatus,
    Question,
    QuestionKind,
    Response,
    ResponseState,
    RoundInvitation,
    Severity,
)

# The order the snapshot lists its criteria in (and the release page shows them).
CRITERIA = ("min_responses", "min_response_rate", "min_csat", "min_nps", "max_blocking")

# Statuses of a feedback item that still need work.
OPEN_STATUSES = (ItemStatus.NEW, ItemStatus.ACCEPTED, ItemStatus.PLANNED)

# Why a criterion has no value.
NO_INVITATIONS = "no_invitations"
NO_QUESTION = "no_question"
NO_ANSWERS = "no_answers"


def _criterion(
    name: str,
    value: float | None,
    threshold: float,
    passed: bool,
    *,
    reason: str | None = None,
    n: int | None = None,
    margin: float | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": name,
        "value": None if value is None else round(float(value), 1),
        "threshold": threshold,
        "passed": passed,
        "status": "no_data" if value is None else ("pass" if passed else "fail"),
    }
    if reason:
        entry["reason"] = reason
    if n is not None:
        entry["n"] = n
        entry["indicative"] = metrics.is_indicative(n)
    if margin is not None:
        entry["margin"] = round(margin, 1)
    return entry


def _metric_counts(
    session: Session, round_: FeedbackRound, metric: GateMetric, kind: QuestionKind
) -> tuple[int, dict[int, int]]:
    """(how many questions feed this metric, {value: count} over all their answers)."""
    question_ids = list(
        session.scalars(
            select(Question.id).where(
                Question.round_id == round_.id,
                Question.gate_metric == metric,
                Question.kind == kind,
            )
        )
    )
    if not question_ids:
        return 0, {}
    rows = session.execute(
        select(Answer.value_int, func.count(Answer.id))
        .join(Response, Response.id == Answer.response_id)
        .where(
            Response.round_id == round_.id,
            Response.state == ResponseState.SUBMITTED,
            Answer.question_id.in_(question_ids),
            Answer.value_int.is_not(None),
        )
        .group_by(Answer.value_int)
    )
    return len(question_ids), {int(value): int(count) for value, count in rows if value is not None}


def _score(
    name: str,
    value: float | None,
    threshold: float,
    lowest: float,
    questions: int,
    counts: dict[int, int],
    **more: Any,
) -> dict[str, Any]:
    """A criterion on a score (CSAT, NPS) of the questions feeding it. With no answer it has
    no value, and passes only when its threshold is the `lowest` score (it asks nothing)."""
    return _criterion(
        name,
        value,
        threshold,
        threshold <= lowest if value is None else value >= threshold,
        reason=None if value is not None else (NO_ANSWERS if questions else NO_QUESTION),
        n=metrics.total(counts),
        **more,
    )


def compute_gate(session: Session, round_: FeedbackRound) -> dict[str, Any]:
    """Evaluate every criterion now, without storing anything (the round page can preview it)."""
    invited, completed = session.execute(
        select(func.count(RoundInvitation.id), func.count(RoundInvitation.completed_at)).where(
            RoundInvitation.round_id == round_.id
        )
    ).one()
    invited, completed = int(invited), int(completed)
    responses = int(
        session.scalar(
            select(func.count(Response.id)).where(
                Response.round_id == round_.id, Response.state == ResponseState.SUBMITTED
            )
        )
        or 0
    )
    blocking = int(
        session.scalar(
            select(func.count(FeedbackItem.id)).where(
                FeedbackItem.round_id == round_.id,
                FeedbackItem.severity == Severity.BLOCKING,
                FeedbackItem.status.in_(OPEN_STATUSES),
            )
        )
        or 0
    )
    criteria: list[dict[str, Any]] = []

    criteria.append(
        _criterion(
            "min_responses",
            responses,
            round_.gate_min_responses,
            responses >= round_.gate_min_responses,
        )
    )

    rate = metrics.response_rate(completed, invited)
    threshold = round_.gate_min_response_rate
    criteria.append(
        _criterion(
            "min_response_rate",
            rate,
            threshold,
            threshold <= 0 if rate is None else rate >= threshold,
            reason=NO_INVITATIONS if rate is None else None,
        )
    )

    questions, counts = _metric_counts(session, round_, GateMetric.CSAT, QuestionKind.RATING)
    csat = metrics.csat(counts)
    criteria.append(_score("min_csat", csat, round_.gate_min_csat, 0, questions, counts))

    questions, counts = _metric_counts(session, round_, GateMetric.NPS, QuestionKind.NPS)
    nps = metrics.nps(counts)
    score, margin = (None, None) if nps is None else (nps.score, nps.margin)
    criteria.append(
        _score("min_nps", score, round_.gate_min_nps, -100, questions, counts, margin=margin)
    )

    criteria.append(
        _criterion(
            "max_blocking", blocking, round_.gate_max_blocking, blocking <= round_.gate_max_blocking
        )
    )
    return {
        "criteria": criteria,
        "passed": all(c["passed"] for c in criteria),
        "invited": invited,
        "completed": completed,
    }


def intention_figure(session: Session, round_: FeedbackRound) -> tuple[bool, float | None]:
    """(whether a yes/no question of the round measures the intention to apply, the share of
    yes among its submitted answers * 100, None with no answer). Not a gate criterion: the
    release page sets it beside the J+0 reaction's, as metrics.share_of_yes computes both."""
    questions, counts = _metric_counts(session, round_, GateMetric.INTENTION, QuestionKind.YES_NO)
    return questions > 0, metrics.share_of_yes(counts)


def gate_snapshot(session: Session, round_: FeedbackRound) -> GateSnapshot | None:
    return session.scalar(select(GateSnapshot).where(GateSnapshot.round_id == round_.id))


def evaluate_gate(session: Session, round_: FeedbackRound, *, now: dt.datetime) -> GateSnapshot:
    """Evaluate and store the gate of a round, once: called again (or by two closers at once),
    it returns the snapshot already stored and never changes it. Flushes, never commits."""
    existing = gate_snapshot(session, round_)
    if existing is not None:
        return existing
    figures = compute_gate(session, round_)
    snapshot = GateSnapshot(
        round_id=round_.id,
        evaluated_at=now,
        passed=figures["passed"],
        criteria=figures["criteria"],
        invited=figures["invited"],
        completed=figures["completed"],
    )
    # Someone else closing the round at the same moment: theirs is the snapshot.
    return rows.add_once(session, snapshot, lambda: gate_snapshot(session, round_))


def last_round_snapshot(
    session: Session, release_id: int
) -> tuple[FeedbackRound, GateSnapshot] | None:
    """The release's most recently closed round that has a snapshot (the release page shows it)."""
    row = session.execute(
        select(FeedbackRound, GateSnapshot)
        .join(GateSnapshot, GateSnapshot.round_id == FeedbackRound.id)
        .where(FeedbackRound.release_id == release_id)
        .order_by(GateSnapshot.evaluated_at.desc(), GateSnapshot.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])
