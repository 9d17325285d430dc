"""The database: one declarative Base, shared column types, the engine and the request session."""

from __future__ import annotations

import contextvars
import datetime as dt
import enum
from collections.abc import Iterator
from contextlib import contextmanager
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
from sqlalchemy.exc import IntegrityError
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
        cursor.close()
        collation.register_sqlite_function(dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate.get() else "BEGIN")


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
            session.close()


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
