"""The reports' flow figures: cumulative flow, lead and cycle times.

They replay the bricks' Activity history the way the sprint charts do (see sprints.charts).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy, Stage, StageCategory
from tracker.backlog.models import Activity
from tracker.sprints.charts import (
    EVENT_COLUMNS,
    Event,
    Replay,
    day_end,
    day_start,
    days_between,
    done_stage_ids,
    read_events,
)

# Days a cumulative flow or lead time period may span (a year and a day, leap years included).
MAX_PERIOD_DAYS = 366
# Histogram bins of lead and cycle times, in days: [0, 1), [1, 2), ... [55, ∞).
TIME_BINS: tuple[float, ...] = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55)
WORK_CATEGORIES = frozenset({StageCategory.ACTIVE, StageCategory.REVIEW})


# -- Cumulative flow -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowDay:
    date: dt.date
    counts: dict[int | None, int]  # stage id (None: a stage since removed) -> bricks


@dataclass
class CumulativeFlow:
    stages: list[Stage]  # board order
    days: list[FlowDay]

    @property
    def has_unknown(self) -> bool:
        return any(day.counts.get(None) for day in self.days)


def _latest_before(academy_id: int, moment: dt.datetime) -> Select[Any]:
    """Each brick's latest event before `moment` (its state then), in one query."""
    recent = (
        func.row_number()
        .over(partition_by=Activity.brick_number, order_by=(Activity.at.desc(), Activity.id.desc()))
        .label("recent")
    )
    inner = (
        select(*EVENT_COLUMNS, recent)
        .where(Activity.academy_id == academy_id, Activity.at < moment)
        .subquery("latest")
    )
    return select(
        inner.c.id,
        inner.c.brick_number,
        inner.c.at,
        inner.c.kind,
        inner.c.stage_id,
        inner.c.sprint_id,
        inner.c.points,
    ).where(inner.c.recent == 1)


def cumulative_flow(
    session: Session,
    academy: Academy,
    stages: list[Stage],
    first: dt.date,
    last: dt.date,
    *,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> CumulativeFlow:
    """Bricks per stage at the end of each day from `first` to `last` (days after now: none).

    Two queries: every brick's state when the period begins, then the period's events.
    """
    begin = day_start(first, tz)
    end = min(day_end(last, tz), now)
    initial = {e.number: e for e in read_events(session, _latest_before(academy.id, begin))}
    events = read_events(
        session,
        select(*EVENT_COLUMNS)
        .where(Activity.academy_id == academy.id, Activity.at >= begin, Activity.at < end)
        .order_by(Activity.at, Activity.id),
    )
    known = {s.id for s in stages}

    def column(state: Event) -> int | None:
        return state.stage_id if state.stage_id in known else None

    # Counts kept up to date event by event: O(events + days * stages), not bricks * days.
    counts: dict[int | None, int] = defaultdict(int)
    for state in initial.values():
        if not state.gone:
            counts[column(state)] += 1
    replay = Replay(events, initial)
    days = []
    for date in days_between(first, last):
        if day_start(date, tz) >= now:
            break
        for previous, event in replay.until(min(day_end(date, tz), now)):
            if previous is not None and not previous.gone:
                counts[column(previous)] -= 1
            if not event.gone:
                counts[column(event)] += 1
        days.append(FlowDay(date, {key: n for key, n in counts.items() if n}))
    return CumulativeFlow(stages=stages, days=days)


# -- Lead and cycle times ------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    """A brick finished in the period: when it was created, started and last entered done."""

    number: int
    created_at: dt.datetime
    started_at: dt.datetime | None  # first entry into an active or review stage
    done_at: dt.datetime

    @property
    def lead_days(self) -> float:
        return (self.done_at - self.created_at).total_seconds() / 86400

    @property
    def cycle_days(self) -> float | None:
        if self.started_at is None:
            return None
        return (self.done_at - self.started_at).total_seconds() / 86400


@dataclass(frozen=True)
class Bin:
    low: float
    high: float | None  # None: no upper bound
    count: int


@dataclass(frozen=True)
class Distribution:
    values: list[float]  # days, sorted
    bins: list[Bin]

    @property
    def count(self) -> int:
        return len(self.values)

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def p85(self) -> float | None:
        """The 85th percentile by nearest rank: 85 % of the values are at or below it."""
        if not self.values:
            return None
        return self.values[math.ceil(0.85 * len(self.values)) - 1]


def distribution(values: Iterable[float], edges: Sequence[float] = TIME_BINS) -> Distribution:
    ordered = sorted(values)
    bins = []
    for index, low in enumerate(edges):
        high = edges[index + 1] if index + 1 < len(edges) else None
        count = sum(1 for v in ordered if v >= low and (high is None or v < high))
        bins.append(Bin(low, high, count))
    return Distribution(ordered, bins)


@dataclass
class FlowTimes:
    finished: list[Finished]
    lead: Distribution
    cycle: Distribution

    @property
    def never_started(self) -> int:
        """Finished bricks that never went through an active or review stage (no cycle time)."""
        return sum(1 for f in self.finished if f.started_at is None)


def flow_times(
    session: Session,
    academy: Academy,
    stages: list[Stage],
    first: dt.date,
    last: dt.date,
    *,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> FlowTimes:
    """Lead time (created → done) and cycle time (first active stage → done) of the bricks
    that are done at the end of the period and last entered a done stage within it.

    One query: the whole history of the bricks that had a done-stage event in the period.
    """
    begin = day_start(first, tz)
    end = min(day_end(last, tz), now)
    done_ids = done_stage_ids(stages)
    work_ids = frozenset(s.id for s in stages if s.category in WORK_CATEGORIES)
    if not done_ids:
        return FlowTimes([], distribution([]), distribution([]))
    touched = select(Activity.brick_number).where(
        Activity.academy_id == academy.id,
        Activity.stage_id.in_(sorted(done_ids)),
        Activity.at >= begin,
        Activity.at < end,
    )
    events = read_events(
        session,
        select(*EVENT_COLUMNS)
        .where(
            Activity.academy_id == academy.id,
            Activity.brick_number.in_(touched),
            Activity.at < end,
        )
        .order_by(Activity.brick_number, Activity.at, Activity.id),
    )
    by_brick: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        by_brick[event.number].append(event)
    finished = []
    for number, history in by_brick.items():
        last_state = history[-1]
        if last_state.gone or last_state.stage_id not in done_ids:
            continue
        started_at: dt.datetime | None = None
        done_at: dt.datetime | None = None
        was_done = False
        for event in history:
            if started_at is None and event.stage_id in work_ids:
                started_at = event.at
            is_done = event.stage_id in done_ids
            if is_done and not was_done:
                done_at = event.at
            was_done = is_done
        if done_at is None or done_at < begin:
            continue
        finished.append(
            Finished(
                number=number,
                created_at=history[0].at,
                started_at=started_at if started_at is not None and started_at <= done_at else None,
                done_at=done_at,
            )
        )
    finished.sort(key=lambda f: (f.done_at, f.number))
    return FlowTimes(
        finished=finished,
        lead=distribution(f.lead_days for f in finished),
        cycle=distribution(c for f in finished if (c := f.cycle_days) is not None),
    )
