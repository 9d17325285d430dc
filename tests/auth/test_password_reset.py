"""Password reset by e-mail: the same answer for any address, a single-use expiring link stored
only as a hash, limits per account and per source address, sessions logged out (issue 18.7)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, make_user
from tracker.auth import resets, services
from tracker.auth.models import LoginThrottle, PasswordReset, UserSession
from tracker.db import utcnow
from tracker.errors import DomainError, NotFound
from tracker.mail.models import MailMessage
from tracker.tokens import hash_token

EN = {"Accept-Language": "en"}
NEW_PASSWORD = "a pelican crossing the quay at dawn"


def ask(client, email: str, **kwargs):  # type: ignore[no-untyped-def]
    return client.post("/password/forgot", data={"email": email}, headers=EN, **kwargs)


def mails_to(db_session, email: str) -> list[MailMessage]:
    return list(
        db_session.scalars(
            select(MailMessage)
            .where(MailMessage.to_address == email, MailMessage.category == "password_reset")
            .order_by(MailMessage.id)
        )
    )


def link_in(message: MailMessage) -> str:
    match = re.search(r"http://[^/\s]+(/password/reset/[A-Za-z0-9_-]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def test_the_answer_is_the_same_whether_the_account_exists_or_not(client, db_session):
    user = make_user(db_session)

    known = ask(client, user.email)
    unknown = ask(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 303
    assert known.location == unknown.location == "/login"
    said = [client.get("/login", headers=EN).get_data(as_text=True) for _ in range(1)]
    assert "If an account exists for" in said[0]
    assert len(mails_to(db_session, user.email)) == 1
    assert db_session.scalar(select(func.count(MailMessage.id)).where(
        MailMessage.to_address == "nobody@example.com")) == 0  # fmt: skip


def test_the_link_sets_a_new_password_once_and_logs_every_session_out(app, client, db_session):
    user = make_user(db_session)
    services.start_session(db_session, user, lifetime_days=1, now=utcnow())
    db_session.commit()
    ask(client, user.email)
    path = link_in(mails_to(db_session, user.email)[0])
    token = path.rsplit("/", 1)[1]
    person = app.test_client()

    page = person.get(path, headers=EN)
    response = person.post(path, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    assert response.status_code == 303 and response.location == "/login"
    stored = db_session.scalars(select(PasswordReset)).one()
    assert stored.token_hash == hash_token(token) and stored.used_at is not None
    assert db_session.scalar(select(func.count(UserSession.id)).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None))) == 0  # fmt: skip
    assert (
        person.post(path, data={"new_password": "x" * 20, "confirm": "x" * 20}).status_code == 404
    )
    assert (
        app.test_client()
        .post("/login", data={"email": user.email, "password": NEW_PASSWORD})
        .status_code
        == 303
    )
    assert (
        app.test_client().post("/login", data={"email": user.email, "password": PASSWORD})
    ).status_code == 422


def test_opening_the_link_changes_nothing(app, client, db_session):
    user = make_user(db_session)
    ask(client, user.email)
    path = link_in(mails_to(db_session, user.email)[0])

    for _ in range(3):
        assert app.test_client().get(path).status_code == 200

    db_session.expire_all()
    assert db_session.scalars(select(PasswordReset)).one().used_at is None


def test_a_weak_password_is_refused_and_the_link_still_works(app, client, db_session):
    user = make_user(db_session)
    ask(client, user.email)
    path = link_in(mails_to(db_session, user.email)[0])

    refused = app.test_client().post(
        path, data={"new_password": "password1234", "confirm": "password1234"}, headers=EN
    )

    assert refused.status_code == 422 and "too common" in refused.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 200


def test_an_expired_or_made_up_link_is_refused(db_session):
    user = make_user(db_session)
    now = utcnow()
    link = resets.request_reset(db_session, user.email, source="x", valid_minutes=60, now=now)
    assert link is not None

    with pytest.raises(NotFound):
        resets.reset_password(
            db_session, link.token, NEW_PASSWORD, now=now + dt.timedelta(minutes=61)
        )
    with pytest.raises(NotFound):
        resets.reset_password(db_session, "made-up", NEW_PASSWORD, now=now)
    assert resets.reset_password(db_session, link.token, NEW_PASSWORD, now=now) == user


def test_a_new_link_spends_none_but_a_used_one_spends_them_all(db_session):
    user = make_user(db_session)
    now = utcnow()
    first = resets.request_reset(db_session, user.email, source="x", valid_minutes=60, now=now)
    second = resets.request_reset(db_session, user.email, source="x", valid_minutes=60, now=now)
    assert first and second and first.token != second.token

    resets.reset_password(db_session, second.token, NEW_PASSWORD, now=now)

    with pytest.raises(NotFound):
        resets.reset_password(db_session, first.token, NEW_PASSWORD + "!", now=now)


def test_a_few_links_an_hour_per_account_then_silence(client, db_session):
    user = make_user(db_session)

    answers = [ask(client, user.email).status_code for _ in range(5)]

    assert answers == [303] * 5
    assert len(mails_to(db_session, user.email)) == resets.LINKS_PER_ACCOUNT_PER_HOUR


def test_one_address_asking_too_often_gets_429_whatever_the_accounts(client, db_session):
    answers = [
        ask(client, f"someone{n}@example.com").status_code
        for n in range(resets.REQUESTS_PER_SOURCE_PER_HOUR + 1)
    ]
    other_address = ask(client, "someone@example.com", environ_base={"REMOTE_ADDR": "10.9.9.9"})

    assert answers == [303] * resets.REQUESTS_PER_SOURCE_PER_HOUR + [429]
    assert other_address.status_code == 303


def test_closed_and_passwordless_accounts(client, db_session, world):
    closed = make_user(db_session)
    services.set_active(db_session, closed, False, actor=world.admin, now=utcnow())
    tester = make_user(db_session, password=None)

    assert ask(client, closed.email).status_code == ask(client, tester.email).status_code == 303

    assert mails_to(db_session, closed.email) == []
    # An account that never had a password may choose one: the link proves the address.
    assert len(mails_to(db_session, tester.email)) == 1


def test_a_reset_clears_the_login_counters(db_session):
    user = make_user(db_session)
    now = utcnow()
    for _ in range(3):
        with pytest.raises(DomainError):
            services.authenticate(db_session, user.email, "wrong", source="x", now=now)
    link = resets.request_reset(db_session, user.email, source="x", valid_minutes=60, now=now)
    assert link is not None

    resets.reset_password(db_session, link.token, NEW_PASSWORD, now=now)

    assert db_session.scalar(select(func.count(LoginThrottle.id)).where(
        LoginThrottle.email == user.email)) == 0  # fmt: skip
