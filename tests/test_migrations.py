"""Migrations: one head, upgrade from empty, no drift from the models, down to base and up again.

Runs on its own database (a fresh SQLite file, or a sibling PostgreSQL database) so that the
shared test database is never torn down.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from tests.conftest import TEST_DATABASE_URL, scratch_postgres_database
from tracker import migrate
from tracker.db import Base, make_engine


@pytest.fixture
def empty_engine(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        if TEST_DATABASE_URL:
            url = stack.enter_context(
                scratch_postgres_database(TEST_DATABASE_URL, f"migrations{os.getpid()}")
            )
        else:
            url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def drift(engine: Engine) -> list[object]:
    import tracker.models  # noqa: F401 - every table on Base.metadata

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": migrate.include_name,
            },
        )
        return list(compare_metadata(context, Base.metadata))


def test_there_is_one_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1


def test_migration_files_are_named_by_date_and_time_in_chain_order() -> None:
    """YYYYMMDDHHMM_<rev>_<slug>.py: a directory listing reads in the order of the chain."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    paths = sorted((migrate.MIGRATIONS / "versions").glob("*.py"))
    for path in paths:
        assert path.name[:12].isdigit() and path.name[12] == "_", path.name
    chain = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    assert [path.name.split("_")[1] for path in paths] == chain


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
