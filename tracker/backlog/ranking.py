"""Backlog order: integer ranks with wide gaps, so that a move writes one row.

A moved brick takes the midpoint between its new neighbours. Only when two neighbours leave no
gap is the academy's backlog renumbered (rebalanced), which a long life of moves makes rare:
with a step of 2^16, about sixteen moves into the very same spot are needed first.
Moves are serialized per academy by locking the academy row (PostgreSQL) or by SQLite's
immediate write transactions, so two people reordering at once never compute the same rank.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from tracker.academies.models import Academy
from tracker.backlog.models import Brick
from tracker.db import begin_writing

STEP = 1 << 16


def lock_backlog(session: Session, academy_id: int) -> None:
    """Serialize the academy's reorders, board moves and rank changes until the transaction ends.

    FOR NO KEY UPDATE (PostgreSQL), not FOR UPDATE: inserting a row that references the
    academy (an Activity) takes a KEY SHARE lock on it, which FOR UPDATE would wait for, and
    an edit holding a brick's row while inserting its Activity would then deadlock with a move
    waiting for that row. SQLite serializes writers by itself (a write's transaction begins
    IMMEDIATE, before its first read: tracker.db), and ignores FOR UPDATE: no statement there,
    but for a request that read first outside a transaction (tracker.db.reads_first, the
    board's drops): its BEGIN IMMEDIATE is here.
    """
    if session.get_bind().dialect.name == "sqlite":
        begin_writing(session)  # when the request read first (tracker.db.reads_first)
        return
    session.execute(
        select(Academy.id).where(Academy.id == academy_id).with_for_update(key_share=True)
    )


def rank_at_end(session: Session, academy_id: int) -> int:
    last = session.scalar(select(func.max(Brick.rank)).where(Brick.academy_id == academy_id))
    return (last or 0) + STEP


def rank_at_start(session: Session, academy_id: int) -> int:
    first = session.scalar(select(func.min(Brick.rank)).where(Brick.academy_id == academy_id))
    return (first if first is not None else STEP) - STEP


def between(before: int | None, after: int | None) -> int | None:
    """A rank strictly between two neighbours (None for no neighbour), or None when no gap."""
    if before is None and after is None:
        return STEP
    if before is None:
        assert after is not None
        return after - STEP
    if after is None:
        return before + STEP
    if after - before < 2:
        return None
    return before + (after - before) // 2


def rebalance(session: Session, academy_id: int) -> None:
    """Renumber the academy's backlog STEP apart, keeping the order."""
    ids = session.scalars(
        select(Brick.id).where(Brick.academy_id == academy_id).order_by(Brick.rank, Brick.id)
    ).all()
    if not ids:
        return
    # One executemany on the table (Core): the bricks' version must not change on a reorder.
    table = cast(Table, Brick.__table__)
    session.connection().execute(
        update(table).where(table.c.id == bindparam("brick_id")).values(rank=bindparam("new_rank")),
        [{"brick_id": brick_id, "new_rank": n * STEP} for n, brick_id in enumerate(ids, start=1)],
    )
    # Only the ranks of loaded bricks went stale; other loaded objects keep their state.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Brick):
            session.expire(obj, ["rank"])
