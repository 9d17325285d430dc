"""Logging in: credentials, inactive accounts, throttling per account and source with a
growing delay, safe `next` redirects."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from tests.factories import PASSWORD, make_user
from tracker.auth import services
from tracker.auth.models import LoginThrottle
from tracker.db import utcnow
from tracker.errors import DomainError, Throttled

EN = {"Accept-Language": "en"}


def field_error(page: str, field: str) -> str:
    """The text of the error shown beside a form field ("" when there is none)."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    return html.unescape(match.group(1)) if match else ""


def fail_login(client, email: str, times: int = 1):  # type: ignore[no-untyped-def]
    response = None
    for _ in range(times):
        response = client.post(
            "/login", data={"email": email, "password": "not the right one"}, headers=EN
        )
    return response


# -- Credentials --------------------------------------------------------------------------------


def test_right_password_logs_in_and_goes_home(client, db_session):
    user = make_user(db_session)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 303
    assert response.location == "/"
    assert client.get("/account").status_code == 200
    assert user.last_login_at is not None


def test_wrong_password_is_refused_on_the_field_and_keeps_the_email(client, db_session):
    user = make_user(db_session)

    response = fail_login(client, user.email)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_error(page, "password") == "Wrong e-mail address or password."
    assert f'value="{user.email}"' in page
    assert "not the right one" not in page  # the password typed is never sent back
    assert client.get("/account").status_code == 303


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, db_session):
    response = fail_login(client, "nobody@example.com")

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "password") == (
        "Wrong e-mail address or password."
    )


def test_empty_form_is_refused_with_422(client, db_session):
    response = client.post("/login", data={"email": "", "password": ""}, headers=EN)

    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "email")


def test_email_is_case_insensitive_and_trimmed(client, db_session):
    user = make_user(db_session, email="Mixed.Case@Example.com")
    assert user.email == "mixed.case@example.com"

    response = client.post(
        "/login", data={"email": "  MIXED.case@EXAMPLE.COM ", "password": PASSWORD}
    )

    assert response.status_code == 303


def test_an_account_cannot_be_created_twice_with_different_case(db_session):
    make_user(db_session, email="twice@example.com")

    with pytest.raises(DomainError) as refused:
        make_user(db_session, email="TWICE@example.com")
    assert refused.value.field == "email"


def test_inactive_account_is_refused_even_with_the_right_password(client, db_session, world):
    user = make_user(db_session)
    services.set_active(db_session, user, False, actor=world.admin, now=utcnow())

    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, headers=EN)

    assert response.status_code == 422
    assert client.get("/account").status_code == 303


def test_account_without_password_cannot_log_in(client, db_session):
    user = make_user(db_session, password=None)

    response = client.post("/login", data={"email": user.email, "password": ""}, headers=EN)
    assert response.status_code == 422
    response = client.post("/login", data={"email": user.email, "password": "x" * 20})
    assert response.status_code == 422


# -- Throttling ---------------------------------------------------------------------------------
# Per account and source address, with a cap per account over all sources, and a delay that
# grows with the failures. The hard cap's tests turn the delay off (it would answer first).


@pytest.fixture
def no_delay(app, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "LOGIN_DELAY_AFTER", 10)


NO_DELAY = services.LoginLimits(delay_after=10)


def test_eleventh_failure_on_one_account_gets_429_with_retry_after(client, db_session, no_delay):
    user = make_user(db_session)

    answers = [fail_login(client, user.email).status_code for _ in range(10)]
    eleventh = fail_login(client, user.email)

    assert answers == [422] * 10
    assert eleventh.status_code == 429
    retry_after = int(eleventh.headers["Retry-After"])
    assert 0 < retry_after <= 300
    assert "Too many failed attempts" in eleventh.get_data(as_text=True)


def test_a_locked_account_is_refused_even_with_the_right_password(client, db_session, no_delay):
    user = make_user(db_session)
    fail_login(client, user.email, times=10)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert client.get("/account").status_code == 303


def test_lockout_counts_the_account_whatever_the_case_of_the_address(client, db_session, no_delay):
    user = make_user(db_session)
    fail_login(client, user.email.upper(), times=10)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 429


def test_another_account_from_the_same_address_still_logs_in(client, db_session, no_delay):
    locked = make_user(db_session)
    colleague = make_user(db_session)
    fail_login(client, locked.email, times=11)

    response = client.post("/login", data={"email": colleague.email, "password": PASSWORD})

    assert response.status_code == 303


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(app, client, db_session):
    """Issue 18.7: failures from one address do not lock the account from another."""
    user = make_user(db_session)
    fail_login(client, user.email, times=30)  # the attacker keeps at it, delayed then capped
    owner = app.test_client()

    response = owner.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )

    assert response.status_code == 303


def test_an_attack_spread_over_many_addresses_meets_the_account_cap(
    app, client, db_session, monkeypatch, no_delay
):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_MAX_FAILURES", 25)
    user = make_user(db_session)
    for n in range(3):  # 3 addresses x 10 failures: the account's 25 is reached meanwhile
        for _ in range(10):
            client.post(
                "/login",
                data={"email": user.email, "password": "wrong guess!"},
                environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
            )

    response = app.test_client().post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )

    assert response.status_code == 429


def test_failures_older_than_the_window_stop_counting(db_session):
    user = make_user(db_session)
    start = utcnow()
    for second in range(10):
        with pytest.raises(DomainError):
            services.authenticate(
                db_session, user.email, "wrong", limits=NO_DELAY,
                now=start + dt.timedelta(seconds=second),
            )  # fmt: skip

    with pytest.raises(Throttled) as locked:
        services.authenticate(
            db_session, user.email, PASSWORD, limits=NO_DELAY,
            now=start + dt.timedelta(seconds=10),
        )  # fmt: skip
    assert locked.value.retry_after == 290  # the window opened by the first failure: 290 s left

    # Just before the window ends, the account is still locked...
    with pytest.raises(Throttled):
        services.authenticate(
            db_session, user.email, PASSWORD, limits=NO_DELAY,
            now=start + dt.timedelta(seconds=299),
        )  # fmt: skip
    # ... and once it has, the account logs in again.
    later = start + dt.timedelta(seconds=301)
    assert services.authenticate(db_session, user.email, PASSWORD, now=later) == user


def test_the_delay_between_attempts_grows_with_the_failures(db_session):
    user = make_user(db_session)
    limits = services.LoginLimits(delay_after=3, delay_max=4)
    start = utcnow()
    seconds = 0.0
    waits = []
    for _ in range(7):
        while True:
            try:
                services.authenticate(
                    db_session, user.email, "wrong", source="198.51.100.7", limits=limits,
                    now=start + dt.timedelta(seconds=seconds),
                )  # fmt: skip
            except Throttled as delayed:
                waits.append(delayed.retry_after)
                seconds += delayed.retry_after
                continue
            except DomainError:
                seconds += 0.1
                break

    # Three free attempts, then 1 s, 2 s, 4 s, and no more than delay_max.
    assert waits == [1, 2, 4, 4]
    # The owner, from their own address, is not delayed at all.
    assert (
        services.authenticate(
            db_session,
            user.email,
            PASSWORD,
            source="203.0.113.9",
            limits=limits,
            now=start + dt.timedelta(seconds=seconds),
        )
        == user
    )


def test_a_quick_fourth_failure_is_asked_to_wait_a_few_seconds(client, db_session):
    user = make_user(db_session)

    answers = [fail_login(client, user.email).status_code for _ in range(3)]
    fourth = fail_login(client, user.email)

    assert answers == [422] * 3
    assert fourth.status_code == 429
    assert 1 <= int(fourth.headers["Retry-After"]) <= 2
    assert "Wait a few seconds" in fourth.get_data(as_text=True)


def test_a_successful_login_clears_the_failures(db_session):
    user = make_user(db_session)
    for _ in range(9):
        with pytest.raises(DomainError):
            services.authenticate(db_session, user.email, "wrong", limits=NO_DELAY, now=utcnow())

    services.authenticate(db_session, user.email, PASSWORD, limits=NO_DELAY, now=utcnow())

    assert db_session.query(LoginThrottle).filter_by(email=user.email).count() == 0


def test_limits_come_from_the_configuration(client, db_session, app, monkeypatch, no_delay):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 3)
    user = make_user(db_session)

    answers = [fail_login(client, user.email).status_code for _ in range(4)]

    assert answers == [422, 422, 422, 429]


# -- Where to go after logging in ---------------------------------------------------------------

HOSTILE_NEXT = [
    "//evil.com",
    "///evil.com",
    "//evil.com/a/x/",
    "https://evil.com",
    "http://evil.com/login",
    "HTTPS://evil.com",
    "https:evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "\\/evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\r\nSet-Cookie: x=y",
    " //evil.com",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "@evil.com",
    "",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_lands_on_the_home_page(client, db_session, target):
    user = make_user(db_session)

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": target}
    )

    assert response.status_code == 303
    assert response.location == "/"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_is_ignored_when_already_logged_in(client, db_session, login, target):
    login(make_user(db_session))

    response = client.get("/login", query_string={"next": target})

    assert response.status_code == 302
    assert response.location == "/"


@pytest.mark.parametrize("target", ["/account", "/a/some-academy/members?tab=x", "/academies/"])
def test_a_relative_next_is_followed(client, db_session, target):
    user = make_user(db_session)

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": target}
    )

    assert response.status_code == 303
    assert response.location == target


def test_a_protected_page_sends_to_login_and_back(client, db_session):
    user = make_user(db_session)

    response = client.get("/account/password")
    assert response.status_code == 303
    assert response.location == "/login?next=/account/password"
    page = client.get(response.location).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account/password"' in page

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/account/password"}
    )
    assert response.location == "/account/password"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com"])
def test_the_language_switch_does_not_redirect_elsewhere(client, db_session, target):
    response = client.post("/language", data={"locale": "en", "next": target})

    assert response.status_code == 303
    assert response.location == "/"
