"""Migrations: one head, upgrade from empty, no drift from the models, down to base and up again.

Runs on its own database (a fresh SQLite file, or a sibling PostgreSQL database) so that the
shared test database is never torn down.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from tests.conftest import TEST_DATABASE_URL, reset_database
from tracker import migrate
from tracker.db import Base, make_engine


@pytest.fixture
def empty_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if TEST_DATABASE_URL:
        url = make_url(TEST_DATABASE_URL)
        name = f"{url.database}_migrations"
        admin = make_engine(str(url.set(database="postgres")), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    else:
        admin = None
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
    reset_database(engine)
    yield engine
    engine.dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def drift(engine: Engine) -> list[object]:
    import tracker.models  # noqa: F401 - every table on Base.metadata

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_there_is_one_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1


def test_migration_files_have_dated_names() -> None:
    for path in (migrate.MIGRATIONS / "versions").glob("*.py"):
        assert path.name[:8].isdigit() and path.name[8] == "_", path.name


def test_upgrade_from_empty_matches_the_models(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    assert drift(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)

    migrate.downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}

    migrate.upgrade(empty_engine)
    assert drift(empty_engine) == []
