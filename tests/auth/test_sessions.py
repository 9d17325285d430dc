"""Server-side sessions: a copied cookie dies with logout, password change, deactivation; an
unused session ends after the idle limit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from tracker.auth import services
from tracker.auth.models import User, UserSession
from tracker.db import utcnow


def copy_cookie(client, app):  # type: ignore[no-untyped-def]
    """A second client holding the same session cookie, as a thief would."""
    thief = app.test_client()
    cookie = client.get_cookie("brique_session")
    assert cookie is not None
    thief.set_cookie("brique_session", cookie.value)
    return thief


def test_cookie_replayed_after_logout_goes_to_login(app, client, world, login):
    login(world.manager)
    thief = copy_cookie(client, app)
    home = f"/a/{world.academy.slug}/"
    assert thief.get(home).status_code == 200

    client.post("/logout")

    response = thief.get(home)
    assert response.status_code == 303
    assert response.location.startswith("/login")


def test_password_change_revokes_other_sessions_but_keeps_this_one(app, client, world, login):
    login(world.manager)
    thief = copy_cookie(client, app)

    response = client.post(
        "/account/password",
        data={
            "current_password": "correct horse battery staple",
            "new_password": "a much longer new passphrase",
            "confirm": "a much longer new passphrase",
        },
    )

    assert response.status_code == 303
    assert thief.get("/account").status_code == 303
    assert client.get("/account").status_code == 200


def test_deactivated_user_is_logged_out_everywhere(client, db_session, world, login):
    login(world.designer)
    assert client.get("/account").status_code == 200

    services.set_active(
        db_session, db_session.get(User, world.designer.id), False, actor=world.admin, now=utcnow()
    )
    db_session.flush()

    assert client.get("/account").status_code == 303


# -- Idle timeout (issue 18.9) -------------------------------------------------------------------


def _age_sessions(db_session, user, minutes: int) -> None:  # type: ignore[no-untyped-def]
    db_session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(last_seen_at=utcnow() - dt.timedelta(minutes=minutes))
    )
    db_session.commit()


def test_a_session_unused_longer_than_the_idle_limit_is_over(
    app, client, world, login, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    login(world.manager)
    _age_sessions(db_session, world.manager, 31)

    response = client.get("/account")

    assert response.status_code == 303
    assert response.location.startswith("/login")


def test_using_the_session_keeps_it_alive(app, client, world, login, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    login(world.manager)
    _age_sessions(db_session, world.manager, 29)

    assert client.get("/account").status_code == 200

    db_session.expire_all()
    seen = db_session.scalars(
        select(UserSession.last_seen_at).where(UserSession.user_id == world.manager.id)
    ).one()
    assert utcnow() - seen < dt.timedelta(minutes=1)  # touched: another 30 minutes from now
    _age_sessions(db_session, world.manager, 0)
    assert client.get("/account").status_code == 200


def test_no_idle_limit_when_set_to_zero(app, client, world, login, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 0)
    login(world.manager)
    _age_sessions(db_session, world.manager, 60 * 24)

    assert client.get("/account").status_code == 200


def test_the_idle_limit_in_the_service(db_session, world):
    now = utcnow()
    token = services.start_session(db_session, world.manager, lifetime_days=1, now=now)
    later = now + dt.timedelta(minutes=61)

    assert services.load_session_user(db_session, world.manager.id, token, now=later) is not None
    assert (
        services.load_session_user(db_session, world.manager.id, token, idle_minutes=60, now=later)
        is None
    )
