"""Rows the way every domain reads them: one row by its id within its owner (or NotFound),
whether a name is taken within its owner, and moving a row of a positioned list one place."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.base import ExecutableOption

from tracker.errors import NotFound

# The largest id a 4-byte integer column holds: a larger one is no row (PostgreSQL would
# refuse to compare with it rather than find nothing).
MAX_ID = 2**31 - 1

M = TypeVar("M")


def get_in(session: Session, model: type[M], row_id: int, missing: str, **owner: int) -> M:
    """The row `row_id` of `model` whose owner columns hold the values given (for example
    `academy_id=academy.id`), or NotFound(missing): another academy's row is not found either."""
    row = session.get(model, row_id) if 0 < row_id <= MAX_ID else None
    if row is None or any(getattr(row, column) != value for column, value in owner.items()):
        raise NotFound(missing)
    return row


def name_taken(
    session: Session,
    column: InstrumentedAttribute[str],
    name: str,
    *,
    except_id: int | None = None,
    **owner: int,
) -> bool:
    """Whether another row of the owner (for example `academy_id=academy.id`) has this name,
    ignoring case, the spaces around it and NUL characters (which PostgreSQL refuses in text);
    `except_id` is the row being renamed."""
    model: Any = column.class_
    query = select(model.id).where(
        func.lower(column) == name.replace("\x00", "").strip().lower(),
        *(getattr(model, key) == value for key, value in owner.items()),
    )
    if except_id is not None:
        query = query.where(model.id != except_id)
    return session.scalar(query) is not None


def all_in(
    session: Session,
    model: type[M],
    *order: Any,
    load: Sequence[ExecutableOption] = (),
    **owner: int,
) -> list[M]:
    """Every row of `model` whose owner columns hold the values given (for example
    `academy_id=academy.id`), in the given order, with the relationships `load` names."""
    found: Any = model
    conditions = (getattr(found, key) == value for key, value in owner.items())
    query = select(found).where(*conditions).options(*load).order_by(*order)
    return list(session.scalars(query))


def add_once(session: Session, row: M, existing: Callable[[], M | None]) -> M:
    """Add `row`, of which a unique constraint allows one: when another transaction added its
    twin meanwhile (two people saving at the same moment), return that `existing` one."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        twin = existing()
        if twin is None:
            raise
        return twin
    return row


class Positioned(Protocol):
    position: int


def swap_with_neighbour(
    session: Session, rows: Sequence[Positioned], row: Positioned, offset: int
) -> bool:
    """Swap `row` with its neighbour before (offset -1) or after (+1) it in `rows`, then number
    them all again from 0 (so that gaps or duplicates left by deletions never make a move do
    nothing); False when there is no neighbour that way."""
    ordered = list(rows)
    index = ordered.index(row)
    other = index + (1 if offset > 0 else -1)
    moved = 0 <= other < len(ordered)
    if moved:
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, each in enumerate(ordered):
        each.position = position
    session.flush()
    return moved
