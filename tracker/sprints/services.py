"""Sprints: plan one (name, goal, dates, capacity), commit bricks to it, start it (its
baseline is frozen), change its scope with a reason while it runs, close it (unfinished bricks
go back to the backlog or on to a planned sprint; its results are kept).

Bricks change sprint only through sprints.scope.change_sprint (the scope rule: a manager and a
reason when a started sprint is involved), which records each change as a SPRINT_CHANGED
Activity: the charts (sprints.charts) are derived from those. What the sprint pages read is
in sprints/queries.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from tracker import rows
from tracker.academies.models import Academy, Stage, StageCategory
from tracker.academies.services import list_stages
from tracker.auth.models import User
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick
from tracker.db import unique_name
from tracker.errors import Conflict, DomainError
from tracker.sprints import charts, scope
from tracker.sprints.models import (
    Sprint,
    SprintBaselineItem,
    SprintResult,
    SprintState,
)
from tracker.webhooks.events import EventType, emit

MAX_SPRINT_DAYS = 366


def list_sprints(session: Session, academy: Academy) -> list[Sprint]:
    """Most recent first (by start date; undated ones last)."""
    return list(
        session.scalars(
            select(Sprint)
            .where(Sprint.academy_id == academy.id)
            .order_by(Sprint.start_date.is_(None), Sprint.start_date.desc(), Sprint.id.desc())
        )
    )


def get_sprint(session: Session, academy: Academy, sprint_id: int) -> Sprint:
    return rows.get_in(session, Sprint, sprint_id, _("No such sprint."), academy_id=academy.id)


def is_sprint_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    return rows.name_taken(session, Sprint.name, name, except_id=except_id, academy_id=academy.id)


def suggest_dates(session: Session, academy: Academy, today: dt.date) -> tuple[dt.date, dt.date]:
    """The day after the last sprint ends (or today), for the academy's sprint length."""
    last_end = session.scalar(
        select(func.max(Sprint.end_date)).where(Sprint.academy_id == academy.id)
    )
    start = max(today, last_end + dt.timedelta(days=1)) if last_end else today
    return start, start + dt.timedelta(days=max(academy.sprint_length_days, 1) - 1)


def _check(
    session: Session,
    academy: Academy,
    *,
    name: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    capacity_points: int | None,
    except_id: int | None = None,
) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_("Give the sprint a name."), field="name")
    if is_sprint_name_taken(session, academy, name, except_id=except_id):
        raise DomainError(_("Another sprint already has this name."), field="name")
    if start_date and end_date and end_date < start_date:
        raise DomainError(_("The end comes on or after the start."), field="end_date")
    if start_date and end_date and (end_date - start_date).days + 1 > MAX_SPRINT_DAYS:
        # Its charts have a point per day: keep them readable (and the page light).
        raise DomainError(
            ngettext(
                "Choose a period of at most %(num)s day.",
                "Choose a period of at most %(num)s days.",
                MAX_SPRINT_DAYS,
            ),
            field="end_date",
        )
    if capacity_points is not None and capacity_points < 0:
        raise DomainError(_("Use a number of zero or more."), field="capacity_points")
    return name


def create_sprint(
    session: Session,
    academy: Academy,
    *,
    name: str,
    goal: str = "",
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    capacity_points: int | None = None,
) -> Sprint:
    sprint = Sprint(
        academy_id=academy.id,
        name=_check(
            session,
            academy,
            name=name,
            start_date=start_date,
            end_date=end_date,
            capacity_points=capacity_points,
        ),
        goal=goal.strip(),
        start_date=start_date,
        end_date=end_date,
        capacity_points=capacity_points,
        state=SprintState.PLANNED,
    )
    with unique_name(session, _("Another sprint already has this name.")):
        session.add(sprint)
    return sprint


def update_sprint(
    session: Session,
    sprint: Sprint,
    *,
    name: str,
    goal: str,
    start_date: dt.date | None,
    end_date: dt.date | None,
    capacity_points: int | None,
) -> None:
    academy = session.get(Academy, sprint.academy_id)
    assert academy is not None
    name = _check(
        session,
        academy,
        name=name,
        start_date=start_date,
        end_date=end_date,
        capacity_points=capacity_points,
        except_id=sprint.id,
    )
    with unique_name(session, _("Another sprint already has this name.")):
        sprint.name = name
        sprint.goal = goal.strip()
        sprint.start_date = start_date
        sprint.end_date = end_date
        sprint.capacity_points = capacity_points


# -- What the rules read -------------------------------------------------------------------------


def active_sprint(session: Session, academy: Academy) -> Sprint | None:
    return session.scalar(
        select(Sprint).where(Sprint.academy_id == academy.id, Sprint.state == SprintState.ACTIVE)
    )


def planned_sprints(
    session: Session, academy: Academy, *, except_id: int | None = None
) -> list[Sprint]:
    """Planned sprints, soonest first (undated last): where unfinished bricks may go."""
    query = select(Sprint).where(
        Sprint.academy_id == academy.id, Sprint.state == SprintState.PLANNED
    )
    if except_id is not None:
        query = query.where(Sprint.id != except_id)
    return list(
        session.scalars(query.order_by(Sprint.start_date.is_(None), Sprint.start_date, Sprint.id))
    )


def done_condition(academy_id: int) -> ColumnElement[bool]:
    """A query condition: the brick is in one of the academy's done stages."""
    done = select(Stage.id).where(
        Stage.academy_id == academy_id, Stage.category == StageCategory.DONE
    )
    return Brick.stage_id.in_(done.scalar_subquery())


def baseline_of(session: Session, sprint: Sprint) -> list[SprintBaselineItem]:
    return list(
        session.scalars(
            select(SprintBaselineItem)
            .where(SprintBaselineItem.sprint_id == sprint.id)
            .order_by(SprintBaselineItem.brick_number)
        )
    )


def _bricks_numbered(session: Session, academy_id: int, numbers: Collection[int]) -> list[Brick]:
    if not numbers:
        raise DomainError(_("Select at least one brick."), field="brick")
    bricks = list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy_id, Brick.number.in_(sorted(set(numbers))))
            .options(joinedload(Brick.academy))
            .order_by(Brick.rank, Brick.id)
        )
    )
    if not bricks:
        raise DomainError(_("The selected bricks no longer exist."), field="brick")
    return bricks


def commit_bricks(
    session: Session,
    sprint: Sprint,
    numbers: Collection[int],
    *,
    actor: User | None,
    reason: str | None = None,
    now: dt.datetime,
) -> int:
    """Put the academy's bricks numbered `numbers` into the sprint; returns how many moved.

    Into a planned sprint this is planning. Into an active one it changes the scope agreed at
    the start, so it needs a reason, kept as a scope change. Bricks already in an active or
    closed sprint are refused: they leave it through that sprint (remove or close).
    """
    state = scope.lock_sprint(session, sprint)
    if state == SprintState.CLOSED:
        raise DomainError(_("This sprint is closed: its scope no longer changes."))
    scope.clean_reason(reason, required=state == SprintState.ACTIVE)
    bricks = _bricks_numbered(session, sprint.academy_id, numbers)
    for brick in bricks:
        current = session.get(Sprint, brick.sprint_id) if brick.sprint_id else None
        if current is not None and current.id != sprint.id and current.state != SprintState.PLANNED:
            raise DomainError(
                _(
                    "%(key)s belongs to the sprint %(name)s, which has started: remove it "
                    "from there first.",
                    key=brick.key,
                    name=current.name,
                ),
                field="brick",
            )
    moved = scope.change_sprint(
        session, bricks, sprint.id, actor=actor, reason=reason, now=now, sprint_field="brick"
    )
    return len(moved)


def remove_bricks(
    session: Session,
    sprint: Sprint,
    numbers: Collection[int],
    *,
    actor: User | None,
    reason: str | None = None,
    now: dt.datetime,
) -> int:
    """Send the sprint's bricks numbered `numbers` back to the backlog (no sprint).

    From an active sprint this needs a reason, kept as a scope change.
    """
    state = scope.lock_sprint(session, sprint)
    if state == SprintState.CLOSED:
        raise DomainError(_("This sprint is closed: its scope no longer changes."))
    scope.clean_reason(reason, required=state == SprintState.ACTIVE)
    bricks = [
        brick
        for brick in _bricks_numbered(session, sprint.academy_id, numbers)
        if brick.sprint_id == sprint.id
    ]
    removed = scope.change_sprint(
        session, bricks, None, actor=actor, reason=reason, now=now, sprint_field="brick"
    )
    return len(removed)


# -- Starting and closing ------------------------------------------------------------------------


def start_sprint(
    session: Session, sprint: Sprint, *, actor: User | None, now: dt.datetime
) -> list[SprintBaselineItem]:
    """Make the sprint active and freeze its committed scope as the baseline.

    One active sprint per academy: checked here for a clear message, and guaranteed by a
    partial unique index, so that of two starts at the same moment (two managers, two
    servers) one succeeds and the other is refused, on PostgreSQL as on SQLite.
    """
    state = scope.lock_sprint(session, sprint)
    if state != SprintState.PLANNED:
        raise DomainError(_("Only a planned sprint can start."))
    if sprint.start_date is None or sprint.end_date is None:
        raise DomainError(_("Give the sprint its start and end dates first."))
    academy = session.get(Academy, sprint.academy_id)
    assert academy is not None
    other = active_sprint(session, academy)
    if other is not None:
        raise Conflict(
            _(
                "The sprint %(name)s is still active: close it before starting another.",
                name=other.name,
            )
        )
    try:
        with session.begin_nested():
            sprint.state = SprintState.ACTIVE
            sprint.started_at = now
    except IntegrityError as error:
        session.refresh(sprint)
        raise Conflict(
            _("Another sprint was started at the same moment: only one can be active.")
        ) from error
    rows = session.execute(
        select(Brick.id, Brick.number, Brick.estimate_points)
        .where(Brick.sprint_id == sprint.id)
        .order_by(Brick.number)
    ).all()
    items = [
        SprintBaselineItem(
            sprint_id=sprint.id,
            brick_id=row.id,
            brick_number=row.number,
            points=row.estimate_points,
        )
        for row in rows
    ]
    session.add_all(items)
    session.flush()
    emit(
        session,
        sprint.academy_id,
        EventType.SPRINT_STARTED,
        lambda: {
            "academy_id": sprint.academy_id,
            "sprint": sprint_data(sprint),
            "baseline": {"bricks": len(items), "points": sum(i.points or 0 for i in items)},
        },
        now,
    )
    return items


def unfinished_bricks(session: Session, sprint: Sprint) -> list[Brick]:
    """The sprint's bricks not in a done stage, in backlog order."""
    return list(
        session.scalars(
            select(Brick)
            .where(Brick.sprint_id == sprint.id, ~done_condition(sprint.academy_id))
            .options(joinedload(Brick.stage), joinedload(Brick.academy))
            .order_by(Brick.rank, Brick.id)
        ).unique()
    )


def close_sprint(
    session: Session,
    sprint: Sprint,
    destinations: Mapping[int, int | None],
    *,
    actor: User | None,
    now: dt.datetime,
) -> SprintResult:
    """Close an active sprint: each unfinished brick goes where `destinations` says.

    `destinations` maps each unfinished brick's number to a planned sprint's id, or to None
    for the backlog. A brick missing from it (added since the page was read) refuses the
    close with a Conflict. The results are computed from the history up to this moment and
    stored, so that later edits never change them.
    """
    state = scope.lock_sprint(session, sprint)
    if state != SprintState.ACTIVE:
        raise DomainError(_("Only an active sprint can close."))
    unfinished = unfinished_bricks(session, sprint)
    missing = [b for b in unfinished if b.number not in destinations]
    if missing:
        raise Conflict(
            _(
                "The sprint changed since you opened this page (%(keys)s): check the list again.",
                keys=", ".join(b.key for b in missing),
            )
        )
    targets = {s.id: s for s in planned_sprints(session, _academy_of(session, sprint))}
    for brick in unfinished:
        target = destinations[brick.number]
        if target is not None and target not in targets:
            raise DomainError(
                _("Choose the backlog or a planned sprint for %(key)s.", key=brick.key),
                field=f"brick_{brick.number}",
            )

    sprint.state = SprintState.CLOSED
    sprint.closed_at = now
    session.flush()
    stages = list_stages(session, _academy_of(session, sprint))
    series = charts.sprint_series(
        session, sprint, charts.done_stage_ids(stages), tz=dt.UTC, now=now
    )
    assert series is not None
    baseline = baseline_of(session, sprint)
    result = SprintResult(
        sprint_id=sprint.id,
        baseline_points=sum(item.points or 0 for item in baseline),
        baseline_count=len(baseline),
        added_points=series.added_points,
        removed_points=series.removed_points,
        scope_points=series.final.scope_points,
        scope_count=series.final.scope_count,
        completed_points=series.final.done_points,
        completed_count=series.final.done_count,
        to_backlog_count=sum(1 for b in unfinished if destinations[b.number] is None),
        to_sprint_count=sum(1 for b in unfinished if destinations[b.number] is not None),
        carried_points=series.final.remaining_points,
        closed_by_id=actor.id if actor else None,
        closed_at=now,
    )
    session.add(result)
    # The carry-over is recorded at or after `now`: the closed sprint's charts stop before it.
    for brick in unfinished:
        brick_services.set_sprint(session, brick, destinations[brick.number], actor=actor, now=now)
    session.flush()
    emit(
        session,
        sprint.academy_id,
        EventType.SPRINT_CLOSED,
        lambda: {
            "academy_id": sprint.academy_id,
            "sprint": sprint_data(sprint),
            "result": {
                "completed_points": result.completed_points,
                "completed_bricks": result.completed_count,
                "scope_points": result.scope_points,
                "to_backlog": result.to_backlog_count,
                "to_sprint": result.to_sprint_count,
            },
        },
        now,
    )
    return result


def sprint_data(sprint: Sprint) -> dict[str, Any]:
    """What a webhook tells of a sprint."""
    return {
        "id": sprint.id,
        "name": sprint.name,
        "state": sprint.state.value,
        "start_date": sprint.start_date,
        "end_date": sprint.end_date,
        "started_at": sprint.started_at,
        "closed_at": sprint.closed_at,
    }


def _academy_of(session: Session, sprint: Sprint) -> Academy:
    academy = session.get(Academy, sprint.academy_id)
    assert academy is not None
    return academy
