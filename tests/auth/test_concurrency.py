"""Forty wrong passwords at once: exactly ten are checked, the thirty others get 429, no 500.

Against a real multi-process server (gunicorn, 3 worker processes x 14 threads) on a committed
database: a temporary SQLite file, or a scratch PostgreSQL database when
TRACKER_TEST_DATABASE_URL is set (issue 18.5: the check and the count were not atomic, 12 of 40
got through on PostgreSQL). The delay between attempts is turned off (TRACKER_LOGIN_DELAY_AFTER
= the cap), so that the cap alone answers; tests/auth/test_login.py tests the delay.
"""

from __future__ import annotations

import os
import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.cases import PASSWORD, Request
from bench.run import Client, csrf_token_in
from bench.server import clean_environment, serve
from tests.conftest import TEST_DATABASE_URL, scratch_postgres_database
from tests.factories import make_user
from tracker import create_app, migrate
from tracker.auth.models import LoginThrottle
from tracker.db import db

pytestmark = pytest.mark.slow

ATTEMPTS = 40
CAP = 10


@dataclass
class Served:
    url: str
    app: object
    email: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir: Path = tmp_path_factory.mktemp("login_concurrency")
    secret_key = secrets.token_urlsafe(32)
    if TEST_DATABASE_URL:
        context = scratch_postgres_database(TEST_DATABASE_URL, f"login{os.getpid()}")
        database_url = context.__enter__()
    else:
        context = None
        database_url = f"sqlite:///{workdir / 'login.sqlite3'}"
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret_key,
            "CHEAP_PASSWORD_HASHING": True,
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        with app.app_context():
            migrate.upgrade(db.engine)
            email = make_user(db.session, email="target@example.com", password=PASSWORD).email
            db.session.commit()
        env = {
            **clean_environment(),
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_SECRET_KEY": secret_key,
            "TRACKER_INSTANCE_PATH": str(workdir / "instance"),
            "TRACKER_CHEAP_PASSWORD_HASHING": "1",
            "TRACKER_LOG_LEVEL": "WARNING",
            "TRACKER_SMTP_HOST": "",
            "TRACKER_LOGIN_MAX_FAILURES": str(CAP),
            "TRACKER_LOGIN_DELAY_AFTER": str(CAP),
        }
        log = workdir / "gunicorn.log"
        with serve("app:app", env=env, log_path=log, workers=3, threads=14) as url:
            yield Served(url, app, email)
    finally:
        app.extensions["database"].engine.dispose()
        if context is not None:
            context.__exit__(None, None, None)


def test_forty_parallel_wrong_passwords_process_exactly_ten(served: Served) -> None:
    # Arrange: forty clients, each with the login form's CSRF token in its own session.
    clients = [Client(served.url, n) for n in range(ATTEMPTS)]
    for client in clients:
        client.csrf_token = csrf_token_in(client.send(Request("/login")).body)
    barrier = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attempt(client: Client) -> None:
        form = {
            "csrf_token": client.csrf_token,
            "email": served.email,
            "password": f"wrong guess {client.index}",
            "next": "",
        }
        request = Request("/login", method="POST", body=urllib.parse.urlencode(form).encode())
        try:
            barrier.wait(timeout=30)
            statuses.append(client.send(request).status)
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(client,)) for client in clients]

    # Act
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for client in clients:
        client.close()

    # Assert: ten passwords checked (422), thirty refused before checking (429), no 500.
    assert not errors, errors
    assert sorted(statuses) == [422] * CAP + [429] * (ATTEMPTS - CAP), statuses
    with served.app.app_context():  # type: ignore[attr-defined]
        counted = db.session.scalars(
            select(LoginThrottle.failures).where(LoginThrottle.email == served.email)
        ).all()
        assert sorted(counted) == [CAP, CAP]  # this source's counter and the account's
