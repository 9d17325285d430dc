"""Outcomes read from the learner facts: per brick, per release, per training need. Aggregates
only (no learner is ever listed), by SQL: a fixed number of queries whatever the number of
facts (tests/learning/test_outcomes.py counts them).

Per brick: learners enrolled (any fact), completed (a completing fact), the completion rate,
the median time spent by those who completed it (beside the brick's planned learner duration),
the mean and median best score, and the same by business unit where a unit has at least
K_ANONYMITY learners (smaller units are shown together as "other units", and when those add up
to fewer than K_ANONYMITY the next smallest unit joins them, as in the beta rounds' results).
Per training need: the people of the requesting business unit who reached and completed the
need's bricks, next to the headcount the need gives.

Level 2 (learning), where a brick has a pre-assessment: the learners with both a score on it
(phase "pre", their best) and a score on the brick (their best: the post-assessment), their mean
score before and after, the mean gain (after - before, in points) and the share who improved.
Facts of a pre-assessment count for nothing else: a learner who only took it is not one of the
brick's learners, and it neither completes the brick nor gives it a score.

The figures read from the facts (the brick outcomes, the objectives' score counts) are kept per
worker, per set of bricks and per state of the academy's data (the change counters of
tracker.changes, as tracker/feedback/results.py keeps a round's aggregates): storing facts (a
pull, an LMS import), changing a brick or its objectives' evidence moves a counter, so a kept
figure is never stale, and a release page read again between two pulls reads no fact.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Subquery, and_, case, func, select
from sqlalchemy.orm import Session

from tracker import changes
from tracker.academies.models import Academy
from tracker.backlog.models import Brick, LearningObjective, TrainingNeed, need_brick
from tracker.learning.models import (
    SURVEY_EVIDENCE,
    Evaluation,
    EvaluationAnswer,
    EvaluationKind,
    EvaluationQuestion,
    FactPhase,
    LearnerFact,
    ObjectiveEvidence,
)

K_ANONYMITY = 5
INDICATIVE_UNDER = 30  # fewer learners than this: the figures are indicative only

T = TypeVar("T")
_KEPT: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
KEPT = 128


def _kept(session: Session, academy_id: int, asked: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()` (plain values, never ORM objects: they outlive the session) once per state
    of the academy's data and `asked`, then kept; afresh while the transaction has changes its
    commit has not counted yet."""
    if changes.pending(session):
        return compute()
    key = (asked, *changes.counters(session, academy_id))
    if key in _KEPT:
        _KEPT.move_to_end(key)
        found: T = _KEPT[key]
        return found
    found = _KEPT[key] = compute()
    while len(_KEPT) > KEPT:
        _KEPT.popitem(last=False)
    return found


def forget_kept() -> None:
    """Empty the kept figures (the test suite rolls committed data back, which moves the change
    counters backwards: production never does)."""
    _KEPT.clear()


@dataclass
class UnitOutcome:
    business_unit: str  # "" for the units shown together
    enrolled: int
    completed: int

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.enrolled if self.enrolled else None


@dataclass
class PrePost:
    """Level 2: learners with a score both before (pre-assessment) and after (the brick's
    assessment); the means are those of these learners only (scaled, 0..1)."""

    learners: int = 0
    mean_pre: float | None = None
    mean_post: float | None = None
    improved: int = 0  # learners whose score after is above their score before

    @property
    def mean_gain(self) -> float | None:
        """The mean of (after - before), scaled: 0.2 is 20 points of percentage."""
        if self.mean_pre is None or self.mean_post is None:
            return None
        return self.mean_post - self.mean_pre

    @property
    def improved_share(self) -> float | None:
        return self.improved / self.learners if self.learners else None

    @property
    def indicative(self) -> bool:
        return 0 < self.learners < INDICATIVE_UNDER

    @classmethod
    def combined(cls, parts: Sequence[PrePost]) -> PrePost:
        """Several bricks' figures as one (per learner and brick: a learner of two bricks
        counts twice, as the release's enrolments do)."""
        learners = sum(p.learners for p in parts)
        if not learners:
            return cls()
        return cls(
            learners,
            sum((p.mean_pre or 0) * p.learners for p in parts) / learners,
            sum((p.mean_post or 0) * p.learners for p in parts) / learners,
            sum(p.improved for p in parts),
        )


@dataclass
class BrickOutcome:
    brick_id: int
    planned_minutes: int | None = None
    enrolled: int = 0
    completed: int = 0
    scored: int = 0  # learners with a score
    mean_score: float | None = None
    median_score: float | None = None
    median_seconds: float | None = None
    units: list[UnitOutcome] = field(default_factory=list)
    others: UnitOutcome | None = None  # the units under K_ANONYMITY, together
    pre_post: PrePost = field(default_factory=PrePost)

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.enrolled if self.enrolled else None

    @property
    def indicative(self) -> bool:
        return 0 < self.enrolled < INDICATIVE_UNDER

    @property
    def median_minutes(self) -> float | None:
        return None if self.median_seconds is None else self.median_seconds / 60


def _per_learner(brick_ids: Sequence[int]) -> Subquery:
    """One row per brick and learner of the brick (a fact of the brick itself, not only of its
    pre-assessment): did they complete it, their best score, their longest time spent, their
    business unit, and their best score on the brick's pre-assessment ("pre")."""
    main = LearnerFact.phase == FactPhase.MAIN.value
    return (
        select(
            LearnerFact.brick_id,
            LearnerFact.learner_key,
            func.max(case((and_(main, LearnerFact.completed), 1), else_=0)).label("done"),
            func.max(case((main, LearnerFact.score))).label("best"),
            func.max(case((and_(main, LearnerFact.completed), LearnerFact.seconds))).label(
                "seconds"
            ),
            func.max(LearnerFact.business_unit).label("unit"),
            func.max(case((LearnerFact.phase == FactPhase.PRE.value, LearnerFact.score))).label(
                "pre"
            ),
        )
        .where(LearnerFact.brick_id.in_(brick_ids))
        .group_by(LearnerFact.brick_id, LearnerFact.learner_key)
        .having(func.max(case((main, 1), else_=0)) == 1)
        .subquery()
    )


def _medians(session: Session, learners: Subquery, column_name: str) -> dict[int, float]:
    """The median of a per-learner column per brick, by window functions (one query)."""
    column = learners.c[column_name]
    ranked = (
        select(
            learners.c.brick_id,
            column.label("value"),
            func.row_number().over(partition_by=learners.c.brick_id, order_by=column).label("n"),
            func.count().over(partition_by=learners.c.brick_id).label("total"),
        )
        .where(column.is_not(None))
        .subquery()
    )
    middle = and_(ranked.c.n >= ranked.c.total / 2.0, ranked.c.n <= ranked.c.total / 2.0 + 1)
    rows = session.execute(
        select(ranked.c.brick_id, func.avg(ranked.c.value))
        .where(middle)
        .group_by(ranked.c.brick_id)
    ).all()
    return {brick_id: float(value) for brick_id, value in rows if value is not None}


def hide_small_units(units: list[UnitOutcome]) -> tuple[list[UnitOutcome], UnitOutcome | None]:
    """Units of K_ANONYMITY learners or more, and the others together (None when there are
    none); when the others add up to fewer than K_ANONYMITY, the next smallest joins them."""
    shown = sorted(units, key=lambda u: (u.enrolled, u.business_unit))
    hidden: list[UnitOutcome] = []
    while shown and shown[0].enrolled < K_ANONYMITY:
        hidden.append(shown.pop(0))
    while hidden and shown and sum(u.enrolled for u in hidden) < K_ANONYMITY:
        hidden.append(shown.pop(0))
    others = None
    if hidden and sum(u.enrolled for u in hidden) >= K_ANONYMITY:
        others = UnitOutcome("", sum(u.enrolled for u in hidden), sum(u.completed for u in hidden))
    return sorted(shown, key=lambda u: u.business_unit.casefold()), others


def brick_outcomes(session: Session, bricks: Sequence[Brick]) -> dict[int, BrickOutcome]:
    """Each brick's outcome (four queries, whatever the number of facts; one when none of the
    bricks has a learner yet; none when kept, but the change counters' once per transaction)."""
    if not bricks:
        return {}
    ids = tuple(sorted(b.id for b in bricks))
    kept = _kept(
        session, bricks[0].academy_id, ("bricks", ids), lambda: _brick_outcomes(session, ids)
    )
    # A copy for the caller, its planned duration from the brick (read now, not kept).
    return {
        b.id: dataclasses.replace(kept[b.id], planned_minutes=b.learner_minutes) for b in bricks
    }


def _brick_outcomes(session: Session, ids: Sequence[int]) -> dict[int, BrickOutcome]:
    found = {brick_id: BrickOutcome(brick_id) for brick_id in ids}
    learners = _per_learner(list(found))
    both = and_(learners.c.best.is_not(None), learners.c.pre.is_not(None))
    for brick_id, enrolled, completed, scored, mean, paired, pre, post, improved in session.execute(
        select(
            learners.c.brick_id,
            func.count(),
            func.coalesce(func.sum(learners.c.done), 0),
            func.count(learners.c.best),
            func.avg(learners.c.best),
            func.count(case((both, 1))),
            func.avg(case((both, learners.c.pre))),
            func.avg(case((both, learners.c.best))),
            func.coalesce(
                func.sum(case((and_(both, learners.c.best > learners.c.pre), 1), else_=0)), 0
            ),
        ).group_by(learners.c.brick_id)
    ):
        outcome = found[brick_id]
        outcome.enrolled, outcome.completed, outcome.scored = enrolled, int(completed), scored
        outcome.mean_score = None if mean is None else float(mean)
        if paired:
            outcome.pre_post = PrePost(int(paired), float(pre), float(post), int(improved))
    if not any(outcome.enrolled for outcome in found.values()):
        return found  # no learner yet: nothing more to ask
    for brick_id, value in _medians(session, learners, "seconds").items():
        found[brick_id].median_seconds = value
    for brick_id, value in _medians(session, learners, "best").items():
        found[brick_id].median_score = value
    units: dict[int, list[UnitOutcome]] = defaultdict(list)
    for brick_id, unit, enrolled, completed in session.execute(
        select(
            learners.c.brick_id,
            learners.c.unit,
            func.count(),
            func.coalesce(func.sum(learners.c.done), 0),
        )
        .where(learners.c.unit != "")
        .group_by(learners.c.brick_id, learners.c.unit)
    ):
        units[brick_id].append(UnitOutcome(unit, enrolled, int(completed)))
    for brick_id, listed in units.items():
        found[brick_id].units, found[brick_id].others = hide_small_units(listed)
    return found


@dataclass
class ReleaseOutcome:
    bricks: list[tuple[Brick, BrickOutcome]]
    enrolments: int  # learner-brick pairs
    completions: int

    @property
    def completion_rate(self) -> float | None:
        return self.completions / self.enrolments if self.enrolments else None

    @property
    def has_data(self) -> bool:
        return self.enrolments > 0

    @property
    def pre_post(self) -> PrePost:
        return PrePost.combined([outcome.pre_post for _b, outcome in self.bricks])


def release_outcome(session: Session, bricks: Sequence[Brick]) -> ReleaseOutcome:
    by_brick = brick_outcomes(session, bricks)
    listed = [(brick, by_brick[brick.id]) for brick in bricks]
    return ReleaseOutcome(
        listed,
        enrolments=sum(o.enrolled for _b, o in listed),
        completions=sum(o.completed for _b, o in listed),
    )


@dataclass
class UnitsOutcome:
    """Learners by business unit over several bricks (people, each counted once)."""

    units: list[UnitOutcome] = field(default_factory=list)
    others: UnitOutcome | None = None


def release_units(session: Session, bricks: Sequence[Brick]) -> UnitsOutcome:
    """The people of each business unit who had a brick of the release (each once: their unit
    over all their facts on its bricks) and those who completed at least one, with the k >= 5
    rule (hide_small_units) applied to people, not to enrolments (one query)."""
    ids = [brick.id for brick in bricks]
    if not ids:
        return UnitsOutcome()
    main = LearnerFact.phase == FactPhase.MAIN.value
    people = (
        select(
            LearnerFact.learner_key,
            func.max(LearnerFact.business_unit).label("unit"),
            func.max(case((and_(main, LearnerFact.completed), 1), else_=0)).label("done"),
        )
        .where(LearnerFact.brick_id.in_(ids))
        .group_by(LearnerFact.learner_key)
        .having(func.max(case((main, 1), else_=0)) == 1)
        .subquery()
    )
    listed = [
        UnitOutcome(unit, count, int(done))
        for unit, count, done in session.execute(
            select(people.c.unit, func.count(), func.coalesce(func.sum(people.c.done), 0))
            .where(people.c.unit != "")
            .group_by(people.c.unit)
        )
    ]
    return UnitsOutcome(*hide_small_units(listed))


@dataclass
class NeedReach:
    need: TrainingNeed
    reached: int  # people of the need's business unit with a fact on one of its bricks
    completed: int  # ... who completed one of its bricks
    # "Have you applied...?" in the transfer evaluations of its bricks' releases (release-wide:
    # every learner of the release answers them, not only the need's unit): the latest kind
    # with answers (J+90, else J+30), summed over the releases.
    applied_kind: EvaluationKind | None = None
    applied_answers: int = 0
    applied_yes: int = 0

    @property
    def reach_rate(self) -> float | None:
        headcount = self.need.headcount
        return self.reached / headcount if headcount else None

    @property
    def completion_rate(self) -> float | None:
        headcount = self.need.headcount
        return self.completed / headcount if headcount else None

    @property
    def applied_share(self) -> float | None:
        return self.applied_yes / self.applied_answers if self.applied_answers else None

    @property
    def applied_indicative(self) -> bool:
        return 0 < self.applied_answers < INDICATIVE_UNDER


TRANSFER_KINDS = (EvaluationKind.TRANSFER_90, EvaluationKind.TRANSFER_30)  # latest first


def need_reach(session: Session, academy: Academy) -> list[NeedReach]:
    """Each need with bricks: the people of its requesting business unit reached and who
    completed, next to its headcount, and the share who say they applied it (four queries,
    whatever the number of facts and answers; one when no need has a brick).

    A learner's unit is theirs over all their facts on the need's bricks (as per brick:
    `_per_learner`), so a completion whose statement carried no unit still counts for the
    learner whose launch named it."""
    needs = list(
        session.scalars(
            select(TrainingNeed)
            .where(
                TrainingNeed.academy_id == academy.id,
                TrainingNeed.id.in_(select(need_brick.c.need_id)),
            )
            .order_by(TrainingNeed.business_unit, TrainingNeed.title)
        )
    )
    if not needs:
        return []
    main = LearnerFact.phase == FactPhase.MAIN.value  # a pre-assessment reaches no one
    learners = (
        select(
            need_brick.c.need_id,
            LearnerFact.learner_key,
            func.max(LearnerFact.business_unit).label("unit"),
            func.max(case((and_(main, LearnerFact.completed), 1), else_=0)).label("done"),
        )
        .join(LearnerFact, LearnerFact.brick_id == need_brick.c.brick_id)
        .join(TrainingNeed, TrainingNeed.id == need_brick.c.need_id)
        .where(TrainingNeed.academy_id == academy.id)
        .group_by(need_brick.c.need_id, LearnerFact.learner_key)
        .having(func.max(case((main, 1), else_=0)) == 1)
        .subquery()
    )
    counts = {
        need_id: (reached, int(done))
        for need_id, reached, done in session.execute(
            select(learners.c.need_id, func.count(), func.coalesce(func.sum(learners.c.done), 0))
            .join(TrainingNeed, TrainingNeed.id == learners.c.need_id)
            .where(func.lower(learners.c.unit) == func.lower(TrainingNeed.business_unit))
            .group_by(learners.c.need_id)
        )
    }
    found = [NeedReach(need, *counts.get(need.id, (0, 0))) for need in needs]
    releases_of: dict[int, set[int]] = defaultdict(set)
    for need_id, release_id in session.execute(
        select(need_brick.c.need_id, Brick.release_id)
        .join(Brick, Brick.id == need_brick.c.brick_id)
        .where(need_brick.c.need_id.in_([n.id for n in needs]), Brick.release_id.is_not(None))
        .distinct()
    ):
        releases_of[need_id].add(release_id)
    if not releases_of:
        return found
    answers: dict[tuple[int, EvaluationKind], list[int]] = defaultdict(lambda: [0, 0])
    for release_id, kind, value, count in session.execute(
        select(Evaluation.release_id, Evaluation.kind, EvaluationAnswer.value_int, func.count())
        .join(EvaluationQuestion, EvaluationQuestion.evaluation_id == Evaluation.id)
        .join(EvaluationAnswer, EvaluationAnswer.question_id == EvaluationQuestion.id)
        .where(
            Evaluation.release_id.in_(set().union(*releases_of.values())),
            Evaluation.kind.in_(TRANSFER_KINDS),
            EvaluationQuestion.measure == "applied",
            EvaluationAnswer.value_int.is_not(None),
        )
        .group_by(Evaluation.release_id, Evaluation.kind, EvaluationAnswer.value_int)
    ):
        given = answers[(release_id, kind)]
        given[0] += int(count)
        given[1] += int(count) if value == 1 else 0
    for reach in found:
        for kind in TRANSFER_KINDS:
            total = [answers.get((r, kind), [0, 0]) for r in releases_of.get(reach.need.id, ())]
            if sum(t[0] for t in total):
                reach.applied_kind = kind
                reach.applied_answers = sum(t[0] for t in total)
                reach.applied_yes = sum(t[1] for t in total)
                break
    return found


@dataclass
class ObjectiveOutcome:
    objective: LearningObjective
    min_score: float | None  # scaled; None: no score evidence
    scored: int  # learners with a score on the brick
    reached: int  # ... whose best score is at or above the threshold
    survey: str = ""  # a SURVEY_EVIDENCE key ("": none)
    answered: int = 0  # answers to that question in the release's evaluations of that kind
    yes: int = 0

    @property
    def share(self) -> float | None:
        return self.reached / self.scored if self.scored and self.min_score is not None else None

    @property
    def survey_share(self) -> float | None:
        return self.yes / self.answered if self.answered else None

    @property
    def indicative(self) -> bool:
        return 0 < self.scored < INDICATIVE_UNDER

    @property
    def survey_indicative(self) -> bool:
        return 0 < self.answered < INDICATIVE_UNDER


def objective_outcomes(
    session: Session, bricks: Sequence[Brick]
) -> dict[int, list[ObjectiveOutcome]]:
    """Per brick, its objectives tied to evidence: the share of learners (with a score) whose
    best score reached the threshold, and the share of yes to the survey question in the
    release's evaluations of that kind (three queries, whatever the number of facts)."""
    ids = [brick.id for brick in bricks]
    if not ids:
        return {}
    tied = session.execute(
        select(LearningObjective, ObjectiveEvidence.min_score, ObjectiveEvidence.survey)
        .join(ObjectiveEvidence, ObjectiveEvidence.objective_id == LearningObjective.id)
        .where(LearningObjective.brick_id.in_(ids))
        .order_by(LearningObjective.brick_id, LearningObjective.position)
    ).all()
    if not tied:
        return {}
    counts = _kept(
        session, bricks[0].academy_id, ("objectives", tuple(sorted(ids))),
        lambda: _objective_counts(session, ids),
    )  # fmt: skip
    release_of = {brick.id: brick.release_id for brick in bricks}
    answers: dict[tuple[int, str, str], dict[int, int]] = defaultdict(dict)
    if any(survey for _o, _m, survey in tied):
        for answered_release, answered_kind, measure, value, count in session.execute(
            select(
                Evaluation.release_id,
                Evaluation.kind,
                EvaluationQuestion.measure,
                EvaluationAnswer.value_int,
                func.count(),
            )
            .join(EvaluationQuestion, EvaluationQuestion.evaluation_id == Evaluation.id)
            .join(EvaluationAnswer, EvaluationAnswer.question_id == EvaluationQuestion.id)
            .where(
                Evaluation.release_id.in_({r for r in release_of.values() if r is not None}),
                EvaluationQuestion.measure.in_(["intention", "applied"]),
                EvaluationAnswer.value_int.is_not(None),
            )
            .group_by(
                Evaluation.release_id,
                Evaluation.kind,
                EvaluationQuestion.measure,
                EvaluationAnswer.value_int,
            )
        ):
            if value is not None:
                answers[(answered_release, answered_kind.value, measure)][int(value)] = int(count)
    found: dict[int, list[ObjectiveOutcome]] = defaultdict(list)
    for objective, min_score, survey in tied:
        scored, reached = counts.get((objective.brick_id, objective.id), (0, 0))
        outcome = ObjectiveOutcome(objective, min_score, scored, reached, survey or "")
        if survey and survey in SURVEY_EVIDENCE:
            survey_kind, survey_measure = SURVEY_EVIDENCE[survey]
            on_release = release_of.get(objective.brick_id) or 0
            given = answers.get((on_release, survey_kind, survey_measure), {})
            outcome.answered, outcome.yes = sum(given.values()), given.get(1, 0)
        found[objective.brick_id].append(outcome)
    return dict(found)


def _objective_counts(
    session: Session, ids: Sequence[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Per brick and objective with a score threshold: the learners with a score, and those
    whose best score reached the threshold (one query)."""
    learners = _per_learner(ids)
    return {
        (brick_id, objective_id): (int(scored), int(reached or 0))
        for brick_id, objective_id, scored, reached in session.execute(
            select(
                learners.c.brick_id,
                ObjectiveEvidence.objective_id,
                func.count(learners.c.best),
                func.sum(case((learners.c.best >= ObjectiveEvidence.min_score, 1), else_=0)),
            )
            .join(LearningObjective, LearningObjective.brick_id == learners.c.brick_id)
            .join(ObjectiveEvidence, ObjectiveEvidence.objective_id == LearningObjective.id)
            .where(learners.c.best.is_not(None))
            .group_by(learners.c.brick_id, ObjectiveEvidence.objective_id)
        )
    }
