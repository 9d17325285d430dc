"""Exports of a round for spreadsheets: the answers (one row per submitted response, one column
per question, or per question and brick) and the feedback items, as CSV and XLSX.

The files are written by tracker/spreadsheets.py (CSV for Excel, XLSX, the formula guard). In an
anonymous round the answers carry no name, no e-mail and no time; their segment attributes are
generalised so that no combination shown is shared by fewer than 5 respondents, and the rows come
in a new random order at each export (tracker/feedback/anonymity.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import to_user_timezone
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from tracker import spreadsheets
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.feedback.anonymity import generalise, shuffled
from tracker.feedback.labels import ITEM_KIND_LABELS, ITEM_STATUS_LABELS, SEVERITY_LABELS
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    Question,
    QuestionKind,
    Response,
    ResponseState,
)
from tracker.feedback.results import round_bricks, round_questions

MULTI_SEPARATOR = " | "


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return to_user_timezone(value).strftime("%Y-%m-%d %H:%M")


# -- Answers --------------------------------------------------------------------------------


def answer_columns(
    questions: Sequence[Question], bricks: Sequence[Brick]
) -> list[tuple[Question, Brick | None]]:
    """One column per question, or per question and brick for per-brick questions."""
    columns: list[tuple[Question, Brick | None]] = []
    for question in questions:
        if question.per_brick:
            columns.extend((question, brick) for brick in bricks)
        else:
            columns.append((question, None))
    return columns


def _header(number: int, question: Question, brick: Brick | None) -> str:
    header = f"Q{number}. {question.prompt}"
    return f"{header} [{brick.key} {brick.title}]" if brick is not None else header


def _value(question: Question, answers: list[Answer]) -> Any:
    if not answers:
        return ""
    if question.kind == QuestionKind.MULTI_CHOICE:
        return MULTI_SEPARATOR.join(a.value_text or "" for a in answers if a.value_text)
    answer = answers[0]
    if question.kind == QuestionKind.YES_NO:
        if answer.value_int is None:
            return ""
        return _("Yes") if answer.value_int else _("No")
    if question.kind in (QuestionKind.RATING, QuestionKind.NPS):
        return answer.value_int if answer.value_int is not None else ""
    return answer.value_text or ""


def answers_table(session: Session, round_: FeedbackRound) -> Table:
    """Every submitted response as a row: four queries, whatever the size."""
    questions = round_questions(session, round_)
    anonymous = round_.anonymous
    responses_statement = (
        select(Response, User)
        .outerjoin(User, User.id == Response.respondent_id)
        .where(Response.round_id == round_.id, Response.state == ResponseState.SUBMITTED)
    )
    responses = session.execute(
        responses_statement.order_by(Response.submitted_at, Response.id)
    ).all()
    segments = _segments([response for response, _user in responses], anonymous=anonymous)
    answers: dict[tuple[int, int, int | None], list[Answer]] = defaultdict(list)
    answered_bricks: set[int] = set()
    for answer in session.scalars(
        select(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(Response.round_id == round_.id, Response.state == ResponseState.SUBMITTED)
        .order_by(Answer.id)
    ):
        answers[(answer.response_id, answer.question_id, answer.brick_id)].append(answer)
        if answer.brick_id is not None:
            answered_bricks.add(answer.brick_id)
    bricks = round_bricks(session, round_, answered_bricks)
    columns = answer_columns(questions, bricks)
    numbers = {question.id: index for index, question in enumerate(questions, start=1)}

    headers = ["#"]
    if not anonymous:
        headers += [_("Name"), _("E-mail"), _("Submitted at")]
    headers += [_("Business unit"), _("Job family"), _("Site"), _("Language")]
    headers += [_header(numbers[q.id], q, brick) for q, brick in columns]

    rows: list[list[Any]] = []
    order = list(zip(responses, segments, strict=True))
    if anonymous:
        order = shuffled(order)  # anew at each export: row k says nothing of who answered when
    for index, ((response, user), segment) in enumerate(order, start=1):
        row: list[Any] = [index]
        if not anonymous:
            row += [
                user.display_name if user else "",
                user.email if user else "",
                _when(response.submitted_at),
            ]
        row += segment
        row += [
            _value(q, answers.get((response.id, q.id, brick.id if brick else None), []))
            for q, brick in columns
        ]
        rows.append(row)
    return Table(title=_("Answers"), headers=headers, rows=rows)


def _segments(responses: Sequence[Response], *, anonymous: bool) -> list[list[str]]:
    """Each response's business unit, job family, site and language; in an anonymous round,
    generalised so that no combination shown is shared by fewer than 5 respondents."""
    combinations = [
        (response.business_unit, response.job_family, response.site, response.language)
        for response in responses
    ]
    if not anonymous:
        return [list(combination) for combination in combinations]
    hidden = _("(hidden)")
    return [
        [hidden if value is None else value for value in shown]
        for shown in generalise(combinations)
    ]


# -- Feedback items -------------------------------------------------------------------------


def items_table(session: Session, round_: FeedbackRound) -> Table:
    """Every feedback item of the round with its fields: two or three queries."""
    items = list(
        session.scalars(
            select(FeedbackItem).where(FeedbackItem.round_id == round_.id).order_by(FeedbackItem.id)
        )
    )
    brick_ids = {i.brick_id for i in items if i.brick_id} | {
        i.created_brick_id for i in items if i.created_brick_id
    }
    bricks = (
        {
            b.id: b
            for b in session.scalars(
                select(Brick).where(Brick.id.in_(brick_ids)).options(joinedload(Brick.academy))
            )
        }
        if brick_ids
        else {}
    )
    reporters: dict[int, User] = {}
    reporter_ids = {i.reporter_id for i in items if i.reporter_id}
    if not round_.anonymous and reporter_ids:
        reporters = {
            u.id: u for u in session.scalars(select(User).where(User.id.in_(reporter_ids)))
        }
    # In an anonymous round an item's times are the round's day (keys.stamp): not exported.
    times = not round_.anonymous
    headers = [
        _("Item"),
        *((_("Reported at"), _("Updated at")) if times else ()),
        _("Kind"),
        _("Severity"),
        _("Status"),
        _("Brick"),
        _("Brick title"),
        _("Where"),
        _("Title"),
        _("Description"),
        _("Duplicate of"),
        _("Brick created"),
    ]
    if not round_.anonymous:
        headers.append(_("Reported by"))
    rows: list[list[Any]] = []
    for item in items:
        brick = bricks.get(item.brick_id) if item.brick_id else None
        created = bricks.get(item.created_brick_id) if item.created_brick_id else None
        row: list[Any] = [
            item.id,
            *((_when(item.created_at), _when(item.updated_at)) if times else ()),
            str(ITEM_KIND_LABELS.get(item.kind, item.kind)),
            str(SEVERITY_LABELS.get(item.severity, item.severity)),
            str(ITEM_STATUS_LABELS.get(item.status, item.status)),
            brick.key if brick else "",
            brick.title if brick else "",
            item.location,
            item.title,
            item.description,
            item.duplicate_of_id or "",
            created.key if created else "",
        ]
        if not round_.anonymous:
            reporter = reporters.get(item.reporter_id) if item.reporter_id else None
            row.append(reporter.display_name if reporter else "")
        rows.append(row)
    return Table(title=_("Feedback items"), headers=headers, rows=rows)


# -- Files ----------------------------------------------------------------------------------


def to_csv(table: Table) -> bytes:
    return spreadsheets.write_csv([table.headers, *table.rows])


def to_xlsx(table: Table) -> bytes:
    return spreadsheets.write_xlsx(
        table.title,
        [table.headers, *table.rows],
        widths=[6, *[24] * (len(table.headers) - 1)],
        freeze="B2",
    )


def export_round(
    session: Session, round_: FeedbackRound, what: str, fmt: str
) -> tuple[bytes, str, str]:
    """(body, mimetype, file name) for `what` in ("answers", "items"), `fmt` in ("csv", "xlsx")."""
    table = answers_table(session, round_) if what == "answers" else items_table(session, round_)
    body = to_csv(table) if fmt == "csv" else to_xlsx(table)
    mimetype = spreadsheets.CSV_MIMETYPE if fmt == "csv" else spreadsheets.XLSX_MIMETYPE
    return body, mimetype, f"round-{round_.id}-{what}.{fmt}"
