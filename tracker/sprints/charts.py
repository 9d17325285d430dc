"""The figures of the sprint charts (burndown, burnup) and of velocity, from the Activity history.

The reports' flow figures (sprints.flow) replay the same history with the tools defined here.

Every Activity row records the brick's stage, sprint and points right AFTER the event, so the
state of any brick at any moment is the one of its latest event at or before that moment. The
charts replay the events of the bricks concerned, day by day in the academy's time zone: they
can be rebuilt at any time, and editing a brick today never rewrites a past day. Each chart
reads its events in one bounded query (or two), never one per day or per brick.

A brick is followed by its number (never reused in an academy) rather than its id, so that a
deleted brick keeps its past: its DELETED event takes it out of every count from then on.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from tracker.academies.models import Academy, Stage, StageCategory
from tracker.backlog.models import Activity, ActivityKind
from tracker.sprints.models import Sprint, SprintScopeChange, SprintState

# How many closed sprints the velocity chart shows; its mean is over the last three.
VELOCITY_SPRINTS = 8
VELOCITY_MEAN_OF = 3


# -- Time: local days ----------------------------------------------------------------------------


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant of `day` in `tz`, as an aware UTC datetime (DST-safe)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.UTC)


def day_end(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The first instant after `day` in `tz` (events strictly before it belong to the day)."""
    return day_start(day + dt.timedelta(days=1), tz)


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


# -- Events and states ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: int
    number: int  # the brick's number
    at: dt.datetime
    kind: ActivityKind
    stage_id: int | None
    sprint_id: int | None
    points: int | None

    @property
    def gone(self) -> bool:
        return self.kind == ActivityKind.DELETED


# What an Event is read from, in the order of its fields.
EVENT_COLUMNS = (
    Activity.id,
    Activity.brick_number,
    Activity.at,
    Activity.kind,
    Activity.stage_id,
    Activity.sprint_id,
    Activity.points,
)


def read_events(session: Session, query: Executable) -> list[Event]:
    """The events a query of EVENT_COLUMNS returns, in its order."""
    return [Event(*row) for row in session.execute(query)]


def _numbers_ever_in(academy_id: int, sprint_ids: Iterable[int]) -> Any:
    """The numbers of the bricks that were in one of these sprints at some moment.

    For `IN (...)`: no DISTINCT, which SQLite would sort for nothing (several times slower).
    """
    return select(Activity.brick_number).where(
        Activity.academy_id == academy_id, Activity.sprint_id.in_(sorted(sprint_ids))
    )


class Replay:
    """The bricks' states while events are applied in time order."""

    def __init__(self, events: Sequence[Event], states: dict[int, Event] | None = None) -> None:
        self.events = events
        self.states: dict[int, Event] = dict(states or {})
        self.index = 0

    def until(self, moment: dt.datetime) -> Iterator[tuple[Event | None, Event]]:
        """Apply every event before `moment`; yield (previous state, event) as they apply."""
        while self.index < len(self.events) and self.events[self.index].at < moment:
            event = self.events[self.index]
            previous = self.states.get(event.number)
            self.states[event.number] = event
            self.index += 1
            yield previous, event

    def advance(self, moment: dt.datetime) -> None:
        for _ in self.until(moment):
            pass

    def current(self) -> Iterator[Event]:
        """The state of each brick that still exists."""
        return (state for state in self.states.values() if not state.gone)


def done_stage_ids(stages: Iterable[Stage]) -> frozenset[int]:
    return frozenset(s.id for s in stages if s.category == StageCategory.DONE)


# -- A sprint: burndown and burnup ---------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """A sprint's scope at one moment: what is in it, and the done part of it."""

    scope_points: int = 0
    scope_count: int = 0
    done_points: int = 0
    done_count: int = 0

    @property
    def remaining_points(self) -> int:
        return self.scope_points - self.done_points

    @property
    def remaining_count(self) -> int:
        return self.scope_count - self.done_count


def tally(states: Iterable[Event], sprint_id: int, done_ids: frozenset[int]) -> Tally:
    scope_points = scope_count = done_points = done_count = 0
    for state in states:
        if state.gone or state.sprint_id != sprint_id:
            continue
        points = state.points or 0
        scope_points += points
        scope_count += 1
        if state.stage_id in done_ids:
            done_points += points
            done_count += 1
    return Tally(scope_points, scope_count, done_points, done_count)


@dataclass(frozen=True)
class ScopeEvent:
    """A brick that entered or left the sprint after it started (from its Activity)."""

    activity_id: int
    number: int
    at: dt.datetime
    day_index: int  # 1-based: the sprint day it happened in
    added: bool
    points: int
    reason: str | None  # None: changed without a reason (before every path asked one)


@dataclass(frozen=True)
class SprintDay:
    date: dt.date
    index: int  # 1 = the sprint's first day
    tally: Tally | None  # None: the day has not begun yet
    ideal: float  # remaining points of a steady burn at the end of the day


@dataclass
class SprintSeries:
    """A started sprint, day by day: remaining (burndown), done and scope (burnup)."""

    sprint_id: int
    start: Tally  # at the start (the baseline, as the history tells it)
    days: list[SprintDay]
    scope_events: list[ScopeEvent]
    final: Tally  # at the cutoff
    cutoff: dt.datetime  # events from this moment on are ignored (the close, or now)

    @property
    def baseline_points(self) -> int:
        return self.start.scope_points

    @property
    def added_points(self) -> int:
        return sum(e.points for e in self.scope_events if e.added)

    @property
    def removed_points(self) -> int:
        return sum(e.points for e in self.scope_events if not e.added)

    def remaining_by_day(self) -> dict[dt.date, int | None]:
        return {
            d.date: (d.tally.remaining_points if d.tally is not None else None) for d in self.days
        }


def sprint_series(
    session: Session,
    sprint: Sprint,
    done_ids: frozenset[int],
    *,
    tz: dt.tzinfo,
    now: dt.datetime,
) -> SprintSeries | None:
    """The sprint's days from its start date to its end date; None before it starts.

    The remaining points of day D are the points of the bricks whose latest event before the
    end of D (local time) puts them in the sprint and not in a done stage. For a closed sprint
    nothing after the close counts (the close sends unfinished bricks away at that moment);
    for an active one, nothing after `now`. Two queries: the events, the scope change reasons.
    """
    if sprint.state == SprintState.PLANNED or sprint.started_at is None:
        return None
    if sprint.start_date is None or sprint.end_date is None:
        return None
    cutoff = sprint.closed_at if sprint.closed_at is not None else now
    events = read_events(
        session,
        select(*EVENT_COLUMNS)
        .where(
            Activity.academy_id == sprint.academy_id,
            Activity.brick_number.in_(_numbers_ever_in(sprint.academy_id, [sprint.id])),
            Activity.at < cutoff,
        )
        .order_by(Activity.at, Activity.id),
    )
    rows = session.execute(
        select(SprintScopeChange.activity_id, SprintScopeChange.reason).where(
            SprintScopeChange.sprint_id == sprint.id, SprintScopeChange.activity_id.is_not(None)
        )
    ).all()
    reasons: dict[int | None, str] = {row.activity_id: row.reason for row in rows}
    return replay_sprint(sprint, events, done_ids, reasons, tz=tz, cutoff=cutoff)


def replay_sprint(
    sprint: Sprint,
    events: Sequence[Event],
    done_ids: frozenset[int],
    reasons: dict[int | None, str],
    *,
    tz: dt.tzinfo,
    cutoff: dt.datetime,
) -> SprintSeries:
    assert sprint.started_at is not None and sprint.start_date and sprint.end_date
    # The start counts what was committed up to and including the moment it started.
    started = min(sprint.started_at + dt.timedelta(microseconds=1), cutoff)
    replay = Replay(events)
    replay.advance(started)
    start = tally(replay.current(), sprint.id, done_ids)
    dates = days_between(sprint.start_date, sprint.end_date)
    length = len(dates)
    baseline = start.scope_points
    days: list[SprintDay] = []
    scope_events: list[ScopeEvent] = []

    def follow(moment: dt.datetime, index: int) -> None:
        for previous, event in replay.until(moment):
            was_in = previous is not None and not previous.gone and previous.sprint_id == sprint.id
            is_in = not event.gone and event.sprint_id == sprint.id
            if was_in == is_in:
                continue
            source = event if is_in else (previous or event)
            scope_events.append(
                ScopeEvent(
                    activity_id=event.id,
                    number=event.number,
                    at=event.at,
                    day_index=index,
                    added=is_in,
                    points=source.points or 0,
                    reason=reasons.get(event.id),
                )
            )

    for index, date in enumerate(dates, start=1):
        ideal = round(baseline * (1 - index / length), 2)
        if day_start(date, tz) >= cutoff:  # not begun yet (or after the close)
            days.append(SprintDay(date, index, None, ideal))
            continue
        follow(min(day_end(date, tz), cutoff), index)
        days.append(SprintDay(date, index, tally(replay.current(), sprint.id, done_ids), ideal))
    follow(cutoff, length)  # between the last day and the close: shown on the last day
    return SprintSeries(
        sprint_id=sprint.id,
        start=start,
        days=days,
        scope_events=scope_events,
        final=tally(replay.current(), sprint.id, done_ids),
        cutoff=cutoff,
    )


# -- Velocity over the last closed sprints -------------------------------------------------------


@dataclass(frozen=True)
class SprintVelocity:
    sprint_id: int
    name: str
    end_date: dt.date | None
    committed: int  # points in the sprint when it started
    completed: int  # points in the sprint and done when it closed


@dataclass
class Velocity:
    sprints: list[SprintVelocity]  # oldest first

    @property
    def mean_of(self) -> list[SprintVelocity]:
        return self.sprints[-VELOCITY_MEAN_OF:]

    @property
    def mean(self) -> float | None:
        """Velocity: completed points per closed sprint, mean of the last three (or fewer)."""
        recent = self.mean_of
        return round(sum(s.completed for s in recent) / len(recent), 1) if recent else None


def closed_sprints(session: Session, academy: Academy, limit: int) -> list[Sprint]:
    """The `limit` most recently closed sprints, oldest first."""
    found = session.scalars(
        select(Sprint)
        .where(
            Sprint.academy_id == academy.id,
            Sprint.state == SprintState.CLOSED,
            Sprint.started_at.is_not(None),
            Sprint.closed_at.is_not(None),
        )
        .order_by(Sprint.closed_at.desc(), Sprint.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(found))


def _state_at(
    history: Sequence[Event], times: Sequence[dt.datetime], moment: dt.datetime
) -> Event | None:
    """The latest of a brick's events (in time order, `times` their `at`) before `moment`."""
    index = bisect.bisect_left(times, moment)
    return history[index - 1] if index else None


def velocity(
    session: Session,
    academy: Academy,
    done_ids: frozenset[int],
    *,
    limit: int = VELOCITY_SPRINTS,
) -> Velocity:
    """Committed (at the start) against completed (at the close) for the last closed sprints.

    Two queries whatever the number of sprints, bricks and events.
    """
    sprints = closed_sprints(session, academy, limit)
    if not sprints:
        return Velocity([])
    last_close = max(s.closed_at for s in sprints if s.closed_at is not None)
    events = read_events(
        session,
        select(*EVENT_COLUMNS)
        .where(
            Activity.academy_id == academy.id,
            Activity.brick_number.in_(_numbers_ever_in(academy.id, [s.id for s in sprints])),
            Activity.at < last_close,
        )
        .order_by(Activity.at, Activity.id),
    )
    by_brick: dict[int, list[Event]] = defaultdict(list)
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    members: dict[int, set[int]] = defaultdict(set)  # sprint id -> numbers ever in it
    for event in events:
        by_brick[event.number].append(event)
        times[event.number].append(event.at)
        if event.sprint_id is not None:
            members[event.sprint_id].add(event.number)
    found = []
    for sprint in sprints:
        assert sprint.started_at is not None and sprint.closed_at is not None
        numbers = sorted(members.get(sprint.id, ()))

        def states(moment: dt.datetime, numbers: list[int] = numbers) -> Iterator[Event]:
            for number in numbers:
                state = _state_at(by_brick[number], times[number], moment)
                if state is not None:
                    yield state

        found.append(
            SprintVelocity(
                sprint_id=sprint.id,
                name=sprint.name,
                end_date=sprint.end_date,
                committed=tally(
                    states(sprint.started_at + dt.timedelta(microseconds=1)), sprint.id, done_ids
                ).scope_points,
                completed=tally(states(sprint.closed_at), sprint.id, done_ids).done_points,
            )
        )
    return Velocity(found)
