"""One account logged in from several places at the same moment (tabs, hosts behind a
balancer): each login succeeds or is throttled, never a database error. finish_login clears the
counters in the order begin_login locks them (per source, then the account's), so that
PostgreSQL never finds two of these transactions waiting on each other (a deadlock: a 500)."""

from __future__ import annotations

import threading

from sqlalchemy.exc import OperationalError

from tests.factories import PASSWORD, make_user
from tracker.auth import services
from tracker.db import utcnow
from tracker.errors import Throttled

ROUNDS = 60
PLACES = 3


def test_simultaneous_logins_of_one_account_never_deadlock(app, sessions) -> None:
    # (app: cheap password hashing, as in every test)
    with sessions() as session:
        email = make_user(session).email
        session.commit()
    failures: list[BaseException] = []

    def log_in_again_and_again() -> None:
        for _ in range(ROUNDS):
            with sessions() as session:
                try:
                    limits = services.LoginLimits(
                        delay_after=10_000, max_failures=10_000, account_max_failures=10_000
                    )
                    services.begin_login(
                        session, email, source="127.0.0.1", limits=limits, now=utcnow()
                    )
                    session.commit()
                    services.finish_login(
                        session, email, PASSWORD, source="127.0.0.1", now=utcnow()
                    )
                    session.commit()
                except Throttled:
                    session.rollback()
                except OperationalError as error:
                    failures.append(error)
                    session.rollback()

    threads = [threading.Thread(target=log_in_again_and_again) for _ in range(PLACES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
