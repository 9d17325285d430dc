"""Reordering the backlog: a move writes the moved brick's rank only (see backlog.ranking).

Every move takes the academy's backlog lock first, then reads the ranks it needs afresh, so
that two people reordering at once are serialized and never compute the same rank. The rank is
written with a Core UPDATE: the brick's version does not change, so reordering never conflicts
with someone editing the brick's text. Each real move records a REORDERED activity with the
brick's position before and after (1 = top of the whole backlog).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from tracker.auth.models import User
from tracker.backlog import ranking
from tracker.backlog.models import ActivityKind, Brick
from tracker.backlog.services import record_activity
from tracker.errors import DomainError


class Step(enum.StrEnum):
    """A move relative to where the brick is, as the no-JavaScript controls offer."""

    UP = "up"
    DOWN = "down"
    TOP = "top"
    BOTTOM = "bottom"


def _before(rank: int, brick_id: int) -> ColumnElement[bool]:
    """Bricks ordered before (rank, id): the backlog order is rank, then id for ties."""
    return or_(Brick.rank < rank, and_(Brick.rank == rank, Brick.id < brick_id))


def _after(rank: int, brick_id: int) -> ColumnElement[bool]:
    return or_(Brick.rank > rank, and_(Brick.rank == rank, Brick.id > brick_id))


def position_of(session: Session, academy_id: int, rank: int, brick_id: int) -> int:
    """The 1-based position of (rank, id) in the academy's whole backlog."""
    ahead = session.scalar(
        select(func.count(Brick.id)).where(Brick.academy_id == academy_id, _before(rank, brick_id))
    )
    return int(ahead or 0) + 1


def _current(session: Session, brick_id: int) -> tuple[int, int]:
    rank, academy_id = session.execute(
        select(Brick.rank, Brick.academy_id).where(Brick.id == brick_id)
    ).one()
    return int(rank), int(academy_id)


def _ranks(session: Session, ids: Sequence[int | None]) -> list[int | None]:
    wanted = [i for i in ids if i is not None]
    found = dict(session.execute(select(Brick.id, Brick.rank).where(Brick.id.in_(wanted))).all())
    return [None if i is None else int(found[i]) for i in ids]


def _neighbour(
    session: Session,
    academy_id: int,
    condition: ColumnElement[bool],
    *,
    exclude: int,
    last: bool,
    scope: Sequence[ColumnElement[bool]] = (),
) -> int | None:
    order = (Brick.rank.desc(), Brick.id.desc()) if last else (Brick.rank, Brick.id)
    return session.scalar(
        select(Brick.id)
        .where(Brick.academy_id == academy_id, Brick.id != exclude, condition, *scope)
        .order_by(*order)
        .limit(1)
    )


def _place(
    session: Session,
    brick: Brick,
    previous_id: int | None,
    next_id: int | None,
    *,
    actor: User | None,
    now: dt.datetime,
) -> bool:
    """Give `brick` a rank between two bricks adjacent in order once it is left out.

    Returns False when the brick is already there (nothing written, nothing recorded).
    """
    rank, academy_id = _current(session, brick.id)
    before_rank, after_rank = _ranks(session, [previous_id, next_id])
    here = (rank, brick.id)
    if (previous_id is None or (before_rank or 0, previous_id) < here) and (
        next_id is None or here < (after_rank or 0, next_id)
    ):
        return False
    old_position = position_of(session, academy_id, rank, brick.id)
    new_rank = ranking.between(before_rank, after_rank)
    if new_rank is None:
        # No integer left between the two neighbours: renumber once, keeping the order.
        ranking.rebalance(session, academy_id)
        before_rank, after_rank = _ranks(session, [previous_id, next_id])
        new_rank = ranking.between(before_rank, after_rank)
        assert new_rank is not None, "rebalanced neighbours are STEP apart"
    session.execute(
        update(Brick)
        .where(Brick.id == brick.id)
        .values(rank=new_rank)
        .execution_options(synchronize_session=False)
    )
    # Keep the loaded object in step without marking it dirty (no version bump at flush).
    set_committed_value(brick, "rank", new_rank)
    new_position = position_of(session, academy_id, new_rank, brick.id)
    record_activity(
        session,
        brick,
        ActivityKind.REORDERED,
        actor=actor,
        changes={"position": [old_position, new_position]},
        at=now,
    )
    session.flush()
    return True


def move_brick(
    session: Session,
    brick: Brick,
    *,
    actor: User | None,
    now: dt.datetime,
    before: Brick | None = None,
    after: Brick | None = None,
) -> bool:
    """Put `brick` just before `before`, or just after `after` (exactly one of them).

    Relative moves stay right when computed on a filtered view: the neighbour is named, not a
    position that hidden bricks would shift. Returns whether the brick moved.
    """
    if (before is None) == (after is None):
        raise DomainError(_("Say which brick to move this one before or after."))
    target = before if before is not None else after
    assert target is not None
    if target.academy_id != brick.academy_id:
        raise DomainError(_("Both bricks must belong to the same academy."))
    if target.id == brick.id:
        raise DomainError(_("A brick cannot be moved next to itself."))
    ranking.lock_backlog(session, brick.academy_id)
    target_rank, academy_id = _current(session, target.id)
    if before is not None:
        previous_id = _neighbour(
            session, academy_id, _before(target_rank, target.id), exclude=brick.id, last=True
        )
        return _place(session, brick, previous_id, target.id, actor=actor, now=now)
    next_id = _neighbour(
        session, academy_id, _after(target_rank, target.id), exclude=brick.id, last=False
    )
    return _place(session, brick, target.id, next_id, actor=actor, now=now)


def move_brick_to_position(
    session: Session, brick: Brick, position: int, *, actor: User | None, now: dt.datetime
) -> bool:
    """Put `brick` at `position` (1 = top) of the whole backlog; out-of-range goes to an end."""
    ranking.lock_backlog(session, brick.academy_id)
    others = (
        select(Brick.id)
        .where(Brick.academy_id == brick.academy_id, Brick.id != brick.id)
        .order_by(Brick.rank, Brick.id)
    )
    count = session.scalar(
        select(func.count(Brick.id)).where(
            Brick.academy_id == brick.academy_id, Brick.id != brick.id
        )
    )
    position = max(1, min(int(position), int(count or 0) + 1))
    # Among the others, the brick goes between the (position-1)th and the (position)th.
    pair = list(session.scalars(others.offset(max(position - 2, 0)).limit(2)))
    if position == 1:
        previous_id, next_id = None, (pair[0] if pair else None)
    else:
        previous_id = pair[0] if pair else None
        next_id = pair[1] if len(pair) > 1 else None
    return _place(session, brick, previous_id, next_id, actor=actor, now=now)


def step_brick(
    session: Session,
    brick: Brick,
    step: Step | str,
    *,
    actor: User | None,
    now: dt.datetime,
    scope: Sequence[ColumnElement[bool]] = (),
) -> bool:
    """Move `brick` one place up or down among the bricks matching `scope` (a filtered view),
    or to the top or bottom of the whole backlog. Returns whether it moved."""
    step = Step(step)
    ranking.lock_backlog(session, brick.academy_id)
    rank, academy_id = _current(session, brick.id)
    if step is Step.TOP:
        first = _neighbour(session, academy_id, Brick.id.is_not(None), exclude=brick.id, last=False)
        return _place(session, brick, None, first, actor=actor, now=now)
    if step is Step.BOTTOM:
        last = _neighbour(session, academy_id, Brick.id.is_not(None), exclude=brick.id, last=True)
        return _place(session, brick, last, None, actor=actor, now=now)
    up = step is Step.UP
    beyond = _before if up else _after
    # The neighbour in the view, then the brick just beyond it in the whole backlog: the
    # brick goes between them.
    neighbour = _neighbour(
        session, academy_id, beyond(rank, brick.id), exclude=brick.id, last=up, scope=scope
    )
    if neighbour is None:
        return False
    target = _ranks(session, [neighbour])[0]
    assert target is not None
    other = _neighbour(session, academy_id, beyond(target, neighbour), exclude=brick.id, last=up)
    if up:
        return _place(session, brick, other, neighbour, actor=actor, now=now)
    return _place(session, brick, neighbour, other, actor=actor, now=now)


def describe_move(session: Session, brick: Brick) -> dict[str, Any]:
    """Where the brick is now, for the JSON answer."""
    rank, academy_id = _current(session, brick.id)
    return {
        "brick": brick.number,
        "rank": rank,
        "position": position_of(session, academy_id, rank, brick.id),
    }
