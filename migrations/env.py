"""Alembic environment: runs against the engine given by tracker.migrate, or a URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

import tracker.models  # noqa: F401 - registers every table on Base.metadata
from tracker.db import Base, make_engine
from tracker.migrate import include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild tables; foreign keys must be off meanwhile (and this
            # pragma only takes effect outside a transaction, hence the raw connection).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            compare_server_default=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"foreign key violations after migration: {broken[:5]}")
        if sqlite:
            # The check above began a transaction of its own (autobegin), inside which the
            # pragma would be silently ignored and the pooled connection left without foreign
            # keys: end it first.
            connection.rollback()
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run `flask db-upgrade`.")
run_migrations_online()
