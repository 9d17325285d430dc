"""What the sprint pages and the reports read (the rules are in sprints/services.py).

A sprint's bricks and commitment, its scope changes and results, the backlog beside it when
planning, the burn series, the velocity and flow figures.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload

from tracker import rows
from tracker.academies.models import Academy, Stage
from tracker.academies.services import list_stages
from tracker.backlog.models import Brick, BrickFormat
from tracker.backlog.queries import UNASSIGNED, BacklogFilters, filter_conditions
from tracker.sprints import charts
from tracker.sprints.flow import CumulativeFlow, FlowTimes, cumulative_flow, flow_times
from tracker.sprints.models import Sprint, SprintResult, SprintScopeChange
from tracker.sprints.services import done_condition

# Bricks per page of the planning view's backlog side.
PLANNING_PER_PAGE = 50


# -- A sprint as it stands -----------------------------------------------------------------------


@dataclass(frozen=True)
class Commitment:
    """What a sprint holds now (not its frozen baseline)."""

    count: int = 0
    points: int = 0
    done_count: int = 0
    done_points: int = 0
    capacity: int | None = None

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.points > self.capacity

    @property
    def share(self) -> float:
        """Committed points as a share of the capacity, 0 to 1 (capped), for the bar."""
        if not self.capacity:
            return 1.0 if self.points else 0.0
        return min(1.0, self.points / self.capacity)


def commitment(session: Session, sprint: Sprint) -> Commitment:
    """Bricks and points in the sprint, and the done part of them (one query)."""
    is_done = done_condition(sprint.academy_id)
    points = func.coalesce(Brick.estimate_points, 0)
    count, total, done_count, done_points = session.execute(
        select(
            func.count(Brick.id),
            func.coalesce(func.sum(points), 0),
            func.coalesce(func.sum(case((is_done, 1), else_=0)), 0),
            func.coalesce(func.sum(case((is_done, points), else_=0)), 0),
        ).where(Brick.sprint_id == sprint.id)
    ).one()
    return Commitment(
        int(count), int(total), int(done_count), int(done_points), sprint.capacity_points
    )


# What a brick's row shows besides the brick: its stage, path, owner and key (the academy).
ROW_LOADS = (
    joinedload(Brick.stage),
    joinedload(Brick.learning_path),
    joinedload(Brick.owner),
    joinedload(Brick.academy),
)


def sprint_bricks(session: Session, sprint: Sprint) -> list[Brick]:
    """The sprint's bricks in backlog order, with what a row shows (one query)."""
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.sprint_id == sprint.id)
            .options(*ROW_LOADS)
            .order_by(Brick.rank, Brick.id)
        ).unique()
    )


def scope_changes_of(session: Session, sprint: Sprint) -> list[SprintScopeChange]:
    oldest_first = (SprintScopeChange.at, SprintScopeChange.id)
    with_actor = [joinedload(SprintScopeChange.actor)]
    return rows.all_in(
        session, SprintScopeChange, *oldest_first, load=with_actor, sprint_id=sprint.id
    )


def result_of(session: Session, sprint: Sprint) -> SprintResult | None:
    return session.get(SprintResult, sprint.id)


# -- Planning: the backlog beside the sprint -----------------------------------------------------


@dataclass
class CandidatePage:
    """A page of the bricks a sprint may take: in no sprint, not done, in backlog order."""

    bricks: list[Brick]
    count: int
    points: int
    page: int
    pages: int
    per_page: int = PLANNING_PER_PAGE


def planning_candidates(
    session: Session,
    academy: Academy,
    *,
    format: BrickFormat | None = None,
    learning_path_id: int | None = None,
    page: int = 1,
    per_page: int = PLANNING_PER_PAGE,
) -> CandidatePage:
    """Two queries whatever the size of the backlog: the totals, then one page of rows."""
    filters = BacklogFilters(format=format, learning_path_id=learning_path_id, sprint_id=UNASSIGNED)
    conditions = [*filter_conditions(academy, filters), ~done_condition(academy.id)]
    count, points = session.execute(
        select(func.count(Brick.id), func.coalesce(func.sum(Brick.estimate_points), 0)).where(
            *conditions
        )
    ).one()
    pages = max(1, math.ceil(int(count) / per_page))
    page = min(max(1, page), pages)
    bricks = session.scalars(
        select(Brick)
        .where(*conditions)
        .options(*ROW_LOADS)
        .order_by(Brick.rank, Brick.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).unique()
    return CandidatePage(list(bricks), int(count), int(points or 0), page, pages, per_page)


# -- Charts --------------------------------------------------------------------------------------


def burn_series(
    session: Session, academy: Academy, sprint: Sprint, *, tz: dt.tzinfo, now: dt.datetime
) -> charts.SprintSeries | None:
    """The sprint page's burndown and burnup, day by day (None before the sprint starts)."""
    stages = list_stages(session, academy)
    return charts.sprint_series(session, sprint, charts.done_stage_ids(stages), tz=tz, now=now)


@dataclass
class Reports:
    """The reports page's figures: aggregates only, in a fixed number of queries."""

    stages: list[Stage]
    velocity: charts.Velocity
    flow: CumulativeFlow
    times: FlowTimes


def reports(
    session: Session,
    academy: Academy,
    first: dt.date,
    last: dt.date,
    *,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> Reports:
    """Velocity (the last closed sprints), and the cumulative flow and the lead and cycle
    times of the days from `first` to `last`."""
    stages = list_stages(session, academy)
    return Reports(
        stages=stages,
        velocity=charts.velocity(session, academy, charts.done_stage_ids(stages)),
        flow=cumulative_flow(session, academy, stages, first, last, tz=tz, now=now),
        times=flow_times(session, academy, stages, first, last, tz=tz, now=now),
    )
