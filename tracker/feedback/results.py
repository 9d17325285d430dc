"""A round's results, computed by SQL aggregates: a fixed number of queries, whatever the number
of responses (GROUP BY question, brick, value, or segment). Only submitted responses count.

The metrics themselves (CSAT, NPS, mean...) are applied to those counts by tracker.feedback.metrics.
"""

from __future__ import annotations

import enum
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, distinct, func, or_, select
from sqlalchemy.orm import Session, joinedload

from tracker import changes, rows
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.collation import sort_key
from tracker.db import contains_text
from tracker.feedback import metrics
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    FeedbackRound,
    ItemStatus,
    Question,
    QuestionKind,
    Response,
    ResponseState,
    RoundInvitation,
)

NUMERIC_KINDS = frozenset({QuestionKind.RATING, QuestionKind.NPS, QuestionKind.YES_NO})
CHOICE_KINDS = frozenset({QuestionKind.SINGLE_CHOICE, QuestionKind.MULTI_CHOICE})
TEXT_PAGE_SIZE = 20


class Dimension(enum.StrEnum):
    """The tester attributes results can be read by (copied on each response)."""

    BUSINESS_UNIT = "business_unit"
    JOB_FAMILY = "job_family"
    SITE = "site"
    LANGUAGE = "language"

    @property
    def column(self) -> Any:
        return getattr(Response, self.value)


def _submitted(round_: FeedbackRound) -> list[ColumnElement[bool]]:
    return [Response.round_id == round_.id, Response.state == ResponseState.SUBMITTED]


def _of_kinds(round_: FeedbackRound, kinds: Iterable[QuestionKind]) -> ColumnElement[bool]:
    """Answers to the round's questions of these kinds. An IN (subquery) rather than a join, so
    that the engine can start from the (question, brick) index and read only those answers."""
    return Answer.question_id.in_(
        select(Question.id).where(Question.round_id == round_.id, Question.kind.in_(list(kinds)))
    )


# -- Progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    invited: int
    completed: int  # invitations whose tester submitted (the response rate's numerator)
    submitted: int  # submitted responses
    drafts: int  # responses started, not submitted

    @property
    def rate(self) -> float | None:
        return metrics.response_rate(self.completed, self.invited)


def round_progress(session: Session, round_: FeedbackRound) -> Progress:
    """Invited, completed, submitted and draft counts: two queries."""
    invited, completed = session.execute(
        select(func.count(RoundInvitation.id), func.count(RoundInvitation.completed_at)).where(
            RoundInvitation.round_id == round_.id
        )
    ).one()
    states = dict(
        session.execute(
            select(Response.state, func.count(Response.id))
            .where(Response.round_id == round_.id)
            .group_by(Response.state)
        ).all()
    )
    return Progress(
        invited=int(invited),
        completed=int(completed),
        submitted=int(states.get(ResponseState.SUBMITTED, 0)),
        drafts=int(states.get(ResponseState.DRAFT, 0)),
    )


# -- Figures per question (and per brick) ---------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What is known of one question's answers (for one brick, or for all)."""

    kind: QuestionKind
    counts: dict[Any, int]
    respondents: int  # responses that answered (for multiple choice: not the ticks)
    buckets: list[metrics.Bucket]

    @property
    def n(self) -> int:
        """Answers the figures rest on (respondents for multiple choice)."""
        if self.kind == QuestionKind.MULTI_CHOICE:
            return self.respondents
        if self.kind == QuestionKind.TEXT:
            return self.respondents
        return metrics.total(self.counts)

    @property
    def indicative(self) -> bool:
        return metrics.is_indicative(self.n)

    @property
    def mean(self) -> float | None:
        if self.kind in (QuestionKind.RATING, QuestionKind.NPS):
            return metrics.mean(self.counts)
        return None

    @property
    def csat(self) -> float | None:
        return metrics.csat(self.counts) if self.kind == QuestionKind.RATING else None

    @property
    def nps(self) -> metrics.Nps | None:
        return metrics.nps(self.counts) if self.kind == QuestionKind.NPS else None

    @property
    def yes_share(self) -> float | None:
        return metrics.share_of_yes(self.counts) if self.kind == QuestionKind.YES_NO else None


def possible_values(question: Question) -> list[Any]:
    if question.kind == QuestionKind.RATING:
        return list(metrics.RATING_VALUES)
    if question.kind == QuestionKind.NPS:
        return list(metrics.NPS_VALUES)
    if question.kind == QuestionKind.YES_NO:
        return list(metrics.YES_NO_VALUES)
    if question.kind in CHOICE_KINDS:
        return list(question.choices or [])
    return []


def make_figures(question: Question, counts: dict[Any, int], respondents: int) -> Figures:
    base = respondents if question.kind == QuestionKind.MULTI_CHOICE else None
    return Figures(
        kind=question.kind,
        counts=counts,
        respondents=respondents,
        buckets=metrics.distribution(counts, possible_values(question), base=base),
    )


@dataclass
class QuestionResult:
    question: Question
    overall: Figures  # per-brick questions: every brick's answers together
    per_brick: list[tuple[Brick, Figures]] = field(default_factory=list)


@dataclass
class RoundResults:
    round: FeedbackRound
    progress: Progress
    questions: list[QuestionResult]
    bricks: dict[int, Brick]
    items_by_status: dict[ItemStatus, int]
    segments: SegmentResults | None = None

    @property
    def items_open(self) -> int:
        return sum(
            self.items_by_status.get(status, 0)
            for status in (ItemStatus.NEW, ItemStatus.ACCEPTED, ItemStatus.PLANNED)
        )


def round_questions(session: Session, round_: FeedbackRound) -> list[Question]:
    return rows.all_in(session, Question, Question.position, Question.id, round_id=round_.id)


def round_bricks(session: Session, round_: FeedbackRound, extra_ids: Iterable[int]) -> list[Brick]:
    """The release's bricks, plus any brick answered about that has left the release since."""
    extra = set(extra_ids)
    condition = Brick.release_id == round_.release_id
    if extra:
        condition = or_(condition, Brick.id.in_(extra))
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == round_.academy_id, condition)
            .options(joinedload(Brick.academy))  # brick.key
            .order_by(Brick.rank, Brick.id)
        )
    )


# (segment value or None, question, brick, value, count): the numeric answers, grouped.
NumericRow = tuple[str | None, int, int | None, int, int]


def _numeric_rows(
    session: Session, round_: FeedbackRound, dimension: Dimension | None
) -> list[NumericRow]:
    """Rating, NPS and yes/no answers grouped by question, brick and value, and by segment when
    a dimension is given (the overall counts are then the sums over segments): one query that
    serves both the figures per question and the table per segment."""
    segment = [dimension.column] if dimension is not None else []
    rows = session.execute(
        select(
            *segment, Answer.question_id, Answer.brick_id, Answer.value_int, func.count(Answer.id)
        )
        .join(Response, Response.id == Answer.response_id)
        .where(*_submitted(round_), _of_kinds(round_, NUMERIC_KINDS), Answer.value_int.is_not(None))
        .group_by(*segment, Answer.question_id, Answer.brick_id, Answer.value_int)
    )
    if dimension is None:
        return [(None, r[0], r[1], int(r[2]), int(r[3])) for r in rows]
    return [(str(r[0] or ""), r[1], r[2], int(r[3]), int(r[4])) for r in rows]


def _answer_counts(
    session: Session, round_: FeedbackRound, numeric: Sequence[NumericRow]
) -> tuple[dict[tuple[int, int | None], dict[Any, int]], dict[tuple[int, int | None], int]]:
    """{(question, brick): {value: count}} for numeric and choice questions, and
    {(question, brick): respondents} for every question: two more GROUP BY queries.

    A response holds one answer per question (and brick) for every kind but multiple choice,
    so respondents are counted (DISTINCT) only for multiple choice and free text."""
    counts: dict[tuple[int, int | None], dict[Any, int]] = defaultdict(dict)
    respondents: dict[tuple[int, int | None], int] = defaultdict(int)
    for _segment, question_id, brick_id, number, count in numeric:
        values = counts[(question_id, brick_id)]
        values[number] = values.get(number, 0) + count
        respondents[(question_id, brick_id)] += count
    choices = session.execute(
        select(
            Answer.question_id,
            Answer.brick_id,
            Question.kind,
            Answer.value_text,
            func.count(Answer.id),
        )
        .join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .where(*_submitted(round_), _of_kinds(round_, CHOICE_KINDS), Answer.value_text.is_not(None))
        .group_by(Answer.question_id, Answer.brick_id, Question.kind, Answer.value_text)
    )
    for question_id, brick_id, kind, choice, count in choices:
        if choice:
            counts[(question_id, brick_id)][str(choice)] = int(count)
            if QuestionKind(kind) == QuestionKind.SINGLE_CHOICE:
                respondents[(question_id, brick_id)] += int(count)
    answered = session.execute(
        select(Answer.question_id, Answer.brick_id, func.count(distinct(Answer.response_id)))
        .join(Response, Response.id == Answer.response_id)
        .where(
            *_submitted(round_),
            _of_kinds(round_, (QuestionKind.MULTI_CHOICE, QuestionKind.TEXT)),
            func.coalesce(Answer.value_text, "") != "",
        )
        .group_by(Answer.question_id, Answer.brick_id)
    )
    for question_id, brick_id, people in answered:
        respondents[(question_id, brick_id)] = int(people)
    return counts, dict(respondents)


def _merge(parts: Iterable[dict[Any, int]]) -> dict[Any, int]:
    merged: dict[Any, int] = defaultdict(int)
    for part in parts:
        for value, count in part.items():
            merged[value] += count
    return dict(merged)


def item_counts(session: Session, round_: FeedbackRound) -> dict[ItemStatus, int]:
    return {
        ItemStatus(status): int(count)
        for status, count in session.execute(
            select(FeedbackItem.status, func.count(FeedbackItem.id))
            .where(FeedbackItem.round_id == round_.id)
            .group_by(FeedbackItem.status)
        )
    }


Aggregates = tuple[
    list[NumericRow],
    dict[tuple[int, int | None], dict[Any, int]],
    dict[tuple[int, int | None], int],
]
# The aggregates, per worker, per state of the academy's data: the change counters
# (tracker.changes) are part of the key, and every answer submitted, edited or erased moves one
# of them (the academy's, or the shared one), so a kept entry is never stale. A closed round's
# never change again; an open round's are computed again after each submission, and kept for the
# readers in between (a results page is read far more often than testers submit). Bounded.
_KEPT: OrderedDict[tuple[Any, ...], Aggregates] = OrderedDict()
KEPT = 64


def _aggregates(session: Session, round_: FeedbackRound, dimension: Dimension | None) -> Aggregates:
    """The answers' GROUP BY counts (three queries), computed once per state of the academy's
    data and kept (one query to read the counters)."""
    if changes.pending(session):
        # This transaction changed data that its commit has not counted yet: compute afresh.
        return _computed(session, round_, dimension)
    key = (round_.id, dimension, *changes.counters(session, round_.academy_id))
    kept = _KEPT.get(key)
    if kept is not None:
        _KEPT.move_to_end(key)
        return kept
    found = _computed(session, round_, dimension)
    _KEPT[key] = found
    while len(_KEPT) > KEPT:
        _KEPT.popitem(last=False)
    return found


def _computed(session: Session, round_: FeedbackRound, dimension: Dimension | None) -> Aggregates:
    numeric = _numeric_rows(session, round_, dimension)
    counts, respondents = _answer_counts(session, round_, numeric)
    return numeric, dict(counts), respondents


# Other parts of the results page kept the same way (a page of free-text answers, the gate's
# preview): per worker, per round, per what was asked and per state of the academy's data.
_KEPT_PARTS: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
KEPT_PARTS = 256


def kept_part(session: Session, round_: FeedbackRound, asked: tuple[Any, ...], compute: Any) -> Any:
    """`compute()` (plain values, never ORM objects: they outlive the session), computed once
    per state of the academy's data (the change counters) for this round and `asked`, then
    kept; computed afresh while the transaction has uncounted changes."""
    if changes.pending(session):
        return compute()
    key = (round_.id, asked, *changes.counters(session, round_.academy_id))
    if key in _KEPT_PARTS:
        _KEPT_PARTS.move_to_end(key)
        return _KEPT_PARTS[key]
    found = _KEPT_PARTS[key] = compute()
    while len(_KEPT_PARTS) > KEPT_PARTS:
        _KEPT_PARTS.popitem(last=False)
    return found


def forget_kept() -> None:
    """Empty the kept aggregates (the test suite rolls committed data back, which moves the
    change counters backwards: production never does)."""
    _KEPT.clear()
    _KEPT_PARTS.clear()


def round_results(
    session: Session, round_: FeedbackRound, dimension: Dimension | None = None
) -> RoundResults:
    """Everything the results page shows but the free text: 8 queries, 9 with the table per
    segment of `dimension` (the numeric answers are read once for both)."""
    questions = round_questions(session, round_)
    progress = round_progress(session, round_)
    numeric, counts, respondents = _aggregates(session, round_, dimension)
    answered_bricks = {brick for (_q, brick) in respondents if brick is not None}
    bricks = round_bricks(session, round_, answered_bricks)
    results: list[QuestionResult] = []
    for question in questions:
        if question.per_brick:
            per_brick = [
                (
                    brick,
                    make_figures(
                        question,
                        counts.get((question.id, brick.id), {}),
                        respondents.get((question.id, brick.id), 0),
                    ),
                )
                for brick in bricks
                if brick.release_id == round_.release_id or brick.id in answered_bricks
            ]
            # Respondents of "all bricks": a person answering about three bricks counts once
            # per brick here (the figures are about answers, not people).
            overall = make_figures(
                question,
                _merge(counts.get((question.id, brick.id), {}) for brick, _ in per_brick),
                sum(figures.respondents for _, figures in per_brick),
            )
            results.append(QuestionResult(question, overall, per_brick))
        else:
            overall = make_figures(
                question,
                counts.get((question.id, None), {}),
                respondents.get((question.id, None), 0),
            )
            results.append(QuestionResult(question, overall))
    return RoundResults(
        round=round_,
        progress=progress,
        questions=results,
        bricks={brick.id: brick for brick in bricks},
        items_by_status=item_counts(session, round_),
        segments=None
        if dimension is None
        else segment_results(session, round_, dimension, questions, numeric=numeric),
    )


# -- Per segment ------------------------------------------------------------------------------


@dataclass
class SegmentRow:
    value: str  # "" when the attribute was not set
    size: int  # submitted responses in the segment
    hidden: bool
    figures: dict[int, Figures]  # question id -> figures (numeric questions only)


@dataclass
class SegmentResults:
    dimension: Dimension
    questions: list[Question]  # the numeric questions, in order
    rows: list[SegmentRow]

    @property
    def hidden_count(self) -> int:
        return sum(1 for row in self.rows if row.hidden)


def hidden_segments(sizes: dict[str, int], *, anonymous: bool) -> set[str]:
    """The segments not to show: in an anonymous round, those smaller than 5; and, when those
    add up to fewer than 5 people, the next smallest too, because the overall figures minus
    the shown segments would otherwise give the small ones away."""
    if not anonymous:
        return set()
    hidden = {
        value for value, size in sizes.items() if metrics.is_segment_hidden(size, anonymous=True)
    }
    pooled = sum(sizes[value] for value in hidden)
    if 0 < pooled < metrics.MIN_SEGMENT_SIZE:
        for value in sorted(set(sizes) - hidden, key=lambda v: (sizes[v], v)):
            hidden.add(value)
            pooled += sizes[value]
            if pooled >= metrics.MIN_SEGMENT_SIZE:
                break
    return hidden


def segment_results(
    session: Session,
    round_: FeedbackRound,
    dimension: Dimension,
    questions: Sequence[Question],
    *,
    numeric: Sequence[NumericRow] | None = None,
) -> SegmentResults:
    """The numeric questions' figures per value of one tester attribute: two queries (one when
    `numeric` already holds the answers grouped by that dimension). Per-brick questions count
    every brick's answers together. Hidden rows carry no figures at all."""
    numeric_questions = {q.id: q for q in questions if q.kind in NUMERIC_KINDS}
    column = dimension.column
    sizes = {
        str(value or ""): int(count)
        for value, count in session.execute(
            select(column, func.count(Response.id)).where(*_submitted(round_)).group_by(column)
        )
    }
    hidden = hidden_segments(sizes, anonymous=round_.anonymous)
    if numeric is None:
        numeric = _numeric_rows(session, round_, dimension) if numeric_questions else []
    counts: dict[tuple[str, int], dict[Any, int]] = defaultdict(dict)
    for segment, question_id, _brick, value, count in numeric:
        key = (segment or "", question_id)
        if key[0] in hidden or question_id not in numeric_questions:
            continue  # a hidden segment's figures never reach the page
        counts[key][value] = counts[key].get(value, 0) + count
    numeric_list = list(numeric_questions.values())
    ordered = sorted(sizes, key=lambda v: (v == "", sort_key(v)))
    return SegmentResults(
        dimension=dimension,
        questions=numeric_list,
        rows=[
            SegmentRow(
                value=value,
                size=sizes[value],
                hidden=value in hidden,
                figures={}
                if value in hidden
                else {
                    q.id: make_figures(
                        q,
                        counts.get((value, q.id), {}),
                        metrics.total(counts.get((value, q.id), {})),
                    )
                    for q in numeric_list
                },
            )
            for value in ordered
        ],
    )


# -- Free-text answers ----------------------------------------------------------------------


@dataclass(frozen=True)
class TextAnswer:
    question_id: int
    brick_id: int | None
    text: str
    respondent: str | None  # None in anonymous rounds


@dataclass
class TextPage:
    answers: list[TextAnswer]
    total: int
    page: int
    pages: int
    query: str


def _lowered(session: Session, column: Any) -> Any:
    """lower() that folds accented capitals too: PostgreSQL's does; SQLite's only knows ASCII,
    so on SQLite we give the connection Python's (no query is run to do so)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return func.lower(column)
    dbapi = connection.connection.dbapi_connection
    if dbapi is not None:
        dbapi.create_function("brique_lower", 1, _py_lower, deterministic=True)
    return func.brique_lower(column)


def _py_lower(value: str | None) -> str | None:
    return None if value is None else value.lower()


def text_answers(
    session: Session,
    round_: FeedbackRound,
    *,
    query: str = "",
    question_id: int | None = None,
    page: int = 1,
    per_page: int = TEXT_PAGE_SIZE,
) -> TextPage:
    """Free-text answers of submitted responses, searched case-insensitively, newest first (in
    alphabetical order in an anonymous round), a page at a time: two queries (count, page)."""
    query = query.strip()[:200]
    conditions: list[ColumnElement[bool]] = [
        *_submitted(round_),
        _of_kinds(round_, (QuestionKind.TEXT,)),
        func.coalesce(Answer.value_text, "") != "",
    ]
    if question_id is not None:
        conditions.append(Answer.question_id == question_id)
    if query:
        conditions.append(contains_text(_lowered(session, Answer.value_text), query.lower()))

    def base(statement: Any) -> Any:
        return statement.join(Response, Response.id == Answer.response_id).where(*conditions)

    total = int(session.scalar(base(select(func.count(Answer.id)))) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    anonymous = round_.anonymous
    statement = base(
        select(Answer.question_id, Answer.brick_id, Answer.value_text, User.display_name)
    ).outerjoin(User, User.id == Response.respondent_id)
    # Anonymous rounds: sorted by their text, an order that says nothing of who wrote when.
    order = (
        (Answer.value_text, Answer.question_id, Answer.brick_id, Answer.id)
        if anonymous
        else (Response.submitted_at.desc(), Answer.id)
    )
    rows = session.execute(statement.order_by(*order).limit(per_page).offset((page - 1) * per_page))
    return TextPage(
        answers=[
            TextAnswer(
                question_id=question,
                brick_id=brick,
                text=str(text),
                respondent=None if anonymous else name,
            )
            for question, brick, text, name in rows
        ],
        total=total,
        page=page,
        pages=pages,
        query=query,
    )
