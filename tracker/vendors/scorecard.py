"""The vendor scorecard: computed, never typed, for every vendor side by side, in a fixed number
of queries whatever the number of vendors and bricks.

- delivered: bricks of the vendor now in a done stage;
- on-time rate: of the delivered bricks with a due date (their sprint's end, else their release's
  target date), the share whose first move into a done stage (the brick's history) came on or
  before that day;
- review cycles: moves out of a review stage back to a backlog or active stage before the brick
  was first done (its history), per delivered brick;
- beta: CSAT and NPS of the per-brick answers about their bricks (submitted responses, via
  tracker.feedback.metrics), blocking feedback items per brick;
- cost per learner hour: accepted quotes over the learner time of the bricks that have a cost;
- outcomes after release, where the learning data exists: the completion rate of the learners
  of their bricks whose release is released (learner-brick pairs, through
  tracker.learning.outcomes).

Over time: the last QUARTERS calendar quarters (the current one last), each with the bricks first
done in it (delivered, on time, review cycles as above) and the completion rate of the bricks
whose release was released in it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from tracker.academies.models import Academy, Stage, StageCategory
from tracker.backlog.models import Activity, ActivityKind, Brick
from tracker.feedback import metrics
from tracker.feedback.models import (
    Answer,
    FeedbackItem,
    Question,
    QuestionKind,
    Response,
    ResponseState,
    Severity,
)
from tracker.learning.outcomes import brick_outcomes
from tracker.releases.models import Release, ReleaseState
from tracker.sprints.models import Sprint
from tracker.vendors.models import Vendor
from tracker.vendors.quotes import CENT, Money, actual_by_brick

QUARTERS = 4


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1 to 4

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def before(self) -> Quarter:
        return Quarter(self.year, self.number - 1) if self.number > 1 else Quarter(self.year - 1, 4)


def last_quarters(today: dt.date, count: int = QUARTERS) -> list[Quarter]:
    """The `count` quarters up to today's, oldest first."""
    found = [Quarter.of(today)]
    while len(found) < count:
        found.append(found[-1].before())
    return found[::-1]


@dataclass
class Delivery:
    """Bricks delivered (first done) in a span of time, their punctuality and review cycles,
    and the learners of the bricks released then."""

    delivered: int = 0
    with_due_date: int = 0
    on_time: int = 0
    review_cycles: int = 0
    enrolments: int = 0  # learner-brick pairs of released bricks with learning data
    completions: int = 0
    measured_bricks: int = 0  # released bricks with at least one learner

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.with_due_date * 100 if self.with_due_date else None

    @property
    def review_cycles_per_brick(self) -> float | None:
        return self.review_cycles / self.delivered if self.delivered else None

    @property
    def completion_rate(self) -> float | None:
        return self.completions / self.enrolments * 100 if self.enrolments else None


@dataclass
class VendorScore:
    vendor: Vendor
    assigned: int = 0
    delivered: int = 0
    with_due_date: int = 0
    on_time: int = 0
    review_cycles: int = 0
    ratings: dict[int, int] = field(default_factory=dict)
    nps_answers: dict[int, int] = field(default_factory=dict)
    blocking: int = 0
    tested_bricks: int = 0
    cost: Money = field(default_factory=dict)
    costed_minutes: int = 0
    # Learners of their released bricks (all time), and the last quarters, oldest first.
    outcomes: Delivery = field(default_factory=Delivery)
    quarters: dict[Quarter, Delivery] = field(default_factory=dict)

    @property
    def completion_rate(self) -> float | None:
        return self.outcomes.completion_rate

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.with_due_date * 100 if self.with_due_date else None

    @property
    def review_cycles_per_brick(self) -> float | None:
        return self.review_cycles / self.delivered if self.delivered else None

    @property
    def csat(self) -> float | None:
        return metrics.csat(self.ratings)

    @property
    def nps(self) -> float | None:
        score = metrics.nps(self.nps_answers)
        return score.score if score is not None else None

    @property
    def blocking_per_brick(self) -> float | None:
        return self.blocking / self.tested_bricks if self.tested_bricks else None

    @property
    def cost_per_learner_hour(self) -> Money:
        if not self.costed_minutes:
            return {}
        hours = Decimal(self.costed_minutes) / Decimal(60)
        return {c: (a / hours).quantize(CENT, rounding=ROUND_HALF_UP) for c, a in self.cost.items()}


def scorecard(
    session: Session, academy: Academy, today: dt.date | None = None
) -> list[VendorScore]:
    """Every vendor of the academy (archived ones too: their record stays), by name, with the
    last QUARTERS quarters up to `today` (UTC today when not given)."""
    quarters = last_quarters(today or dt.datetime.now(dt.UTC).date())
    vendors = list(
        session.scalars(
            select(Vendor)
            .where(Vendor.academy_id == academy.id)
            .order_by(func.lower(Vendor.name), Vendor.id)
        )
    )
    scores = {v.id: VendorScore(v, quarters={q: Delivery() for q in quarters}) for v in vendors}
    categories: dict[int, StageCategory] = dict(
        session.execute(
            select(Stage.id, Stage.category).where(Stage.academy_id == academy.id)
        ).all()
    )
    bricks = session.execute(
        select(
            Brick.id,
            Brick.vendor_id,
            Brick.stage_id,
            Brick.learner_minutes,
            Sprint.end_date,
            Release.target_date,
            Release.state,
            Release.released_at,
        )
        .outerjoin(Sprint, Sprint.id == Brick.sprint_id)
        .outerjoin(Release, Release.id == Brick.release_id)
        .where(Brick.academy_id == academy.id, Brick.vendor_id.is_not(None))
    ).all()
    vendor_of = {row.id: row.vendor_id for row in bricks}
    # The history of the vendors' bricks: stage after each move, in order.
    moves: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for brick_id, at, stage_id in session.execute(
        select(Activity.brick_id, Activity.at, Activity.stage_id)
        .join(Brick, Brick.id == Activity.brick_id)
        .where(
            Brick.academy_id == academy.id,
            Brick.vendor_id.is_not(None),
            Activity.stage_id.is_not(None),
            Activity.kind.in_((ActivityKind.CREATED, ActivityKind.MOVED)),
        )
        .order_by(Activity.brick_id, Activity.at, Activity.id)
    ):
        if brick_id is not None and stage_id is not None:
            moves[brick_id].append((at, stage_id))
    cost = actual_by_brick(session, academy)
    for row in bricks:
        score = scores.get(row.vendor_id)
        if score is None:
            continue
        score.assigned += 1
        first_done: dt.datetime | None = None
        cycles = 0
        previous: StageCategory | None = None
        for at, stage_id in moves.get(row.id, []):
            category = categories.get(stage_id)
            if category == StageCategory.DONE:
                first_done = at
                break
            if previous == StageCategory.REVIEW and category in (
                StageCategory.BACKLOG,
                StageCategory.ACTIVE,
            ):
                cycles += 1
            previous = category
        if categories.get(row.stage_id) == StageCategory.DONE:
            score.delivered += 1
            score.review_cycles += cycles
            due = row.end_date or row.target_date
            if due is not None and first_done is not None:
                score.with_due_date += 1
                if first_done.date() <= due:
                    score.on_time += 1
            if first_done is not None and Quarter.of(first_done.date()) in score.quarters:
                span = score.quarters[Quarter.of(first_done.date())]
                span.delivered += 1
                span.review_cycles += cycles
                if due is not None:
                    span.with_due_date += 1
                    span.on_time += first_done.date() <= due
        if row.id in cost:
            for currency, amount in cost[row.id].items():
                score.cost[currency] = score.cost.get(currency, Decimal(0)) + amount
            score.costed_minutes += row.learner_minutes or 0
    # Beta: per-brick rating and NPS answers of submitted responses, about the vendors' bricks.
    answers = session.execute(
        select(Answer.brick_id, Question.kind, Answer.value_int, func.count(Answer.id))
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .join(Brick, Brick.id == Answer.brick_id)
        .where(
            Brick.academy_id == academy.id,
            Brick.vendor_id.is_not(None),
            Response.state == ResponseState.SUBMITTED,
            Question.kind.in_((QuestionKind.RATING, QuestionKind.NPS)),
            Answer.value_int.is_not(None),
        )
        .group_by(Answer.brick_id, Question.kind, Answer.value_int)
    ).all()
    tested: dict[int, set[int]] = defaultdict(set)
    for brick_id, kind, value, count in answers:
        vendor_id = vendor_of.get(brick_id) if brick_id is not None else None
        if brick_id is None or value is None or vendor_id is None or vendor_id not in scores:
            continue
        tested[vendor_id].add(brick_id)
        target = (
            scores[vendor_id].ratings
            if kind == QuestionKind.RATING
            else scores[vendor_id].nps_answers
        )
        target[int(value)] = target.get(int(value), 0) + int(count)
    for brick_id, count in session.execute(
        select(FeedbackItem.brick_id, func.count(FeedbackItem.id))
        .join(Brick, Brick.id == FeedbackItem.brick_id)
        .where(
            Brick.academy_id == academy.id,
            Brick.vendor_id.is_not(None),
            FeedbackItem.severity == Severity.BLOCKING,
        )
        .group_by(FeedbackItem.brick_id)
    ):
        vendor_id = vendor_of.get(brick_id) if brick_id is not None else None
        if brick_id is not None and vendor_id is not None and vendor_id in scores:
            scores[vendor_id].blocking += int(count)
            tested[vendor_id].add(brick_id)
    for vendor_id, ids in tested.items():
        scores[vendor_id].tested_bricks = len(ids)
    _add_outcomes(session, academy, scores, bricks)
    return list(scores.values())


def _add_outcomes(
    session: Session, academy: Academy, scores: dict[int, VendorScore], bricks: Sequence[Any]
) -> None:
    """The learners of the vendors' released bricks: all time, and in the quarter of the
    release (no query when no brick of theirs is released; a bounded number else)."""
    released = {
        row.id: row
        for row in bricks
        if row.state == ReleaseState.RELEASED and row.vendor_id in scores
    }
    if not released:
        return
    loaded = session.scalars(
        select(Brick)
        .join(Release, Release.id == Brick.release_id)
        .where(
            Brick.academy_id == academy.id,
            Brick.vendor_id.is_not(None),
            Release.state == ReleaseState.RELEASED,
        )
        .options(load_only(Brick.id, Brick.learner_minutes))
    ).all()
    for brick_id, outcome in brick_outcomes(session, loaded).items():
        row = released.get(brick_id)
        if row is None or not outcome.enrolled:
            continue
        score = scores[row.vendor_id]
        spans = [score.outcomes]
        if row.released_at is not None:
            quarter = score.quarters.get(Quarter.of(row.released_at.date()))
            spans += [quarter] if quarter is not None else []
        for span in spans:
            span.enrolments += outcome.enrolled
            span.completions += outcome.completed
            span.measured_bricks += 1
