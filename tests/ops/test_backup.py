"""Backups as docs/operations.md tells them: `pg_dump --format=custom` of a live database, then
`pg_restore` into a fresh, empty database, which then holds the data, is at the migrations'
head (/readyz says ready) and serves it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from tests.conftest import TEST_DATABASE_URL, make_test_app, scratch_postgres_database
from tests.factories import make_brick, make_world
from tracker.backlog.models import Brick
from tracker.db import make_engine

pytestmark = [
    pytest.mark.skipif(not TEST_DATABASE_URL, reason="pg_dump and pg_restore: PostgreSQL only"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump (postgresql-client)"),
]


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL client tools (the password through PGPASSWORD)."""
    parsed = make_url(url)
    options = [
        "--host",
        parsed.host or "127.0.0.1",
        "--port",
        str(parsed.port or 5432),
        "--username",
        parsed.username or "postgres",
        "--dbname",
        parsed.database or "",
    ]
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return options, env


def test_a_dump_restored_into_a_fresh_database_has_the_data(real_engine, tmp_path) -> None:
    with sessionmaker(bind=real_engine)() as session:
        world = make_world(session)
        make_brick(session, world, "Sauvegardée : l'accueil des nouveaux")
        session.commit()
        bricks = session.scalar(select(func.count(Brick.id)))
    source = real_engine.url.render_as_string(hide_password=False)
    dump = tmp_path / "brique.dump"
    options, env = _libpq(source)

    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", "--file", str(dump), *options],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )

    with scratch_postgres_database(TEST_DATABASE_URL, f"restore{os.getpid()}") as fresh:
        options, env = _libpq(fresh)
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", *options, str(dump)],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        engine = make_engine(fresh)
        try:
            with engine.connect() as connection:
                restored = connection.scalar(select(func.count(Brick.id)))
                title = connection.scalar(
                    text("SELECT title FROM brick WHERE title LIKE 'Sauvegardée%'")
                )
            assert restored == bricks and title == "Sauvegardée : l'accueil des nouveaux"
            app = make_test_app(fresh, tmp_path)
            try:
                ready = app.test_client().get("/readyz")
                assert ready.status_code == 200, ready.get_json()
            finally:
                app.extensions["database"].engine.dispose()
        finally:
            engine.dispose()
