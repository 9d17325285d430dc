"""The backlog: bricks (through backlog.services, so keys, ranks, checklists and history are
real), training needs and learning paths."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.academies import World
from tracker.academies.models import Academy, StageCategory
from tracker.auth.models import User
from tracker.backlog import needs_services, paths_services
from tracker.backlog import services as brick_services
from tracker.backlog.models import Brick, BrickFormat, LearningPath, TrainingNeed
from tracker.db import utcnow
from tracker.releases.models import Release

_counter = itertools.count(1)


class _Manager:
    """The default actor: the world's manager, or nobody when given a bare academy."""


_MANAGER: Any = _Manager()


def academy_and_actor(where: Academy | World, actor: Any) -> tuple[Academy, Any]:
    """`where` is a World (its academy; its manager acts unless told) or an Academy (nobody)."""
    if isinstance(where, World):
        return where.academy, where.manager if actor is _MANAGER else actor
    return where, None if actor is _MANAGER else actor


def make_brick(
    session: Session,
    where: Academy | World,
    title: str | None = None,
    *,
    actor: Any = _MANAGER,
    format: BrickFormat | str = BrickFormat.VIDEO,
    now: dt.datetime | None = None,
    **values: Any,
) -> Brick:
    """A brick at the bottom of the backlog, through create_brick (any brick field in `values`:
    stage_id, sprint_id, estimate_points, objectives...). `where` is a World (its academy, its
    manager acting unless `actor` says otherwise) or an Academy (nobody acting)."""
    academy, actor = academy_and_actor(where, actor)
    return brick_services.create_brick(
        session,
        academy,
        actor=actor,
        title=f"Brick {next(_counter)}" if title is None else title,
        format=format,
        now=now or utcnow(),
        **values,
    )


def make_bricks(
    session: Session, where: Academy | World, *titles: str, **values: Any
) -> list[Brick]:
    """One brick per title, in backlog order, with the same `values` (see make_brick)."""
    return [make_brick(session, where, title, **values) for title in titles]


def by_title(bricks: list[Brick]) -> dict[str, Brick]:
    """{title: brick}, for tests that name their bricks "a", "b", "c"..."""
    return {brick.title: brick for brick in bricks}


def backlog_titles(session: Session, where: Academy | World) -> list[str]:
    """The titles of the academy's bricks in backlog order (rank, then id)."""
    academy, _actor = academy_and_actor(where, None)
    return list(
        session.scalars(
            select(Brick.title).where(Brick.academy_id == academy.id).order_by(Brick.rank, Brick.id)
        )
    )


def change_brick(
    session: Session,
    brick: Brick,
    actor: User | None,
    *,
    now: dt.datetime | None = None,
    **values: Any,
) -> dict[str, list[Any]]:
    """A plain edit through update_brick, at the brick's current version."""
    return brick_services.update_brick(
        session, brick, actor=actor, expected_version=brick.version, now=now or utcnow(), **values
    )


def add_brick(session: Session, academy: Academy, release: Release, title: str = "") -> Brick:
    """A video brick in `release`, created by nobody (what a round's questionnaire asks about)."""
    return make_brick(session, academy, title or None, release_id=release.id)


def add_bricks(
    session: Session, academy: Academy, release: Release, count: int = 2, *, done: bool = True
) -> list[Brick]:
    """`count` bricks "Module 1", "Module 2"... of 30 minutes in `release`, done by default (a
    release delivers done bricks only)."""
    stage = next(s for s in academy.stages if s.category == StageCategory.DONE) if done else None
    return [
        make_brick(
            session,
            academy,
            f"Module {i + 1}",
            release_id=release.id,
            learner_minutes=30,
            stage_id=stage.id if stage else None,
        )
        for i in range(count)
    ]


def make_need(
    session: Session,
    where: Academy | World,
    *,
    actor: Any = _MANAGER,
    title: str = "Need",
    business_unit: str = "DRH",
    now: dt.datetime | None = None,
    **values: Any,
) -> TrainingNeed:
    """A submitted training need, through submit_need."""
    academy, actor = academy_and_actor(where, actor)
    return needs_services.submit_need(
        session,
        academy,
        actor=actor,
        title=title,
        business_unit=business_unit,
        now=now or utcnow(),
        **values,
    )


def make_path(
    session: Session, where: Academy | World, name: str | None = None, **values: Any
) -> LearningPath:
    """A learning path, placed last, through create_path."""
    academy, _actor = academy_and_actor(where, None)
    path = paths_services.create_path(
        session, academy, name=f"Path {next(_counter)}" if name is None else name, **values
    )
    session.flush()
    return path
