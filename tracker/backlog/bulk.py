"""Bulk actions of the backlog list: the same edits as the brick form, on many bricks at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.auth.models import User
from tracker.backlog import services
from tracker.backlog.models import Brick
from tracker.errors import DomainError

# The fields a bulk assignment may set here (None clears them). Never the stage: a brick
# changes stage only through the board's rules (tracker.board.services: a blocking WIP limit,
# the definition of done), which ask for a version and an override reason per card. Never the
# sprint either: a sprint's membership changes only through its scope rule
# (sprints.scope.assign_bricks applies it, with the other fields).
ASSIGNABLE = ("release_id", "learning_path_id", "owner_id")


def selected(session: Session, academy: Academy, numbers: Sequence[int]) -> list[Brick]:
    """The academy's bricks numbered `numbers`, in backlog order; refuses when none is left."""
    bricks = list(
        session.scalars(
            select(Brick)
            .where(Brick.academy_id == academy.id, Brick.number.in_(set(numbers)))
            .order_by(Brick.rank, Brick.id)
        )
    )
    if not bricks:
        raise DomainError(_("The selected bricks no longer exist."), field="bricks")
    for brick in bricks:
        brick.academy = academy
    return bricks


def assign_bricks(
    session: Session,
    academy: Academy,
    numbers: Sequence[int],
    *,
    actor: User | None,
    now: dt.datetime,
    **changes: int | None,
) -> int:
    """Set `changes` on the academy's bricks numbered `numbers`; returns how many changed.

    Each brick goes through services.update_brick, so its history says who assigned what. The
    person chose these bricks from a list, not from an edit form they might have kept open:
    there is no version they saw, so each brick's current version is the expected one.
    """
    if not changes:
        raise DomainError(_("Choose what to assign to the selected bricks."))
    unknown = set(changes) - set(ASSIGNABLE)
    if unknown:
        raise TypeError(f"not assignable in bulk: {sorted(unknown)}")
    values: dict[str, Any] = dict(changes)
    return sum(
        1
        for brick in selected(session, academy, numbers)
        if services.update_brick(
            session, brick, actor=actor, expected_version=brick.version, now=now, **values
        )
    )
