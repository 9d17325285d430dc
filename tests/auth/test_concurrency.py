"""Forty wrong passwords at once: exactly ten are checked, the thirty others get 429, no 500.

Against a real multi-process server (gunicorn, 3 worker processes x 14 threads) on a committed
database: a temporary SQLite file, or a scratch PostgreSQL database when
TRACKER_TEST_DATABASE_URL is set (issue 18.5: the check and the count were not atomic, 12 of 40
got through on PostgreSQL). The delay between attempts is turned off (TRACKER_LOGIN_DELAY_AFTER
= the cap), so that the cap alone answers; tests/auth/test_login.py tests the delay.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.cases import PASSWORD, Request
from bench.run import Client, csrf_token_in
from tests.conftest import live_server
from tests.factories import make_user
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
    def seed(session: Session) -> str:
        return make_user(session, email="target@example.com", password=PASSWORD).email

    settings = {"TRACKER_LOGIN_MAX_FAILURES": str(CAP), "TRACKER_LOGIN_DELAY_AFTER": str(CAP)}
    workdir = tmp_path_factory.mktemp("login_concurrency")
    with live_server(workdir, "login", seed, workers=3, threads=14, settings=settings) as (
        url,
        app,
        email,
    ):
        yield Served(url, app, email)


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
