"""Releases as planning buckets: create, edit, list with totals, a release's bricks and history.

The lifecycle (planned → in_beta → approved/rejected → released), the beta gate, decisions and
release notes come later; they record their state changes with `record_release_event` too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog.models import Brick
from tracker.backlog.paths_services import bricks_where, unique_name
from tracker.db import utcnow
from tracker.errors import DomainError, NotFound
from tracker.releases.models import Release, ReleaseEvent, ReleaseEventKind, ReleaseState


def list_releases(session: Session, academy: Academy) -> list[Release]:
    """By target date (undated last), then by creation."""
    return list(
        session.scalars(
            select(Release)
            .where(Release.academy_id == academy.id)
            .order_by(Release.target_date.is_(None), Release.target_date, Release.id)
        )
    )


def get_release(session: Session, academy: Academy, release_id: int) -> Release:
    release = session.get(Release, release_id)
    if release is None or release.academy_id != academy.id:
        raise NotFound(_("No such release."))
    return release


def is_release_name_taken(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> bool:
    query = select(Release.id).where(
        Release.academy_id == academy.id, func.lower(Release.name) == name.strip().lower()
    )
    if except_id is not None:
        query = query.where(Release.id != except_id)
    return session.scalar(query) is not None


def record_release_event(
    session: Session,
    release: Release,
    kind: ReleaseEventKind,
    *,
    actor: User | None,
    changes: dict[str, Any] | None = None,
    from_state: ReleaseState | None = None,
    to_state: ReleaseState | None = None,
    note: str = "",
) -> ReleaseEvent:
    event = ReleaseEvent(
        release_id=release.id,
        actor_id=actor.id if actor else None,
        at=utcnow(),
        kind=kind,
        changes=changes or {},
        from_state=from_state,
        to_state=to_state,
        note=note,
    )
    session.add(event)
    return event


def _check_name(
    session: Session, academy: Academy, name: str, *, except_id: int | None = None
) -> str:
    name = name.strip()
    if not name:
        raise DomainError(_("Give the release a name."), field="name")
    if is_release_name_taken(session, academy, name, except_id=except_id):
        raise DomainError(_("Another release already has this name."), field="name")
    return name


def create_release(
    session: Session,
    academy: Academy,
    *,
    name: str,
    goal: str = "",
    target_date: dt.date | None = None,
    actor: User | None,
) -> Release:
    release = Release(
        academy_id=academy.id,
        name=_check_name(session, academy, name),
        goal=goal.strip(),
        target_date=target_date,
        state=ReleaseState.PLANNED,
    )
    with unique_name(session, _("Another release already has this name.")):
        session.add(release)
    record_release_event(
        session, release, ReleaseEventKind.CREATED, actor=actor, to_state=release.state
    )
    session.flush()
    return release


def update_release(
    session: Session,
    release: Release,
    *,
    name: str,
    goal: str,
    target_date: dt.date | None,
    actor: User | None,
) -> dict[str, list[Any]]:
    """Change the name, goal or target date; returns (and records) what changed."""
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    values: dict[str, Any] = {
        "name": _check_name(session, academy, name, except_id=release.id),
        "goal": goal.strip(),
        "target_date": target_date,
    }
    changes: dict[str, list[Any]] = {}
    with unique_name(session, _("Another release already has this name.")):
        for field, new in values.items():
            old = getattr(release, field)
            if old != new:
                changes[field] = [_plain(old), _plain(new)]
                setattr(release, field, new)
    if changes:
        record_release_event(
            session, release, ReleaseEventKind.EDITED, actor=actor, changes=changes
        )
    session.flush()
    return changes


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def release_bricks(session: Session, release: Release) -> list[Brick]:
    academy = session.get(Academy, release.academy_id)
    assert academy is not None
    return bricks_where(session, academy, Brick.release_id == release.id)


def release_history(session: Session, release: Release) -> list[ReleaseEvent]:
    return list(
        session.scalars(
            select(ReleaseEvent)
            .where(ReleaseEvent.release_id == release.id)
            .options(selectinload(ReleaseEvent.actor))
            .order_by(ReleaseEvent.at.desc(), ReleaseEvent.id.desc())
        )
    )
