"""Benchmark cases of sprints: the sprint page (burndown, burnup), its planning view, and the
reports (velocity, cumulative flow, lead and cycle times), at a size in bricks.

Registered on import by bench/run.py. They share `seed_sprints`: `size` bricks bulk inserted in
the demo academy with their Activity history, spread over three closed sprints and an active
one (about three events per brick), so that the charts replay real histories:

    .venv/bin/python bench/run.py sprint-page sprint-plan reports --sizes 100 1000 5000
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bench.cases import Context, Request, case
from tracker.academies.models import Academy, Membership, Role, Stage, StageCategory
from tracker.backlog.models import Activity, ActivityKind, Brick, BrickFormat
from tracker.backlog.ranking import STEP
from tracker.demo import DEMO_SLUG
from tracker.sprints.models import Sprint, SprintState

SPRINT_DAYS = 10


def seed_sprints(session: Session, size: int | None) -> Mapping[str, Any]:
    academy = session.scalars(select(Academy).where(Academy.slug == DEMO_SLUG)).one()
    stages = list(
        session.scalars(
            select(Stage).where(Stage.academy_id == academy.id).order_by(Stage.position)
        )
    )
    backlog = next(s for s in stages if s.category == StageCategory.BACKLOG)
    working = next(s for s in stages if s.category == StageCategory.ACTIVE)
    done = next(s for s in stages if s.category == StageCategory.DONE)
    manager_id = session.scalars(
        select(Membership.user_id).where(
            Membership.academy_id == academy.id, Membership.role == Role.MANAGER
        )
    ).first()
    # The demo may have a sprint active: bench sprints take over.
    session.execute(
        update(Sprint)
        .where(Sprint.academy_id == academy.id, Sprint.state == SprintState.ACTIVE)
        .values(state=SprintState.CLOSED, closed_at=dt.datetime.now(dt.UTC))
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.date()
    sprints = []
    for k in range(4):  # three closed, the last one active (started three days ago)
        start = today - dt.timedelta(days=3 + (3 - k) * SPRINT_DAYS)
        end = start + dt.timedelta(days=SPRINT_DAYS - 1)
        started = dt.datetime.combine(start, dt.time(7), tzinfo=dt.UTC)
        active = k == 3
        sprint = Sprint(
            academy_id=academy.id,
            name=f"Sprint de banc {k + 1}",
            goal="Banc d'essai",
            start_date=start,
            end_date=end,
            capacity_points=(size or 100) // 2,
            state=SprintState.ACTIVE if active else SprintState.CLOSED,
            started_at=started,
            closed_at=None if active else dt.datetime.combine(end, dt.time(17), tzinfo=dt.UTC),
        )
        session.add(sprint)
        sprints.append(sprint)
    session.flush()

    count = size or 100
    first = (
        int(
            session.scalar(select(func.max(Brick.number)).where(Brick.academy_id == academy.id))
            or 0
        )
        + 1
    )
    last_rank = int(
        session.scalar(select(func.max(Brick.rank)).where(Brick.academy_id == academy.id)) or 0
    )
    formats = list(BrickFormat)
    bricks, events = [], []
    for n in range(count):
        sprint = sprints[n % 4]
        assert sprint.started_at is not None
        points = 1 + n % 5
        created = sprint.started_at - dt.timedelta(days=2, minutes=n % 600)
        moved = sprint.started_at + dt.timedelta(days=n % 7, hours=1)
        finished = moved + dt.timedelta(days=1 + n % 3)
        stop = sprint.closed_at or now
        is_done = n % 5 < 3 and finished < stop
        started = moved < stop
        left = sprint.closed_at is not None and not is_done  # unfinished: back to the backlog
        stage_id = done.id if is_done else (working.id if started else backlog.id)
        number = first + n
        bricks.append(
            {
                "academy_id": academy.id,
                "number": number,
                "title": f"Brique de sprint {n}",
                "summary": "",
                "description": "",
                "format": formats[n % len(formats)],
                "learner_minutes": 30,
                "estimate_points": points,
                "rank": last_rank + (n + 1) * STEP,
                "stage_id": stage_id,
                "sprint_id": None if left else sprint.id,
                "language": "fr",
                "created_at": created,
                "updated_at": now,
                "stage_entered_at": now,
                "version": 3,
            }
        )

        def event(at: dt.datetime, kind: ActivityKind, stage: int, sprint_id: int | None,
                  number: int = number, points: int = points) -> dict[str, Any]:  # fmt: skip
            return {
                "academy_id": academy.id, "brick_number": number, "actor_id": manager_id,
                "at": at, "kind": kind, "changes": {}, "stage_id": stage,
                "sprint_id": sprint_id, "points": points, "note": "",
            }  # fmt: skip

        events.append(event(created, ActivityKind.CREATED, backlog.id, sprint.id))
        if started:
            events.append(event(moved, ActivityKind.MOVED, working.id, sprint.id))
        if is_done:
            events.append(event(finished, ActivityKind.MOVED, done.id, sprint.id))
        if left:
            assert sprint.closed_at is not None
            events.append(event(sprint.closed_at, ActivityKind.SPRINT_CHANGED, stage_id, None))
    session.execute(insert(Brick), bricks)
    ids = dict(
        session.execute(
            select(Brick.number, Brick.id).where(
                Brick.academy_id == academy.id, Brick.number >= first
            )
        ).all()
    )
    for row in events:
        row["brick_id"] = ids[row["brick_number"]]
    session.execute(insert(Activity), events)
    session.execute(
        update(Academy).where(Academy.id == academy.id).values(brick_counter=first + count - 1)
    )
    session.flush()
    return {
        "active_sprint": sprints[-1].id,
        "closed_sprint": sprints[-2].id,
        "events": len(events),
    }


@case("sprint-page", seed=seed_sprints, sized=True, login_as="designer")
def sprint_page(ctx: Context) -> Request:
    """The active sprint's page (burndown, burnup, its bricks); size = bricks in the academy."""
    return Request(f"/a/{ctx.facts['academy_slug']}/sprints/{ctx.facts['active_sprint']}/")


@case("sprint-plan", seed=seed_sprints, sized=True, login_as="manager")
def sprint_plan(ctx: Context) -> Request:
    """The planning view of the active sprint (a page of the backlog beside it)."""
    return Request(f"/a/{ctx.facts['academy_slug']}/sprints/{ctx.facts['active_sprint']}/plan")


@case("reports", seed=seed_sprints, sized=True, login_as="stakeholder")
def reports(ctx: Context) -> Request:
    """Velocity, cumulative flow and lead/cycle times over the last 30 days."""
    return Request(f"/a/{ctx.facts['academy_slug']}/reports")
