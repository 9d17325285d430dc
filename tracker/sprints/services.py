"""Sprints, minimal for now: plan one (name, goal, dates, capacity), edit it, list them.

Starting (with its baseline), closing and the board come with the sprint/board work.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.backlog.paths_services import unique_name
from tracker.errors import DomainError, NotFound
from tracker.sprints.models import Sprint, SprintState


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
    sprint = session.get(Sprint, sprint_id)
    if sprint is None or sprint.academy_id != academy.id:
        raise NotFound(_("No such sprint."))
    return sprint


def is_sprint_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    query = select(Sprint.id).where(
        Sprint.academy_id == academy.id, func.lower(Sprint.name) == name.strip().lower()
    )
    if except_id is not None:
        query = query.where(Sprint.id != except_id)
    return session.scalar(query) is not None


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
