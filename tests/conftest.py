"""The test scaffold: a database built by the migrations, one rolled-back transaction per test.

Engine: SQLite in a temporary file by default; PostgreSQL when TRACKER_TEST_DATABASE_URL is set
(for example postgresql+psycopg://postgres@127.0.0.1:5432/test): each run creates a database
beside that one (test_run<pid>), migrates it from scratch and drops it at the end.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.server import clean_environment, serve
from tests import factories
from tests.factories import PASSWORD, SECRET
from tracker import create_app, migrate
from tracker.db import count_queries, db, make_engine
from tracker.feedback.results import forget_kept
from tracker.feedback.results_views import forget_drawn
from tracker.learning.outcomes import forget_kept as forget_kept_outcomes

TEST_DATABASE_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")

T = TypeVar("T")


def reset_database(engine: Engine) -> None:
    """Drop everything, PostgreSQL or SQLite, so that the migrations start from empty."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        else:
            tables = connection.execute(
                text("SELECT name FROM sqlite_master WHERE type='table'")
            ).scalars()
            for table in list(tables):
                connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))


@contextmanager
def scratch_postgres_database(url: str, suffix: str) -> Iterator[str]:
    """A new database beside the configured one, dropped afterwards: runs never collide."""
    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = make_engine(
        base.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def committed_database(directory: Path, label: str) -> Iterator[str]:
    """The URL of a database of its own whose transactions really commit (threads and servers
    cannot share the rolled-back test transaction): a SQLite file in `directory`, or a scratch
    PostgreSQL database named after `label` when TRACKER_TEST_DATABASE_URL is set."""
    if TEST_DATABASE_URL:
        with scratch_postgres_database(TEST_DATABASE_URL, f"{label}{os.getpid()}") as url:
            yield url
    else:
        yield f"sqlite:///{directory / f'{label}.sqlite3'}"


@contextmanager
def live_server(
    workdir: Path,
    label: str,
    seed: Callable[[Session], T],
    *,
    workers: int = 2,
    threads: int = 10,
    settings: dict[str, str] | None = None,
) -> Iterator[tuple[str, Flask, T]]:
    """A real multi-process server (gunicorn, `workers` x `threads`) on a committed database
    of its own (see committed_database), for the tests that race requests against each other.
    `seed(session)` fills it before the server starts (committed after); yields the server's
    URL, an app on the same database (to read what the requests did) and what `seed` returned.
    `settings`: more TRACKER_* environment variables for the server."""
    secret_key = secrets.token_urlsafe(32)
    with committed_database(workdir, label) as database_url:
        app = create_app(
            {
                "DATABASE_URL": database_url,
                "SECRET_KEY": secret_key,
                "CHEAP_PASSWORD_HASHING": True,
                "LOG_LEVEL": "WARNING",
                "SMTP_HOST": "",
            }
        )
        try:
            with app.app_context():
                migrate.upgrade(db.engine)
                facts = seed(db.session)
                db.session.commit()
            env = {
                **clean_environment(),
                "TRACKER_DATABASE_URL": database_url,
                "TRACKER_SECRET_KEY": secret_key,
                "TRACKER_INSTANCE_PATH": str(workdir / "instance"),
                "TRACKER_CHEAP_PASSWORD_HASHING": "1",
                "TRACKER_LOG_LEVEL": "WARNING",
                "TRACKER_SMTP_HOST": "",
                **(settings or {}),
            }
            log = workdir / "gunicorn.log"
            with serve("app:app", env=env, log_path=log, workers=workers, threads=threads) as url:
                yield url, app, facts
        finally:
            app.extensions["database"].engine.dispose()


@pytest.fixture(scope="module")
def real_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated committed database (see committed_database) for the tests of one module,
    with a pool large enough for a dozen threads."""
    label = re.sub(r"\W", "", request.module.__name__.replace("tests.", "").replace(".", "_"))
    with committed_database(tmp_path_factory.mktemp(label), label) as url:
        engine = make_engine(url, pool_size=12) if TEST_DATABASE_URL else make_engine(url)
        try:
            migrate.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


@pytest.fixture
def sessions(real_engine: Engine) -> sessionmaker[Session]:
    """Sessions on real_engine, one per thread, each committing for real."""
    return sessionmaker(bind=real_engine, expire_on_commit=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if TEST_DATABASE_URL:
        with scratch_postgres_database(TEST_DATABASE_URL, f"run{os.getpid()}") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    reset_database(engine)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def make_test_app(database_url: str, tmp_path: Path, **overrides: Any) -> Flask:
    config = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "BASE_URL": factories.BASE_URL,
        "CHEAP_PASSWORD_HASHING": True,
        "LOG_LEVEL": "WARNING",
        "SMTP_HOST": "",
        "API_CHECK_RESPONSES": True,  # every API response checked against its schema
    }
    config.update(overrides)
    os.environ.setdefault("TRACKER_INSTANCE_PATH", str(tmp_path))
    return create_app(config)


@pytest.fixture(scope="session")
def app(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return make_test_app(database_url, tmp_path_factory.mktemp("instance"))


@pytest.fixture
def db_session(app: Flask, engine: Engine) -> Iterator[Session]:
    """A session inside a transaction rolled back after the test; the app uses it too."""
    connection = engine.connect()
    transaction = connection.begin()
    factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    database = app.extensions["database"]
    original = database.session_factory
    database.bind(factory)
    session = factory()
    try:
        with app.app_context():
            # Views and tests share this very session (as in one request).
            from flask import g

            g._db_session = session
            yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
        database.bind(original)
        # The rollback moved the change counters backwards (production never does): values kept
        # under them would be taken for the next test's data.
        forget_kept()
        forget_kept_outcomes()
        forget_drawn()


class Client(FlaskClient):
    """A test client that adds a valid CSRF token to every form it posts (unless csrf=False)."""

    def _csrf_token(self) -> str:
        raw = "test-csrf-raw-token"
        with self.session_transaction() as session:
            session.setdefault("csrf_token", raw)
            raw = session["csrf_token"]
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return str(serializer.dumps(raw))

    def post(self, *args: Any, csrf: bool = True, **kwargs: Any) -> Any:
        if csrf and "json" not in kwargs:
            data = dict(kwargs.pop("data", None) or {})
            data.setdefault("csrf_token", self._csrf_token())
            kwargs["data"] = data
        elif csrf:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self._csrf_token())
            kwargs["headers"] = headers
        return super().post(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def login(client: FlaskClient) -> Any:
    """login(user) logs the test client in through the real login form."""

    def do_login(user: Any, password: str = PASSWORD) -> Any:
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return do_login


@pytest.fixture
def english_request(app: Flask) -> Iterator[None]:
    """A request context in English, for code that reads the request's locale (messages,
    number formats) without a client."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture
def queries() -> Any:
    """with queries() as counter: ...; counter.count is the number of SQL statements run."""
    return count_queries


@pytest.fixture
def world(db_session: Session) -> factories.World:
    """An academy with one person per role, another academy with its own member, an admin."""
    return factories.make_world(db_session)


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
