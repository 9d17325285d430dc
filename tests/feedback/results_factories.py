"""Rounds with answers, built straight from the models (the results, gate, triage and export
tests need many responses quickly, and test the reading side, not the tester's form)."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick, BrickFormat
from tracker.backlog.services import create_brick
from tracker.db import utcnow
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    GateMetric,
    ItemKind,
    ItemStatus,
    Question,
    QuestionKind,
    Response,
    ResponseState,
    RoundInvitation,
    Severity,
)
from tracker.releases.models import Release

_counter = itertools.count(1)


def make_release(session: Session, academy: Academy) -> Release:
    release = Release(academy_id=academy.id, name=f"Release {next(_counter)}")
    session.add(release)
    session.flush()
    return release


def make_round(
    session: Session,
    academy: Academy,
    release: Release | None = None,
    *,
    anonymous: bool = False,
    **values: Any,
) -> FeedbackRound:
    release = release or make_release(session, academy)
    round_ = FeedbackRound(
        academy_id=academy.id,
        release_id=release.id,
        title=values.pop("title", f"Round {next(_counter)}"),
        anonymous=anonymous,
        **values,
    )
    session.add(round_)
    session.flush()
    return round_


def add_brick(session: Session, academy: Academy, release: Release, title: str = "") -> Brick:
    brick = create_brick(
        session,
        academy,
        actor=None,
        title=title or f"Brick {next(_counter)}",
        format=BrickFormat.VIDEO,
        release_id=release.id,
        now=utcnow(),
    )
    return brick


def add_question(
    session: Session,
    round_: FeedbackRound,
    kind: QuestionKind,
    prompt: str = "",
    *,
    per_brick: bool = False,
    choices: list[str] | None = None,
    gate_metric: GateMetric | None = None,
) -> Question:
    question = Question(
        round_id=round_.id,
        position=next(_counter),
        kind=kind,
        prompt=prompt or f"{kind.value} question",
        per_brick=per_brick,
        choices=choices or [],
        gate_metric=gate_metric,
    )
    session.add(question)
    session.flush()
    return question


def invite(
    session: Session, round_: FeedbackRound, user: User, *, completed: bool = False
) -> RoundInvitation:
    invitation = RoundInvitation(
        round_id=round_.id,
        user_id=user.id,
        token_hash=secrets.token_hex(32),
        completed_at=utcnow() if completed else None,
    )
    session.add(invitation)
    session.flush()
    return invitation


def _answers_for(question: Question, value: Any, brick_id: int | None) -> list[Answer]:
    if question.kind == QuestionKind.MULTI_CHOICE:
        return [
            Answer(question_id=question.id, brick_id=brick_id, value_text=choice)
            for choice in value
        ]
    if question.kind in (QuestionKind.TEXT, QuestionKind.SINGLE_CHOICE):
        return [Answer(question_id=question.id, brick_id=brick_id, value_text=value)]
    if question.kind == QuestionKind.YES_NO:
        return [Answer(question_id=question.id, brick_id=brick_id, value_int=1 if value else 0)]
    return [Answer(question_id=question.id, brick_id=brick_id, value_int=value)]


def respond(
    session: Session,
    round_: FeedbackRound,
    answers: Mapping[Question, Any],
    *,
    respondent: User | None = None,
    submitted: bool = True,
    submitted_at: dt.datetime | None = None,
    flush: bool = True,
    **segment: str,
) -> Response:
    """answers: {question: value}, or {question: {brick: value}} for per-brick questions."""
    response = Response(
        round_id=round_.id,
        respondent_id=None if round_.anonymous or respondent is None else respondent.id,
        lookup_key=secrets.token_hex(32),
        state=ResponseState.SUBMITTED if submitted else ResponseState.DRAFT,
        submitted_at=(submitted_at or utcnow()) if submitted else None,
        **segment,
    )
    for question, value in answers.items():
        if question.per_brick:
            for brick, brick_value in value.items():
                response.answers.extend(_answers_for(question, brick_value, brick.id))
        else:
            response.answers.extend(_answers_for(question, value, None))
    session.add(response)
    if flush:
        session.flush()
    return response


def add_item(
    session: Session,
    round_: FeedbackRound,
    *,
    title: str = "",
    kind: ItemKind = ItemKind.ISSUE,
    severity: Severity = Severity.MINOR,
    status: ItemStatus = ItemStatus.NEW,
    brick: Brick | None = None,
    reporter: User | None = None,
    **values: Any,
) -> FeedbackItem:
    item = FeedbackItem(
        round_id=round_.id,
        brick_id=brick.id if brick else None,
        reporter_id=None if round_.anonymous or reporter is None else reporter.id,
        kind=kind,
        severity=severity,
        status=status,
        title=title or f"Item {next(_counter)}",
        **values,
    )
    session.add(item)
    session.flush()
    return item
