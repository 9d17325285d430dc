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

# The fields a bulk assignment may set (None clears them). Never the stage: a brick changes
# stage only through the board's rules (tracker.board.services: a blocking WIP limit, the
# definition of done), which ask for a version and an override reason per card, so bulk edits
# leave stages to the board and call update_brick directly.
ASSIGNABLE = ("sprint_id", "release_id", "learning_path_id", "owner_id")


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
    unknown = set(changes) - set(ASSIGNABLE)
    if unknown:
        raise TypeError(f"not assignable in bulk: {sorted(unknown)}")
    if not changes:
        raise DomainError(_("Choose what to assign to the selected bricks."))
    bricks = session.scalars(
        select(Brick)
        .where(Brick.academy_id == academy.id, Brick.number.in_(set(numbers)))
        .order_by(Brick.rank, Brick.id)
    ).all()
    if not bricks:
        raise DomainError(_("The selected bricks no longer exist."), field="bricks")
    values: dict[str, Any] = dict(changes)
    changed = 0
    for brick in bricks:
        brick.academy = academy
        if services.update_brick(
            session, brick, actor=actor, expected_version=brick.version, now=now, **values
        ):
            changed += 1
    return changed
