"""A card's move in production: its statements as a real request runs them (no test SAVEPOINT),
and on SQLite the write lock taken for its writing only (tracker.db.reads_first)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.orm import sessionmaker

from tests.conftest import Client, committed_database, make_test_app, reset_database
from tests.factories import PASSWORD, make_brick, make_world, stage_named
from tracker import migrate
from tracker.academies.models import Academy
from tracker.db import db, make_engine, reads_first


@pytest.fixture
def production(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An app on a database whose transactions really commit, with an academy, its designer
    and two cards in Design and Production."""
    with committed_database(tmp_path, "movelock") as url:
        engine = make_engine(url)
        reset_database(engine)
        migrate.upgrade(engine)
        engine.dispose()
        app = make_test_app(url, tmp_path)
        with app.app_context():
            world = make_world(db.session)
            design, production = stage_named(world, "Design"), stage_named(world, "Production")
            anchor = make_brick(db.session, world, "Anchor", stage_id=production.id)
            moving = make_brick(db.session, world, "Moving", stage_id=design.id)
            facts = {
                "app": app,
                "slug": world.academy.slug,
                "email": world.designer.email,
                "payload": {
                    "brick": moving.number,
                    "version": moving.version,
                    "stage": production.id,
                    "after": anchor.number,
                },
            }
            db.session.commit()
        try:
            yield facts
        finally:
            app.extensions["database"].engine.dispose()


def _statements(app: Any) -> tuple[list[str], Any]:
    said: list[str] = []
    engine = app.extensions["database"].engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        said.append(" ".join(statement.split())[:60])

    event.listen(engine, "before_cursor_execute", record)
    return said, lambda: event.remove(engine, "before_cursor_execute", record)


def test_a_move_runs_ten_statements_and_locks_sqlite_for_its_writing_only(production):
    app = production["app"]
    app.test_client_class = Client  # CSRF tokens in its posts
    client = app.test_client()
    login = client.post("/login", data={"email": production["email"], "password": PASSWORD})
    assert login.status_code == 303
    said, stop = _statements(app)
    try:
        answer = client.post(
            f"/a/{production['slug']}/board/move",
            json=production["payload"],
            headers={"Accept": "application/json"},
        )
    finally:
        stop()
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.json["stage"] == production["payload"]["stage"]

    # The academy, the session and its person, their roles; then the lock (SQLite's BEGIN
    # IMMEDIATE, PostgreSQL's SELECT ... FOR NO KEY UPDATE), the column, the card and its
    # neighbour, where it lands, the UPDATE, the history line, the change counter. No webhook
    # lookup: the academy has no endpoint.
    assert len(said) == 10, said
    if app.extensions["database"].engine.dialect.name == "sqlite":
        begin = said.index("BEGIN IMMEDIATE")
        assert begin == 3, said  # after the three reads, which ran outside a transaction
        assert all(s.startswith("SELECT") for s in said[:begin])
        assert not any(s.startswith("BEGIN") for s in said[:begin] + said[begin + 1 :])


def test_a_write_before_the_lock_begins_the_transaction_first(production):
    app = production["app"]
    if app.extensions["database"].engine.dialect.name != "sqlite":
        pytest.skip("SQLite's transactions only")
    with app.app_context(), reads_first():
        session = sessionmaker(bind=app.extensions["database"].engine)()
        academy = session.scalars(select(Academy).where(Academy.slug == production["slug"]))
        academy_id = academy.one().id
        sqlite = session.connection().connection.dbapi_connection
        assert sqlite is not None
        reading_outside = not sqlite.in_transaction
        session.execute(
            update(Academy).where(Academy.id == academy_id).values(description="Changed")
        )
        in_transaction = sqlite.in_transaction
        session.rollback()
        session.close()
        description = db.session.scalar(select(Academy.description).where(Academy.id == academy_id))

    assert reading_outside  # the read ran in SQLite's autocommit, holding nothing
    assert in_transaction  # the UPDATE began the transaction first (BEGIN IMMEDIATE)
    assert description != "Changed"  # and the rollback undid it
