"""Change counters: a number per academy that grows with every transaction that changes its data.

Pages read far more often than they change (the board, the backlog, reports...) send a validator
made from these counters (tracker/web.py `conditional`): while the counter of the page's academy
and the counter shared by every academy stay the same, nothing the page shows has changed, and a
request that brings the previous validator back is answered 304 Not Modified without reading
or drawing anything else. The counters live in the database, so every worker and every host
agrees on them; they hold a count, no time and no person.

How a change finds its academy, at flush time, for each row added, changed or deleted:
- a row with an `academy_id` (most tables), or the academy row itself: that academy;
- a row without one (a checklist item, a comment, an answer...): the academy of the row its
  foreign keys point to, when that row is in the session (a service always loads the parent
  it changes); else, and for the rows that belong to no academy (a person's name), the counter
  shared by every academy (scope 0): more pages revalidate, none is ever shown stale;
- a bulk UPDATE, DELETE or INSERT statement through the session: the academy its WHERE clause
  names (`academy_id = 3`, `academy.id = 3`, or the key of a row in the session), else the
  shared counter;
- rows of classes that set `shown_on_pages = False` (login sessions, throttling, the mail
  queue, one-time submissions): nothing (they are written on every request or never shown on
  the pages that send validators).

The counters are bumped once per scope just before the transaction commits (one statement per
academy changed), in the same transaction: a reader never sees the new data with the old count.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import and_, eq
from typing import Any

from sqlalchemy import BigInteger, BindParameter, Integer, event, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList
from sqlalchemy.sql.expression import TableClause

from tracker.db import Base

SHARED = 0  # the scope of changes seen by every academy
_SCOPES = "tracker.changed_scopes"


class ChangeCounter(Base):
    __tablename__ = "change_counter"

    # An academy's id, or SHARED (0). No foreign key: scope 0 names no academy.
    scope: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)

    shown_on_pages = False  # bumping a counter is not itself a change


_READ = "tracker.counters_read"


def counters(session: Session, academy_id: int) -> tuple[int, int]:
    """The academy's counter and the shared one (0 when never bumped): one query, read once per
    transaction (a page keeping several things under them asks several times)."""
    read: dict[int, tuple[int, int]] = session.info.setdefault(_READ, {})
    if academy_id in read:
        return read[academy_id]
    rows = session.execute(
        select(ChangeCounter.scope, ChangeCounter.value).where(
            ChangeCounter.scope.in_((SHARED, academy_id))
        )
    )
    found: dict[int, int] = {row[0]: row[1] for row in rows}
    read[academy_id] = (found.get(academy_id, 0), found.get(SHARED, 0))
    return read[academy_id]


@event.listens_for(Session, "after_transaction_end")
def _forget_read(session: Session, _transaction: Any) -> None:
    # A new transaction may see other commits' bumps; this one's own bump ends it.
    session.info.pop(_READ, None)


def pending(session: Session) -> bool:
    """Whether this session's transaction changed data that no counter counts yet (its commit
    will): a value kept under the current counters may not show these changes."""
    return bool(session.info.get(_SCOPES))


def _is_shown(cls: type) -> bool:
    return bool(getattr(cls, "shown_on_pages", True))


def _mapper_of_table(table: Any) -> Mapper[Any] | None:
    name = getattr(table, "name", None)
    for mapper in Base.registry.mappers:
        if getattr(mapper.local_table, "name", None) == name:
            return mapper
    return None


def _academy_of(
    session: Session, instance: Any, known: dict[Any, Any] | None = None, depth: int = 0
) -> int | None:
    """The academy a row belongs to, from its own columns or its parents in the session
    (`known`: the rows of this flush, by identity); None: unknown or none."""
    academy_id = getattr(instance, "academy_id", None)
    if isinstance(academy_id, int):
        return academy_id
    mapper = inspect(instance).mapper
    if mapper.local_table.name == "academy":
        return getattr(instance, "id", None)
    if depth >= 3:
        return None
    for column in mapper.columns:
        for key in column.foreign_keys:
            found = _academy_through(
                session, key.column.table, getattr(instance, column.key, None), known, depth
            )
            if found is not None:
                return found
    return None


def _academy_through(
    session: Session, table: Any, value: Any, known: dict[Any, Any] | None, depth: int
) -> int | None:
    """The academy of the row of `table` whose primary key is `value`, if it is in the session."""
    mapper = _mapper_of_table(table)
    if mapper is None or not isinstance(value, int):
        return None
    if table.name == "academy":
        return value
    key = identity_key(mapper.class_, value)
    row = (known or {}).get(key) or session.identity_map.get(key)
    return None if row is None else _academy_of(session, row, known, depth + 1)


def _note(session: Session, scopes: Iterable[int]) -> None:
    session.info.setdefault(_SCOPES, set()).update(scopes)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    changed = [*session.new, *session.deleted]
    changed += [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    known = {}
    for instance in changed:  # (rows inserted by this flush are not in the identity map yet)
        known[inspect(instance).mapper.identity_key_from_instance(instance)] = instance
    scopes = set()
    for instance in changed:
        if not _is_shown(type(instance)):
            continue
        academy_id = _academy_of(session, instance, known)
        scopes.add(SHARED if academy_id is None else academy_id)
    if scopes:
        _note(session, scopes)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is None:
        table = getattr(state.statement, "table", None)
        mapper = _mapper_of_table(table) if isinstance(table, TableClause) else None
    if mapper is not None and not _is_shown(mapper.class_):
        return
    academy_id = _academy_named_by(state.session, state.statement)
    _note(state.session, (SHARED if academy_id is None else academy_id,))


def _academy_named_by(session: Session, statement: Any) -> int | None:
    """The academy a bulk statement is limited to by its WHERE clause: `academy_id = 3`, the
    academy's own `id = 3`, or a key (`id`, or a foreign key) naming a row of the session whose
    academy is known. None: any other statement."""
    table = getattr(statement, "table", None)
    where = getattr(statement, "whereclause", None)
    if not isinstance(table, TableClause) or where is None:
        return None
    terms = (
        where.clauses
        if isinstance(where, BooleanClauseList) and where.operator is and_
        else [where]
    )
    for term in terms:
        if not (
            isinstance(term, BinaryExpression)
            and term.operator is eq
            and isinstance(term.right, BindParameter)
            and isinstance(term.right.value, int)
            and getattr(getattr(term.left, "table", None), "name", None) == table.name
        ):
            continue
        name, value = getattr(term.left, "name", None), term.right.value
        if name == "academy_id":
            return value
        if name == "id":
            found = _academy_through(session, table, value, None, 0)
        else:
            column = table.c.get(str(name))
            found = None
            for key in column.foreign_keys if column is not None else ():
                found = _academy_through(session, key.column.table, value, None, 0)
        if found is not None:
            return found
    return None


@event.listens_for(Session, "before_commit")
def _bump(session: Session) -> None:
    if session.in_nested_transaction():
        # A SAVEPOINT released in the middle of the work (create-once, insert-or-reuse): the
        # outer commit counts everything. Bumping here would lock the hot counter row before
        # the transaction's other writes, and two such transactions deadlock on PostgreSQL.
        return
    session.flush()  # what commit would flush next, so that its changes are counted too
    scopes = session.info.pop(_SCOPES, None)
    if not scopes:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for scope in sorted(scopes):  # always in the same order: no deadlock between two commits
        # The row exists (the migration made the shared one and the existing academies'; an
        # academy's first change made its own): a plain UPDATE, which concurrent commits queue
        # behind. Only a new academy's very first change inserts.
        bumped = session.execute(
            update(ChangeCounter)
            .where(ChangeCounter.scope == scope)
            .values(value=ChangeCounter.value + 1)
            .execution_options(synchronize_session=False)
        )
        if getattr(bumped, "rowcount", 1) == 0:
            statement = insert(ChangeCounter).values(scope=scope, value=1)
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[ChangeCounter.scope],
                    set_={"value": ChangeCounter.value + 1},
                )
            )
    session.info.pop(_SCOPES, None)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_SCOPES, None)
