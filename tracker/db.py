"""The database: one declarative Base, shared column types, the engine and the request session."""

from __future__ import annotations

import contextvars
import datetime as dt
import enum
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import (
    DateTime,
    Engine,
    Enum,
    ForeignKey,
    MetaData,
    String,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from tracker import collation
from tracker.errors import DomainError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class AcademyRow:
    """A row that belongs to one academy (and goes with it): its id, then its academy's."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-2)
    academy_id: Mapped[int] = mapped_column(
        ForeignKey("academy.id", ondelete="CASCADE"), sort_order=-1
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- Bounds of what a person may type: declared once, used by the forms, the query strings and the
# imports (tracker/forms.py BoundedIntegerField and BoundedDateField, tracker/web.py query_int...).

# What an INTEGER column holds on every engine (PostgreSQL's int4): no input goes past it.
INTEGER_MAX = 2**31 - 1
# A number is read from ASCII digits only (no full-width digits, "1e3", "0x1F", "1_000").
_INTEGER_TEXT = re.compile(r"([+-]?)([0-9]+)", re.ASCII)
# Past this many digits a number is beyond every bound: it is read as ±10**18, never converted
# (a 100,000-digit number costs nothing and still gets the "between ... and ..." message).
_MAX_DIGITS = 18
# The dates the application takes: far enough for any plan, near enough for date arithmetic
# (9999-12-31 plus one day overflows Python's date).
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2099, 12, 31)


def parse_integer(text: str) -> int | None:
    """The whole number `text` spells in ASCII digits, or None (not a whole number). Longer than
    18 digits: ±10**18, out of any range."""
    match = _INTEGER_TEXT.fullmatch(text.strip())
    if match is None:
        return None
    sign, digits = match.group(1), match.group(2).lstrip("0") or "0"
    value = int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS
    return -value if sign == "-" else value


def parse_whole(value: object) -> int | None:
    """A whole number from 0 to INTEGER_MAX given as an int (not a bool) or as text in ASCII
    digits (a JSON body's number or a form's id), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number: int | None = value
    elif isinstance(value, str):
        number = parse_integer(value) if value.strip()[:1].isdigit() else None
    else:
        return None
    return number if number is not None and 0 <= number <= INTEGER_MAX else None


def within_integer(value: int) -> bool:
    """Whether an INTEGER column (and an id lookup) can take `value`."""
    return -INTEGER_MAX <= value <= INTEGER_MAX


# -- Searching text: LIKE with the person's % and _ taken literally ------------------------------

LIKE_ESCAPE = "\\"


def like_contains(text: str) -> str:
    """A LIKE pattern for "contains `text`", its wildcards (% and _) and the escape character
    escaped: use it with `escape=LIKE_ESCAPE` (or through `contains_text`)."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
    escaped = escaped.replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    return f"%{escaped}%"


def contains_text(column: Any, text: str) -> Any:
    """`column LIKE '%text%'`, what the person typed taken literally (every search and filter
    goes through here: a "%" or "_" in a search matches that character, not anything)."""
    return column.like(like_contains(text), escape=LIKE_ESCAPE)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps are always aware and in UTC, whatever the engine stores."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        # SQLite has no time zones: store naive UTC so that comparisons sort as text correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def enum_column(enum_cls: type[enum.Enum], length: int = 32) -> Enum:
    """Store an enum by its value in a VARCHAR (portable, readable, easy to migrate)."""
    return Enum(
        enum_cls,
        values_callable=lambda members: [m.value for m in members],
        native_enum=False,
        create_constraint=False,
        length=length,
        validate_strings=True,
    )


def email_column() -> String:
    return String(254)


# Write requests on SQLite begin their transaction with BEGIN IMMEDIATE: a deferred transaction
# that reads and then writes fails with "database is locked" when another writer got in between.
# Read-only requests keep deferred transactions so that readers never wait for each other.
_immediate: contextvars.ContextVar[bool] = contextvars.ContextVar("immediate", default=True)


@contextmanager
def deferred_transactions() -> Iterator[None]:
    token = _immediate.set(False)
    try:
        yield
    finally:
        _immediate.reset(token)


# A write request that mostly reads before it writes (a card's move: the academy, the session,
# the roles, then a few statements of writing) may read first, outside any transaction, and take
# SQLite's write lock only when it begins writing (`begin_writing`, which the board's and the
# backlog's lock calls), so that two such requests hold the lock for their writing only. Any
# statement other than a SELECT met before that begins the write transaction first: nothing is
# ever written outside a transaction. PostgreSQL is not concerned (its writers lock rows).
_reads_first: contextvars.ContextVar[bool] = contextvars.ContextVar("reads_first", default=False)
_READING = "tracker.reading_outside_a_transaction"


@contextmanager
def reads_first() -> Iterator[None]:
    token = _reads_first.set(True)
    try:
        yield
    finally:
        _reads_first.reset(token)


def begin_writing(session: Session) -> None:
    """Take SQLite's write lock now (BEGIN IMMEDIATE) when this transaction has only read so far,
    outside a transaction (`reads_first`); nothing to do otherwise."""
    connection = session.connection()
    if connection.info.pop(_READING, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows and overwritten values are zeroed in the file, not left in free space
        # (anonymous rounds forget their respondents: tracker/feedback/anonymity.py).
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()
        collation.register_sqlite_function(dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        if _immediate.get() and _reads_first.get():
            connection.info[_READING] = True  # SQLite's autocommit until begin_writing
            return
        connection.info.pop(_READING, None)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(connection: Any) -> None:
        connection.info.pop(_READING, None)

    @event.listens_for(engine, "before_cursor_execute")
    def before_writing(connection: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if connection.info.get(_READING) and statement.lstrip()[:6].upper() != "SELECT":
            del connection.info[_READING]
            cursor.execute("BEGIN IMMEDIATE")
            counter = _query_counter.get()
            if counter is not None:
                counter.count += 1


class QueryCounter:
    """Counts SQL statements per request (tests assert it; bench prints it)."""

    def __init__(self) -> None:
        self.count = 0


_query_counter: contextvars.ContextVar[QueryCounter | None] = contextvars.ContextVar(
    "query_counter", default=None
)


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    counter = QueryCounter()
    token = _query_counter.set(counter)
    try:
        yield counter
    finally:
        _query_counter.reset(token)


def make_engine(url: str, **kwargs: Any) -> Engine:
    options: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        options["connect_args"] = {"timeout": 15, "check_same_thread": False}
    else:
        options["pool_pre_ping"] = True
    options.update(kwargs)
    engine = create_engine(url, **options)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)

    @event.listens_for(engine, "before_cursor_execute")
    def on_execute(*_args: Any) -> None:
        counter = _query_counter.get()
        if counter is not None:
            counter.count += 1

    return engine


_FORGET_ON_DISK = "tracker.forget_on_disk"


def forget_on_disk(session: Session) -> None:
    """Once this session's transaction commits, fold SQLite's write-ahead log into the database
    file and empty it, so that the old versions of the rows it holds leave the instance folder
    too (with secure_delete, the file keeps no deleted content). Best effort: skipped while
    another connection is reading. Nothing to do on PostgreSQL (see the README's privacy notes)."""
    session.info[_FORGET_ON_DISK] = True


@event.listens_for(Session, "after_commit")
def _fold_the_log(session: Session) -> None:
    if not session.info.pop(_FORGET_ON_DISK, False):
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA busy_timeout=0")  # never wait for readers: best effort
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()
    finally:
        raw.close()


class Database:
    """One per application: its engine, and one Session per request (or command)."""

    def __init__(self, app: Flask) -> None:
        self.engine: Engine = make_engine(app.config["DATABASE_URL"])
        self.session_factory: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )
        app.extensions["database"] = self
        app.teardown_appcontext(self._teardown)

    def bind(self, factory: sessionmaker[Session]) -> None:
        """Tests swap in a factory bound to a connection whose transaction they roll back."""
        self.session_factory = factory

    @property
    def session(self) -> Session:
        session = g.get("_db_session")
        if session is None:
            session = self.session_factory()
            g._db_session = session
        return session

    def _teardown(self, _exc: BaseException | None) -> None:
        session = g.pop("_db_session", None)
        if session is not None:
            try:
                session.close()
            except DBAPIError:
                # The connection dropped while its transaction was rolled back (the database
                # going away after the answer was made): the answer stands, the connection is
                # thrown away rather than returned to the pool.
                with suppress(Exception):
                    session.invalidate()


class _CurrentDatabase:
    """`db.session` and `db.engine` of the current application."""

    @property
    def current(self) -> Database:
        database: Database = current_app.extensions["database"]
        return database

    @property
    def session(self) -> Session:
        return self.current.session

    @property
    def engine(self) -> Engine:
        return self.current.engine


db = _CurrentDatabase()


@contextmanager
def unique_name(session: Session, message: str) -> Iterator[None]:
    """Write inside a savepoint: a name taken meanwhile (a double-click, two people at once)
    becomes a DomainError on the name field rather than an IntegrityError (a 500).

    Make the changes inside the block: entering it flushes what is already pending.
    """
    try:
        with session.begin_nested():
            yield
    except IntegrityError as error:
        raise DomainError(message, field="name") from error
