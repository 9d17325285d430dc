"""Server-side sessions: a copied cookie dies with logout, password change, deactivation."""

from __future__ import annotations

from tracker.auth import services
from tracker.auth.models import User
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
